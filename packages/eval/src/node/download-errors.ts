import { AbcError } from '@abc/core';

/** One failed attempt of a download: the address asked and why it failed. */
export interface DownloadAttemptFailure {
  /** The address as listed in `DownloadOptions.urls` (not the target of a redirect). */
  readonly url: string;
  /** 1 for the first request to this address, 2 for its first retry, and so on. */
  readonly attempt: number;
  /** Why it failed, in words (an HTTP status, a socket error, a timeout, a checksum mismatch). */
  readonly error: string;
}

function listAttempts(attempts: readonly DownloadAttemptFailure[]): string {
  return attempts.map((a) => `\n  - ${a.url} (attempt ${a.attempt}): ${a.error}`).join('');
}

function countAddresses(attempts: readonly DownloadAttemptFailure[]): number {
  return new Set(attempts.map((a) => a.url)).size;
}

/**
 * A file that could not be downloaded from any of its addresses. `attempts` lists every request that
 * failed and why, and the message names each of them, so a user can tell a typo (404) from a firewall
 * (connection refused) or a proxy problem. Its code is `DOWNLOAD`.
 *
 * @example
 * try { await downloadFile({ urls, dest }); }
 * catch (e) { if (e instanceof DownloadError) for (const a of e.attempts) console.error(a.url, a.error); }
 */
export class DownloadError extends AbcError {
  /** The destination path that was not written. */
  readonly dest: string;
  readonly attempts: DownloadAttemptFailure[];
  constructor(dest: string, attempts: readonly DownloadAttemptFailure[], message?: string, options?: { cause?: unknown }) {
    const n = countAddresses(attempts);
    super(
      'DOWNLOAD',
      (message ?? `could not download ${dest} from ${n} address${n === 1 ? '' : 'es'}`) + listAttempts(attempts),
      options,
    );
    this.dest = dest;
    this.attempts = [...attempts];
  }
}

/** What a {@link ChecksumMismatchError} compared. */
export interface ChecksumMismatch {
  /** The destination the bytes were downloaded for (their `.part` file is deleted). */
  readonly file: string;
  /** The address the bytes came from. */
  readonly url: string;
  readonly algorithm: 'sha256' | 'md5';
  /** Whether the hash is of the file as stored or of its gunzipped content. */
  readonly of: 'file' | 'gunzipped';
  readonly expected: string;
  readonly actual: string;
}

/**
 * Downloaded bytes whose hash is not the expected one: a corrupt mirror, a file changed upstream, or a
 * wrong checksum in the catalogue. The downloaded file is deleted before this is thrown. It is also a
 * {@link DownloadError}: thrown by `downloadFile` when no address delivered a good file and at least one
 * delivered a mismatching one; `attempts` then lists every failure.
 *
 * @example
 * catch (e) { if (e instanceof ChecksumMismatchError) console.error(`${e.file}: ${e.expected} != ${e.actual}`); }
 */
export class ChecksumMismatchError extends DownloadError implements ChecksumMismatch {
  readonly file: string;
  readonly url: string;
  readonly algorithm: 'sha256' | 'md5';
  readonly of: 'file' | 'gunzipped';
  readonly expected: string;
  readonly actual: string;
  constructor(dest: string, mismatch: ChecksumMismatch, attempts: readonly DownloadAttemptFailure[] = []) {
    super(dest, attempts, checksumMessage(mismatch));
    this.file = mismatch.file;
    this.url = mismatch.url;
    this.algorithm = mismatch.algorithm;
    this.of = mismatch.of;
    this.expected = mismatch.expected;
    this.actual = mismatch.actual;
  }
}

function checksumMessage(m: ChecksumMismatch): string {
  const what = m.of === 'gunzipped' ? `${m.algorithm} of the gunzipped content` : m.algorithm;
  return `checksum mismatch for ${m.file} (from ${m.url}): expected ${what} ${m.expected}, got ${m.actual}`;
}

/**
 * Downloaded bytes of another length than `DownloadOptions.size` (or than the server's own
 * Content-Length). Like a checksum mismatch, the file is deleted and the next address tried.
 *
 * @example
 * catch (e) { if (e instanceof SizeMismatchError) console.error(`${e.expected} bytes expected, ${e.actual} received`); }
 */
export class SizeMismatchError extends DownloadError {
  readonly file: string;
  readonly url: string;
  readonly expected: number;
  readonly actual: number;
  constructor(
    dest: string,
    mismatch: { file: string; url: string; expected: number; actual: number },
    attempts: readonly DownloadAttemptFailure[] = [],
  ) {
    super(
      dest,
      attempts,
      `size mismatch for ${mismatch.file} (from ${mismatch.url}): expected ${mismatch.expected} bytes, got ${mismatch.actual}`,
    );
    this.file = mismatch.file;
    this.url = mismatch.url;
    this.expected = mismatch.expected;
    this.actual = mismatch.actual;
  }
}

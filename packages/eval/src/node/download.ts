// The robust file downloader of @abc/eval/node: mirrors, retries with backoff, resumable .part files,
// streaming checksums, an idle timeout, a lock file against concurrent writers, proxies, and Ctrl-C.
// The pieces live in download-*.ts, one job each; this module holds the public API and the retry loop.
import { stat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AbortError, ValidationError } from '@abc/core';
import { attemptDownload, CallbackError, type AttemptSettings } from './download-attempt.js';
import { ChecksumMismatchError, DownloadError, SizeMismatchError, type DownloadAttemptFailure } from './download-errors.js';
import { hashFile, sameHex } from './download-hash.js';
import type { TrustedCa } from './download-http.js';
import { acquireLock, type HeldLock } from './download-lock.js';
import { backoffDelay, sleep } from './download-timing.js';

export {
  ChecksumMismatchError,
  DownloadError,
  SizeMismatchError,
  type ChecksumMismatch,
  type DownloadAttemptFailure,
} from './download-errors.js';
export { proxyForUrl, type ProxyEnv } from './download-proxy.js';
export type { TrustedCa } from './download-http.js';

/** An expected hash of a download. */
export interface DownloadChecksum {
  algorithm: 'sha256' | 'md5';
  /** The hex digest (case ignored). */
  hex: string;
  /** What is hashed: the file as downloaded (default) or the gunzip of its bytes (for a recompressed mirror). */
  of?: 'file' | 'gunzipped';
}

/** Where a download stands; `received` and `total` count bytes of the whole file. */
export interface DownloadProgress {
  /** The address being read (as listed in `urls`). */
  url: string;
  /** Bytes of the file so far, including those of a resumed `.part`. */
  received: number;
  /** The file's size from Content-Length (or the Content-Range total when resuming), null when unknown. */
  total: number | null;
  /** The size of the `.part` this attempt resumed, 0 when it started from scratch. */
  resumedFrom: number;
}

/** What to download, from where, and how hard to try. */
export interface DownloadOptions {
  /** Addresses tried in order: the primary one, then mirrors. http(s) only. */
  urls: readonly string[];
  /** The final path; parent folders are created. `dest.part` and `dest.lock` are used next to it. */
  dest: string;
  /** The expected hash. When absent the file's SHA-256 is computed and returned with `verified: false`. */
  checksum?: DownloadChecksum;
  /** The expected byte count when known: a mismatch is an error, like a checksum's. */
  size?: number;
  /** Attempts per address after the first, for transient failures (5xx, 429, connection errors, timeouts). Default 3. */
  retries?: number;
  /** Base of the exponential backoff between retries, in ms (jittered). Default 500. */
  backoffMs?: number;
  /** Idle timeout: an attempt that receives nothing for this long is abandoned. Default 30000 ms. */
  timeoutMs?: number;
  /** Abort (Ctrl-C): the `.part` is kept for a later resume, the lock released, and core's `AbortError` thrown. */
  signal?: AbortSignal;
  /** Called as bytes arrive (once per received chunk, and once as each attempt starts). */
  onProgress?: (p: DownloadProgress) => void;
  /** Called when another download holds the lock and this one starts waiting for it. */
  onLockWait?: () => void;
  /** Where proxy variables (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY, lower case too) are read. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Certificate authorities (PEM) to trust for https, replacing Node's bundled ones (e.g. a proxy's own CA). */
  ca?: TrustedCa;
  /**
   * A lock not refreshed for this long is taken over (its owner on another host, frozen, or gone). Locks of
   * dead processes on this host are taken over at once. Default 600000 ms (10 minutes).
   */
  lockStaleMs?: number;
  /** How often a waiting download looks at the lock again. Default 250 ms. */
  lockPollMs?: number;
  /** Download again even when `dest` exists and verifies. */
  force?: boolean;
}

/** What was downloaded (or found). */
export interface DownloadResult {
  /** The final path (`options.dest`). */
  path: string;
  /** The address that delivered the file (as listed in `urls`); empty when `skipped`. */
  url: string;
  /** The file's size. */
  bytes: number;
  /** The file's SHA-256 (always computed). */
  sha256: string;
  /** True when `checksum` was given and matched. */
  verified: boolean;
  /** True when the file was completed from a `.part` left by an earlier attempt or run. */
  resumed: boolean;
  /** True when `dest` was already there (and verified, when a checksum was given): nothing was requested. */
  skipped: boolean;
  /** Attempts that failed before the one that succeeded (e.g. a mirror that was down), for a warning. */
  failures: DownloadAttemptFailure[];
}

const DEFAULTS = {
  retries: 3,
  backoffMs: 500,
  timeoutMs: 30_000,
  lockStaleMs: 10 * 60_000,
  lockPollMs: 250,
};

const HEX_LENGTH = { sha256: 64, md5: 32 } as const;

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= min)) {
    throw new ValidationError('param', `downloadFile: ${name} must be a number >= ${min}, got ${value}`);
  }
}

function validate(options: DownloadOptions): void {
  if (options.urls.length === 0) throw new ValidationError('empty', 'downloadFile: urls is empty');
  for (const url of options.urls) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new ValidationError('param', `downloadFile: "${url}" is not an http(s) address`);
    }
  }
  if (!options.dest) throw new ValidationError('param', 'downloadFile: dest is empty');
  const { checksum } = options;
  if (checksum !== undefined) {
    const length = HEX_LENGTH[checksum.algorithm];
    if (length === undefined || !new RegExp(`^[0-9a-f]{${length}}$`, 'i').test(checksum.hex.trim())) {
      throw new ValidationError(
        'param',
        `downloadFile: checksum for ${options.dest} is not a ${checksum.algorithm} hex digest: "${checksum.hex}"`,
      );
    }
  }
  checkCount('size', options.size, 0);
  checkCount('retries', options.retries, 0);
  checkCount('backoffMs', options.backoffMs, 0);
  checkCount('timeoutMs', options.timeoutMs, 1);
  checkCount('lockStaleMs', options.lockStaleMs, 0);
  checkCount('lockPollMs', options.lockPollMs, 1);
}

function abortError(dest: string, signal: AbortSignal | undefined): AbortError {
  return new AbortError(`download of ${dest} was aborted; its .part file is kept for resuming`, {
    cause: signal?.reason,
  });
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/**
 * Local file-system failures (disk full, read-only, permissions, a folder in the way): no address or retry
 * can fix them, so they end the download at once, as they are. EACCES/EPERM also come from sockets
 * (a firewall refusing `connect`): those stay ordinary network failures.
 */
const DISK_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EISDIR', 'ENOTDIR']);
const PERMISSION_FAILURES = new Set(['EACCES', 'EPERM']);

function isLocalFailure(e: unknown): boolean {
  const error = e as NodeJS.ErrnoException | null;
  const code = error?.code ?? '';
  return DISK_FAILURES.has(code) || (PERMISSION_FAILURES.has(code) && error?.syscall !== 'connect');
}

/** Whether asking the same address again may help: server errors, timeouts, dropped connections; not 404. */
function isRetryable(e: unknown): boolean {
  if (e instanceof DownloadError) return false; // checksum or size mismatch: handled apart
  if (typeof e === 'object' && e !== null && 'retryable' in e) return (e as { retryable: unknown }).retryable === true;
  return true; // socket errors (ECONNREFUSED, ECONNRESET, TLS...) and idle timeouts
}

/** Identifies one version of a file cheaply, to tell whether it changed between two looks. */
async function fileVersion(path: string): Promise<string | null> {
  const info = await stat(path).catch(() => null);
  return info === null || !info.isFile() ? null : `${info.ino}:${info.size}:${info.mtimeMs}`;
}

/** The existing `dest` when it can be used as is (see `DownloadResult.skipped`), else null. */
async function existingFile(options: DownloadOptions): Promise<DownloadResult | null> {
  const info = await stat(options.dest).catch(() => null);
  if (info === null || !info.isFile()) return null;
  if (options.size !== undefined && info.size !== options.size) return null;
  const digests = await hashFile(options.dest, options.checksum);
  if (options.checksum !== undefined && !sameHex(options.checksum.hex, digests.checked)) return null;
  return {
    path: options.dest,
    url: '',
    bytes: digests.bytes,
    sha256: digests.sha256,
    verified: options.checksum !== undefined,
    resumed: false,
    skipped: true,
    failures: [],
  };
}

/**
 * Downloads a file robustly: tries each of `urls` in turn (retrying transient failures with exponential
 * backoff and jitter; a 404 goes to the next address at once), streams into `dest + '.part'` while hashing,
 * verifies `size` and `checksum`, then renames to `dest` atomically, so `dest` is never half-written. A
 * `.part` left by an interrupted run is resumed with an HTTP Range request (and re-hashed, so the checksum
 * covers the whole file); a server without Range support restarts it from zero. A lock file `dest + '.lock'`
 * keeps two processes from writing one file: the second waits, then finds the file done. When `dest` already
 * exists and verifies, nothing is requested (`skipped: true`). Proxies come from HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY. Throws {@link ChecksumMismatchError} or {@link SizeMismatchError} when no address delivered the
 * right bytes and one delivered wrong ones, else {@link DownloadError} naming every address and failure,
 * core's `AbortError` when `signal` aborts, core's `ValidationError` for bad options.
 *
 * @example
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * const { path, verified } = await downloadFile({
 *   urls: ['https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz'],
 *   dest: 'data/mnist/t10k-labels-idx1-ubyte.gz',
 *   checksum: { algorithm: 'md5', hex: 'ec29112dd5afa0611ce80d1b7f02629c' },
 *   signal: controller.signal,
 *   onProgress: ({ received, total }) => process.stderr.write(`\r${received}/${total ?? '?'} bytes`),
 * });
 */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  validate(options);
  const { dest, signal } = options;
  if (signal?.aborted) throw abortError(dest, signal);
  await mkdir(dirname(dest), { recursive: true });
  const seen = await fileVersion(dest);
  if (!options.force && seen !== null) {
    const present = await existingFile(options);
    if (present !== null) return present;
  }
  let lock: HeldLock;
  try {
    lock = await acquireLock(`${dest}.lock`, {
      staleMs: options.lockStaleMs ?? DEFAULTS.lockStaleMs,
      pollMs: options.lockPollMs ?? DEFAULTS.lockPollMs,
      signal,
      onWait: options.onLockWait,
    });
  } catch (e) {
    if (signal?.aborted) throw abortError(dest, signal);
    throw e;
  }
  try {
    // While we waited, the lock's previous owner may have finished this very file (a new version of it:
    // an unchanged one was judged above already).
    if (!options.force && (await fileVersion(dest)) !== seen) {
      const present = await existingFile(options);
      if (present !== null) return present;
    }
    return await downloadFromMirrors(options);
  } finally {
    await lock.release();
  }
}

async function downloadFromMirrors(options: DownloadOptions): Promise<DownloadResult> {
  const { dest, signal } = options;
  const retries = options.retries ?? DEFAULTS.retries;
  const backoffMs = options.backoffMs ?? DEFAULTS.backoffMs;
  const settings: AttemptSettings = {
    dest,
    checksum: options.checksum,
    size: options.size,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    env: options.env ?? process.env,
    ca: options.ca,
    signal,
    onProgress: options.onProgress,
  };
  const failures: DownloadAttemptFailure[] = [];
  let mismatch: ChecksumMismatchError | SizeMismatchError | null = null;
  for (const url of options.urls) {
    let attempts = retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let resumedFrom = 0;
      try {
        const done = await attemptDownload(url, settings, (from) => {
          resumedFrom = from;
        });
        return { path: dest, url, ...done, verified: options.checksum !== undefined, skipped: false, failures };
      } catch (e) {
        if (signal?.aborted) throw abortError(dest, signal);
        if (e instanceof CallbackError) throw e.original;
        if (isLocalFailure(e)) throw e;
        failures.push({ url, attempt, error: describe(e) });
        if (e instanceof ChecksumMismatchError || e instanceof SizeMismatchError) {
          mismatch = e;
          // A resumed .part may hold the start of an older version of the file: once, start over from zero
          // on this address before blaming it. A fresh mismatch is the address's fault: next mirror.
          if (resumedFrom > 0 && attempts === retries + 1) {
            attempts++;
            continue;
          }
          break;
        }
        if (!isRetryable(e) || attempt === attempts) break;
        try {
          await sleep(backoffDelay(attempt, backoffMs), signal);
        } catch {
          throw abortError(dest, signal);
        }
      }
    }
  }
  if (mismatch instanceof ChecksumMismatchError) throw new ChecksumMismatchError(dest, mismatch, failures);
  if (mismatch instanceof SizeMismatchError) throw new SizeMismatchError(dest, mismatch, failures);
  throw new DownloadError(dest, failures);
}

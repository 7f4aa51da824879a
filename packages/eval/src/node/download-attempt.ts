// One attempt at one address: ask (with a Range when a .part exists), append or restart the .part, hash it
// as it streams, verify, and rename it to its final name. Retrying and choosing mirrors is download.ts's job.
import type { IncomingMessage } from 'node:http';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { ChecksumMismatchError, SizeMismatchError } from './download-errors.js';
import { hashFileInto, sameHex, StreamingHasher, type ExpectedChecksum } from './download-hash.js';
import { HttpStatusError, openGet, viaProxy, type OpenedResponse, type TrustedCa } from './download-http.js';
import type { ProxyEnv } from './download-proxy.js';
import { IdleTimeoutError, IdleTimer } from './download-timing.js';

/** Progress of one attempt (the public `DownloadProgress`). */
export interface AttemptProgress {
  readonly url: string;
  /** Bytes of the file so far, including those resumed from an earlier attempt. */
  readonly received: number;
  /** The whole file's size when the server said it, else null. */
  readonly total: number | null;
  /** Where this attempt started: the size of the `.part` it resumed, 0 for a fresh start. */
  readonly resumedFrom: number;
}

/** Everything an attempt needs, already validated and defaulted. */
export interface AttemptSettings {
  readonly dest: string;
  readonly checksum?: ExpectedChecksum;
  readonly size?: number;
  readonly timeoutMs: number;
  readonly env: ProxyEnv;
  readonly ca?: TrustedCa;
  /** The caller's signal; the attempt has its own too (for its idle timeout), which this one aborts. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: AttemptProgress) => void;
}

/** A successful attempt. */
export interface AttemptResult {
  readonly bytes: number;
  readonly sha256: string;
  readonly resumed: boolean;
}

/** An error thrown by the caller's own callback: it ends the download as is, never retried. */
export class CallbackError extends Error {
  constructor(readonly original: unknown) {
    super('onProgress threw', { cause: original });
  }
}

/**
 * A failure that asking the same address again may fix, yet is no server error: a connection that closed
 * before the announced length, or a `.part` the server could not resume.
 */
export class TransferError extends Error {
  readonly retryable = true;
}

/** What to do with the `.part`, from the response to our (possibly ranged) request. */
type WritePlan =
  | { kind: 'append'; from: number; total: number | null; bodyLength: number | null }
  | { kind: 'restart'; total: number | null; bodyLength: number | null }
  | { kind: 'complete'; total: number };

function headerNumber(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}

function planWrite(response: IncomingMessage, have: number, url: string): WritePlan {
  const status = response.statusCode ?? 0;
  const { headers } = response;
  const length = headerNumber(headers['content-length']);
  if (status === 200) return { kind: 'restart', total: length, bodyLength: length }; // Range ignored: start over
  const range = headers['content-range'];
  if (status === 206) {
    const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(range?.trim() ?? '');
    if (m === null || Number(m[1]) !== have) {
      throw new TransferError(`the server answered Range bytes=${have}- with Content-Range "${range ?? ''}"`);
    }
    const total = m[3] === '*' ? null : Number(m[3]);
    return { kind: 'append', from: have, total, bodyLength: Number(m[2]) - have + 1 };
  }
  if (status === 416) {
    // Nothing left past our offset: the .part is already complete when the server says it has exactly that many bytes.
    const m = /^bytes\s+\*\/(\d+)$/i.exec(range?.trim() ?? '');
    if (m !== null && Number(m[1]) === have) return { kind: 'complete', total: have };
    throw new TransferError(`the server cannot resume from byte ${have} (HTTP 416); starting over`);
  }
  throw new HttpStatusError(status, response.statusMessage, url);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  let done = 0;
  while (done < chunk.length) done += (await file.write(chunk, done, chunk.length - done)).bytesWritten;
}

/**
 * Downloads `url` into `dest + '.part'`, resuming it when it exists, verifies size and checksum, and renames
 * it to `dest`. On a checksum or size mismatch the `.part` is deleted; on any other failure it is kept for
 * the next attempt to resume. `resumedFrom` is reported through `onStart` before any byte is written.
 */
export async function attemptDownload(
  url: string,
  s: AttemptSettings,
  onStart: (resumedFrom: number) => void,
): Promise<AttemptResult> {
  const part = `${s.dest}.part`;
  const attempt = new AbortController();
  const abortAttempt = (): void => attempt.abort(s.signal?.reason);
  s.signal?.addEventListener('abort', abortAttempt, { once: true });
  if (s.signal?.aborted) abortAttempt();
  const idle = new IdleTimer(s.timeoutMs, () => attempt.abort(new IdleTimeoutError(s.timeoutMs)));
  let proxy: URL | null = null;
  let opened: OpenedResponse | null = null;
  try {
    const have = await sizeOf(part);
    const headers: Record<string, string> = { accept: '*/*', 'accept-encoding': 'identity' };
    if (have > 0) headers.range = `bytes=${have}-`;
    opened = await openGet(url, { headers, env: s.env, ca: s.ca, signal: attempt.signal });
    proxy = opened.proxy;
    const { response } = opened;
    let plan: WritePlan;
    try {
      plan = planWrite(response, have, url);
    } catch (e) {
      response.resume();
      if (e instanceof TransferError) await unlink(part).catch(() => undefined);
      throw e;
    }
    const from = plan.kind === 'append' ? plan.from : plan.kind === 'complete' ? have : 0;
    onStart(from);
    if (s.size !== undefined && plan.total !== null && plan.total !== s.size) {
      response.destroy();
      await unlink(part).catch(() => undefined);
      throw new SizeMismatchError(s.dest, { file: s.dest, url, expected: s.size, actual: plan.total });
    }
    const hasher = new StreamingHasher(s.checksum);
    if (from > 0) {
      // The hash must cover the whole file: re-read what earlier attempts wrote (not the network's time).
      idle.pause();
      await hashFileInto(part, hasher);
      idle.touch();
    }
    let received = have;
    if (plan.kind === 'complete') {
      response.resume();
      reportProgress(s.onProgress, { url, received: have, total: have, resumedFrom: have });
    } else {
      const body = { url, from, total: plan.total, bodyLength: plan.bodyLength, append: plan.kind === 'append' };
      received = await receiveBody(response, part, body, { hasher, idle, signal: attempt.signal, onProgress: s.onProgress });
    }
    idle.pause(); // the network part is over: hashing and renaming take what they take
    const digests = await hasher.digest();
    await verify(url, part, received, digests.checked, s);
    await rename(part, s.dest);
    return { bytes: received, sha256: digests.sha256, resumed: from > 0 };
  } catch (e) {
    if (!s.signal?.aborted) throw viaProxy(e, proxy);
    throw e;
  } finally {
    idle.pause();
    s.signal?.removeEventListener('abort', abortAttempt);
    // Whatever went wrong, never leave a half-read response (and its socket) behind.
    if (opened !== null && !opened.response.complete) opened.response.destroy();
  }
}

/** Calls the caller's progress callback; what it throws is marked as the caller's, so it is never retried. */
function reportProgress(onProgress: ((p: AttemptProgress) => void) | undefined, progress: AttemptProgress): void {
  try {
    onProgress?.(progress);
  } catch (e) {
    throw new CallbackError(e);
  }
}

/** What the response body is: where it goes in the file, and how long it should be. */
interface BodyInfo {
  readonly url: string;
  /** The file offset of its first byte. */
  readonly from: number;
  /** True to append to the `.part`, false to truncate it first. */
  readonly append: boolean;
  readonly total: number | null;
  /** Content-Length of this body, when announced. */
  readonly bodyLength: number | null;
}

/** Who watches the body go by. */
interface BodyWatchers {
  readonly hasher: StreamingHasher;
  readonly idle: IdleTimer;
  /** The attempt's signal: the caller's abort or the idle timeout. */
  readonly signal: AbortSignal;
  readonly onProgress?: (p: AttemptProgress) => void;
}

/** Streams the body into the `.part` and the hasher; returns the file's size. */
async function receiveBody(response: IncomingMessage, part: string, info: BodyInfo, watchers: BodyWatchers): Promise<number> {
  const { hasher, idle, signal, onProgress } = watchers;
  const report = (received: number): void =>
    reportProgress(onProgress, { url: info.url, received, total: info.total, resumedFrom: info.from });
  // Destroying the response with the signal's reason makes the loop below throw that reason (abort or idle).
  const stop = (): void => {
    response.destroy(signal.reason as Error);
  };
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();
  const file = await open(part, info.append ? 'a' : 'w');
  let received = info.from;
  try {
    report(received);
    for await (const chunk of response) {
      idle.touch();
      const bytes = chunk as Buffer;
      await writeAll(file, bytes);
      await hasher.update(bytes);
      received += bytes.length;
      report(received);
    }
    if (info.bodyLength !== null && received - info.from !== info.bodyLength) {
      throw new TransferError(`the connection closed after ${received - info.from} of ${info.bodyLength} bytes`);
    }
    await file.sync();
  } finally {
    signal.removeEventListener('abort', stop);
    await file.close();
  }
  return received;
}

/** Checks size and checksum; on a mismatch deletes the `.part` (its bytes are wrong) and throws. */
async function verify(url: string, part: string, received: number, checked: string | null, s: AttemptSettings): Promise<void> {
  if (s.size !== undefined && received !== s.size) {
    await unlink(part).catch(() => undefined);
    throw new SizeMismatchError(s.dest, { file: s.dest, url, expected: s.size, actual: received });
  }
  if (s.checksum !== undefined && !sameHex(s.checksum.hex, checked)) {
    await unlink(part).catch(() => undefined);
    throw new ChecksumMismatchError(s.dest, {
      file: s.dest,
      url,
      algorithm: s.checksum.algorithm,
      of: s.checksum.of ?? 'file',
      expected: s.checksum.hex.trim().toLowerCase(),
      actual: checked ?? '(none)',
    });
  }
}

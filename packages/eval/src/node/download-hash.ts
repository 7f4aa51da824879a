// Streaming hashes for the downloader: files may be hundreds of MB, so bytes are hashed chunk by chunk as
// they arrive (or as a partial file is re-read), never buffered whole.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createGunzip, type Gunzip } from 'node:zlib';

/** A checksum to verify: the same shape as `DownloadChecksum`. */
export interface ExpectedChecksum {
  readonly algorithm: 'sha256' | 'md5';
  readonly hex: string;
  readonly of?: 'file' | 'gunzipped';
}

/** What a {@link StreamingHasher} found. */
export interface Digests {
  /** SHA-256 of the bytes as stored. */
  readonly sha256: string;
  /** The digest that the expected checksum describes, or a description of why it could not be computed. */
  readonly checked: string | null;
  /** Byte count seen. */
  readonly bytes: number;
}

/**
 * Hashes bytes as they stream by: always their SHA-256, plus the expected checksum's algorithm of either the
 * same bytes or of their gunzipped content (fed through a streaming gunzip).
 */
export class StreamingHasher {
  private readonly fileSha256: Hash = createHash('sha256');
  /** null when nothing beyond the file's SHA-256 is needed. */
  private readonly checked: Hash | null;
  private readonly gunzip: Gunzip | null;
  private gunzipError: Error | null = null;
  private bytes = 0;

  constructor(private readonly checksum?: ExpectedChecksum) {
    const ofContent = checksum?.of === 'gunzipped';
    const sameAsFile = checksum !== undefined && !ofContent && checksum.algorithm === 'sha256';
    this.checked = checksum === undefined || sameAsFile ? null : createHash(checksum.algorithm);
    this.gunzip = null;
    if (ofContent && this.checked !== null) {
      const hash = this.checked;
      const gunzip = createGunzip();
      gunzip.on('data', (chunk: Buffer) => hash.update(chunk));
      gunzip.on('error', (e: Error) => {
        this.gunzipError ??= e;
      });
      this.gunzip = gunzip;
    }
  }

  /** Adds a chunk; waits when the gunzip stream is behind, so a fast network cannot pile data up in memory. */
  async update(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    this.fileSha256.update(chunk);
    if (this.gunzip === null) {
      this.checked?.update(chunk);
      return;
    }
    if (this.gunzipError !== null) return;
    if (!this.gunzip.write(chunk)) await drainOrFailure(this.gunzip);
  }

  /** Finishes every hash. Call once, after the last chunk. */
  async digest(): Promise<Digests> {
    const sha256 = this.fileSha256.digest('hex');
    let checked: string | null = null;
    if (this.checksum !== undefined) checked = this.checked === null ? sha256 : await this.finishChecked(this.checked);
    return { sha256, checked, bytes: this.bytes };
  }

  private async finishChecked(hash: Hash): Promise<string> {
    if (this.gunzip !== null && this.gunzipError === null) {
      const gunzip = this.gunzip;
      const ended = Promise.race([once(gunzip, 'end'), once(gunzip, 'close')]).catch(() => undefined);
      gunzip.end();
      await ended;
    }
    if (this.gunzipError !== null) return `no checksum: the bytes are not valid gzip (${this.gunzipError.message})`;
    return hash.digest('hex');
  }
}

function drainOrFailure(stream: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}

/** Feeds a whole file into a hasher, chunk by chunk. */
export async function hashFileInto(path: string, hasher: StreamingHasher): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    await hasher.update(chunk as Buffer);
  }
}

/**
 * Hashes a whole file, streamed: its SHA-256 and, when given, the digest `checksum` describes (of the file or of
 * its gunzip; a file that is not valid gzip gets a description instead of a digest, which never matches).
 */
export async function hashFile(path: string, checksum?: ExpectedChecksum): Promise<Digests> {
  const hasher = new StreamingHasher(checksum);
  await hashFileInto(path, hasher);
  return hasher.digest();
}

/** True when a computed hex digest equals the expected one (case and surrounding blanks ignored). */
export function sameHex(expected: string, actual: string | null): boolean {
  return actual !== null && expected.trim().toLowerCase() === actual.toLowerCase();
}

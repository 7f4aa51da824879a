import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, ValidationError } from '@abc/core';
import {
  ChecksumMismatchError,
  DownloadError,
  SizeMismatchError,
  downloadFile,
  type DownloadOptions,
  type DownloadProgress,
} from '../src/node/download.js';
import { tempDir } from './fixtures/paths.js';
import {
  md5Hex,
  refusedOrigin,
  serveBytes,
  sha256Hex,
  startServer,
  testBytes,
  type Handler,
  type TestServer,
} from './fixtures/download/server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(handler: Handler): Promise<TestServer> {
  const server = await startServer(handler);
  cleanups.push(() => server.close());
  return server;
}

function folder(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

/** Options every test shares: no proxy from the environment, short waits. */
const quick = { env: {}, backoffMs: 1, timeoutMs: 5_000, lockPollMs: 20 } satisfies Partial<DownloadOptions>;

const FILE = testBytes(100_000, 7);
const SHA = sha256Hex(FILE);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('downloadFile: success and skipping', () => {
  it('writes to dest.part, verifies, then renames: dest never exists half-written', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE, { chunkSize: 16_384, chunkDelayMs: 5 }));
    const dest = join(folder(), 'nested', 'deeper', 'file.bin');
    const seenDuring: { dest: boolean; part: boolean }[] = [];
    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/file.bin`],
      dest,
      checksum: { algorithm: 'sha256', hex: SHA.toUpperCase() },
      onProgress: () => seenDuring.push({ dest: existsSync(dest), part: existsSync(`${dest}.part`) }),
    });
    expect(seenDuring.length).toBeGreaterThan(3);
    expect(seenDuring.every((s) => !s.dest && s.part)).toBe(true);
    expect(readFileSync(dest).equals(FILE)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(existsSync(`${dest}.lock`)).toBe(false);
    expect(result).toEqual({
      path: dest,
      url: `${server.origin}/file.bin`,
      bytes: FILE.length,
      sha256: SHA,
      verified: true,
      resumed: false,
      skipped: false,
      failures: [],
    });
  });

  it('without a checksum it returns the sha256 it computed, unverified', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE));
    const dest = join(folder(), 'file.bin');
    const result = await downloadFile({ ...quick, urls: [`${server.origin}/f`], dest });
    expect(result.sha256).toBe(SHA);
    expect(result.verified).toBe(false);
  });

  it('skips an existing dest that verifies, without any request; replaces one that does not', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE));
    const dest = join(folder(), 'file.bin');
    const options = { ...quick, urls: [`${server.origin}/f`], dest, checksum: { algorithm: 'sha256', hex: SHA } } as const;
    writeFileSync(dest, FILE);
    const skipped = await downloadFile(options);
    expect(skipped).toMatchObject({ skipped: true, verified: true, sha256: SHA, bytes: FILE.length });
    expect(server.requests).toHaveLength(0);

    writeFileSync(dest, testBytes(100_000, 99)); // a stale or corrupt copy
    const replaced = await downloadFile(options);
    expect(replaced).toMatchObject({ skipped: false, verified: true });
    expect(server.requests).toHaveLength(1);
    expect(readFileSync(dest).equals(FILE)).toBe(true);

    const forced = await downloadFile({ ...options, force: true });
    expect(forced.skipped).toBe(false);
    expect(server.requests).toHaveLength(2);
  });

  it('follows redirects and reports the address as listed', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { location: '/new' });
        res.end();
      } else serveBytes(req, res, FILE);
    });
    const dest = join(folder(), 'file.bin');
    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/old`],
      dest,
      checksum: { algorithm: 'sha256', hex: SHA },
    });
    expect(result.url).toBe(`${server.origin}/old`);
    expect(server.requests.map((r) => r.path)).toEqual(['/old', '/new']);
  });
});

describe('downloadFile: resuming', () => {
  it('resumes with Range after the connection drops mid-file, and the whole file verifies', async () => {
    const K = 40_000;
    const server = await serve((req, res) => serveBytes(req, res, FILE, server.requests.length === 1 ? { dropAfter: K } : {}));
    const dest = join(folder(), 'file.bin');
    const progress: DownloadProgress[] = [];
    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/f`],
      dest,
      retries: 2,
      checksum: { algorithm: 'sha256', hex: SHA },
      onProgress: (p) => progress.push(p),
    });
    // What the first attempt wrote before the drop (K, unless a loaded machine lost the last chunk in flight).
    const kept = Math.max(...progress.filter((p) => p.resumedFrom === 0).map((p) => p.received));
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(K);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`]);
    expect(result).toMatchObject({ verified: true, resumed: true, bytes: FILE.length, sha256: SHA });
    expect(result.failures).toHaveLength(1);
    expect(readFileSync(dest).equals(FILE)).toBe(true);
    // On resume the total comes from Content-Range (Content-Length is only the tail's).
    const resumed = progress.filter((p) => p.resumedFrom === kept);
    expect(resumed[0]).toEqual({ url: `${server.origin}/f`, received: kept, total: FILE.length, resumedFrom: kept });
    expect(resumed.at(-1)?.received).toBe(FILE.length);
  });

  it('starts over from zero when the server ignores Range (answers 200)', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE, { ranges: false }));
    const dest = join(folder(), 'file.bin');
    writeFileSync(`${dest}.part`, FILE.subarray(0, 5_000));
    const result = await downloadFile({ ...quick, urls: [`${server.origin}/f`], dest });
    expect(server.requests[0].range).toBe('bytes=5000-');
    expect(result.resumed).toBe(false);
    // Appending the full body to the old part would have made a 105000-byte file.
    expect(readFileSync(dest).equals(FILE)).toBe(true);
    expect(result.sha256).toBe(SHA);
  });

  it('a .part that is already complete (416 with the same total) is verified without a body', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE));
    const dest = join(folder(), 'file.bin');
    writeFileSync(`${dest}.part`, FILE);
    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/f`],
      dest,
      checksum: { algorithm: 'sha256', hex: SHA },
    });
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=${FILE.length}-`]);
    expect(result).toMatchObject({ verified: true, resumed: true, bytes: FILE.length });
  });

  it('a resumed .part of another file fails the checksum once, then the same address restarts from zero', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE));
    const dest = join(folder(), 'file.bin');
    writeFileSync(`${dest}.part`, testBytes(5_000, 3)); // the start of some older version
    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/f`],
      dest,
      retries: 0,
      checksum: { algorithm: 'sha256', hex: SHA },
    });
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=5000-', undefined]);
    expect(result).toMatchObject({ verified: true, resumed: false });
    expect(result.failures[0].error).toMatch(/checksum mismatch/);
    expect(readFileSync(dest).equals(FILE)).toBe(true);
  });
});

describe('downloadFile: checksums and sizes', () => {
  it('a mismatch from one mirror deletes its bytes and tries the next mirror', async () => {
    const server = await serve((req, res) => serveBytes(req, res, req.url === '/bad' ? testBytes(100_000, 8) : FILE));
    const dest = join(folder(), 'file.bin');
    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/bad`, `${server.origin}/good`],
      dest,
      checksum: { algorithm: 'sha256', hex: SHA },
    });
    expect(result.url).toBe(`${server.origin}/good`);
    expect(server.count('/bad')).toBe(1); // a mismatch is not retried on the same address
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0].error).toContain(sha256Hex(testBytes(100_000, 8)));
    expect(readFileSync(dest).equals(FILE)).toBe(true);
  });

  it('when every mirror mismatches: ChecksumMismatchError naming file, algorithm, both hashes; nothing left', async () => {
    const wrong = testBytes(100_000, 8);
    const server = await serve((req, res) => serveBytes(req, res, wrong));
    const dest = join(folder(), 'file.bin');
    const e = await rejection(
      downloadFile({
        ...quick,
        urls: [`${server.origin}/a`, `${server.origin}/b`],
        dest,
        checksum: { algorithm: 'sha256', hex: SHA },
      }),
    );
    expect(e).toBeInstanceOf(ChecksumMismatchError);
    expect(e).toBeInstanceOf(DownloadError);
    const mismatch = e as ChecksumMismatchError;
    expect(mismatch.code).toBe('DOWNLOAD');
    expect(mismatch).toMatchObject({ file: dest, algorithm: 'sha256', expected: SHA, actual: sha256Hex(wrong) });
    expect(mismatch.message).toContain(SHA);
    expect(mismatch.message).toContain(sha256Hex(wrong));
    expect(mismatch.message).toContain(dest);
    expect(mismatch.attempts.map((a) => a.url)).toEqual([`${server.origin}/a`, `${server.origin}/b`]);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(existsSync(`${dest}.lock`)).toBe(false);
  });

  it('verifies md5 of the file and sha256 of its gunzipped content, streaming', async () => {
    const gz = gzipSync(FILE);
    const server = await serve((req, res) => serveBytes(req, res, req.url === '/plain' ? FILE : gz));
    const dir = folder();
    const md5 = await downloadFile({
      ...quick,
      urls: [`${server.origin}/f.gz`],
      dest: join(dir, 'a.gz'),
      checksum: { algorithm: 'md5', hex: md5Hex(gz) },
    });
    expect(md5).toMatchObject({ verified: true, sha256: sha256Hex(gz) });
    const gunzipped = await downloadFile({
      ...quick,
      urls: [`${server.origin}/f.gz`],
      dest: join(dir, 'b.gz'),
      checksum: { algorithm: 'sha256', hex: SHA, of: 'gunzipped' },
    });
    expect(gunzipped).toMatchObject({ verified: true, sha256: sha256Hex(gz) });

    const notGzip = await rejection(
      downloadFile({
        ...quick,
        urls: [`${server.origin}/plain`],
        dest: join(dir, 'c.gz'),
        checksum: { algorithm: 'sha256', hex: SHA, of: 'gunzipped' },
      }),
    );
    expect(notGzip).toBeInstanceOf(ChecksumMismatchError);
    expect((notGzip as ChecksumMismatchError).of).toBe('gunzipped');
    expect((notGzip as Error).message).toMatch(/not valid gzip/);
    const wrongMd5 = await rejection(
      downloadFile({
        ...quick,
        urls: [`${server.origin}/f.gz`],
        dest: join(dir, 'd.gz'),
        checksum: { algorithm: 'md5', hex: md5Hex(FILE) },
      }),
    );
    expect(wrongMd5).toMatchObject({ algorithm: 'md5', expected: md5Hex(FILE), actual: md5Hex(gz) });
  });

  it('a size other than the expected one is an error like a checksum', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE));
    const dest = join(folder(), 'file.bin');
    const e = await rejection(downloadFile({ ...quick, urls: [`${server.origin}/f`], dest, size: FILE.length + 1 }));
    expect(e).toBeInstanceOf(SizeMismatchError);
    expect(e).toMatchObject({ expected: FILE.length + 1, actual: FILE.length });
    expect(server.requests).toHaveLength(1);
    expect(existsSync(dest)).toBe(false);
    const ok = await downloadFile({ ...quick, urls: [`${server.origin}/f`], dest, size: FILE.length });
    expect(ok.bytes).toBe(FILE.length);
  });
});

describe('downloadFile: retries, mirrors, timeouts', () => {
  it('404 goes to the next address at once', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/missing') {
        res.writeHead(404);
        res.end();
      } else serveBytes(req, res, FILE);
    });
    const dest = join(folder(), 'file.bin');
    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/missing`, `${server.origin}/mirror`],
      dest,
      retries: 3,
    });
    expect(server.count('/missing')).toBe(1);
    expect(result.url).toBe(`${server.origin}/mirror`);
    expect(result.failures).toEqual([{ url: `${server.origin}/missing`, attempt: 1, error: 'HTTP 404 Not Found' }]);
  });

  it('5xx is retried on the same address with exponential backoff', async () => {
    const server = await serve((req, res) => {
      if (server.requests.length <= 2) {
        res.writeHead(503);
        res.end();
      } else serveBytes(req, res, FILE);
    });
    const dest = join(folder(), 'file.bin');
    const started = Date.now();
    const result = await downloadFile({ ...quick, urls: [`${server.origin}/flaky`], dest, retries: 3, backoffMs: 40 });
    // Waits of 20..40 then 40..80 ms: at least 60 ms in all.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(server.count('/flaky')).toBe(3);
    expect(result.failures.map((f) => f.error)).toEqual(['HTTP 503 Service Unavailable', 'HTTP 503 Service Unavailable']);
  });

  it('a server that stalls mid-body hits the idle timeout; retried, then the mirror resumes the file', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE, req.url === '/stall' ? { stallAfter: 1_000 } : {}));
    const dest = join(folder(), 'file.bin');
    const started = Date.now();
    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/stall`, `${server.origin}/good`],
      dest,
      retries: 1,
      timeoutMs: 200,
      checksum: { algorithm: 'sha256', hex: SHA },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.count('/stall')).toBe(2);
    expect(result.failures.map((f) => f.error)).toEqual([
      'no data for 200 ms (idle timeout)',
      'no data for 200 ms (idle timeout)',
    ]);
    // Each stalled attempt kept its 1000 bytes: the retry resumed them, the mirror resumed both.
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=1000-', 'bytes=2000-']);
    expect(result).toMatchObject({ url: `${server.origin}/good`, resumed: true, verified: true });
  });

  it('a server that never answers times out too', async () => {
    const server = await serve(() => undefined);
    const e = await rejection(
      downloadFile({ ...quick, urls: [`${server.origin}/f`], dest: join(folder(), 'f'), retries: 0, timeoutMs: 150 }),
    );
    expect(e).toBeInstanceOf(DownloadError);
    expect((e as Error).message).toMatch(/idle timeout/);
  });

  it('no network: one DownloadError listing every address tried and why it failed', async () => {
    const a = `${await refusedOrigin()}/a.gz`;
    const b = `${await refusedOrigin()}/b.gz`;
    const dest = join(folder(), 'file.bin');
    const e = await rejection(downloadFile({ ...quick, urls: [a, b], dest, retries: 1 }));
    expect(e).toBeInstanceOf(DownloadError);
    const error = e as DownloadError;
    expect(error.attempts.map((x) => [x.url, x.attempt])).toEqual([
      [a, 1],
      [a, 2],
      [b, 1],
      [b, 2],
    ]);
    expect(error.attempts.every((x) => x.error.includes('ECONNREFUSED'))).toBe(true);
    expect(error.message).toContain(`could not download ${dest} from 2 addresses`);
    expect(error.message).toContain(`\n  - ${a} (attempt 1): connect ECONNREFUSED`);
    expect(error.message).toContain(`\n  - ${b} (attempt 2): connect ECONNREFUSED`);
    expect(existsSync(`${dest}.lock`)).toBe(false);
  });

  it('reports progress: from 0 to Content-Length, growing', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE, { chunkSize: 10_000, chunkDelayMs: 2 }));
    const progress: DownloadProgress[] = [];
    await downloadFile({
      ...quick,
      urls: [`${server.origin}/f`],
      dest: join(folder(), 'f'),
      onProgress: (p) => progress.push(p),
    });
    expect(progress[0]).toEqual({ url: `${server.origin}/f`, received: 0, total: FILE.length, resumedFrom: 0 });
    expect(progress.at(-1)?.received).toBe(FILE.length);
    expect(progress.length).toBeGreaterThan(5);
    for (let i = 1; i < progress.length; i++) expect(progress[i].received).toBeGreaterThanOrEqual(progress[i - 1].received);
  });
});

describe('downloadFile: aborting and bad options', () => {
  it('abort keeps the .part, releases the lock and throws AbortError; the next call resumes it', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE, { chunkSize: 8_192, chunkDelayMs: 5 }));
    const dest = join(folder(), 'file.bin');
    const controller = new AbortController();
    const e = await rejection(
      downloadFile({
        ...quick,
        urls: [`${server.origin}/f`],
        dest,
        signal: controller.signal,
        onProgress: ({ received }) => {
          if (received >= 20_000) controller.abort();
        },
      }),
    );
    expect(e).toBeInstanceOf(AbortError);
    expect((e as Error).name).toBe('AbortError');
    const kept = statSync(`${dest}.part`).size;
    expect(kept).toBeGreaterThanOrEqual(20_000);
    expect(kept).toBeLessThan(FILE.length);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.lock`)).toBe(false);

    const result = await downloadFile({
      ...quick,
      urls: [`${server.origin}/f`],
      dest,
      checksum: { algorithm: 'sha256', hex: SHA },
    });
    expect(server.requests.at(-1)?.range).toBe(`bytes=${kept}-`);
    expect(result).toMatchObject({ resumed: true, verified: true });
  });

  it('abort during a backoff wait ends at once', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const started = Date.now();
    const e = await rejection(
      downloadFile({
        ...quick,
        urls: [`${server.origin}/f`],
        dest: join(folder(), 'f'),
        backoffMs: 20_000,
        signal: AbortSignal.timeout(200),
      }),
    );
    expect(e).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a local file-system failure ends the download at once: no retry, no mirror', async () => {
    const server = await serve((req, res) => serveBytes(req, res, FILE));
    const dest = join(folder(), 'file.bin');
    mkdirSync(`${dest}.part`); // a folder where the .part file should go
    const e = await rejection(downloadFile({ ...quick, urls: [`${server.origin}/a`, `${server.origin}/b`], dest, retries: 3 }));
    expect((e as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(server.requests.map((r) => r.path)).toEqual(['/a']);
    expect(existsSync(`${dest}.lock`)).toBe(false);
  });

  it('rejects bad options with ValidationError before any request', async () => {
    const dest = join(folder(), 'f');
    await expect(downloadFile({ urls: [], dest })).rejects.toBeInstanceOf(ValidationError);
    await expect(downloadFile({ urls: ['ftp://example.com/f'], dest })).rejects.toThrow(/not an http\(s\) address/);
    await expect(downloadFile({ urls: ['http://127.0.0.1/f'], dest, checksum: { algorithm: 'md5', hex: SHA } })).rejects.toThrow(
      /not a md5 hex digest/,
    );
    await expect(downloadFile({ urls: ['http://127.0.0.1/f'], dest, retries: -1 })).rejects.toBeInstanceOf(ValidationError);
  });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError } from '@abc/core';
import { downloadFile, type DownloadOptions } from '../src/node/download.js';
import { acquireLock } from '../src/node/download-lock.js';
import { tempDir } from './fixtures/paths.js';
import { serveBytes, sha256Hex, startServer, testBytes, type TestServer } from './fixtures/download/server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

const FILE = testBytes(120_000, 11);
const SHA = sha256Hex(FILE);

async function fileServer(): Promise<TestServer> {
  const server = await startServer((req, res) => serveBytes(req, res, FILE, { chunkSize: 8_192, chunkDelayMs: 4 }));
  cleanups.push(() => server.close());
  return server;
}

function options(server: TestServer, dest: string): DownloadOptions {
  return {
    urls: [`${server.origin}/f`],
    dest,
    checksum: { algorithm: 'sha256', hex: SHA },
    env: {},
    backoffMs: 1,
    lockPollMs: 20,
    lockStaleMs: 60_000,
  };
}

function writeLock(path: string, owner: { pid: number; hostname: string }): void {
  writeFileSync(path, JSON.stringify({ ...owner, startedAt: new Date().toISOString(), token: 'someone-else' }));
}

describe('download lock', () => {
  it('two concurrent calls of one file: one download; the other waits, then finds it complete and verified', async () => {
    const server = await fileServer();
    const dest = join(folder(), 'file.bin');
    let waits = 0;
    const both = await Promise.all([
      downloadFile({ ...options(server, dest), onLockWait: () => waits++ }),
      downloadFile({ ...options(server, dest), onLockWait: () => waits++ }),
    ]);
    expect(server.count('/f')).toBe(1);
    expect(waits).toBe(1);
    expect(both.map((r) => r.skipped).sort()).toEqual([false, true]);
    expect(both.every((r) => r.verified && r.sha256 === SHA)).toBe(true);
    expect(readFileSync(dest).equals(FILE)).toBe(true);
    expect(existsSync(`${dest}.lock`)).toBe(false);
  });

  it('a lock left by a killed process is taken over at once; while it lived, the download waited', async () => {
    const server = await fileServer();
    const dest = join(folder(), 'file.bin');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    await once(child, 'spawn');
    writeLock(`${dest}.lock`, { pid: child.pid ?? -1, hostname: hostname() });

    const waiting = await downloadFile({ ...options(server, dest), signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect(waiting).toBeInstanceOf(AbortError);
    expect(server.requests).toHaveLength(0);
    expect(JSON.parse(readFileSync(`${dest}.lock`, 'utf8'))).toMatchObject({ pid: child.pid, token: 'someone-else' });

    child.kill('SIGKILL');
    await once(child, 'exit');
    const started = Date.now();
    // lockStaleMs is a minute: only the dead pid explains a takeover within seconds.
    const result = await downloadFile({ ...options(server, dest), signal: AbortSignal.timeout(5_000) });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ skipped: false, verified: true });
    expect(existsSync(`${dest}.lock`)).toBe(false);
  });

  it('a lock from another host is taken over only once it is older than lockStaleMs', async () => {
    const server = await fileServer();
    const dest = join(folder(), 'file.bin');
    // pid 1 is alive here, but the owner is on another host: its pid says nothing.
    writeLock(`${dest}.lock`, { pid: 1, hostname: 'another-host.invalid' });
    const fresh = await downloadFile({ ...options(server, dest), signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect(fresh).toBeInstanceOf(AbortError);
    expect(server.requests).toHaveLength(0);

    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(`${dest}.lock`, twoMinutesAgo, twoMinutesAgo);
    const result = await downloadFile(options(server, dest));
    expect(result).toMatchObject({ skipped: false, verified: true });
    expect(existsSync(`${dest}.lock`)).toBe(false);
  });

  it('a held lock stays fresh (heartbeat), so a long download is never taken over', async () => {
    const path = join(folder(), 'f.lock');
    const lock = await acquireLock(path, { staleMs: 600, pollMs: 20 });
    try {
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });
      // Without the heartbeat the lock would be 900 ms old by now, past staleMs, and the second taker would win.
      await new Promise((resolve) => setTimeout(resolve, 900));
      expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(600);
      const second = await acquireLock(path, { staleMs: 600, pollMs: 20, signal: AbortSignal.timeout(300) }).catch(
        (e: unknown) => e,
      );
      expect((second as Error).name).toMatch(/TimeoutError|AbortError/);
    } finally {
      await lock.release();
    }
    expect(existsSync(path)).toBe(false);
  });

  it('release never deletes a lock that someone else took over', async () => {
    const path = join(folder(), 'f.lock');
    const lock = await acquireLock(path, { staleMs: 60_000, pollMs: 20 });
    writeLock(path, { pid: 12345, hostname: 'another-host.invalid' });
    await lock.release();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ token: 'someone-else' });
  });
});

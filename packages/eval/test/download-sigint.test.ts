import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadFile } from '../src/node/download.js';
import { tempDir } from './fixtures/paths.js';
import { serveBytes, sha256Hex, startServer, testBytes } from './fixtures/download/server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const CHILD = fileURLToPath(new URL('./fixtures/download/sigint-child.ts', import.meta.url));
// tsx's loader, run inside the child's own node process (not through the tsx CLI, which would put a second
// process between the test and the downloader and relay the signal).
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const FILE = testBytes(400_000, 13);

/** Resolves when the child prints `line`; rejects when it exits first or after `ms`. */
function waitForLine(child: ReturnType<typeof spawn>, line: string, output: { text: string }, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${line}" within ${ms} ms; output: ${output.text}`)), ms);
    const check = (): void => {
      if (output.text.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`the child exited before "${line}"; output: ${output.text}`));
    });
  });
}

describe('Ctrl-C', () => {
  it('SIGINT mid-download: the child exits, keeps the .part, releases the lock; a later download resumes it', async () => {
    // The first request trickles (2 KB every 10 ms: two seconds for the whole file); later ones are fast.
    const server = await startServer((req, res) =>
      serveBytes(req, res, FILE, server.requests.length === 1 ? { chunkSize: 2_048, chunkDelayMs: 10 } : {}),
    );
    cleanups.push(() => server.close());
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const dest = join(dir, 'data', 'file.bin');

    const child = spawn(process.execPath, ['--conditions=@abc/source', '--import', TSX, CHILD, `${server.origin}/f`, dest], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    const output = { text: '' };
    child.stdout.on('data', (d: Buffer) => (output.text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output.text += d.toString()));
    const exited = once(child, 'exit');

    await waitForLine(child, 'receiving', output, 15_000);
    child.kill('SIGINT');
    const [code] = (await Promise.race([
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no exit after SIGINT; output: ${output.text}`)), 10_000)),
    ])) as [number | null];

    expect(output.text).toContain('AbortError');
    expect(code).toBe(130);
    const kept = statSync(`${dest}.part`).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(FILE.length);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.lock`)).toBe(false);

    const result = await downloadFile({
      urls: [`${server.origin}/f`],
      dest,
      env: {},
      checksum: { algorithm: 'sha256', hex: sha256Hex(FILE) },
    });
    expect(server.requests.map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`]);
    expect(result).toMatchObject({ resumed: true, verified: true, bytes: FILE.length });
    expect(readFileSync(dest).equals(FILE)).toBe(true);
  });
});

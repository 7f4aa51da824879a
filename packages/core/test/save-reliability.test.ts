/**
 * Reliability, "nothing lost": saveFile writes a temporary file and renames it over the target, so a failed
 * rename or a process killed mid-save leaves the previous model file whole and loadable.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadFile, saveFile } from '../src/node/index.js';
import { makeCheckData, MeanDistance, registerReferenceDetectors } from '../src/testing/index.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, rename: vi.fn(actual.rename) };
});

registerReferenceDetectors();
const root = resolve(__dirname, '../../..');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('reliability: atomic saves', () => {
  it('a rename that fails leaves the old model file whole and no temporary file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'abc-save-rel-'));
    dirs.push(dir);
    const path = join(dir, 'model.abc');
    const { X, Xtest } = makeCheckData();
    const old = await new MeanDistance().fit(X);
    await saveFile(old, path);
    const before = await readFile(path);
    const renameMock = vi.mocked(fsp.rename);
    renameMock.mockRejectedValueOnce(Object.assign(new Error('EIO: simulated failure of rename'), { code: 'EIO' }));
    const other = await new MeanDistance().fit([
      [100, 100],
      [101, 99],
    ]);
    await expect(saveFile(other, path)).rejects.toThrow(/simulated failure of rename/);
    expect(renameMock).toHaveBeenCalled();
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    expect(await readdir(dir)).toEqual(['model.abc']);
    const loaded = await loadFile(path);
    expect(await loaded.scoreSamples(Xtest)).toEqual(await old.scoreSamples(Xtest));
  });

  it('a process killed (SIGKILL) in the middle of repeated saves leaves a whole, loadable model file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'abc-save-kill-'));
    dirs.push(dir);
    const path = join(dir, 'model.abc');
    const src = (p: string) => pathToFileURL(join(root, 'packages/core/src', p)).href;
    // Two models of ~1.6 MB each (a 200,000-feature mean), saved alternately as fast as possible.
    const child = `
      import { matrix } from ${JSON.stringify(src('index.ts'))};
      import { saveFile } from ${JSON.stringify(src('node/index.ts'))};
      import { MeanDistance, registerReferenceDetectors } from ${JSON.stringify(src('testing/index.ts'))};
      registerReferenceDetectors();
      const d = 200000;
      const make = async (v) => new MeanDistance().fit(matrix(new Float32Array(2 * d).fill(v), 2, d));
      const models = [await make(1), await make(2)];
      for (let k = 0; ; k++) {
        await saveFile(models[k % 2], process.argv[2]);
        if (k === 0) process.stdout.write('saved\\n');
      }
    `;
    const script = join(dir, 'saver.mts');
    await writeFile(script, child);
    for (const delayMs of [23]) {
      // node itself with tsx's loader (the tsx CLI would run the script in a grandchild that SIGKILL misses).
      const proc = spawn(process.execPath, ['--import', 'tsx', script, path], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (b) => (stderr += b));
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`saver did not start: ${stderr}`)), 30_000);
        proc.stdout.on('data', () => {
          clearTimeout(timer);
          ok();
        });
        proc.on('exit', () => fail(new Error(`saver exited early: ${stderr}`)));
      });
      await new Promise((r) => setTimeout(r, delayMs));
      const exited = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGKILL');
      await exited;
      const loaded = await loadFile(path); // whole: magic, header, checksum and tensors all check out
      const s = await loaded.scoreSamples([new Array(200000).fill(1)]);
      expect(s[0] === 0 || Math.abs(s[0] - Math.sqrt(200000)) < 1e-2).toBe(true); // one of the two models, whole
      // A SIGKILL can leave a hidden ".model.abc.<random>.tmp" beside it; the model file itself is never partial.
      for (const f of await readdir(dir))
        expect(f === 'model.abc' || f === 'saver.mts' || /^\.model\.abc\.[0-9a-f]+\.tmp$/.test(f)).toBe(true);
    }
  }, 60_000);
});

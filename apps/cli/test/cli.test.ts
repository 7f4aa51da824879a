import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('abc command line', () => {
  it('prints help and exits 2 without a command, 0 with --help', async () => {
    expect((await run()).code).toBe(2);
    const h = await run('--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/Commands:\n {2}list/);
    expect(h.out).toMatch(/Exit codes/);
  });

  it('names an unknown command and an unknown flag (exit 2)', async () => {
    const u = await run('fitt');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(
      /unknown command "fitt"; commands: list, fit, score, export, evaluate, search, reproduce, benchmark, data, serve, worker, demo/,
    );
    const f = await run('list', '--jsn');
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/--jsn/);
  });

  it('an unknown ABC_KERNEL is bad input (exit 2, one line naming the known kernels), not a crash', async () => {
    // A fresh process: the engine picks its default kernel once per process.
    const root = resolve(__dirname, '../../..');
    const dir = await mkdtemp(join(tmpdir(), 'abc-cli-kernel-'));
    const csv = join(dir, 'kernel.csv');
    await writeFile(csv, 'a,b\n0.1,0.2\n0.2,0.1\n0.15,0.18\n0.12,0.11\n');
    const args = [
      '--conditions=@abc/source',
      join(root, 'apps/cli/src/main.ts'),
      'fit',
      '--detector',
      'ae',
      '--data',
      csv,
      '--param',
      'hidden=4',
      '--param',
      'latent=1',
      '--param',
      'maxEpochs=1',
      '--out',
      join(dir, 'k.abc'),
    ];
    const r = await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), args, {
      cwd: root,
      env: { ...process.env, ABC_KERNEL: 'cuda-blas' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown GEMM kernel "cuda-blas": use one of auto, .*wasm-simd, ts/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);

  it('lists the registered detectors with kinds and params', async () => {
    const r = await run('list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^abc {2}\[supervised, probability\]/m);
    expect(r.out).toMatch(/^ae {2}\[unsupervised\]/m);
    expect(r.out).toMatch(/variant=ae {2}\(ae\|dae\)/);
    const j = JSON.parse((await run('list', '--json')).out);
    expect(j.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['abc', 'ae', 'dae', 'lrc']));
  });

  it('runs the demo: ABC high on known and unknown anomalies, the AE lower on known ones', async () => {
    const r = await run('demo', '--n', '400', '--max-epochs', '40');
    expect(r.code).toBe(0);
    const row = (name: string) => {
      const m = r.out.match(new RegExp(`^${name} .*?(\\d\\.\\d{3}) +(\\d\\.\\d{3})`, 'm'));
      expect(m, `row ${name} in:\n${r.out}`).not.toBeNull();
      return { known: Number(m![1]), unknown: Number(m![2]) };
    };
    const abc = row('abc');
    const ae = row('ae');
    expect(abc.known).toBeGreaterThan(0.9);
    expect(abc.unknown).toBeGreaterThan(0.99);
    expect(ae.unknown).toBeGreaterThan(0.99);
    expect(abc.known).toBeGreaterThan(ae.known);
  });

  it('rejects a bad demo flag value with exit 2', async () => {
    const r = await run('demo', '--n', 'ten');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--n must be a positive integer, got "ten"/);
  });

  it('loads a third-party plugin with --plugin and from abc.config.json; a missing one is exit 2', async () => {
    const root = resolve(__dirname, '../../..');
    const { stdout } = await promisify(execFile)(
      'pnpm',
      ['--silent', 'abc', 'list', '--plugin', './examples/plugin-mean-distance'],
      { cwd: root },
    );
    expect(stdout).toMatch(/^mean-distance {2}\[unsupervised\] {2}plugin example/m);
    const dir = await mkdtemp(join(tmpdir(), 'abc-cli-'));
    await writeFile(join(dir, 'abc.config.json'), JSON.stringify({ plugins: [join(root, 'examples/plugin-mean-distance')] }));
    const cli = join(root, 'apps/cli/src/main.ts');
    const fromConfig = await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), ['--conditions=@abc/source', cli, 'list'], {
      cwd: dir,
    });
    expect(fromConfig.stdout).toMatch(/^mean-distance /m);
    const missing = await run('list', '--plugin', './no/such/plugin');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/plugin "\.\/no\/such\/plugin": .* does not exist/);
    const unnamed = await run('list', '--plugin');
    expect(unnamed.code).toBe(2);
  }, 60_000);

  it('works as `pnpm abc` from source (a real process)', async () => {
    const root = resolve(__dirname, '../../..');
    const { stdout } = await promisify(execFile)('pnpm', ['--silent', 'abc', 'list'], { cwd: root });
    expect(stdout).toMatch(/^abc /m);
  }, 60_000);
});

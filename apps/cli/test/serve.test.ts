import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '@abc/core';
import { inferOip } from '@abc/serve';
import { main } from '../src/main.js';

// `abc fit` -> `abc export --triton` -> `abc serve` (a child process) on 127.0.0.1: the served scores equal
// `abc score` on the same rows, the model configuration endpoint reflects the config.pbtxt that `abc export`
// wrote, the statistics count the rows scored, and SIGTERM ends the server with exit code 0; the same with
// `--workers 0` (onnxruntime on the main thread).

const root = resolve(__dirname, '../../..');
let dir = '';
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

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

let shared: { rows: number[][]; expected: number[] } | undefined;

/** Starts `abc serve` on the repository the first test wrote (a child process, port 0); resolves once it listens. */
async function serve(...args: string[]): Promise<{ url: string; exited: Promise<number | null>; stderr: string }> {
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@abc/source',
      join(root, 'apps/cli/src/main.ts'),
      'serve',
      '--models',
      join(dir, 'repo'),
    ].concat(['--port', '0', '--poll-ms', '0'], args),
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const started = { url: '', exited: new Promise<number | null>((ok) => child!.on('exit', (code) => ok(code))), stderr: '' };
  child.stderr!.on('data', (c) => (started.stderr += c));
  started.url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`abc serve did not start: ${started.stderr}`)), 60_000);
    let buf = '';
    child!.stdout!.on('data', (c) => {
      buf += c;
      const m = buf.match(/"url":"(http:[^"]+)"/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
  });
  return started;
}

function csv(n: number, seed: number): { text: string; rows: number[][] } {
  const rng = new Random(seed);
  const rows: number[][] = [];
  let text = 'x1,x2,label\n';
  for (let i = 0; i < n; i++) {
    const a = i % 5 === 0;
    const r = [rng.normal(a ? 3 : 0, 0.4), rng.normal(a ? 3 : 0, 0.4)].map((v) => Number(v.toFixed(5)));
    rows.push(r);
    text += `${r[0]},${r[1]},${a ? 1 : 0}\n`;
  }
  return { text, rows };
}

describe('abc serve', () => {
  it('serves what abc export --triton wrote: scores equal abc score, config, stats, SIGTERM exits 0', async () => {
    dir = await mkdtemp(join(tmpdir(), 'abc-cli-serve-'));
    await writeFile(join(dir, 'train.csv'), csv(300, 1).text);
    const test = csv(40, 2);
    await writeFile(join(dir, 'test.csv'), test.text);
    const model = join(dir, 'model.abc');
    const fit = await run(
      'fit',
      '--data',
      join(dir, 'train.csv'),
      '--label',
      'label',
      '--detector',
      'abc',
      ...['--param', 'hidden=6', '--param', 'latent=1', '--param', 'maxEpochs=5', '--param', 'seed=3', '--out', model],
    );
    expect(fit.code, fit.err).toBe(0);
    const exp = await run(
      'export',
      '--model',
      model,
      '--triton',
      join(dir, 'repo'),
      '--name',
      'fraud_abc',
      '--max-batch-size',
      '256',
    );
    expect(exp.code, exp.err).toBe(0);
    const scored = await run('score', '--model', model, '--data', join(dir, 'test.csv'), '--out', join(dir, 'scores.csv'));
    expect(scored.code, scored.err).toBe(0);
    const lines = (await readFile(join(dir, 'scores.csv'), 'utf8')).trim().split('\n');
    const col = lines[0].split(',').indexOf('score');
    const expected = lines.slice(1).map((l) => Number(l.split(',')[col]));
    expect(expected).toHaveLength(test.rows.length);

    const served0 = await serve('--workers', '1');
    const url = served0.url;
    const exited = served0.exited;
    const stderr = () => served0.stderr;

    const res = await inferOip(url, 'fraud_abc', test.rows, { binary: true });
    const served = Array.from(res.outputs.score!);
    expect(served).toHaveLength(expected.length);
    for (let i = 0; i < served.length; i++) expect(Math.abs(served[i] - expected[i]), `row ${i}`).toBeLessThanOrEqual(1e-6);

    // The configuration abc export wrote (max_batch_size 256, dims [2], 100 us queue delay), as the server runs it.
    const config = (await (await fetch(`${url}/v2/models/fraud_abc/config`)).json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      name: 'fraud_abc',
      platform: 'onnxruntime_onnx',
      max_batch_size: 256,
      input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [2] }],
      output: [
        { name: 'score', data_type: 'TYPE_FP32', dims: [1], reshape: { shape: [] } },
        { name: 'reconstruction_error', data_type: 'TYPE_FP32', dims: [1], reshape: { shape: [] } },
        { name: 'label', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } },
      ],
      dynamic_batching: { max_queue_delay_microseconds: 100, preferred_batch_size: [] },
      instance_group: [{ kind: 'KIND_CPU', count: 1 }],
    });
    const stats = (await (await fetch(`${url}/v2/models/fraud_abc/stats`)).json()) as {
      model_stats: { inference_count: number; execution_count: number }[];
    };
    expect(stats.model_stats[0]).toMatchObject({ inference_count: test.rows.length, execution_count: 1 });

    child!.kill('SIGTERM');
    expect(await exited, stderr()).toBe(0);
    shared = { rows: test.rows, expected };
  }, 120_000);

  it('--workers 0 scores on the main thread: the same scores, one instance, SIGTERM exits 0', async () => {
    expect(shared, 'the first test wrote the repository').toBeDefined();
    const s0 = await serve('--workers', '0');
    const res = await inferOip(s0.url, 'fraud_abc', shared!.rows, { binary: true });
    const served = Array.from(res.outputs.score!);
    expect(served).toHaveLength(shared!.expected.length);
    for (let i = 0; i < served.length; i++)
      expect(Math.abs(served[i] - shared!.expected[i]), `row ${i}`).toBeLessThanOrEqual(1e-6);
    const config = (await (await fetch(`${s0.url}/v2/models/fraud_abc/config`)).json()) as Record<string, unknown>;
    expect(config.instance_group).toEqual([{ name: 'fraud_abc_0', kind: 'KIND_CPU', count: 1 }]);
    child!.kill('SIGTERM');
    expect(await s0.exited, s0.stderr).toBe(0);
  }, 120_000);

  it('--workers must be an integer >= 0', async () => {
    const r = await run('serve', '--models', dir, '--workers=-1');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--workers must be an integer >= 0/);
  });
});

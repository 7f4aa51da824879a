import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchmarkRecord, BenchmarkResults } from '@abc/eval';
import { runBenchmark } from '../src/commands/benchmark.js';
import { exitCodeFor } from '../src/errors.js';
import { writeNpy, writeZip } from '../../../packages/eval/test/fixtures/npy-writer.js';
import { REAL_DATA, realData } from '../../../packages/eval/test/fixtures/real-data.js';

/** A small real ADBench dataset (../shared/datasets/adbench in CI; else ABC_DATA_DIR or the cache, else skipped). */
const PIMA = realData('adbench/29_Pima');
let dir = '';

/** A tiny ADBench-style .npz: 5 features, anomalies shifted by `shift`. */
function npz(normals: number, anomalies: number, shift: number, seed: number): Uint8Array {
  let s = seed * 7919 + 17;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const n = normals + anomalies;
  const X: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = i >= normals ? 1 : 0;
    for (let j = 0; j < 5; j++) X.push(rand() * 2 + (a ? shift : 0));
    y.push(a);
  }
  return writeZip([
    { name: 'X.npy', bytes: writeNpy('<f8', [n, 5], X), deflate: true },
    {
      name: 'y.npy',
      bytes: writeNpy(
        '<i8',
        [n],
        y.map((v) => BigInt(v)),
      ),
      deflate: true,
    },
  ]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-cli-benchmark-'));
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'data', '1_small.npz'), npz(70, 8, 1.5, 1));
  await writeFile(join(dir, 'data', '2_other.npz'), npz(50, 10, 1, 2));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function run(argv: string[], signal?: AbortSignal, onLine?: (s: string) => void) {
  const out: string[] = [];
  let code: number;
  try {
    const line = (s: string) => {
      out.push(s);
      onLine?.(s);
    };
    code = await runBenchmark(argv, line, { signal, stderr: { isTTY: false, write: () => true } });
  } catch (e) {
    return { code: exitCodeFor(e), out, error: e as Error };
  }
  return { code, out, error: undefined };
}

async function records(outDir: string): Promise<BenchmarkRecord[]> {
  return (await readFile(join(outDir, 'runs.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BenchmarkRecord);
}

const args = (out: string, extra: string[] = []) => [
  '--suite',
  'adbench',
  '--data-dir',
  join(dir, 'data'),
  '--ratios',
  '0,0.05',
  '--seeds',
  '1',
  '--methods',
  'iforest,hbos,abc,gtb',
  '--max-epochs',
  '2',
  '--out',
  out,
  ...extra,
];

describe('abc benchmark', () => {
  it('benchmarks the detectors with the supervision rules, records the contract fields and writes the report', async () => {
    const out = join(dir, 'bench');
    const r = await run(args(out));
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    const runs = await records(out);
    // Per dataset: iforest and hbos once (2 lines each), abc at 0 and 0.05, gtb at 0.05 only.
    expect(runs).toHaveLength(2 * 7);
    const at = (m: string) => runs.filter((x) => x.method === m && x.dataset === '1_small').map((x) => x.ratio);
    expect(at('iforest')).toEqual([0, 0.05]);
    expect(at('abc')).toEqual([0, 0.05]);
    expect(at('gtb')).toEqual([0.05]);
    for (const x of runs) {
      expect(x.suite).toBe('adbench');
      expect(x.auroc).toBeGreaterThan(0.5);
      if (x.method === 'abc' || x.method === 'gtb') expect(typeof x.brier).toBe('number');
      else expect([x.brier, x.ece, x.logLoss, x.nLabelled]).toEqual([null, null, null, 0]);
    }
    const abc = runs.find((x) => x.method === 'abc' && x.ratio === 0.05)!;
    expect(abc.params.maxEpochs).toBe(2);
    expect(abc.params.maxEpochsCap).toBe(2);
    expect(abc.epochs).toBeLessThanOrEqual(2);
    expect(abc.nLabelled).toBeGreaterThanOrEqual(1);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchmarkResults;
    expect(
      results.ranks
        .filter((x) => x.ratio === 0)
        .map((x) => x.method)
        .sort(),
    ).toEqual(['abc', 'hbos', 'iforest']);
    expect(results.ranks.filter((x) => x.ratio === 0.05)).toHaveLength(4);
    for (const f of ['report.md', 'report.html', 'figures/cd-ratio-0.svg', 'figures/reliability.svg'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/Friedman/);
    expect(md).toMatch(/Which detector when/);
    expect(r.out.at(-1)).toMatch(/10 fits done, 0 already recorded/);

    const again = await run(args(out));
    expect(again.code).toBe(0);
    expect(again.out.at(-1)).toMatch(/0 fits done, 10 already recorded/);
    const only = await run(['--out', out, '--report-only']);
    expect(only.code).toBe(0);
    expect(only.out.join('\n')).toMatch(/14 runs recorded/);
  }, 120_000);

  it('stops on abort with exit 130 and resumes without redoing finished fits', async () => {
    const out = join(dir, 'resume');
    const ctrl = new AbortController();
    let lines = 0;
    const first = await run(args(out), ctrl.signal, (s) => {
      if (s.startsWith('[') && ++lines === 3) ctrl.abort();
    });
    expect(first.code).toBe(130);
    expect(first.error?.message).toMatch(/rerun the same command to resume/);
    const partial = await records(out);
    expect(partial.length).toBeGreaterThan(0);
    const second = await run(args(out));
    expect(second.code).toBe(0);
    expect(second.out.at(-1)).toMatch(/7 fits done, 3 already recorded/);
    expect(await records(out)).toHaveLength(14);
  }, 120_000);

  it('names abc data fetch for a missing dataset, and rejects bad flags', async () => {
    const missing = await run(args(join(dir, 'missing'), ['--datasets', 'small,nope']));
    expect(missing.code).toBe(2);
    expect(missing.error?.message).toMatch(/abc data fetch adbench\/nope/);
    const bad = await run(args(join(dir, 'bad'), ['--ratios', '0,2']));
    expect(bad.code).toBe(2);
    expect(bad.error?.message).toMatch(/--ratios/);
    const suite = await run(['--suite', 'odds', '--out', join(dir, 'x')]);
    expect(suite.code).toBe(2);
    const queue = await run(args(join(dir, 'queue'), ['--queue', 'http://queue-host:6379']));
    expect(queue.code).toBe(2);
    expect(queue.error?.message).toMatch(/--queue must start with redis:\/\/ or rediss:\/\//);
    expect(existsSync(join(dir, 'queue'))).toBe(false); // refused before anything was written
    const help = await run(['--help']);
    expect(help.out.join('\n')).toMatch(/--max-epochs N/);
    expect(help.out.join('\n')).toMatch(/--queue URL/);
  });
});

describe.skipIf(!PIMA.dir)(`${REAL_DATA} abc benchmark on ADBench's Pima`, () => {
  it('runs iforest and hbos on 29_Pima under ADBench protocol', async () => {
    const out = join(dir, 'pima');
    const r = await run([
      '--suite',
      'adbench',
      '--data-dir',
      PIMA.dir!,
      '--datasets',
      '29_Pima',
      '--ratios',
      '0,0.05',
      '--seeds',
      '1',
      '--methods',
      'iforest,hbos',
      '--out',
      out,
    ]);
    expect(r.error).toBeUndefined();
    const runs = await records(out);
    expect(runs).toHaveLength(4);
    for (const x of runs) {
      // 768 rows resampled to 1,000: ADBench's 700 / 300 split.
      expect([x.nTrain, x.nTest]).toEqual([700, 300]);
      expect(x.auroc).toBeGreaterThan(0.55);
    }
    expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/29_Pima/);
  }, 120_000);
});

/**
 * `abc benchmark` with calibrated variants (issue 20, item 5): `METHOD+CALIBRATOR` method ids recorded from
 * their method's one fit, their numbers recomputed here from that method's scores with core's calibrators,
 * a resume that adds a variant, and the error for an unknown calibrator.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  applyIsotonic,
  applyPlatt,
  applyUnify,
  BaseDetector,
  createDetector,
  fitIsotonic,
  fitPlatt,
  fitUnify,
  type Params,
} from '@abc/core';
import {
  adbenchSplit,
  auroc,
  averagePrecision,
  brierScore,
  calibrationHalves,
  expectedCalibrationError,
  logLoss,
  type BenchmarkRecord,
} from '@abc/eval';
import { loadAdbenchDataset } from '@abc/eval/node';
import { runBenchmark } from '../src/commands/benchmark.js';
import { exitCodeFor } from '../src/errors.js';
import { writeBenchmarkData } from '../../../packages/queue/test/helpers/npz.js';

let dir = '';
let data = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-cli-benchmark-cal-'));
  data = writeBenchmarkData(join(dir, 'data'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts the fits of every detector by name while `fn` runs. */
async function countingFits<T>(fn: () => Promise<T>): Promise<{ result: T; fits: Record<string, number> }> {
  const spy = vi.spyOn(BaseDetector.prototype, 'fit');
  const result = await fn();
  const fits: Record<string, number> = {};
  for (const ctx of spy.mock.contexts as { name: string }[]) fits[ctx.name] = (fits[ctx.name] ?? 0) + 1;
  spy.mockRestore();
  return { result, fits };
}

async function run(argv: string[]) {
  const out: string[] = [];
  try {
    const code = await runBenchmark(argv, (s) => out.push(s), { stderr: { isTTY: false, write: () => true } });
    return { code, out, error: undefined };
  } catch (e) {
    return { code: exitCodeFor(e), out, error: e as Error };
  }
}

const args = (out: string, methods: string) => [
  '--suite',
  'adbench',
  '--data-dir',
  data,
  '--ratios',
  '0,0.1',
  '--seeds',
  '1',
  '--methods',
  methods,
  '--max-epochs',
  '2',
  '--out',
  out,
];

async function records(outDir: string): Promise<BenchmarkRecord[]> {
  return (await readFile(join(outDir, 'runs.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BenchmarkRecord);
}

/** The detector's params from a record (without the protocol's `labels`, `maxEpochsCap`, `calibration*`). */
function detectorParams(r: BenchmarkRecord): Params {
  const { labels: _l, maxEpochsCap: _m, calibration: _c, calibratedOn: _o, ...params } = r.params;
  return params;
}

const METHODS = 'iforest,iforest+unify,abc,abc+platt,abc+isotonic';

describe('abc benchmark: calibrated variants', () => {
  it('records each variant from its method’s one fit, with the numbers core’s calibrators give on that fit’s scores', async () => {
    const out = join(dir, 'bench');
    const { result: r, fits } = await countingFits(() => run(args(out, METHODS)));
    expect(r.error).toBeUndefined();
    // Per dataset: iforest once (recorded at both ratios), abc at 0 and 0.1 — the variants add no fit.
    expect(fits).toEqual({ iforest: 2, abc: 4 });
    expect(r.out.at(-1)).toMatch(/6 fits done, 0 already recorded/);
    const runs = await records(out);
    expect(runs).toHaveLength(2 * 2 * 5);
    const find = (dataset: string, method: string, ratio: number) =>
      runs.find((x) => x.dataset === dataset && x.method === method && x.ratio === ratio)!;
    for (const dataset of ['1_small', '2_other'])
      for (const ratio of [0, 0.1])
        for (const m of METHODS.split(',')) expect(find(dataset, m, ratio), `${dataset} ${m} ${ratio}`).toBeDefined();

    // Recompute on 1_small: refit each base with its recorded params on the same split, then calibrate its scores.
    const { X, y } = await loadAdbenchDataset(join(data, '1_small.npz'));
    /** Brier, log loss, ECE on the whole test part; AUROC and AP there too, or the mean over `halves`. */
    const check = (rec: BenchmarkRecord, p: ArrayLike<number>, yt: Uint8Array, halves?: Uint32Array[]) => {
      const on = (rows: Uint32Array, f: typeof auroc) =>
        f(
          Array.from(rows, (i) => p[i]),
          Array.from(rows, (i) => yt[i]),
        );
      const mean = (f: typeof auroc) => (halves ? halves.reduce((acc, rows) => acc + on(rows, f), 0) / halves.length : f(p, yt));
      expect(rec.auroc).toBeCloseTo(mean(auroc), 12);
      expect(rec.aupr).toBeCloseTo(mean(averagePrecision), 12);
      expect(rec.brier).toBeCloseTo(brierScore(p, yt), 12);
      expect(rec.logLoss).toBeCloseTo(logLoss(p, yt), 12);
      expect(rec.ece).toBeCloseTo(expectedCalibrationError(p, yt), 12);
    };
    {
      const base = find('1_small', 'iforest', 0);
      const split = adbenchSplit(X, y, { seed: 0, ratio: 0 });
      const det = createDetector('iforest', detectorParams(base));
      await det.fit(split.train.X);
      const scores = await det.scoreSamples(split.test.X);
      expect(base.auroc).toBeCloseTo(auroc(scores, split.test.y), 12); // the same fit as the benchmark's
      const p = applyUnify(fitUnify(await det.scoreSamples(split.train.X)), scores);
      check(find('1_small', 'iforest+unify', 0), p, split.test.y);
      expect(find('1_small', 'iforest+unify', 0.1)).toEqual({ ...find('1_small', 'iforest+unify', 0), ratio: 0.1 });
      expect(find('1_small', 'iforest', 0).brier).toBeNull();
    }
    for (const ratio of [0, 0.1]) {
      const base = find('1_small', 'abc', ratio);
      const split = adbenchSplit(X, y, { seed: 0, ratio });
      const det = createDetector('abc', detectorParams(base));
      await det.fit(split.train.X, split.train.y);
      const scores = Float64Array.from(await det.scoreSamples(split.test.X));
      const yt = split.test.y;
      expect(base.auroc).toBeCloseTo(auroc(scores, yt), 12);
      const { a, b } = calibrationHalves(yt, 0);
      for (const method of ['platt', 'isotonic'] as const) {
        const p = new Float64Array(yt.length);
        for (const [fitRows, applyRows] of [
          [a, b],
          [b, a],
        ]) {
          const s = Array.from(fitRows, (i) => scores[i]);
          const l = Array.from(fitRows, (i) => yt[i]);
          const on = Array.from(applyRows, (i) => scores[i]);
          const q = method === 'platt' ? applyPlatt(fitPlatt(s, l), on) : applyIsotonic(fitIsotonic(s, l), on);
          applyRows.forEach((row, k) => {
            p[row] = q[k];
          });
        }
        const rec = find('1_small', `abc+${method}`, ratio);
        check(rec, p, yt, [a, b]);
        if (method === 'platt') {
          // A falling sigmoid on each half: the variant ranks each half as its base does.
          const half = (rows: Uint32Array) =>
            auroc(
              Array.from(rows, (i) => scores[i]),
              Array.from(rows, (i) => yt[i]),
            );
          expect(rec.auroc).toBeCloseTo((half(a) + half(b)) / 2, 12);
        }
        expect(rec.params).toMatchObject({ calibration: method, maxEpochsCap: 2, labels: 'labelled anomalies' });
        expect([rec.epochs, rec.nLabelled, rec.nTrain, rec.nTest]).toEqual([
          base.epochs,
          base.nLabelled,
          base.nTrain,
          base.nTest,
        ]);
      }
    }
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/### Raw against calibrated/);
    expect(md).toMatch(/figures\/reliability-abc\.svg/);
  }, 180_000);

  it('adds a variant to a finished folder by fitting its method again, recording only the variant', async () => {
    const out = join(dir, 'resume');
    expect((await run(args(out, 'iforest,abc'))).code).toBe(0);
    const before = await records(out);
    const { result: again, fits } = await countingFits(() => run(args(out, 'iforest,abc,abc+platt')));
    expect(again.code).toBe(0);
    expect(fits).toEqual({ abc: 4 });
    expect(again.out.at(-1)).toMatch(/4 fits done, 2 already recorded/);
    const runs = await records(out);
    expect(runs.slice(0, before.length)).toEqual(before);
    expect(runs.slice(before.length).map((x) => x.method)).toEqual(Array(4).fill('abc+platt'));
  }, 180_000);

  it('names the calibrators for an unknown one, and the methods for an unknown detector', async () => {
    const bad = await run(args(join(dir, 'bad'), 'abc,abc+sigmoid'));
    expect(bad.code).toBe(2);
    expect(bad.error?.message).toMatch(/unknown calibrator "sigmoid" in "abc\+sigmoid".*platt, isotonic, linear, unify/);
    const unknown = await run(args(join(dir, 'bad2'), 'nope+platt'));
    expect(unknown.code).toBe(2);
    expect(unknown.error?.message).toMatch(/unknown method "nope"/);
    const help = await run(['--help']);
    expect(help.out.join('\n')).toMatch(/METHOD\+CALIBRATOR/);
  });
});

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  applyIsotonic,
  applyPlatt,
  applyUnify,
  BaseDetector,
  fitIsotonic,
  fitPlatt,
  fitUnify,
  getDetectorEntry,
  registerDetector,
  unregisterDetector,
  type Detector,
  type ParamSpace,
} from '@abc/core';
import {
  aggregateBenchmark,
  benchmarkMethods,
  benchmarkParams,
  auroc,
  averagePrecision,
  calibratedProbabilities,
  calibratedRanking,
  calibrationComparison,
  calibrationHalves,
  cliquesOf,
  runBenchmarkJob,
  planBenchmark,
  type BenchmarkRecord,
  type BenchmarkResults,
  type ReliabilityRecord,
} from '../src/index.js';
import {
  benchmark,
  findBenchmarkDatasets,
  loadAdbenchDataset,
  writeBenchmarkReport,
  type BenchmarkEvent,
  type BenchmarkExecutor,
  type BenchmarkRunRequest,
} from '../src/node/index.js';
import { registerMeanDetectors } from './fixtures/mean-detector.js';
import { writeNpy, writeZip } from './fixtures/npy-writer.js';
import { tempDir } from './fixtures/paths.js';

/** The firm contract's fields, in order. */
const FIELDS = [
  'suite',
  'dataset',
  'ratio',
  'method',
  'seed',
  'nTrain',
  'nTest',
  'nLabelled',
  'auroc',
  'aupr',
  'brier',
  'ece',
  'logLoss',
  'fitSeconds',
  'scoreSeconds',
  'epochs',
  'params',
];

const space: ParamSpace = BaseDetector.withCommonParams({
  maxEpochs: { type: 'int', default: 3, min: 1, description: 'epochs' },
});

/** A tiny ADBench-style .npz: 4 features, normals around 0, anomalies shifted by `shift`. */
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
    for (let j = 0; j < 4; j++) X.push(rand() * 2 + (a ? shift * (j % 2 ? 1 : -1) : 0));
    y.push(a);
  }
  return writeZip([
    { name: 'X.npy', bytes: writeNpy('<f8', [n, 4], X), deflate: true },
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

let tmp: { dir: string; cleanup: () => void };
/** Fits of the bm-prob stand-in so far. */
let probFits = 0;
let unregister = () => {};
beforeAll(async () => {
  tmp = tempDir();
  await mkdir(join(tmp.dir, 'data', 'adbench'), { recursive: true });
  await writeFile(join(tmp.dir, 'data', 'adbench', '1_alpha.npz'), npz(80, 10, 1.5, 1));
  await writeFile(join(tmp.dir, 'data', 'adbench', '2_beta.npz'), npz(60, 12, 1, 2));
  await writeFile(join(tmp.dir, 'data', 'adbench', '10_gamma.npz'), npz(90, 9, 2, 3));
  unregister = registerMeanDetectors({ unsupervised: 'bm-unsup', supervised: 'bm-sup' }, { space, jitter: true });
  // A label-aware stand-in with a probability that learns without anomalies (as ABC): the supervised mean
  // detector's score squashed into (0, 1).
  registerDetector({
    name: 'bm-prob',
    supervision: 'supervised',
    hasProbability: true,
    learnsWithoutAnomalies: true,
    budget: 'maxEpochs',
    description: 'test',
    paramSpace: space,
    create: (p) => {
      // Fitted as the supervised stand-in when the labels hold an anomaly, else as the unsupervised one.
      let inner = getDetectorEntry('bm-sup').create(p);
      const squash = async (X: Parameters<Detector['scoreSamples']>[0]) =>
        (await inner.scoreSamples(X)).map((v) => 1 / (1 + Math.exp(-v)));
      const wrapper = {
        name: 'bm-prob',
        supervision: 'supervised',
        hasProbability: true,
        get history(): unknown {
          return (inner as unknown as { history: unknown }).history;
        },
        fit: async (X: Parameters<Detector['fit']>[0], y: Parameters<Detector['fit']>[1], o: Parameters<Detector['fit']>[2]) => {
          probFits++;
          const anyAnomaly = y !== null && y !== undefined && Array.from(y as ArrayLike<number>).some((v) => v === 1);
          if (!anyAnomaly) inner = getDetectorEntry('bm-unsup').create(p);
          await inner.fit(X, anyAnomaly ? y : null, o);
          return wrapper;
        },
        scoreSamples: squash,
        predictProba: squash,
        getParams: () => inner.getParams(),
      };
      return wrapper as unknown as Detector;
    },
  });
});
afterAll(() => {
  unregister();
  unregisterDetector('bm-prob');
  tmp.cleanup();
});

async function runsOf(out: string): Promise<BenchmarkRecord[]> {
  return (await readFile(join(out, 'runs.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BenchmarkRecord);
}

const base = () => ({
  suite: 'adbench' as const,
  dataDir: join(tmp.dir, 'data'),
  ratios: [0, 0.05, 0.1],
  seeds: 2,
  methods: 'bm-unsup,bm-sup,bm-prob',
  maxEpochs: 2,
});

describe('benchmark plan', () => {
  it('runs unsupervised methods once per seed, label-aware ones per ratio, and at ratio 0 only those that learn without anomalies', () => {
    const methods = benchmarkMethods('bm-unsup,bm-sup,bm-prob');
    const plan = planBenchmark('d', { ratios: [0, 0.05, 0.1], seeds: [0, 1], methods });
    const of = (m: string) => plan.filter((t) => t.method.spec.id === m && t.seed === 0).map((t) => [t.fitRatio, t.ratios]);
    expect(of('bm-unsup')).toEqual([[0, [0, 0.05, 0.1]]]);
    expect(of('bm-sup')).toEqual([
      [0.05, [0.05]],
      [0.1, [0.1]],
    ]);
    expect(of('bm-prob')).toEqual([
      [0, [0]],
      [0.05, [0.05]],
      [0.1, [0.1]],
    ]);
    expect(plan).toHaveLength(12);
  });

  it('caps every epoch param (pre-training ones too) at --max-epochs, never raising one below it', () => {
    const pretrained: ParamSpace = BaseDetector.withCommonParams({
      epochs: { type: 'int', default: 150, min: 1, description: 'epochs' },
      aeEpochs: { type: 'int', default: 30, min: 1, description: 'pre-training epochs' },
      nTrees: { type: 'int', default: 100, min: 1, description: 'not epochs' },
    });
    registerDetector({
      name: 'bm-pretrained',
      supervision: 'unsupervised',
      hasProbability: false,
      budget: 'epochs',
      description: 'test',
      paramSpace: pretrained,
      create: (p) => getDetectorEntry('bm-unsup').create(p),
    });
    try {
      const [m] = benchmarkMethods('bm-pretrained');
      expect(benchmarkParams(m, { seed: 4, maxEpochs: 50 })).toEqual({ epochs: 50, aeEpochs: 30, seed: 4 });
      expect(benchmarkParams(m, { seed: 0 })).toEqual({ seed: 0 });
    } finally {
      unregisterDetector('bm-pretrained');
    }
  });

  it('groups methods whose ranks differ by less than the critical difference', () => {
    const sorted = [
      { method: 'a', meanRank: 1 },
      { method: 'b', meanRank: 1.5 },
      { method: 'c', meanRank: 1.9 },
      { method: 'd', meanRank: 3.5 },
    ];
    expect(cliquesOf(sorted, 1)).toEqual([['a', 'b', 'c']]);
    expect(cliquesOf(sorted, 2)).toEqual([
      ['a', 'b', 'c'],
      ['c', 'd'],
    ]);
  });

  it('finds datasets by file name or without the number, and names abc data fetch for a missing one', async () => {
    const all = await findBenchmarkDatasets(join(tmp.dir, 'data'));
    expect(all.map((d) => d.name)).toEqual(['1_alpha', '2_beta', '10_gamma']);
    expect((await findBenchmarkDatasets(join(tmp.dir, 'data', 'adbench'), ['beta'])).map((d) => d.name)).toEqual(['2_beta']);
    await expect(findBenchmarkDatasets(join(tmp.dir, 'data'), ['1_alpha', 'nope'])).rejects.toThrow(
      /abc data fetch adbench\/nope/,
    );
  });
});

describe('benchmark', () => {
  it('records the contract fields with the supervision rules, aggregates cells and ranks, and writes the report', async () => {
    const out = join(tmp.dir, 'full');
    const events: BenchmarkEvent[] = [];
    const warnings: string[] = [];
    const r = await benchmark({ ...base(), out, onEvent: (e) => events.push(e), onWarning: (m) => warnings.push(m) });
    // Per dataset and seed: bm-unsup 1 fit (3 lines), bm-sup 2 fits, bm-prob 3 fits.
    expect(r.ran).toBe(3 * 2 * 6);
    expect(r.failed).toBe(0);
    expect(warnings).toEqual([]);
    const runs = await runsOf(out);
    expect(runs).toHaveLength(3 * 2 * 8);
    for (const rec of runs) expect(Object.keys(rec)).toEqual(FIELDS);
    const unsup = runs.filter((x) => x.method === 'bm-unsup');
    expect(unsup).toHaveLength(3 * 2 * 3);
    for (const x of unsup) {
      expect(x.nLabelled).toBe(0);
      expect([x.brier, x.ece, x.logLoss]).toEqual([null, null, null]);
      const same = unsup.filter((u) => u.dataset === x.dataset && u.seed === x.seed);
      expect(new Set(same.map((u) => u.auroc)).size).toBe(1);
      expect(same.map((u) => u.ratio).sort()).toEqual([0, 0.05, 0.1]);
    }
    expect(runs.filter((x) => x.method === 'bm-sup' && x.ratio === 0)).toHaveLength(0);
    const prob = runs.filter((x) => x.method === 'bm-prob');
    expect(prob).toHaveLength(3 * 2 * 3);
    for (const x of prob) {
      expect(typeof x.brier).toBe('number');
      expect(x.ece).toBeGreaterThanOrEqual(0);
      expect(x.logLoss).toBeGreaterThan(0);
      expect(x.params.maxEpochs).toBe(2);
      expect(x.params.maxEpochsCap).toBe(2);
      expect(x.nTrain + x.nTest).toBe(1000); // resampled to 1,000 rows, as ADBench
      if (x.ratio === 0) expect(x.nLabelled).toBe(0);
      else expect(x.nLabelled).toBeGreaterThanOrEqual(1);
    }
    const sup = runs.filter((x) => x.method === 'bm-sup' && x.dataset === '1_alpha' && x.seed === 0);
    expect(sup.find((x) => x.ratio === 0.1)!.nLabelled).toBeGreaterThan(sup.find((x) => x.ratio === 0.05)!.nLabelled - 1);

    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchmarkResults;
    expect(results.runs).toHaveLength(runs.length);
    expect(results.cells).toHaveLength(3 * 8);
    for (const c of results.cells) {
      expect(c.n).toBe(2);
      expect(Object.keys(c)).toEqual(['dataset', 'ratio', 'method', 'n', 'auroc', 'aupr']);
      expect(typeof c.auroc.std).toBe('number');
    }
    const at0 = results.ranks.filter((x) => x.ratio === 0);
    expect(at0.map((x) => x.method).sort()).toEqual(['bm-prob', 'bm-unsup']);
    for (const ratio of [0, 0.05, 0.1]) {
      const rs = results.ranks.filter((x) => x.ratio === ratio);
      const k = rs.length;
      expect(rs.reduce((a, x) => a + x.meanRank, 0)).toBeCloseTo((k * (k + 1)) / 2, 9);
    }
    expect(results).toEqual(aggregateBenchmark(runs));

    for (const f of [
      'report.md',
      'report.html',
      'figures/cd-ratio-0.svg',
      'figures/cd-ratio-0.05.svg',
      'figures/reliability.svg',
    ])
      expect(existsSync(join(out, f)), f).toBe(true);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/Friedman/);
    expect(md).toMatch(/Nemenyi CD/);
    expect(md).toMatch(/## Which detector when/);
    expect(md).toMatch(/With no labels \(ratio 0\), bm-(unsup|prob) ranks best/);
    expect(md).toMatch(/ECE/);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).toMatch(/Friedman/);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(events.some((e) => e.type === 'run')).toBe(true);

    // Rerun: nothing redone.
    const again = await benchmark({ ...base(), out });
    expect(again.ran).toBe(0);
    expect(again.skipped).toBe(3 * 2 * 6);
    expect(await runsOf(out)).toHaveLength(runs.length);
    // Another epoch cap in the same folder is refused.
    await expect(benchmark({ ...base(), out, maxEpochs: 1 })).rejects.toThrow(/maxEpochs: 2 there, 1 now/);
  });

  it('resumes after an abort without redoing finished runs', async () => {
    const out = join(tmp.dir, 'resume');
    const ctrl = new AbortController();
    let fits = 0;
    await expect(
      benchmark({
        ...base(),
        out,
        signal: ctrl.signal,
        report: false,
        onEvent: (e) => {
          if (e.type === 'run' && ++fits === 7) ctrl.abort(new AbortError('stop'));
        },
      }),
    ).rejects.toThrow(AbortError);
    const partial = await runsOf(out);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(48);
    const r = await benchmark({ ...base(), out });
    expect(r.skipped).toBe(7);
    expect(r.ran).toBe(36 - 7);
    const runs = await runsOf(out);
    expect(runs).toHaveLength(48);
    expect(new Set(runs.map((x) => `${x.dataset}|${x.ratio}|${x.method}|${x.seed}`)).size).toBe(48);
    expect(runs.slice(0, partial.length)).toEqual(partial);
  });

  it('adds ratios to a finished folder by copying the unsupervised results, and writes the report alone', async () => {
    const out = join(tmp.dir, 'more');
    await benchmark({ ...base(), ratios: [0], seeds: 1, datasets: ['alpha'], out, report: false });
    const r = await benchmark({ ...base(), ratios: [0, 0.1], seeds: 1, datasets: ['alpha'], out, report: false });
    const runs = await runsOf(out);
    const u = runs.filter((x) => x.method === 'bm-unsup');
    expect(u.map((x) => x.ratio)).toEqual([0, 0.1]);
    expect(u[1].fitSeconds).toBe(u[0].fitSeconds);
    expect(r.skipped).toBe(1); // bm-prob at ratio 0; bm-unsup's line at 0.1 is a copy, not a new fit
    expect(r.ran).toBe(3);
    const rep = await writeBenchmarkReport(out);
    expect(rep.files.some((f) => f.endsWith('report.html'))).toBe(true);
    expect(rep.analyses.map((a) => a.ratio)).toEqual([0, 0.1]);
  });
});

describe('calibrated variants', () => {
  it('parses METHOD+CALIBRATOR ids, groups a method and its variants into one task, and names bad ids', () => {
    const methods = benchmarkMethods('bm-unsup,bm-unsup+unify,bm-prob+platt,bm-prob+isotonic,bm-sup+linear');
    expect(methods.map((m) => [m.spec.id, m.calibration, m.base.id])).toEqual([
      ['bm-unsup', null, 'bm-unsup'],
      ['bm-unsup+unify', 'unify', 'bm-unsup'],
      ['bm-prob+platt', 'platt', 'bm-prob'],
      ['bm-prob+isotonic', 'isotonic', 'bm-prob'],
      ['bm-sup+linear', 'linear', 'bm-sup'],
    ]);
    const plan = planBenchmark('d', { ratios: [0, 0.1], seeds: [0], methods });
    expect(plan.map((t) => [t.method.spec.id, t.fitRatio, t.outputs.map((o) => o.spec.id), t.ratios])).toEqual([
      ['bm-unsup', 0, ['bm-unsup', 'bm-unsup+unify'], [0, 0.1]],
      // bm-prob is not listed itself: it is fitted for its variants, which alone are recorded.
      ['bm-prob', 0, ['bm-prob+platt', 'bm-prob+isotonic'], [0]],
      ['bm-prob', 0.1, ['bm-prob+platt', 'bm-prob+isotonic'], [0.1]],
      ['bm-sup', 0.1, ['bm-sup+linear'], [0.1]],
    ]);
    expect(() => benchmarkMethods('bm-prob+sigmoid')).toThrow(
      /unknown calibrator "sigmoid" in "bm-prob\+sigmoid".*platt, isotonic, linear, unify/,
    );
    expect(() => benchmarkMethods('nope+platt')).toThrow(/unknown method "nope"/);
    expect(() => benchmarkMethods('+platt')).toThrow(/"\+platt" names no method to calibrate/);
    expect(() => benchmarkMethods('all+platt')).toThrow(/names no method to calibrate/);
    expect(() => benchmarkMethods('bm-prob+platt+isotonic')).toThrow(/names no method to calibrate/);
  });

  it('halves the test part by class, and cross-fits platt and isotonic on the halves, linear and unify on training scores', () => {
    const y = Uint8Array.from({ length: 41 }, (_, i) => (i % 8 === 3 ? 1 : 0)); // 5 anomalies, 36 normals
    const { a, b } = calibrationHalves(y, 7);
    expect([...a, ...b].sort((i, j) => i - j)).toEqual(Array.from({ length: 41 }, (_, i) => i));
    expect([...a]).toEqual([...a].sort((i, j) => i - j));
    const anomalies = (rows: Uint32Array) => [...rows].filter((i) => y[i] === 1).length;
    expect([anomalies(a), anomalies(b)].sort()).toEqual([2, 3]);
    expect([a.length - anomalies(a), b.length - anomalies(b)]).toEqual([18, 18]);
    expect(calibrationHalves(y, 7)).toEqual({ a, b });
    expect(calibrationHalves(y, 8)).not.toEqual({ a, b });

    const scores = Float64Array.from(y, (v, i) => v * 0.6 + ((i * 37) % 11) / 20);
    const train = Float64Array.from({ length: 30 }, (_, i) => ((i * 13) % 17) / 10);
    for (const method of ['platt', 'isotonic'] as const) {
      const p = calibratedProbabilities(method, { testScores: scores, testLabels: y, seed: 7 });
      const fit = method === 'platt' ? fitPlatt : fitIsotonic;
      const apply = (rows: Uint32Array, on: Uint32Array) => {
        const cal = fit(
          Array.from(rows, (i) => scores[i]),
          Array.from(rows, (i) => y[i]),
        );
        const out =
          method === 'platt'
            ? applyPlatt(
                cal as ReturnType<typeof fitPlatt>,
                Array.from(on, (i) => scores[i]),
              )
            : applyIsotonic(
                cal as ReturnType<typeof fitIsotonic>,
                Array.from(on, (i) => scores[i]),
              );
        return Array.from(on, (row, k) => [row, out[k]]);
      };
      for (const [row, v] of [...apply(a, b), ...apply(b, a)]) expect(p[row]).toBe(v);
    }
    // Ranking: per half for the cross-fitted calibrators, on the whole part for the others.
    const platt = calibratedProbabilities('platt', { testScores: scores, testLabels: y, seed: 7 });
    const half = (rows: Uint32Array, v: ArrayLike<number>) =>
      auroc(
        Array.from(rows, (i) => v[i]),
        Array.from(rows, (i) => y[i]),
      );
    expect(calibratedRanking('platt', platt, y, 7).auroc).toBeCloseTo((half(a, scores) + half(b, scores)) / 2, 12);
    expect(calibratedRanking('linear', platt, y, 7)).toEqual({ auroc: auroc(platt, y), aupr: averagePrecision(platt, y) });
    // A rising score (worse than chance): Platt fits a rising slope and ranks the complement.
    const flipped = Float64Array.from(scores, (v) => -v);
    const pf = calibratedProbabilities('platt', { testScores: flipped, testLabels: y, seed: 7 });
    expect(calibratedRanking('platt', pf, y, 7).auroc).toBeCloseTo(1 - (half(a, flipped) + half(b, flipped)) / 2, 12);
    // One anomaly: it stays in one half, whose ranking alone is reported.
    const y1 = Uint8Array.from(y, (_, i) => (i === 3 ? 1 : 0));
    const h1 = calibrationHalves(y1, 7);
    const p1 = calibratedProbabilities('isotonic', { testScores: scores, testLabels: y1, seed: 7 });
    expect(h1.b.every((i) => y1[i] === 0)).toBe(true);
    expect(calibratedRanking('isotonic', p1, y1, 7).auroc).toBe(
      auroc(
        Array.from(h1.a, (i) => p1[i]),
        Array.from(h1.a, (i) => y1[i]),
      ),
    );
    const unify = calibratedProbabilities('unify', { testScores: scores, testLabels: y, trainScores: train, seed: 7 });
    expect(Array.from(unify)).toEqual(Array.from(applyUnify(fitUnify(train), scores)));
    expect(() => calibratedProbabilities('linear', { testScores: scores, testLabels: y, seed: 7 })).toThrow(/give trainScores/);
  });

  it('records every variant from one fit of its method, resumes adding a variant without duplicating, and reports raw against calibrated', async () => {
    const out = join(tmp.dir, 'calibrated');
    const opts = { ...base(), datasets: ['alpha', 'beta'], ratios: [0, 0.1], seeds: 1, report: false };
    probFits = 0;
    const first = await benchmark({ ...opts, methods: 'bm-unsup,bm-unsup+unify,bm-prob', out });
    expect(probFits).toBe(2 * 2); // 2 datasets x ratios 0 and 0.1
    const before = await runsOf(out);
    expect(before).toHaveLength(2 * (2 + 2 + 2));

    probFits = 0;
    const events: BenchmarkEvent[] = [];
    const second = await benchmark({
      ...opts,
      methods: 'bm-unsup,bm-unsup+unify,bm-prob,bm-prob+platt,bm-prob+isotonic,bm-unsup+linear',
      out,
      report: true,
      onEvent: (e) => events.push(e),
    });
    // bm-prob is fitted again (once per dataset and ratio) for its two new variants; bm-unsup once per dataset for +linear.
    expect(probFits).toBe(2 * 2);
    expect(second.ran).toBe(2 * 2 + 2);
    expect(second.skipped).toBe(0);
    expect(events.filter((e) => e.type === 'start')).toHaveLength(2 * 2 + 2);
    const runs = await runsOf(out);
    expect(runs.slice(0, before.length)).toEqual(before);
    expect(runs).toHaveLength(2 * 2 * 6);
    expect(new Set(runs.map((x) => `${x.dataset}|${x.ratio}|${x.method}|${x.seed}`)).size).toBe(runs.length);
    for (const x of runs) expect(Object.keys(x)).toEqual(FIELDS);
    const one = (method: string, ratio: number) =>
      runs.find((x) => x.dataset === '1_alpha' && x.method === method && x.ratio === ratio)!;
    for (const ratio of [0, 0.1]) {
      for (const v of ['bm-prob+platt', 'bm-prob+isotonic']) {
        expect(one(v, ratio).params).toMatchObject({
          calibration: v.split('+')[1],
          calibratedOn: expect.stringMatching(/halves/),
        });
        expect(one(v, ratio).epochs).toBe(one('bm-prob', ratio).epochs);
        expect(one(v, ratio).fitSeconds).toBeGreaterThan(0);
        expect(one(v, ratio).brier).toBeLessThan(0.25);
      }
      // Platt keeps each half's ranking: the mean of the halves' AUROC is close to the whole part's.
      expect(Math.abs(one('bm-prob+platt', ratio).auroc - one('bm-prob', ratio).auroc)).toBeLessThan(0.02);
      expect(one('bm-unsup+linear', ratio).params.calibratedOn).toBe('training scores');
      expect(one('bm-unsup', ratio).brier).toBeNull();
      expect(typeof one('bm-unsup+linear', ratio).brier).toBe('number');
    }
    // An unsupervised variant stands for every ratio, as its method does.
    expect(one('bm-unsup+unify', 0)).toEqual({ ...one('bm-unsup+unify', 0.1), ratio: 0 });
    // Calibrated variants are not ranked.
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchmarkResults;
    expect([...new Set(results.ranks.map((x) => x.method))].sort()).toEqual(['bm-prob', 'bm-unsup']);
    expect(results.cells.some((c) => c.method === 'bm-prob+platt')).toBe(true);
    const reliability = (await readFile(join(out, 'reliability.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ReliabilityRecord);
    const keys = reliability.map((r) => `${r.dataset}|${r.ratio}|${r.method}|${r.seed}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(reliability.filter((r) => r.method === 'bm-prob+isotonic')).toHaveLength(4);
    expect(reliability.filter((r) => r.method === 'bm-unsup+unify')).toHaveLength(2);

    const cmp = calibrationComparison(runs).filter((r) => r.base === 'bm-prob' && r.ratio === 0.1);
    expect(cmp.map((r) => [r.method, r.calibration, r.runs])).toEqual([
      ['bm-prob', null, 2],
      ['bm-prob+isotonic', 'isotonic', 2],
      ['bm-prob+platt', 'platt', 2],
    ]);
    const at = runs.filter((x) => x.method === 'bm-prob+platt' && x.ratio === 0.1);
    expect(cmp[2].brier).toBeCloseTo((at[0].brier! + at[1].brier!) / 2, 12);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/### Raw against calibrated/);
    expect(md).toMatch(/\| 0\.1 \| bm-prob\+platt \| platt \| 2 \|/);
    expect(md).toMatch(/ratio 0.1, bm-prob: ECE [0-9.]+ raw; best bm-prob\+(platt|isotonic)/);
    expect(md).toMatch(/ratio 0, bm-unsup: no probability of its own; best bm-unsup\+(linear|unify)/);
    for (const f of ['figures/reliability.svg', 'figures/reliability-bm-prob.svg', 'figures/reliability-bm-unsup.svg'])
      expect(existsSync(join(out, f)), f).toBe(true);

    // Everything recorded: a rerun fits nothing.
    probFits = 0;
    const third = await benchmark({ ...opts, methods: 'bm-prob+platt,bm-unsup+unify,bm-prob', out });
    expect([third.ran, probFits]).toEqual([0, 0]);
    expect(first.failed + second.failed + third.failed).toBe(0);
    // The raw Brier score of bm-prob is that of its own predictProba, not a calibrated one.
    expect(one('bm-prob', 0.1).brier).not.toBe(one('bm-prob+platt', 0.1).brier);
  });

  it('asks an executor (a queue) for one run per fit with its outputs as data, and records a repeated outcome once', async () => {
    const methods = 'bm-unsup,bm-unsup+unify,bm-prob+platt,bm-prob,bm-prob+isotonic';
    const opts = { ...base(), datasets: ['alpha'], ratios: [0, 0.1], seeds: 1, methods, report: false };
    const local = join(tmp.dir, 'cal-local');
    const remote = join(tmp.dir, 'cal-remote');
    await benchmark({ ...opts, out: local });
    const requests: BenchmarkRunRequest[] = [];
    // As a worker: the spec through JSON, the dataset from its file; every outcome handed over twice.
    const executor: BenchmarkExecutor = async (runs, { onOutcome }) => {
      for (const run of runs) {
        requests.push(run);
        const spec = JSON.parse(JSON.stringify(run.spec)) as typeof run.spec;
        const outcome = JSON.parse(JSON.stringify(await runBenchmarkJob(await loadAdbenchDataset(run.file.path), spec)));
        await onOutcome(run, outcome);
        await onOutcome(run, outcome);
      }
    };
    const r = await benchmark({ ...opts, out: remote, executor });
    expect(r.ran).toBe(3);
    expect(requests.map((q) => [q.spec.method.id, q.spec.fitRatio, q.spec.outputs])).toEqual([
      ['bm-unsup', 0, ['raw', 'unify']],
      ['bm-prob', 0, ['platt', 'raw', 'isotonic']],
      ['bm-prob', 0.1, ['platt', 'raw', 'isotonic']],
    ]);
    const strip = (rs: BenchmarkRecord[]) =>
      rs
        .map(({ fitSeconds: _f, scoreSeconds: _s, ...rest }) => rest)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const remoteRuns = await runsOf(remote);
    expect(remoteRuns).toHaveLength(2 * 2 + 3 * 2);
    expect(strip(remoteRuns)).toEqual(strip(await runsOf(local)));
    const lines = (out: string) => readFile(join(out, 'reliability.jsonl'), 'utf8').then((t) => t.trim().split('\n').sort());
    expect(await lines(remote)).toEqual(await lines(local));
    // A plain run's spec has no outputs field (its queue job id is what it was before variants).
    const plain = await benchmark({
      ...opts,
      methods: 'bm-sup',
      out: join(tmp.dir, 'cal-plain'),
      executor: async (runs, h) => {
        for (const run of runs) {
          expect(run.spec).not.toHaveProperty('outputs');
          await h.onOutcome(run, await runBenchmarkJob(await loadAdbenchDataset(run.file.path), run.spec));
        }
      },
    });
    expect(plain.ran).toBe(1);
    await expect(
      runBenchmarkJob(await loadAdbenchDataset(requests[0].file.path), {
        ...requests[0].spec,
        outputs: ['raw', 'sigmoid' as 'platt'],
      }),
    ).rejects.toThrow(/unknown output "sigmoid"; outputs are raw, platt, isotonic, linear, unify/);
  });
});

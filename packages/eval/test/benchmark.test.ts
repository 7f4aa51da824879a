import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  BaseDetector,
  getDetectorEntry,
  registerDetector,
  unregisterDetector,
  type Detector,
  type ParamSpace,
} from '@abc/core';
import {
  aggregateBenchmark,
  benchmarkMethods,
  cliquesOf,
  planBenchmark,
  type BenchmarkRecord,
  type BenchmarkResults,
} from '../src/index.js';
import { benchmark, findBenchmarkDatasets, writeBenchmarkReport, type BenchmarkEvent } from '../src/node/index.js';
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

import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseDetector, type ParamSpace } from '@abc/core';
import {
  aggregateResults,
  meanStd,
  runKey,
  toySplit,
  type ExperimentRecord,
  type MethodSpec,
  type Results,
} from '../src/index.js';
import { readRuns, runExperiments, type DatasetSource, type RunnerEvent } from '../src/node/index.js';
import { registerMeanDetectors } from './fixtures/mean-detector.js';
import { tempDir } from './fixtures/paths.js';

const space: ParamSpace = BaseDetector.withCommonParams({
  maxEpochs: { type: 'int', default: 3, min: 1, description: 'epochs' },
  delayMs: { type: 'int', default: 0, min: 0, description: 'sleep per epoch' },
});

let unregister = () => {};
beforeAll(() => {
  // Distance to the normal mean, minus the distance to the anomaly mean when supervised; a seeded jitter.
  unregister = registerMeanDetectors({ unsupervised: 'rt-unsup', supervised: 'rt-sup' }, { space, jitter: true });
});
afterAll(() => unregister());

const methods: MethodSpec[] = [
  { id: 'sup', detector: 'rt-sup' },
  { id: 'unsup', detector: 'rt-unsup' },
];
const toy = (size = 200): DatasetSource => ({
  name: 'toy2d',
  scale: false,
  grid: true,
  protocolParams: { toySize: size },
  open: async () => ({ split: (seed) => toySplit(size, seed) }),
});
// Settings 1, 2 and 3 (counts 10, 50, all) over 3 runs: (2 + 2 + (3 + 1)) × 3 = 24 runs.
const base = {
  datasets: [toy()],
  settings: [1, 2, 3] as const,
  runs: 3,
  methods,
  knownCounts: [10, 50, 'all'] as const,
  maxEpochs: 2,
};
const TOTAL = 24;

function strip(r: ExperimentRecord): Omit<ExperimentRecord, 'fitSeconds' | 'scoreSeconds'> {
  const { fitSeconds: _f, scoreSeconds: _s, ...rest } = r;
  return rest;
}

async function lines(path: string): Promise<ExperimentRecord[]> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ExperimentRecord);
}

describe('runExperiments', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('records each run as it finishes and resumes after an abort without redoing any run', async () => {
    const fresh = join(tmp.dir, 'fresh');
    const full = await runExperiments({ ...base, settings: [...base.settings], knownCounts: [...base.knownCounts], out: fresh });
    expect(full.ran).toBe(TOTAL);
    const reference = (await lines(join(fresh, 'runs.jsonl'))).map(strip);

    const out = join(tmp.dir, 'resumed');
    const ac = new AbortController();
    const k = 7;
    const seenRuns: string[] = [];
    await expect(
      runExperiments({
        ...base,
        settings: [...base.settings],
        knownCounts: [...base.knownCounts],
        out,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type !== 'run') return;
          seenRuns.push(runKey(e.record));
          if (e.done === k) ac.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(await lines(join(out, 'runs.jsonl'))).toHaveLength(k);
    const partial = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    expect(partial.runs).toHaveLength(k);

    const again: string[] = [];
    const second = await runExperiments({
      ...base,
      settings: [...base.settings],
      knownCounts: [...base.knownCounts],
      out,
      onEvent: (e) => e.type === 'run' && again.push(runKey(e.record)),
    });
    expect(second.skipped).toBe(k);
    expect(second.ran).toBe(TOTAL - k);
    for (const key of again) expect(seenRuns).not.toContain(key);
    const records = await lines(join(out, 'runs.jsonl'));
    expect(records).toHaveLength(TOTAL);
    expect(new Set(records.map(runKey)).size).toBe(TOTAL);
    // Identical to an uninterrupted reproduction, run for run (timings aside).
    expect(records.map(strip)).toEqual(reference);

    // A third call finds everything done and does not even load the data.
    let loaded = false;
    const third = await runExperiments({
      ...base,
      settings: [...base.settings],
      knownCounts: [...base.knownCounts],
      datasets: [
        {
          ...toy(),
          open: async () => {
            loaded = true;
            return { split: (s: number) => toySplit(200, s) };
          },
        },
      ],
      out,
    });
    expect([third.ran, third.skipped, loaded]).toEqual([0, TOTAL, false]);
  });

  it('writes the record fields of DESIGN.md, epochs for networks, artifacts for the figures', async () => {
    const out = join(tmp.dir, 'fields');
    await runExperiments({ ...base, settings: [1, 3], runs: 1, knownCounts: [10, 'all'], out });
    const records = await lines(join(out, 'runs.jsonl'));
    expect(Object.keys(records[0])).toEqual([
      'dataset',
      'setting',
      'method',
      'run',
      'seed',
      'nKnown',
      'testSet',
      'aurocKnown',
      'aurocUnknown',
      'auprKnown',
      'auprUnknown',
      'epochs',
      'fitSeconds',
      'scoreSeconds',
      'params',
    ]);
    expect(records[0]).toMatchObject({
      dataset: 'toy2d',
      setting: 1,
      method: 'sup',
      run: 0,
      seed: 0,
      nKnown: 200,
      testSet: 'generated',
      epochs: 2,
    });
    expect(records[0].params).toMatchObject({ maxEpochs: 2, seed: 0, scaler: 'none', toySize: 200 });
    expect(records[1]).toMatchObject({ method: 'unsup', nKnown: 0 });
    expect(records.filter((r) => r.setting === 3).map((r) => `${r.method}:${r.nKnown}`)).toEqual([
      'sup:10',
      'sup:200',
      'unsup:0',
    ]);
    // Setting 3 with all known anomalies is setting 1's run: reused, not trained again.
    const s1 = records.find((r) => r.setting === 1 && r.method === 'sup')!;
    expect(records.find((r) => r.setting === 3 && r.nKnown === 200)).toEqual({ ...s1, setting: 3 });
    const artifact = JSON.parse(await readFile(join(out, 'artifacts', 'toy2d-s1-sup-r0.json'), 'utf8'));
    expect(artifact.grid.scores).toHaveLength(41 * 41);
    expect(artifact.history).toHaveLength(2);
    const datasets = JSON.parse(await readFile(join(out, 'datasets.json'), 'utf8'));
    expect(datasets.toy2d).toMatchObject({ D: 2, sizes: { trainNormal: 200, testUnknown: 200 }, testSet: 'generated' });
  });

  it('stops inside a run and records nothing for it', async () => {
    const out = join(tmp.dir, 'inside');
    const slow: MethodSpec[] = [{ id: 'slow', detector: 'rt-sup', params: { delayMs: 20, maxEpochs: 50 } }];
    const ac = new AbortController();
    const events: RunnerEvent[] = [];
    const t0 = performance.now();
    await expect(
      runExperiments({
        ...base,
        methods: slow,
        maxEpochs: undefined,
        settings: [1],
        knownCounts: ['all'],
        out,
        signal: ac.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'fit' && e.event.step === 3) ac.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(900); // 50 epochs would take 1 s
    expect(events.some((e) => e.type === 'run')).toBe(false);
    const { records } = await readRuns(join(out, 'runs.jsonl'));
    expect(records).toHaveLength(0);
  });

  it('ignores a half-written last line with a warning and redoes that run; a bad line elsewhere is an error', async () => {
    const out = join(tmp.dir, 'half');
    const opts = { ...base, settings: [1] as (1 | 2 | 3)[], runs: 2, knownCounts: ['all' as const], out };
    await runExperiments(opts);
    const path = join(out, 'runs.jsonl');
    const text = await readFile(path, 'utf8');
    const rows = text.trim().split('\n');
    expect(rows).toHaveLength(4);
    // Cut the last record in half, as a crash during the append would.
    await writeFile(path, `${rows.slice(0, 3).join('\n')}\n${rows[3].slice(0, 40)}`);
    const warnings: string[] = [];
    const again = await runExperiments({ ...opts, onWarning: (w) => warnings.push(w) });
    expect(warnings.some((w) => /half-written last line/.test(w))).toBe(true);
    expect(again.ran).toBe(1);
    expect(again.skipped).toBe(3);
    const records = await lines(path);
    expect(records).toHaveLength(4);
    expect(records[3]).toEqual({
      ...JSON.parse(rows[3]),
      fitSeconds: records[3].fitSeconds,
      scoreSeconds: records[3].scoreSeconds,
    });

    await writeFile(path, `${rows[0]}\n{"broken": \n${rows[2]}\n`);
    await expect(readRuns(path)).rejects.toThrow(/line 2 is not an experiment record/);
  });

  it('refuses to resume a folder made with other options', async () => {
    const out = join(tmp.dir, 'fp');
    const opts = { ...base, settings: [1] as (1 | 2 | 3)[], runs: 1, knownCounts: ['all' as const], out };
    await runExperiments({ ...opts, fingerprint: { maxEpochs: 2 } });
    await expect(runExperiments({ ...opts, fingerprint: { maxEpochs: null } })).rejects.toThrow(
      /other options \(maxEpochs: 2 there, null now\)/,
    );
  });
});

describe('results.json', () => {
  it('aggregates runs into cells of mean and sample std (n/a for one run)', async () => {
    const rec = (method: string, run: number, a: number, u: number, setting: 1 | 3 = 1, nKnown = 10): ExperimentRecord => ({
      dataset: 'toy2d',
      setting,
      method,
      run,
      seed: run,
      nKnown,
      testSet: 'generated',
      aurocKnown: a,
      aurocUnknown: u,
      auprKnown: a / 2,
      auprUnknown: u / 2,
      epochs: null,
      fitSeconds: 1 + run,
      scoreSeconds: 0.1,
      params: {},
    });
    const runs = [
      rec('m', 0, 0.9, 0.5),
      rec('m', 1, 0.8, 0.7),
      rec('m', 2, 0.7, 0.6),
      rec('one', 0, 0.6, 0.4),
      rec('m', 0, 0.5, 0.5, 3, 10),
      rec('m', 0, 0.6, 0.5, 3, 50),
    ];
    const { cells } = aggregateResults(runs);
    expect(cells).toHaveLength(4);
    expect(cells[0]).toMatchObject({ dataset: 'toy2d', setting: 1, method: 'm', n: 3, nKnown: 10 });
    expect(cells[0].aurocKnown.mean).toBeCloseTo(0.8, 12);
    expect(cells[0].aurocKnown.std).toBeCloseTo(0.1, 12);
    expect(cells[0].aurocUnknown.mean).toBeCloseTo(0.6, 12);
    expect(cells[0].aurocUnknown.std).toBeCloseTo(0.1, 12);
    expect(cells[0].auprKnown.mean).toBeCloseTo(0.4, 12);
    expect(cells[0].auprKnown.std).toBeCloseTo(0.05, 12);
    expect(cells[0].fitSeconds.mean).toBeCloseTo(2, 12);
    expect(cells[1]).toMatchObject({ method: 'one', n: 1, aurocKnown: { mean: 0.6, std: null } });
    expect(cells.slice(2).map((c) => c.nKnown)).toEqual([10, 50]);
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3) });
  });

  it('is rewritten atomically after each run and matches runs.jsonl', async () => {
    const tmp = tempDir();
    try {
      const out = join(tmp.dir, 'atomic');
      const checks: number[] = [];
      await runExperiments({
        ...base,
        settings: [1],
        runs: 2,
        knownCounts: ['all'],
        out,
        onEvent: (e) => {
          if (e.type === 'run') checks.push(e.done);
        },
      });
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
      const records = await lines(join(out, 'runs.jsonl'));
      expect(results.runs).toEqual(records);
      expect(results.cells.map((c) => [c.method, c.n])).toEqual([
        ['sup', 2],
        ['unsup', 2],
      ]);
      expect(checks).toEqual([1, 2, 3, 4]);
      // No temporary file is left behind.
      const { readdir } = await import('node:fs/promises');
      expect((await readdir(out)).filter((f) => f.includes('.tmp-'))).toEqual([]);
      await appendFile(join(out, 'runs.jsonl'), '');
    } finally {
      tmp.cleanup();
    }
  });
});

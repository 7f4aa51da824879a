import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseDetector, type Labels, type Matrix, type ParamSpace, type Params } from '@abc/core';
import {
  METHOD_IDS,
  METHOD_TABLE,
  epochParams,
  methodParams,
  planDatasetRuns,
  resolveMethods,
  runMethod,
  setting3Counts,
  settingData,
  subsampleSplit,
  toySplit,
  type MethodSpec,
} from '../src/index.js';
import { registerMeanDetectors } from './fixtures/mean-detector.js';

/** Rows as strings, to compare sets of rows. */
function rowSet(m: Matrix): Set<string> {
  const s = new Set<string>();
  for (let i = 0; i < m.rows; i++) s.add(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)).join(','));
  return s;
}

/** What the last fit of the spy detectors saw. */
const seen: { X?: Matrix; y?: Labels; params?: Params } = {};

const space: ParamSpace = BaseDetector.withCommonParams({
  hidden: { type: 'intList', default: [4], description: 'unused' },
  latent: { type: 'int', default: 2, description: 'unused' },
  maxEpochs: { type: 'int', default: 3, min: 1, description: 'epochs' },
  validationFraction: { type: 'float', default: 0.1, description: 'unused' },
});

let unregister = () => {};
beforeAll(() => {
  // Distance to the normal mean (minus that to the anomaly mean when supervised); records what it was fitted on.
  unregister = registerMeanDetectors(
    { unsupervised: 'spy-unsup', supervised: 'spy-sup' },
    {
      space,
      onFit: (X, y, params) => Object.assign(seen, { X, y, params }),
      epochRecord: (e) => ({ epoch: e, lossNormal: 1 / e, lossAnomaly: -e }),
    },
  );
});
afterAll(() => unregister());

const split = toySplit(400, 3);

describe('settings', () => {
  it('setting 1 trains on normals and known anomalies; unknown anomalies are only in the test set', () => {
    const s = settingData(split, 1, { seed: 3 });
    expect([s.trainNormal.rows, s.trainKnown.rows, s.contamination]).toEqual([400, 400, 0]);
    expect(s.test.unknown.rows).toBe(400);
    const unknown = rowSet(split.test.unknown);
    for (const r of rowSet(s.trainNormal)) expect(unknown.has(r)).toBe(false);
    for (const r of rowSet(s.trainKnown)) expect(unknown.has(r)).toBe(false);
  });

  it('setting 2 mixes exactly 100 unknown anomalies into the training normals and tests on the rest', () => {
    const s = settingData(split, 2, { seed: 5 });
    expect(s.contamination).toBe(100);
    expect(s.trainNormal.rows).toBe(500);
    expect(s.trainKnown.rows).toBe(400);
    const unknown = rowSet(split.test.unknown);
    const inTrain = [...rowSet(s.trainNormal)].filter((r) => unknown.has(r));
    expect(inTrain.length).toBe(100);
    // The moved ones are gone from the test set; together they are all the unknowns.
    const testUnknown = rowSet(s.test.unknown);
    expect(testUnknown.size).toBe(300);
    for (const r of inTrain) expect(testUnknown.has(r)).toBe(false);
    expect(new Set([...inTrain, ...testUnknown]).size).toBe(400);
    // Other seeds move other rows; the same seed the same ones.
    const again = settingData(split, 2, { seed: 5 });
    expect([...rowSet(again.test.unknown)]).toEqual([...testUnknown]);
    const other = settingData(split, 2, { seed: 6 });
    expect([...rowSet(other.test.unknown)]).not.toEqual([...testUnknown]);
    expect(() => settingData(toySplit(80, 0), 2)).toThrow(/only 80/);
  });

  it('setting 3 cuts the known anomalies in training to the asked counts (nested subsets) and keeps the test set', () => {
    const all = rowSet(split.train.known);
    let previous = new Set<string>();
    for (const n of [10, 50, 100, 'all'] as const) {
      const s = settingData(split, 3, { seed: 2, nKnown: n });
      expect(s.trainKnown.rows).toBe(n === 'all' ? 400 : n);
      expect(s.trainNormal.rows).toBe(400);
      expect(s.test.known.rows).toBe(400);
      const rows = rowSet(s.trainKnown);
      for (const r of rows) expect(all.has(r)).toBe(true);
      for (const r of previous) expect(rows.has(r)).toBe(true);
      previous = rows;
    }
    expect(setting3Counts([10, 50, 100, 500, 1000, 5000, 'all'], 400)).toEqual([10, 50, 100, 400]);
    expect(setting3Counts([10, 50, 'all'], 13797)).toEqual([10, 50, 13797]);
  });

  it('toy splits have the asked size per set; subsampling caps every part', () => {
    expect(toySplit(10000, 0).train.normal.rows).toBe(10000);
    expect(split.testSet).toBe('generated');
    const small = subsampleSplit(split, 50, 1);
    expect([
      small.train.normal.rows,
      small.train.known.rows,
      small.test.normal.rows,
      small.test.known.rows,
      small.test.unknown.rows,
    ]).toEqual([50, 50, 50, 50, 50]);
    const big = rowSet(split.test.unknown);
    for (const r of rowSet(small.test.unknown)) expect(big.has(r)).toBe(true);
  });
});

describe('methods', () => {
  it("maps the paper's ids to registry names; `all` leaves out unregistered ones with a clear message", () => {
    const r = resolveMethods('all');
    expect(r.methods).toEqual([]); // nothing of the paper is registered in this package's tests
    expect(r.missing).toHaveLength(11);
    expect(r.missing[0]).toMatch(/^method abc-ae is not registered \(no detector "abc"/);
    expect(METHOD_IDS).toHaveLength(11);
    expect(METHOD_IDS).not.toContain('abc-ae-l2');
    expect(() => resolveMethods('dnn,ae')).toThrow(/method dnn is not registered.*method ae is not registered/);
    expect(() => resolveMethods('nope')).toThrow(/unknown method "nope"/);
    // A registered detector's name is a method; extra specs map ids to detectors.
    const extra: Record<string, MethodSpec> = { 'abc-ae': { id: 'abc-ae', detector: 'spy-sup', params: { latent: 7 } } };
    const ok = resolveMethods('spy-unsup,abc-ae,spy-unsup', { extra });
    expect(ok.methods.map((m) => [m.id, m.detector])).toEqual([
      ['spy-unsup', 'spy-unsup'],
      ['abc-ae', 'spy-sup'],
    ]);
  });

  it("gives networks the paper's size per dataset, the 20% validation split, the epoch cap and the seed", async () => {
    const { getDetectorEntry } = await import('@abc/core');
    const entry = getDetectorEntry('spy-sup');
    const spec: MethodSpec = { id: 'x', detector: 'spy-sup' };
    expect(methodParams(spec, entry, { seed: 4, nFeatures: 2, maxEpochs: 2 })).toEqual({
      hidden: [10, 10],
      latent: 1,
      validationFraction: 0.2,
      maxEpochs: 2,
      seed: 4,
    });
    // A cap never raises the method's own number of epochs (3 here).
    expect(methodParams(spec, entry, { seed: 4, nFeatures: 2, maxEpochs: 7 }).maxEpochs).toBe(3);
    expect(methodParams(spec, entry, { seed: 1, nFeatures: 784 })).toEqual({
      hidden: [300, 100],
      latent: 20,
      validationFraction: 0.2,
      seed: 1,
    });
  });

  it('caps every epoch param (pre-training too) and keeps the own network of methods from other papers', async () => {
    const { getDetectorEntry } = await import('@abc/core');
    const base = getDetectorEntry('spy-sup');
    const entry = {
      ...base,
      paramSpace: {
        ...base.paramSpace,
        epochs: { type: 'int', default: 50, min: 1, description: 'epochs' },
        aeEpochs: { type: 'int', default: 10, min: 1, description: 'pre-training epochs' },
      },
    } as typeof base;
    expect(epochParams(entry)).toEqual(['maxEpochs', 'epochs', 'aeEpochs']);
    const spec: MethodSpec = { id: 'x', detector: 'spy-sup', ownNetwork: true };
    expect(methodParams(spec, entry, { seed: 2, nFeatures: 784, maxEpochs: 20 })).toEqual({
      validationFraction: 0.2,
      maxEpochs: 3,
      epochs: 20,
      aeEpochs: 10,
      seed: 2,
    });
    for (const id of ['deepsad', 'devnet', 'prenet', 'feawad', 'rosas']) {
      expect(METHOD_TABLE[id]).toMatchObject({ id, detector: id, ownNetwork: true });
      expect(METHOD_IDS).not.toContain(id);
    }
  });

  it('plans setting 3 per count for supervised methods and once for unsupervised ones', () => {
    const methods = [
      { id: 'a', detector: 'spy-sup', supervised: true },
      { id: 'b', detector: 'spy-unsup', supervised: false },
    ];
    const plan = planDatasetRuns({
      dataset: 'mnist',
      settings: [1, 3],
      runs: 2,
      methods,
      knownCounts: [10, 5000, 'all'],
      availableKnown: 400,
    });
    const run0 = plan.filter((p) => p.run === 0);
    expect(run0.map((p) => `${p.setting}:${p.method.id}:${p.nKnown ?? '-'}`)).toEqual([
      '1:a:-',
      '1:b:-',
      '3:a:10',
      '3:a:400',
      '3:b:0',
    ]);
    expect(plan.filter((p) => p.run === 1).every((p) => p.seed === 1)).toBe(true);
  });
});

describe('runMethod', () => {
  const sup: MethodSpec = { id: 'sup', detector: 'spy-sup' };
  const unsup: MethodSpec = { id: 'unsup', detector: 'spy-unsup' };

  it('fits supervised methods on normals (0) and known anomalies (1), unsupervised ones on normals only, and scores A and U', async () => {
    const data = settingData(split, 2, { seed: 1 });
    const { record, artifacts } = await runMethod(
      data,
      { ...sup, params: { maxEpochs: 10 } },
      { dataset: 'toy2d', run: 0, seed: 1, scale: false, maxEpochs: 4, grid: { xMin: -1, xMax: 1, yMin: -1, yMax: 1, steps: 5 } },
    );
    expect(seen.X!.rows).toBe(900);
    expect(Array.from(seen.y!).filter((v) => v === 1).length).toBe(400);
    // The 100 unknown anomalies in training are labelled normal.
    const unknownRows = rowSet(split.test.unknown);
    for (let i = 0; i < seen.X!.rows; i++) {
      const r = `${seen.X!.data[2 * i]},${seen.X!.data[2 * i + 1]}`;
      if (unknownRows.has(r)) expect(seen.y![i]).toBe(0);
    }
    expect(record).toMatchObject({
      dataset: 'toy2d',
      setting: 2,
      method: 'sup',
      run: 0,
      seed: 1,
      nKnown: 400,
      testSet: 'generated',
      epochs: 4,
    });
    expect(record.params).toMatchObject({
      hidden: [10, 10],
      latent: 1,
      maxEpochs: 4,
      validationFraction: 0.2,
      seed: 1,
      scaler: 'none',
    });
    expect(record.aurocKnown).toBeGreaterThan(0.8);
    expect(record.auprKnown).toBeGreaterThan(0.8);
    expect(record.aurocUnknown).toBeGreaterThanOrEqual(0);
    expect(artifacts.grid!.scores).toHaveLength(25);
    expect(artifacts.history!.map((h) => h.lossNormal)).toEqual([1, 1 / 2, 1 / 3, 1 / 4]);

    const u = await runMethod(settingData(split, 1), unsup, { dataset: 'toy2d', run: 0, seed: 0, scale: true });
    expect(seen.X!.rows).toBe(400);
    expect(seen.y).toBeUndefined();
    expect(u.record.nKnown).toBe(0);
    expect(u.record.params.scaler).toBe('minmax');
    // The scaler was fitted on the training rows: the detector saw values in [0, 1].
    expect(Math.min(...seen.X!.data)).toBeCloseTo(0, 5);
    expect(Math.max(...seen.X!.data)).toBeCloseTo(1, 5);
    expect(u.record.aurocUnknown).toBeGreaterThan(0.99);
  });

  it('stops a fit through its signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      runMethod(settingData(split, 1), sup, { dataset: 'toy2d', run: 0, seed: 0, scale: false, signal: ac.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});

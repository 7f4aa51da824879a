/**
 * ADBench's data protocol (adbenchSplit) against ADBench's own generator: fixtures from
 * fixtures/adbench/make_adbench_fixtures.py, which runs ADBench's DataGenerator (reference copy at 3dac822)
 * and records sizes and label counts only. Generated label vectors (ties of the stratified counts, resampling
 * up and down) need no data; three real datasets need ../shared/datasets (or skip, `[real data]`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matrix, ValidationError, type Matrix } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { adbenchSplit, type AdbenchSplit } from '../src/index.js';
import { loadAdbenchDataset } from '../src/node/index.js';
import { NumpyLegacyRandom } from '../src/protocols/numpy-random.js';
import { REAL_DATA, realData } from './fixtures/real-data.js';

interface DatasetCases {
  rowsIn: number;
  anomaliesIn: number;
  cases: number[][];
}
interface NumpyDraws {
  seed: number;
  uint32: number[];
  choice768x1000: { head: number[]; sum: number };
  choice19020x10000: { head: number[]; sum: number };
  permutation7: number[];
  choice2pick1: number[];
}
interface Fixture {
  columns: string[];
  real: Record<string, DatasetCases>;
  generated: Record<string, DatasetCases>;
  numpy: NumpyDraws[];
}

const FIXTURE = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/adbench/adbench_fixtures.json', import.meta.url)), 'utf8'),
) as Fixture;

/** A fixture row as a record, by the fixture's column names. */
function record(row: number[]): Record<string, number> {
  return Object.fromEntries(FIXTURE.columns.map((c, k) => [c, row[k]]));
}

/** What our split gives, in the fixture's terms. */
function counts(s: AdbenchSplit): Record<string, number> {
  return {
    rows: s.rows,
    anomalies: s.nTrainAnomalies + s.nTestAnomalies,
    nTrain: s.train.X.rows,
    nTest: s.test.X.rows,
    trainAnomalies: s.nTrainAnomalies,
    testAnomalies: s.nTestAnomalies,
    nLabelled: s.nLabelled,
  };
}

function expectLikeAdbench(X: Matrix, y: Uint8Array, cases: number[][], what: string) {
  for (const row of cases) {
    const { seed, ratio, ...want } = record(row);
    const s = adbenchSplit(X, y, { seed, ratio });
    expect(counts(s), `${what} seed ${seed} ratio ${ratio}`).toEqual(want);
  }
}

/** Generated data like the fixture script's: column 0 the row number, column 1 constant 7; the first `a` rows anomalies. */
function generated(rows: number, anomalies: number): { X: Matrix; y: Uint8Array } {
  const data = new Float32Array(rows * 2);
  for (let i = 0; i < rows; i++) {
    data[2 * i] = i;
    data[2 * i + 1] = 7;
  }
  const y = new Uint8Array(rows);
  y.fill(1, 0, anomalies);
  return { X: matrix(data, rows, 2), y };
}

describe("NumpyLegacyRandom: NumPy's legacy MT19937 draws", () => {
  for (const d of FIXTURE.numpy) {
    it(`seed ${d.seed}: raw 32-bit outputs, choice with and without replacement, permutation`, () => {
      const raw = new NumpyLegacyRandom(d.seed);
      expect(Array.from({ length: 5 }, () => raw.nextUint32())).toEqual(d.uint32);
      const up = new NumpyLegacyRandom(d.seed).choice(768, 1000, true);
      expect(Array.from(up.subarray(0, 8))).toEqual(d.choice768x1000.head);
      expect(up.reduce((a, b) => a + b, 0)).toBe(d.choice768x1000.sum);
      const down = new NumpyLegacyRandom(d.seed).choice(19020, 10000, false);
      expect(Array.from(down.subarray(0, 8))).toEqual(d.choice19020x10000.head);
      expect(down.reduce((a, b) => a + b, 0)).toBe(d.choice19020x10000.sum);
      expect(Array.from(new NumpyLegacyRandom(d.seed).permutation(7))).toEqual(d.permutation7);
      expect(Array.from(new NumpyLegacyRandom(d.seed).choice(2, 1, false))).toEqual(d.choice2pick1);
    });
  }
});

describe("adbenchSplit: sizes and counts equal ADBench's generator on generated labels (no data needed)", () => {
  for (const [name, { rowsIn, anomaliesIn, cases }] of Object.entries(FIXTURE.generated)) {
    it(`${name}: ${rowsIn} rows, ${anomaliesIn} anomalies, seeds 0-5, ratios 0-0.1`, () => {
      const { X, y } = generated(rowsIn, anomaliesIn);
      expectLikeAdbench(X, y, cases, name);
    });
  }
});

describe('adbenchSplit: the size rules, scaling and labelling on generated data', () => {
  it('resamples below 1,000 rows, subsamples above 10,000, keeps the rest; test = ceil(0.3 n)', () => {
    for (const [n, rows, resampled] of [
      [80, 1000, 'up'],
      [999, 1000, 'up'],
      [1000, 1000, 'none'],
      [5393, 5393, 'none'],
      [10_000, 10_000, 'none'],
      [10_001, 10_000, 'down'],
      [19_020, 10_000, 'down'],
    ] as const) {
      const { X, y } = generated(n, Math.ceil(n / 10));
      const s = adbenchSplit(X, y, { seed: 1, ratio: 0.05 });
      expect([s.rows, s.resampled], `n = ${n}`).toEqual([rows, resampled]);
      expect(s.test.X.rows).toBe(Math.ceil(0.3 * rows));
      expect(s.train.X.rows + s.test.X.rows).toBe(rows);
      expect(s.train.y.length).toBe(s.train.X.rows);
      expect(s.test.y.length).toBe(s.test.X.rows);
    }
  });

  it('labels ceil(ratio x training anomalies), the other training anomalies stay as 0', () => {
    // 1,000 rows with 43 anomalies: 30 in training (the stratified share 43 x 0.7 = 30.1).
    const { X, y } = generated(1000, 43);
    for (const [ratio, labelled] of [
      [0, 0],
      [0.01, 1],
      [0.05, 2],
      [0.1, 3],
      [0.25, 8],
      [0.5, 15],
      [0.75, 23],
      [1, 30],
    ] as const) {
      const s = adbenchSplit(X, y, { seed: 3, ratio });
      expect(s.nTrainAnomalies).toBe(30);
      expect(s.nLabelled, `ratio ${ratio}`).toBe(labelled);
      expect(s.train.y.reduce((a, b) => a + b, 0)).toBe(labelled);
      for (let i = 0; i < s.train.y.length; i++) if (s.train.y[i] === 1) expect(s.trainTrueY[i]).toBe(1);
      expect(s.test.y.reduce((a, b) => a + b, 0)).toBe(13);
    }
  });

  it('min-max from the training part: training in [0, 1]; a constant column maps to 0 in training and x - min elsewhere (no clipping)', () => {
    const { X, y } = generated(2000, 200);
    const s = adbenchSplit(X, y, { seed: 0, ratio: 0.1 });
    for (const v of s.train.X.data) expect(v >= 0 && v <= 1).toBe(true);
    for (let i = 0; i < s.train.X.rows; i++) expect(s.train.X.data[2 * i + 1]).toBe(0);
    const out = s.scaler!.transform(matrix(new Float32Array([-100, 9, 5000, 7]), 2, 2));
    expect(out.data[1]).toBe(2); // constant 7 in training: range taken as 1, so 9 -> 9 - 7
    expect(out.data[0]).toBeLessThan(0); // below the training minimum: not clipped
    expect(out.data[2]).toBeGreaterThan(1);
    const raw = adbenchSplit(X, y, { seed: 0, ratio: 0.1, minmax: false });
    expect(raw.scaler).toBeUndefined();
    expect(raw.train.X.data.some((v) => v > 1)).toBe(true);
  });

  it('is repeatable for a seed, differs across seeds, and the rows are the dataset rows', () => {
    const { X, y } = generated(3000, 300);
    const a = adbenchSplit(X, y, { seed: 5, ratio: 0.1 });
    const b = adbenchSplit(X, y, { seed: 5, ratio: 0.1 });
    const c = adbenchSplit(X, y, { seed: 6, ratio: 0.1 });
    expect(a.train.X.data).toEqual(b.train.X.data);
    expect(a.train.y).toEqual(b.train.y);
    expect(a.train.X.data).not.toEqual(c.train.X.data);
    // Unscaled, every training and test row is a distinct row of X (no resampling at 3,000 rows), labels follow rows.
    const raw = adbenchSplit(X, y, { seed: 5, ratio: 0.1, minmax: false });
    const seen = new Set<number>();
    for (const part of [{ X: raw.train.X, y: raw.trainTrueY }, raw.test]) {
      for (let i = 0; i < part.X.rows; i++) {
        const row = part.X.data[2 * i];
        expect(seen.has(row)).toBe(false);
        seen.add(row);
        expect(part.y[i]).toBe(row < 300 ? 1 : 0);
      }
    }
    expect(seen.size).toBe(3000);
  });

  it("sampler 'random' draws everything with our Random: same sizes, anomaly counts close to ADBench's", () => {
    const { X, y } = generated(300, 20);
    const s = adbenchSplit(X, y, { seed: 0, ratio: 0.1, sampler: 'random' });
    expect([s.rows, s.train.X.rows, s.test.X.rows]).toEqual([1000, 700, 300]);
    const share = (s.nTrainAnomalies + s.nTestAnomalies) / 1000;
    expect(Math.abs(share - 20 / 300)).toBeLessThan(0.04);
    expect(s.nLabelled).toBe(Math.ceil(0.1 * s.nTrainAnomalies));
  });

  it('bad input and options are ValidationErrors', () => {
    const { X, y } = generated(100, 10);
    const bad = (f: () => unknown, pattern: RegExp) => {
      expect(f).toThrow(ValidationError);
      expect(f).toThrow(pattern);
    };
    bad(() => adbenchSplit(X, y, { ratio: 1.5 }), /ratio must be a number in \[0, 1\]/);
    bad(() => adbenchSplit(X, y, { ratio: Number.NaN }), /ratio/);
    bad(() => adbenchSplit(X, y, { ratio: 0.1, seed: 1.5 }), /seed must be an integer/);
    bad(() => adbenchSplit(X, y, { ratio: 0.1, seed: -1 }), /seed must be an integer/);
    bad(() => adbenchSplit(X, y.subarray(0, 50), { ratio: 0.1 }), /50 labels but X has 100 rows/);
    bad(() => adbenchSplit(generated(100, 1).X, generated(100, 1).y, { ratio: 0.1 }), /at least 2 normals and 2 anomalies/);
    bad(() => adbenchSplit(X, y, { ratio: 0.1, maxRows: 10, minRows: 100 }), /maxRows/);
    bad(() => adbenchSplit(matrix(new Float32Array([Number.NaN, 1, 2, 3]), 4, 1), [0, 1, 1, 0], { ratio: 0.1 }), /non-finite/);
  });
});

const pima = realData('adbench/29_Pima');
describe.skipIf(!pima.dir)(
  `${REAL_DATA} adbenchSplit: sizes and counts equal ADBench's generator on Pima, PageBlocks and magic.gamma`,
  () => {
    for (const [name, { rowsIn, anomaliesIn, cases }] of Object.entries(FIXTURE.real)) {
      it(`${name}: seeds 0-2, ratios 0, 0.01, 0.05, 0.1`, async (ctx) => {
        const found = realData(`adbench/${name}`);
        if (!found.dir) return ctx.skip(found.skip);
        const { X, y } = await loadAdbenchDataset(join(found.dir, 'adbench', `${name}.npz`));
        expect([X.rows, y.reduce((a, b) => a + b, 0)]).toEqual([rowsIn, anomaliesIn]);
        expectLikeAdbench(X, y, cases, name);
      }, 60_000);
    }
  },
);

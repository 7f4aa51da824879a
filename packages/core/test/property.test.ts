/**
 * Property-based tests (fast-check, fixed seeds) of the core contract: output shapes and types, scores that
 * do not depend on row order, scaler round trips, and save/load round trips of random fitted models.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deserialize,
  matrix,
  MinMaxScaler,
  Pipeline,
  Random,
  serialize,
  StandardScaler,
  takeRows,
  toMatrix,
  toRows,
  type Detector,
  type Matrix,
} from '../src/index.js';
import { LogisticDetector, MeanDistance, registerReferenceDetectors } from '../src/testing/index.js';

registerReferenceDetectors();
const RUNS = { seed: 20261128, numRuns: 60 };

const f32 = (lim: number) => fc.float({ min: Math.fround(-lim), max: Math.fround(lim), noNaN: true, noDefaultInfinity: true });

/** A small random matrix (1-24 rows, 1-5 columns), some columns constant, values in ±lim. */
function matrixArb(lim = 1e6, minRows = 1): fc.Arbitrary<Matrix> {
  return fc
    .record({ rows: fc.integer({ min: minRows, max: 24 }), cols: fc.integer({ min: 1, max: 5 }) })
    .chain(({ rows, cols }) =>
      fc
        .tuple(
          fc.array(f32(lim), { minLength: rows * cols, maxLength: rows * cols }),
          fc.array(fc.boolean(), { minLength: cols, maxLength: cols }),
        )
        .map(([values, constant]) => {
          const data = Float32Array.from(values);
          for (let j = 0; j < cols; j++) if (constant[j]) for (let i = 0; i < rows; i++) data[i * cols + j] = data[j];
          return matrix(data, rows, cols);
        }),
    );
}

/** Labels with both classes (rows 0 and 1 fixed to 0 and 1). */
function labelsFor(rows: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  const y = Uint8Array.from({ length: rows }, () => (rng.float() < 0.3 ? 1 : 0));
  y[0] = 0;
  y[1] = 1;
  return y;
}

const thresholdRule = fc.oneof(
  fc.constant({}),
  fc.record({ threshold: f32(10) }),
  fc.record({ contamination: fc.double({ min: 0.01, max: 0.5, noNaN: true }) }),
);

/** A random registered detector (or a pipeline around one) with random params. */
const detectorArb: fc.Arbitrary<{ label: string; make: () => Detector }> = fc.oneof(
  fc
    .tuple(fc.nat(1000), thresholdRule)
    .map(([seed, rule]) => ({ label: `meandist ${JSON.stringify(rule)}`, make: () => new MeanDistance({ seed, ...rule }) })),
  fc
    .tuple(fc.nat(1000), fc.integer({ min: 1, max: 3 }), fc.double({ min: 1e-3, max: 1, noNaN: true }), thresholdRule)
    .map(([seed, epochs, lr, rule]) => ({
      label: `logistic ${epochs} ${lr}`,
      make: () => new LogisticDetector({ seed, epochs, lr, ...rule }),
    })),
  fc.tuple(fc.nat(1000), fc.boolean(), fc.boolean()).map(([seed, std, sup]) => ({
    label: `pipeline ${std ? 'standard' : 'minmax'} ${sup ? 'logistic' : 'meandist'}`,
    make: () =>
      new Pipeline([
        std ? new StandardScaler() : new MinMaxScaler(),
        sup ? new LogisticDetector({ seed, epochs: 2 }) : new MeanDistance({ seed }),
      ]),
  })),
);

async function fit(d: Detector, X: Matrix, seed: number): Promise<Detector> {
  return d.fit(X, d.supervision === 'supervised' ? labelsFor(X.rows, seed) : undefined);
}

describe('property: the detector contract', () => {
  it('scores, probabilities and labels have the right type, length and range for any finite data', async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb(1e6, 2), detectorArb, fc.nat(), async (X, { make }, seed) => {
        const d = await fit(make(), X, seed);
        const s = await d.scoreSamples(X);
        expect(s).toBeInstanceOf(Float32Array);
        expect(s.length).toBe(X.rows);
        expect(s.every((v) => !Number.isNaN(v))).toBe(true);
        const p = await d.predict(X);
        expect(p).toBeInstanceOf(Uint8Array);
        expect(p.length).toBe(X.rows);
        p.forEach((v, i) => {
          expect(v).toBe(s[i] > d.threshold! ? 1 : 0);
        });
        if (d.hasProbability)
          (await d.predictProba(X)).forEach((v) => {
            expect(v >= 0 && v <= 1).toBe(true);
          });
      }),
      RUNS,
    );
  });

  it('scoring is invariant to row order: scores of a permutation are the permuted scores', async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb(1e4, 2), detectorArb, fc.nat(), async (X, { make }, seed) => {
        const d = await fit(make(), X, seed);
        const s = await d.scoreSamples(X);
        const order = new Random(seed).permutation(X.rows);
        const sp = await d.scoreSamples(takeRows(X, order));
        order.forEach((i, k) => {
          expect(Object.is(sp[k], s[i])).toBe(true);
        });
        const one = await d.scoreSamples(takeRows(X, [order[0]]));
        expect(Object.is(one[0], s[order[0]])).toBe(true);
      }),
      RUNS,
    );
  });

  it('toMatrix and toRows round-trip float32 rows exactly', () => {
    fc.assert(
      fc.property(matrixArb(3.4e38), (X) => {
        const again = toMatrix(toRows(X));
        expect(again.rows).toBe(X.rows);
        expect(again.cols).toBe(X.cols);
        expect(Array.from(again.data)).toEqual(Array.from(X.data));
      }),
      RUNS,
    );
  });
});

describe('property: scaler round trips', () => {
  it('MinMaxScaler: inverseTransform(transform(X)) ≈ X, training output in [min, max], never NaN', () => {
    fc.assert(
      fc.property(
        matrixArb(1e6),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        (X, lo, width) => {
          const s = new MinMaxScaler({ min: lo, max: lo + width });
          const T = s.fitTransform(X);
          const back = s.inverseTransform(T);
          const dmin = s.dataMin;
          const scale = s.scale;
          // Outputs are float32: an output rounding of ulp(max(|min|, |max|)) is that over scale in input units.
          const outMag = Math.max(Math.abs(lo), Math.abs(lo + width));
          for (let k = 0; k < X.data.length; k++) {
            const j = k % X.cols;
            const x = X.data[k];
            expect(Number.isFinite(T.data[k])).toBe(true);
            expect(T.data[k]).toBeGreaterThanOrEqual(Math.fround(lo) - 1e-5 * (1 + Math.abs(lo) + width));
            expect(T.data[k]).toBeLessThanOrEqual(Math.fround(lo + width) + 1e-5 * (1 + Math.abs(lo) + width));
            const tol = 1e-6 * (outMag / scale[j] + Math.abs(x) + Math.abs(dmin[j])) + 1e-30;
            expect(Math.abs(back.data[k] - x)).toBeLessThanOrEqual(tol);
          }
        },
      ),
      { ...RUNS, numRuns: 200 },
    );
  });

  it('StandardScaler: inverseTransform(transform(X)) ≈ X, never NaN (constant columns included)', () => {
    fc.assert(
      fc.property(matrixArb(1e6), fc.boolean(), fc.boolean(), (X, withMean, withStd) => {
        const s = new StandardScaler({ withMean, withStd });
        const T = s.fitTransform(X);
        const back = s.inverseTransform(T);
        const mean = s.mean;
        const scale = s.scale;
        for (let k = 0; k < X.data.length; k++) {
          const j = k % X.cols;
          const x = X.data[k];
          expect(Number.isFinite(T.data[k])).toBe(true);
          const tol = 1e-5 * (Math.abs(x) + Math.abs(mean[j]) + scale[j]) + 1e-30;
          expect(Math.abs(back.data[k] - x)).toBeLessThanOrEqual(tol);
        }
      }),
      { ...RUNS, numRuns: 200 },
    );
  });

  it('scalers survive a save/load of their state with identical transforms', () => {
    fc.assert(
      fc.property(matrixArb(1e6), fc.boolean(), (X, std) => {
        const s = std ? new StandardScaler() : new MinMaxScaler();
        s.fit(X);
        const r = std ? new StandardScaler() : new MinMaxScaler();
        r.setState(s.getState());
        expect(Array.from(r.transform(X).data)).toEqual(Array.from(s.transform(X).data));
      }),
      RUNS,
    );
  });
});

describe('property: save/load round trips', () => {
  it('random fitted detectors and pipelines load back with equal params, threshold and identical scores', async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb(1e5, 2), detectorArb, fc.nat(), async (X, { make }, seed) => {
        const d = await fit(make(), X, seed);
        const bytes = await serialize(d);
        const loaded = await deserialize(bytes);
        expect(loaded.name).toBe(d.name);
        expect(loaded.getParams()).toEqual(d.getParams());
        expect(loaded.threshold).toBe(d.threshold);
        expect(loaded.nFeatures).toBe(d.nFeatures);
        const a = await d.scoreSamples(X);
        const b = await loaded.scoreSamples(X);
        a.forEach((v, i) => {
          expect(Object.is(v, b[i])).toBe(true);
        });
        // Saving the loaded model gives the same bytes.
        expect(Buffer.compare(Buffer.from(await serialize(loaded)), Buffer.from(bytes))).toBe(0);
      }),
      RUNS,
    );
  });
});

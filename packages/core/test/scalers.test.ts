import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registerBuiltinTransformers } from '../src/builtin-transformers.js';
import { ModelFormatError, NotFittedError, UnsupportedExportError, ValidationError } from '../src/errors.js';
import { matrix, toMatrix, toRows, type Matrix } from '../src/matrix.js';
import { createTransformer, getTransformerEntry, listTransformers } from '../src/registry.js';
import { MinMaxScaler, StandardScaler } from '../src/scalers.js';
import type { ModelState } from '../src/state.js';
import { table } from '../src/table.js';

// scikit-learn's outputs for the same inputs, written by fixtures/make_transformer_fixtures.py (null = NaN).
type Rows = (number | null)[][];
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/transformers.json', import.meta.url), 'utf8'));
const S = fixtures.scaling as {
  X: Rows;
  test: Rows;
  minmax: {
    name: string;
    params: { feature_range?: [number, number]; clip?: boolean };
    dataMin: number[];
    dataMax: number[];
    scale: number[];
    train: Rows;
    test: Rows;
    inverseTest: Rows;
  }[];
  standard: {
    name: string;
    params: { with_mean?: boolean; with_std?: boolean };
    mean: number[];
    var: number[];
    scale: number[];
    train: Rows;
    test: Rows;
    inverseTest: Rows;
  }[];
};

function m(rows: Rows, names?: string[]): Matrix {
  const X = toMatrix(rows.map((r) => r.map((v) => (v === null ? NaN : v))));
  return names ? matrix(X.data, X.rows, X.cols, names) : X;
}

/** Float32 outputs against float64 references: within a few float32 ulps (relative 1e-6, absolute 1e-6 near 0). */
function expectRowsClose(actual: Matrix, expected: Rows, tol = 1e-6): void {
  expect(actual.rows).toBe(expected.length);
  expect(actual.cols).toBe(expected[0].length);
  const got = toRows(actual);
  expected.forEach((row, i) => {
    row.forEach((e, j) => {
      const a = got[i][j];
      if (e === null) {
        expect(Number.isNaN(a), `row ${i}, col ${j}: ${a} should be NaN`).toBe(true);
        return;
      }
      expect(Math.abs(a - e), `row ${i}, col ${j}: ${a} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
    });
  });
}

function expectVectorClose(actual: ArrayLike<number>, expected: number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, j) => {
    expect(Math.abs(actual[j] - e), `[${j}]: ${actual[j]} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  });
}

function validationReason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).reason;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

function roundTrip(state: ModelState): ModelState {
  // What persistence does to a state: meta through JSON, tensors kept as typed arrays.
  return { meta: JSON.parse(JSON.stringify(state.meta)), tensors: state.tensors };
}

describe('MinMaxScaler', () => {
  it('maps hand-computed values and leaves a constant column at min', () => {
    const scaler = new MinMaxScaler();
    const Xs = scaler.fitTransform(
      toMatrix([
        [0, 10],
        [5, 10],
        [10, 10],
      ]),
    );
    expect(toRows(Xs)).toEqual([
      [0, 0],
      [0.5, 0],
      [1, 0],
    ]);
    expect(toRows(scaler.inverseTransform(Xs))).toEqual([
      [0, 10],
      [5, 10],
      [10, 10],
    ]);
    expect(Array.from(scaler.dataMin)).toEqual([0, 10]);
    expect(Array.from(scaler.dataMax)).toEqual([10, 10]);
    expect(Array.from(scaler.scale)).toEqual([0.1, 1]);

    const wide = new MinMaxScaler({ min: -1, max: 3 });
    // x' = (x − 2) · 4/8 − 1 on column 0; the constant column 1 maps to min = −1.
    expect(
      toRows(
        wide.fitTransform(
          toMatrix([
            [2, 7],
            [6, 7],
            [10, 7],
          ]),
        ),
      ),
    ).toEqual([
      [-1, -1],
      [1, -1],
      [3, -1],
    ]);
    // The constant column's zero range counts as 1 (scikit-learn): 8 maps to (8 − 7) · 4 − 1 = 3.
    expect(toRows(wide.transform(toMatrix([[14, 8]])))).toEqual([[5, 3]]);
  });

  it('never produces NaN or Infinity for a constant or near-constant column', () => {
    const X = toMatrix([
      [1e-30, 5],
      [1e-30, 5],
    ]);
    const out = new MinMaxScaler().fitTransform(X);
    expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
    expect(toRows(out)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    // A zero range counts as 1: values off the constant move by (x − c) · (max − min).
    expect(toRows(new MinMaxScaler().fit(X).transform(toMatrix([[1e-30, 7]])))).toEqual([[0, 2]]);
  });

  for (const c of S.minmax) {
    it(`matches scikit-learn: ${c.name}`, () => {
      const range = c.params.feature_range ?? [0, 1];
      const scaler = new MinMaxScaler({ min: range[0], max: range[1], clip: c.params.clip ?? false });
      scaler.fit(m(S.X));
      expectVectorClose(scaler.dataMin, c.dataMin);
      expectVectorClose(scaler.dataMax, c.dataMax);
      expectVectorClose(scaler.scale, c.scale);
      expectRowsClose(scaler.transform(m(S.X)), c.train);
      expectRowsClose(scaler.transform(m(S.test)), c.test);
      if (!c.params.clip) expectRowsClose(scaler.inverseTransform(m(S.test)), c.inverseTest);
    });
  }

  it('clips to [min, max] only when asked', () => {
    const X = m(S.X);
    const T = m(S.test);
    const free = new MinMaxScaler().fit(X).transform(T);
    expect(Math.max(...free.data)).toBeGreaterThan(1);
    const clipped = new MinMaxScaler({ clip: true }).fit(X).transform(T);
    expect(Math.max(...clipped.data)).toBeLessThanOrEqual(1);
    expect(Math.min(...clipped.data)).toBeGreaterThanOrEqual(0);
  });

  it('gives an exact export spec: (x − min) · scale equals transform, featureMin folded in', () => {
    for (const [lo, hi] of [
      [0, 1],
      [-1, 2],
      [5, 6],
    ]) {
      const scaler = new MinMaxScaler({ min: lo, max: hi }).fit(m(S.X));
      const spec = scaler.toExportSpec();
      expect(spec.kind).toBe('minmax');
      if (spec.kind !== 'minmax') return;
      expect(spec.min).toBeInstanceOf(Float32Array);
      expect(spec.scale).toBeInstanceOf(Float32Array);
      const T = m(S.test);
      const viaSpec = new Float32Array(T.data.length);
      for (let k = 0; k < T.data.length; k++) viaSpec[k] = (T.data[k] - spec.min[k % T.cols]) * spec.scale[k % T.cols];
      expectRowsClose(matrix(viaSpec, T.rows, T.cols), toRows(scaler.transform(T)), 2e-6);
    }
    const hand = new MinMaxScaler({ min: -1, max: 1 }).fit(toMatrix([[0], [4]]));
    const spec = hand.toExportSpec();
    // scale 2/4 = 0.5; min' = 0 − (−1)/0.5 = 2: x' = (x − 2) · 0.5 maps 0 → −1 and 4 → 1.
    // With the float64 fields that repeat transform exactly: (x − 0) · 0.5 + (−1).
    expect(spec).toEqual({
      kind: 'minmax',
      min: Float32Array.of(2),
      scale: Float32Array.of(0.5),
      dataMin64: Float64Array.of(0),
      scale64: Float64Array.of(0.5),
      offset64: -1,
    });
    expect(() => new MinMaxScaler({ clip: true }).fit(m(S.X)).toExportSpec()).toThrow(UnsupportedExportError);
  });

  it('rejects NaN and Infinity naming the row and the column', () => {
    const scaler = new MinMaxScaler();
    expect(
      validationReason(() =>
        scaler.fit(
          toMatrix([
            [1, 2],
            [3, NaN],
          ]),
        ),
      ),
    ).toBe('non-finite');
    expect(() =>
      scaler.fit(
        toMatrix([
          [1, 2],
          [3, NaN],
        ]),
      ),
    ).toThrow(/row 1, column 1.*SimpleImputer/);
    expect(() => scaler.fit(matrix(Float32Array.of(1, Infinity), 1, 2, ['a', 'b']))).toThrow(/row 0, column 1 \("b"\)/);
    expect(scaler.fitted).toBe(false);
    scaler.fit(
      toMatrix([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(validationReason(() => scaler.transform(toMatrix([[-Infinity, 0]])))).toBe('non-finite');
    expect(validationReason(() => scaler.inverseTransform(toMatrix([[NaN, 0]])))).toBe('non-finite');
    expect(validationReason(() => scaler.fit(toMatrix([])))).toBe('empty');
  });

  it('validates params through its param space', () => {
    expect(validationReason(() => new MinMaxScaler({ low: 0 } as never))).toBe('param');
    expect(validationReason(() => new MinMaxScaler({ clip: 'yes' } as never))).toBe('param');
    expect(validationReason(() => new MinMaxScaler({ min: NaN }))).toBe('param');
    expect(validationReason(() => new MinMaxScaler({ min: 1, max: 1 }))).toBe('param');
    expect(() => new MinMaxScaler({ min: 2 })).toThrow(/"min" must be smaller than "max"/);
    const s = new MinMaxScaler();
    expect(validationReason(() => s.setParams({ max: -1 }))).toBe('param');
    expect(s.getParams()).toEqual({ min: 0, max: 1, clip: false });
    expect(s.setParams({ min: 2, max: 3 }).getParams()).toEqual({ min: 2, max: 3, clip: false });
  });

  it('raises NotFittedError before fit and feature-count on a width mismatch', () => {
    const s = new MinMaxScaler();
    expect(() => s.transform(toMatrix([[1]]))).toThrow(NotFittedError);
    expect(() => s.inverseTransform(toMatrix([[1]]))).toThrow(NotFittedError);
    expect(() => s.toExportSpec()).toThrow(NotFittedError);
    expect(() => s.getState()).toThrow(NotFittedError);
    expect(() => s.dataMin).toThrow(NotFittedError);
    expect(s.featureNamesOut()).toBeUndefined();
    s.fit(
      toMatrix([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(validationReason(() => s.transform(toMatrix([[1, 2, 3]])))).toBe('feature-count');
    expect(validationReason(() => s.inverseTransform(toMatrix([[1]])))).toBe('feature-count');
    const named = new MinMaxScaler().fit(m(S.X, ['a', 'b', 'c', 'd']));
    expect(validationReason(() => named.transform(m(S.test, ['a', 'b', 'd', 'c'])))).toBe('feature-names');
    expect(validationReason(() => named.inverseTransform(m(S.test, ['b', 'a', 'c', 'd'])))).toBe('feature-names');
    expect(named.transform(m(S.test)).rows).toBe(3); // an unnamed input is checked by width only
  });

  it('clones unfitted with equal params; setParams unfits', () => {
    const s = new MinMaxScaler({ min: -2, max: 2, clip: true }).fit(m(S.X));
    const c = s.clone();
    expect(c).toBeInstanceOf(MinMaxScaler);
    expect(c.fitted).toBe(false);
    expect(c.getParams()).toEqual(s.getParams());
    s.setParams({ clip: false });
    expect(s.fitted).toBe(false);
  });

  it('restores from its state with identical transforms', () => {
    const s = new MinMaxScaler({ min: -1, max: 2 }).fit(m(S.X, ['a', 'b', 'c', 'd']));
    const again = new MinMaxScaler(s.getParams());
    again.setState(roundTrip(s.getState()));
    expect(again.transform(m(S.test)).data).toEqual(s.transform(m(S.test)).data);
    expect(again.inverseTransform(m(S.test)).data).toEqual(s.inverseTransform(m(S.test)).data);
    expect(again.toExportSpec()).toEqual(s.toExportSpec());
    expect(again.featureNamesOut()).toEqual(['a', 'b', 'c', 'd']);
    const broken = s.getState();
    expect(() => again.setState({ ...broken, tensors: {} })).toThrow(ModelFormatError);
    expect(() =>
      again.setState({
        ...broken,
        tensors: { ...broken.tensors, dataMin: broken.tensors.dataMax, dataMax: broken.tensors.dataMin },
      }),
    ).toThrow(ModelFormatError);
  });

  it('keeps feature names and takes a numeric Table', () => {
    const t = table(['x', 'y'], [Float32Array.of(0, 2), Float32Array.of(5, 6)]);
    const s = new MinMaxScaler();
    const out = s.fitTransform(t);
    expect(out.featureNames).toEqual(['x', 'y']);
    expect(s.featureNamesOut()).toEqual(['x', 'y']);
    expect(toRows(out)).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(validationReason(() => s.fit(table(['x', 'p'], [Float32Array.of(0, 1), ['a', 'b']])))).toBe('type');
  });
});

describe('StandardScaler', () => {
  it('standardizes hand-computed values with the population std', () => {
    const s = new StandardScaler();
    const Xs = s.fitTransform(
      toMatrix([
        [1, 5],
        [3, 5],
      ]),
    );
    expect(toRows(Xs)).toEqual([
      [-1, 0],
      [1, 0],
    ]);
    expect(Array.from(s.mean)).toEqual([2, 5]);
    expect(Array.from(s.variance)).toEqual([1, 0]);
    expect(Array.from(s.scale)).toEqual([1, 1]);
    // ddof = 0: [0, 0, 6] has mean 2 and variance (4 + 4 + 16) / 3 = 8.
    const t = new StandardScaler().fit(toMatrix([[0], [0], [6]]));
    expect(t.variance[0]).toBe(8);
    expect(toRows(t.transform(toMatrix([[2 + Math.sqrt(8)]])))[0][0]).toBeCloseTo(1, 6);
    expect(toRows(t.inverseTransform(toMatrix([[1]])))[0][0]).toBeCloseTo(2 + Math.sqrt(8), 5);
  });

  it('gives std 1 to constant columns, even when the mean does not round exactly', () => {
    const v = Math.fround(0.1);
    const s = new StandardScaler().fit(
      toMatrix([
        [v, -3],
        [v, -3],
        [v, -3],
      ]),
    );
    expect(Array.from(s.scale)).toEqual([1, 1]);
    const out = s.transform(toMatrix([[v, -3]]));
    expect(Array.from(out.data).every((x) => Number.isFinite(x) && Math.abs(x) < 1e-6)).toBe(true);
  });

  it('computes the variance in float64 without cancellation on a large offset', () => {
    const s = new StandardScaler().fit(toMatrix([[1e6], [1e6 + 1], [1e6 + 2]]));
    expect(s.variance[0]).toBeCloseTo(2 / 3, 12);
    expect(toRows(s.transform(toMatrix([[1e6 + 2]])))[0][0]).toBeCloseTo(Math.sqrt(1.5), 6);
  });

  for (const c of S.standard) {
    it(`matches scikit-learn: ${c.name}`, () => {
      const s = new StandardScaler({ withMean: c.params.with_mean ?? true, withStd: c.params.with_std ?? true }).fit(m(S.X));
      expectVectorClose(s.mean, c.mean);
      if (c.var) expectVectorClose(s.variance, c.var, 1e-9);
      if (c.scale) expectVectorClose(s.scale, c.scale, 1e-9);
      else expect(Array.from(s.scale)).toEqual([1, 1, 1, 1]);
      expectRowsClose(s.transform(m(S.X)), c.train);
      expectRowsClose(s.transform(m(S.test)), c.test);
      expectRowsClose(s.inverseTransform(m(S.test)), c.inverseTest);
    });
  }

  it("gives { kind: 'standard', mean, std } that reproduces transform", () => {
    for (const params of [{}, { withMean: false }, { withStd: false }]) {
      const s = new StandardScaler(params).fit(m(S.X));
      const spec = s.toExportSpec();
      expect(spec.kind).toBe('standard');
      if (spec.kind !== 'standard') return;
      if (params.withMean === false) expect(Array.from(spec.mean)).toEqual([0, 0, 0, 0]);
      if (params.withStd === false) expect(Array.from(spec.std)).toEqual([1, 1, 1, 1]);
      expect(spec.std[1]).toBe(1); // the constant column
      const T = m(S.test);
      const viaSpec = Float32Array.from(T.data, (x, k) => (x - spec.mean[k % T.cols]) / spec.std[k % T.cols]);
      expectRowsClose(matrix(viaSpec, T.rows, T.cols), toRows(s.transform(T)), 2e-6);
    }
  });

  it('rejects non-finite input, bad params, use before fit and width mismatches', () => {
    const s = new StandardScaler();
    expect(validationReason(() => s.fit(toMatrix([[NaN]])))).toBe('non-finite');
    expect(() =>
      s.fit(
        toMatrix([
          [0, 1],
          [Infinity, 2],
        ]),
      ),
    ).toThrow(/row 1, column 0/);
    expect(validationReason(() => new StandardScaler({ withMean: 1 } as never))).toBe('param');
    expect(validationReason(() => new StandardScaler({ ddof: 1 } as never))).toBe('param');
    expect(() => s.transform(toMatrix([[1]]))).toThrow(NotFittedError);
    expect(() => s.mean).toThrow(NotFittedError);
    expect(() => s.toExportSpec()).toThrow(NotFittedError);
    s.fit(
      toMatrix([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(validationReason(() => s.transform(toMatrix([[1]])))).toBe('feature-count');
    expect(validationReason(() => s.inverseTransform(toMatrix([[1, 2, 3]])))).toBe('feature-count');
    const named = new StandardScaler().fit(m(S.X, ['a', 'b', 'c', 'd']));
    expect(validationReason(() => named.transform(m(S.test, ['a', 'b', 'c', 'e'])))).toBe('feature-names');
    expect(validationReason(() => named.inverseTransform(m(S.test, ['d', 'b', 'c', 'a'])))).toBe('feature-names');
  });

  it('clones, round-trips its state and keeps feature names', () => {
    const s = new StandardScaler({ withMean: false }).fit(m(S.X, ['a', 'b', 'c', 'd']));
    const c = s.clone();
    expect(c.fitted).toBe(false);
    expect(c.getParams()).toEqual({ withMean: false, withStd: true });
    const again = new StandardScaler(s.getParams());
    again.setState(roundTrip(s.getState()));
    expect(again.transform(m(S.test)).data).toEqual(s.transform(m(S.test)).data);
    expect(again.toExportSpec()).toEqual(s.toExportSpec());
    expect(s.transform(m(S.test, ['a', 'b', 'c', 'd'])).featureNames).toEqual(['a', 'b', 'c', 'd']);
    expect(again.featureNamesOut()).toEqual(['a', 'b', 'c', 'd']);
    expect(() => again.setState({ meta: { ...s.getState().meta, nSamples: 0 }, tensors: s.getState().tensors })).toThrow(
      ModelFormatError,
    );
  });
});

describe('built-in transformer registration', () => {
  it('registers minmax, standard, impute and onehot, idempotently', () => {
    registerBuiltinTransformers();
    registerBuiltinTransformers();
    const names = listTransformers().map((e) => e.name);
    for (const n of ['minmax', 'standard', 'impute', 'onehot']) expect(names.filter((x) => x === n)).toHaveLength(1);
    const s = createTransformer('minmax', { min: -1, max: 1 });
    expect(s).toBeInstanceOf(MinMaxScaler);
    expect(s.name).toBe('minmax');
    expect(s.getParams()).toEqual({ min: -1, max: 1, clip: false });
    expect(getTransformerEntry('standard').paramSpace).toBe(StandardScaler.paramSpace);
    expect(validationReason(() => createTransformer('standard', { withMean: 'no' }))).toBe('param');
    for (const n of ['minmax', 'standard', 'impute', 'onehot']) expect(createTransformer(n).name).toBe(n);
  });
});

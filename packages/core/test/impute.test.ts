import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../src/builtin-transformers.js';
import { ModelFormatError, NotFittedError, ValidationError } from '../src/errors.js';
import { SimpleImputer, type ImputeStrategy } from '../src/impute.js';
import { matrix, toMatrix, toRows, type Matrix } from '../src/matrix.js';
import { createTransformer } from '../src/registry.js';
import { table } from '../src/table.js';

// scikit-learn's outputs for the same inputs, written by fixtures/make_transformer_fixtures.py (null = NaN).
type Rows = (number | null)[][];
type Case = { name: string; strategy: string; params: { fill_value?: number }; statistics: number[]; train: Rows; test: Rows };
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/transformers.json', import.meta.url), 'utf8'));
const I = fixtures.impute as { X: Rows; test: Rows; cases: Case[]; emptyColumn: { X: Rows; constant: Case } };

const strategyOf: Record<string, ImputeStrategy> = {
  mean: 'mean',
  median: 'median',
  most_frequent: 'mostFrequent',
  constant: 'constant',
};

function m(rows: Rows, names?: string[]): Matrix {
  const X = toMatrix(rows.map((r) => r.map((v) => (v === null ? NaN : v))));
  return names ? matrix(X.data, X.rows, X.cols, names) : X;
}

function expectRowsClose(actual: Matrix, expected: Rows, tol = 1e-6): void {
  expect(actual.rows).toBe(expected.length);
  expect(actual.cols).toBe(expected[0].length);
  const got = toRows(actual);
  expected.forEach((row, i) => {
    row.forEach((e, j) => {
      expect(e, `sklearn output has a NaN at row ${i}, col ${j}`).not.toBeNull();
      expect(Math.abs(got[i][j] - e!), `row ${i}, col ${j}: ${got[i][j]} vs ${e}`).toBeLessThanOrEqual(
        tol * Math.max(1, Math.abs(e!)),
      );
    });
  });
}

function validationError(f: () => unknown): ValidationError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

describe('SimpleImputer', () => {
  it('fills hand-computed statistics', () => {
    const X = toMatrix([
      [1, NaN],
      [NaN, 4],
      [3, 6],
      [10, 5],
    ]);
    const median = new SimpleImputer({ strategy: 'median' });
    expect(toRows(median.fitTransform(X))).toEqual([
      [1, 5],
      [3, 4],
      [3, 6],
      [10, 5],
    ]);
    expect(Array.from(median.statistics)).toEqual([3, 5]);
    const mean = new SimpleImputer().fit(X);
    expect(Array.from(mean.statistics)).toEqual([14 / 3, 5]);
    // Even count: the median averages the middle two.
    expect(Array.from(new SimpleImputer({ strategy: 'median' }).fit(toMatrix([[4], [1], [NaN], [3], [2]])).statistics)).toEqual([
      2.5,
    ]);
    // Ties of mostFrequent go to the smallest value, negative values included.
    const mf = new SimpleImputer({ strategy: 'mostFrequent' }).fit(toMatrix([[7], [-2], [7], [-2], [NaN], [NaN], [NaN], [0]]));
    expect(Array.from(mf.statistics)).toEqual([-2]);
    const c = new SimpleImputer({ strategy: 'constant', fillValue: -9 }).fit(X);
    expect(toRows(c.transform(toMatrix([[NaN, NaN]])))).toEqual([[-9, -9]]);
  });

  for (const c of I.cases) {
    it(`matches scikit-learn: ${c.name}`, () => {
      const imp = new SimpleImputer({ strategy: strategyOf[c.strategy], fillValue: c.params.fill_value ?? 0 }).fit(m(I.X));
      expect(Array.from(imp.statistics).map((v, j) => Math.abs(v - c.statistics[j]) <= 1e-12 * Math.max(1, Math.abs(v)))).toEqual(
        c.statistics.map(() => true),
      );
      expectRowsClose(imp.transform(m(I.X)), c.train);
      expectRowsClose(imp.transform(m(I.test)), c.test);
    });
  }

  it("fills a column with no observed value with 'constant', as scikit-learn", () => {
    const c = I.emptyColumn.constant;
    const imp = new SimpleImputer({ strategy: 'constant', fillValue: c.params.fill_value }).fit(m(I.emptyColumn.X));
    expectRowsClose(imp.transform(m(I.emptyColumn.X)), c.train);
    expect(Array.from(imp.statistics)).toEqual(c.statistics);
  });

  it('raises a clear error for a column with no observed value under the other strategies', () => {
    for (const strategy of ['mean', 'median', 'mostFrequent'] as const) {
      const imp = new SimpleImputer({ strategy });
      const e = validationError(() => imp.fit(m(I.emptyColumn.X, ['kept', 'gone'])));
      expect(e.reason).toBe('empty');
      expect(e.message).toMatch(/column 1 \("gone"\) has no observed value/);
      expect(e.message).toMatch(/constant/);
      expect(imp.fitted).toBe(false);
    }
  });

  it('accepts NaN but still rejects ±Infinity, naming the row and the column', () => {
    const imp = new SimpleImputer();
    expect(imp.acceptsMissing).toBe(true);
    expect(imp.acceptsTable).toBe(false);
    const e = validationError(() =>
      imp.fit(
        toMatrix([
          [1, NaN],
          [Infinity, 2],
        ]),
      ),
    );
    expect(e.reason).toBe('non-finite');
    expect(e.message).toMatch(/row 1, column 0/);
    imp.fit(
      toMatrix([
        [1, NaN],
        [3, 2],
      ]),
    );
    expect(validationError(() => imp.transform(toMatrix([[NaN, -Infinity]]))).reason).toBe('non-finite');
    expect(validationError(() => imp.fit(toMatrix([])))).toHaveProperty('reason', 'empty');
  });

  it('validates params through its param space', () => {
    expect(validationError(() => new SimpleImputer({ strategy: 'most_frequent' as never })).reason).toBe('param');
    expect(validationError(() => new SimpleImputer({ fillValue: NaN })).reason).toBe('param');
    expect(validationError(() => new SimpleImputer({ fillValue: '0' as never })).reason).toBe('param');
    expect(validationError(() => new SimpleImputer({ missingValues: 0 } as never)).reason).toBe('param');
    expect(new SimpleImputer().getParams()).toEqual({ strategy: 'mean', fillValue: 0 });
  });

  it('raises NotFittedError before fit and feature-count on a width mismatch', () => {
    const imp = new SimpleImputer();
    expect(() => imp.transform(toMatrix([[1]]))).toThrow(NotFittedError);
    expect(() => imp.statistics).toThrow(NotFittedError);
    expect(() => imp.toExportSpec()).toThrow(NotFittedError);
    expect(() => imp.getState()).toThrow(NotFittedError);
    imp.fit(m(I.X));
    expect(validationError(() => imp.transform(toMatrix([[1, 2]]))).reason).toBe('feature-count');
    const named = new SimpleImputer().fit(m(I.X, ['a', 'b', 'c', 'd']));
    const e = validationError(() => named.transform(m(I.test, ['a', 'c', 'b', 'd'])));
    expect(e.reason).toBe('feature-names');
    expect(e.message).toMatch(/feature 1 is "c" but was "b" at fit/);
    const again = new SimpleImputer();
    again.setState(named.getState());
    expect(validationError(() => again.transform(m(I.test, ['a', 'c', 'b', 'd']))).reason).toBe('feature-names');
  });

  it("gives { kind: 'impute', fill } and reproduces transform from it", () => {
    const imp = new SimpleImputer({ strategy: 'median' }).fit(m(I.X));
    const spec = imp.toExportSpec();
    expect(spec.kind).toBe('impute');
    if (spec.kind !== 'impute') return;
    expect(spec.fill).toBeInstanceOf(Float32Array);
    const T = m(I.test);
    const viaSpec = Float32Array.from(T.data, (x, k) => (Number.isNaN(x) ? spec.fill[k % T.cols] : x));
    expect(viaSpec).toEqual(imp.transform(T).data);
  });

  it('clones unfitted, round-trips its state and keeps feature names', () => {
    const names = ['a', 'b', 'c', 'd'];
    const imp = new SimpleImputer({ strategy: 'mostFrequent' }).fit(m(I.X, names));
    const c = imp.clone();
    expect(c.fitted).toBe(false);
    expect(c.getParams()).toEqual(imp.getParams());
    const again = new SimpleImputer(imp.getParams());
    const state = imp.getState();
    again.setState({ meta: JSON.parse(JSON.stringify(state.meta)), tensors: state.tensors });
    expect(again.transform(m(I.test)).data).toEqual(imp.transform(m(I.test)).data);
    expect(again.featureNamesOut()).toEqual(names);
    expect(imp.transform(m(I.test, names)).featureNames).toEqual(names);
    expect(() => again.setState({ meta: state.meta, tensors: {} })).toThrow(ModelFormatError);
    imp.setParams({ strategy: 'mean' });
    expect(imp.fitted).toBe(false);
  });

  it('takes a numeric Table and is created through the registry', () => {
    const imp = createTransformer('impute', { strategy: 'constant', fillValue: 1 });
    expect(imp).toBeInstanceOf(SimpleImputer);
    const out = imp.fitTransform(table(['u', 'v'], [Float32Array.of(NaN, 2), Float32Array.of(3, NaN)]));
    expect(toRows(out)).toEqual([
      [1, 3],
      [2, 1],
    ]);
    expect(out.featureNames).toEqual(['u', 'v']);
  });
});

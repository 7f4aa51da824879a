import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../src/builtin-transformers.js';
import { ModelFormatError, NotFittedError, ValidationError } from '../src/errors.js';
import { SimpleImputer } from '../src/impute.js';
import { matrix, toMatrix, toRows, type Matrix } from '../src/matrix.js';
import { numberCategory, OneHotEncoder, UnknownCategoryError } from '../src/onehot.js';
import { createTransformer } from '../src/registry.js';
import { deserialize, serialize } from '../src/persist.js';
import { Pipeline } from '../src/pipeline.js';
import { MinMaxScaler, StandardScaler } from '../src/scalers.js';
import { MeanDistance, registerReferenceDetectors } from '../src/testing/reference.js';
import { table, type Table } from '../src/table.js';

// scikit-learn's outputs (OneHotEncoder(handle_unknown='ignore'), pass-through columns first), written by
// fixtures/make_transformer_fixtures.py; null is None in string columns and NaN in numbers.
type Rows = (number | null)[][];
type TableData = { [name: string]: (number | string | null)[] };
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/transformers.json', import.meta.url), 'utf8'));
const T = fixtures.onehot.table as {
  names: string[];
  train: TableData;
  test: TableData;
  categories: string[][];
  sklearnFeatureNames: string[];
  trainOut: Rows;
  testOut: Rows;
};
const C = fixtures.onehot.codes as {
  columns: number[];
  X: Rows;
  test: Rows;
  categories: (number | null)[][];
  trainOut: Rows;
  testOut: Rows;
};

function m(rows: Rows, names?: string[]): Matrix {
  const X = toMatrix(rows.map((r) => r.map((v) => (v === null ? NaN : v))));
  return names ? matrix(X.data, X.rows, X.cols, names) : X;
}

/** A Table from the fixture: numeric columns as Float32Array, string columns with null (or '') as missing. */
function tableOf(data: TableData, names: string[], missing: null | '' = null): Table {
  return table(
    names,
    names.map((n) => {
      const col = data[n];
      return typeof col.find((v) => v !== null) === 'number'
        ? Float32Array.from(col as number[])
        : col.map((v) => (v === null ? missing : (v as string)));
    }),
  );
}

function expectRows(actual: Matrix, expected: Rows): void {
  expect(toRows(actual)).toEqual(expected.map((r) => r.map((v) => (v === null ? NaN : Math.fround(v)))));
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

describe('OneHotEncoder', () => {
  it('encodes the table example by hand', () => {
    const t = table(['bytes', 'protocol'], [Float32Array.of(10, 20, 30), ['tcp', 'udp', null]]);
    const enc = new OneHotEncoder();
    expect(toRows(enc.fitTransform(t))).toEqual([
      [10, 1, 0, 0],
      [20, 0, 1, 0],
      [30, 0, 0, 1],
    ]);
    expect(enc.featureNamesOut()).toEqual(['bytes', 'protocol=tcp', 'protocol=udp', 'protocol=']);
    expect(enc.categories).toEqual([{ column: 'protocol', index: 1, categories: ['tcp', 'udp', ''] }]);
    const out = enc.transform(table(['bytes', 'protocol'], [Float32Array.of(5), ['udp']]));
    expect(toRows(out)).toEqual([[5, 0, 1, 0]]);
    expect(out.featureNames).toEqual(enc.featureNamesOut());
  });

  for (const missing of [null, ''] as const) {
    it(`matches scikit-learn on a table with string columns (missing as ${JSON.stringify(missing)})`, () => {
      const enc = new OneHotEncoder();
      const train = tableOf(T.train, T.names, missing);
      expectRows(enc.fitTransform(train), T.trainOut);
      expectRows(enc.transform(tableOf(T.test, T.names, missing)), T.testOut);
      expect(enc.categories.map((c) => c.categories)).toEqual(T.categories);
      // scikit-learn's names are column_value with None for missing; ours are column=value with '' for missing.
      const ours = T.sklearnFeatureNames.map((n) => n.replace(/_None$/, '_').replace(/^(protocol|flag)_/, '$1='));
      expect(enc.featureNamesOut()).toEqual(['bytes', 'duration', ...ours]);
    });
  }

  it('matches scikit-learn on numeric codes of a Matrix (NaN its own, last category)', () => {
    const enc = new OneHotEncoder({ columns: C.columns });
    expectRows(enc.fitTransform(m(C.X)), C.trainOut);
    expectRows(enc.transform(m(C.test)), C.testOut);
    expect(enc.categories.map((c) => c.categories)).toEqual(
      C.categories.map((cs) => cs.map((v) => (v === null ? '' : numberCategory(v)))),
    );
    expect(enc.categories.map((c) => c.categories)).toEqual([
      ['1', '2', '10'],
      ['0.25', '7', '8', ''],
    ]);
    expect(enc.featureNamesOut()).toEqual(['x1', 'x0=1', 'x0=2', 'x0=10', 'x2=0.25', 'x2=7', 'x2=8', 'x2=']);
  });

  it('passes a Matrix through unchanged when columns is null', () => {
    const X = toMatrix([
      [1, 2],
      [3, NaN],
    ]);
    const enc = new OneHotEncoder();
    const out = enc.fitTransform(X);
    expect(toRows(out)).toEqual(toRows(X));
    expect(enc.featureNamesOut()).toEqual(['x0', 'x1']);
    const named = new OneHotEncoder().fit(matrix(X.data, 2, 2, ['a', 'b']));
    expect(named.featureNamesOut()).toEqual(['a', 'b']);
  });

  it('encodes chosen numeric columns of a Table and sorts numeric codes by value', () => {
    const t = table(['code', 'v'], [Float32Array.of(10, 9, 10, -1.5, Math.fround(0.1)), Float32Array.of(1, 2, 3, 4, 5)]);
    const enc = new OneHotEncoder({ columns: [0] }).fit(t);
    expect(enc.featureNamesOut()).toEqual(['v', 'code=-1.5', 'code=0.1', 'code=9', 'code=10']);
    expect(toRows(enc.transform(t))[0]).toEqual([1, 0, 0, 0, 1]);
  });

  it('orders string categories by code point, as Python does', () => {
    const smile = '\u{1F600}';
    const t = table(['s'], [[smile, '\uFFFF', 'b', 'B', '10', '9']]);
    expect(new OneHotEncoder().fit(t).categories[0].categories).toEqual(['10', '9', 'B', 'b', '\uFFFF', smile]);
  });

  it('is safe with category names such as __proto__ and constructor', () => {
    const t = table(['k'], [['__proto__', 'constructor', 'toString']]);
    const enc = new OneHotEncoder({ handleUnknown: 'error' }).fit(t);
    expect(toRows(enc.transform(table(['k'], [['constructor', '__proto__']])))).toEqual([
      [0, 1, 0],
      [1, 0, 0],
    ]);
    expect(() => enc.transform(table(['k'], [['hasOwnProperty']]))).toThrow(UnknownCategoryError);
  });

  it("handles unknown categories: all zeros with 'ignore', UnknownCategoryError with 'error'", () => {
    const train = tableOf(T.train, T.names);
    const test = tableOf(T.test, T.names);
    const ignore = new OneHotEncoder().fit(train);
    const row1 = toRows(ignore.transform(test))[1]; // protocol 'gre' and a missing flag, both unseen at fit
    expect(row1.slice(2).every((v) => v === 0)).toBe(true);
    const strict = new OneHotEncoder({ handleUnknown: 'error' }).fit(train);
    let caught: unknown;
    try {
      strict.transform(test);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnknownCategoryError);
    expect(caught).toBeInstanceOf(ValidationError);
    const e = caught as UnknownCategoryError;
    expect(e.reason).toBe('type');
    expect([e.column, e.row, e.value]).toEqual(['protocol', 1, 'gre']);
    expect(e.message).toMatch(/column "protocol" has category "gre" at row 1.*handleUnknown: 'ignore'/);
    // Missing at transform when no missing value was seen at fit is an unknown category too.
    const noMissing = new OneHotEncoder({ handleUnknown: 'error' }).fit(table(['p'], [['a', 'b']]));
    expect(() => noMissing.transform(table(['p'], [['']]))).toThrow(/\(missing\)/);
  });

  it('raises when a column has more than maxCategories distinct values', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `id${i}`);
    const enc = new OneHotEncoder({ maxCategories: 10 });
    const e = validationError(() => enc.fit(table(['user', 'n'], [ids, new Float32Array(50)])));
    expect(e.reason).toBe('param');
    expect(e.message).toMatch(/column 0 \("user"\) has more than maxCategories = 10.*ID/);
    expect(enc.fitted).toBe(false);
    expect(new OneHotEncoder({ maxCategories: 50 }).fit(table(['user'], [ids])).featureNamesOut()).toHaveLength(50);
    expect(new OneHotEncoder().getParams().maxCategories).toBe(1000);
  });

  it('validates params through its param space', () => {
    expect(validationError(() => new OneHotEncoder({ columns: [0, 0] })).reason).toBe('param');
    expect(validationError(() => new OneHotEncoder({ columns: [-1] })).reason).toBe('param');
    expect(validationError(() => new OneHotEncoder({ columns: [0.5] })).reason).toBe('param');
    expect(validationError(() => new OneHotEncoder({ handleUnknown: 'warn' as never })).reason).toBe('param');
    expect(validationError(() => new OneHotEncoder({ maxCategories: 0 })).reason).toBe('param');
    expect(validationError(() => new OneHotEncoder({ drop: 'first' } as never)).reason).toBe('param');
    expect(validationError(() => new OneHotEncoder().setParams({ columns: [1, 1] })).reason).toBe('param');
    expect(new OneHotEncoder().getParams()).toEqual({ columns: null, handleUnknown: 'ignore', maxCategories: 1000 });
  });

  it('checks columns against the input at fit', () => {
    const t = table(['n', 'p'], [Float32Array.of(1, 2), ['a', 'b']]);
    const out = validationError(() => new OneHotEncoder({ columns: [2] }).fit(t));
    expect(out.reason).toBe('param');
    expect(out.message).toMatch(/column 2 but X has 2 columns/);
    const strings = validationError(() => new OneHotEncoder({ columns: [0] }).fit(t));
    expect(strings.reason).toBe('type');
    expect(strings.message).toMatch(/column 1 \("p"\) holds strings/);
    expect(validationError(() => new OneHotEncoder().fit(table(['p'], [[]]))).reason).toBe('empty');
    expect(validationError(() => new OneHotEncoder().fit(toMatrix([])))).toHaveProperty('reason', 'empty');
    const ragged = { names: ['a', 'b'], columns: [Float32Array.of(1, 2), ['x']], rows: 2 } as Table;
    expect(validationError(() => new OneHotEncoder().fit(ragged)).reason).toBe('ragged');
    const wrong = { names: ['a'], columns: [[1, 2]], rows: 2 } as unknown as Table;
    expect(validationError(() => new OneHotEncoder().fit(wrong)).message).toMatch(
      /row 0, column 0 \("a"\).*expected a string or null/,
    );
  });

  it('checks the input at transform: width, names, kinds and finiteness', () => {
    const enc = new OneHotEncoder().fit(tableOf(T.train, T.names));
    expect(validationError(() => enc.transform(table(['bytes'], [Float32Array.of(1)]))).reason).toBe('feature-count');
    const swapped = tableOf(T.test, ['protocol', 'bytes', 'duration', 'flag']);
    expect(validationError(() => enc.transform(swapped)).reason).toBe('feature-names');
    const asStrings = table(T.names, [['1'], ['tcp'], Float32Array.of(0), ['SF']]);
    const kind = validationError(() => enc.transform(asStrings));
    expect(kind.reason).toBe('type');
    expect(kind.message).toMatch(/column 0 \("bytes"\) holds strings but was numeric at fit/);
    const inf = table(T.names, [Float32Array.of(1), ['tcp'], Float32Array.of(Infinity), ['SF']]);
    expect(validationError(() => enc.transform(inf)).message).toMatch(
      /non-finite value \(Infinity\) at row 0, column 2 \("duration"\)/,
    );
    const codes = new OneHotEncoder({ columns: [0] }).fit(toMatrix([[1], [2]]));
    expect(validationError(() => codes.transform(toMatrix([[-Infinity]]))).reason).toBe('non-finite');
  });

  it('passes NaN of numeric columns through, so an imputer and a scaler can follow', () => {
    const t = table(['bytes', 'protocol'], [Float32Array.of(10, NaN, 30), ['tcp', 'udp', 'tcp']]);
    const enc = new OneHotEncoder();
    expect(enc.acceptsTable).toBe(true);
    expect(enc.acceptsMissing).toBe(true);
    const encoded = enc.fitTransform(t);
    expect(Number.isNaN(encoded.data[3])).toBe(true); // row 1, column 0
    const imputed = new SimpleImputer().fitTransform(encoded);
    const scaled = new MinMaxScaler().fitTransform(imputed);
    expect(toRows(scaled)).toEqual([
      [0, 1, 0],
      [0.5, 0, 1],
      [1, 1, 0],
    ]);
    expect(scaled.featureNames).toEqual(['bytes', 'protocol=tcp', 'protocol=udp']);
  });

  it('raises NotFittedError before fit', () => {
    const enc = new OneHotEncoder();
    expect(enc.fitted).toBe(false);
    expect(enc.featureNamesOut()).toBeUndefined();
    expect(() => enc.transform(table(['p'], [['a']]))).toThrow(NotFittedError);
    expect(() => enc.getState()).toThrow(NotFittedError);
    expect(() => enc.categories).toThrow(NotFittedError);
  });

  it('round-trips its state (categories as JSON string arrays) with identical transforms', () => {
    const enc = new OneHotEncoder({ handleUnknown: 'error' }).fit(tableOf(T.train, T.names));
    const state = enc.getState();
    expect(state.meta.categories).toEqual(T.categories);
    expect(state.meta.encoded).toEqual([1, 3]);
    expect(state.meta.featureNames).toEqual(T.names);
    const again = new OneHotEncoder(enc.getParams());
    again.setState({ meta: JSON.parse(JSON.stringify(state.meta)), tensors: state.tensors });
    const train = tableOf(T.train, T.names);
    expect(again.transform(train).data).toEqual(enc.transform(train).data);
    expect(again.featureNamesOut()).toEqual(enc.featureNamesOut());
    expect(() => again.transform(tableOf(T.test, T.names))).toThrow(UnknownCategoryError);

    const codes = new OneHotEncoder({ columns: [0, 2] }).fit(m(C.X));
    const restored = createTransformer('onehot', codes.getParams());
    restored.setState(JSON.parse(JSON.stringify(codes.getState())));
    expect(restored.transform(m(C.test)).data).toEqual(codes.transform(m(C.test)).data);
    expect(restored.featureNamesOut()).toEqual(codes.featureNamesOut());

    const bad = (meta: object) => () => again.setState({ meta: { ...state.meta, ...meta }, tensors: {} });
    expect(bad({ categories: [['a'], ['b', 'b']] })).toThrow(ModelFormatError);
    expect(bad({ categories: [['a']] })).toThrow(ModelFormatError);
    expect(bad({ encoded: [3, 1] })).toThrow(ModelFormatError);
    expect(bad({ encoded: [1, 9] })).toThrow(ModelFormatError);
    expect(bad({ categories: [['a'], [1]] })).toThrow(ModelFormatError);
  });

  it('clones unfitted with equal params; setParams unfits; it has no export spec', () => {
    const enc = new OneHotEncoder({ columns: [1], handleUnknown: 'error', maxCategories: 5 }).fit(
      toMatrix([
        [1, 2],
        [3, 4],
      ]),
    );
    const c = enc.clone();
    expect(c).toBeInstanceOf(OneHotEncoder);
    expect(c.fitted).toBe(false);
    expect(c.getParams()).toEqual({ columns: [1], handleUnknown: 'error', maxCategories: 5 });
    enc.setParams({ maxCategories: 6 });
    expect(enc.fitted).toBe(false);
    expect('toExportSpec' in enc).toBe(false);
  });

  it('names a numeric code by its shortest float32 decimal', () => {
    expect(numberCategory(3)).toBe('3');
    expect(numberCategory(-0)).toBe('0');
    expect(numberCategory(Math.fround(0.1))).toBe('0.1');
    expect(numberCategory(Math.fround(1 / 3))).toBe('0.33333334');
    expect(numberCategory(1e30)).toBe(String(1e30));
  });

  it('travels in a pipeline with the other transformers through serialize and deserialize', async () => {
    registerReferenceDetectors();
    const t = table(
      ['bytes', 'protocol', 'dur'],
      [Float32Array.of(10, NaN, 30, 40), ['tcp', 'udp', null, 'tcp'], Float32Array.of(1, 2, 3, 4)],
    );
    const pipe = new Pipeline([
      new OneHotEncoder(),
      new SimpleImputer({ strategy: 'median' }),
      new StandardScaler(),
      new MeanDistance(),
    ]);
    await pipe.fit(t);
    const again = (await deserialize(await serialize(pipe))) as Pipeline;
    expect(await again.scoreSamples(t)).toEqual(await pipe.scoreSamples(t));
    expect(again.transform(t).data).toEqual(pipe.transform(t).data);
    expect(again.transformers.map((x) => x.name)).toEqual(['onehot', 'impute', 'standard']);
    expect(again.transformers[2].featureNamesOut()).toEqual(['bytes', 'dur', 'protocol=tcp', 'protocol=udp', 'protocol=']);
  });
});

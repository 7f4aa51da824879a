import { ModelFormatError, ValidationError } from './errors.js';
import { describe, matrix, toMatrix, type Matrix } from './matrix.js';
import { resolveParams, type ParamSpace } from './params.js';
import type { JsonValue, ModelState } from './state.js';
import { isStringColumn, isTable, type Table } from './table.js';
import { BaseTransformer } from './transformer.js';

/** Parameters of {@link OneHotEncoder}. */
export type OneHotEncoderParams = {
  /**
   * Indices of the input columns to encode. `null` (default): every string column of a Table, and nothing of
   * a Matrix (a Matrix then passes through unchanged; give indices to encode numeric codes).
   */
  columns: readonly number[] | null;
  /** A category not seen at fit: `'ignore'` (default) gives an all-zero indicator block, `'error'` raises. */
  handleUnknown: 'error' | 'ignore';
  /**
   * The most distinct categories (missing included) an encoded column may have at fit; more raises. A guard
   * against one-hot encoding an ID or a free-text column by mistake (not scikit-learn's `max_categories`,
   * which groups infrequent categories). Default 1000.
   */
  maxCategories: number;
};

/**
 * A category seen at transform but not at fit, with `handleUnknown: 'error'`. A `ValidationError` (reason
 * `'type'`) that also carries the column name, the row and the value ('' for a missing value).
 *
 * @example
 * try { enc.transform(t); } catch (e) { if (e instanceof UnknownCategoryError) console.log(e.column, e.row, e.value); }
 */
export class UnknownCategoryError extends ValidationError {
  constructor(
    readonly column: string,
    readonly row: number,
    readonly value: string,
    known: readonly string[],
  ) {
    const shown = known.slice(0, 10).map(showCategory).join(', ') + (known.length > 10 ? `, … (${known.length} in all)` : '');
    super(
      'type',
      `OneHotEncoder: column "${column}" has category ${showCategory(value)} at row ${row}, which was not seen at fit ` +
        `(known: ${shown}); pass handleUnknown: 'ignore' to encode unknown categories as all zeros`,
    );
  }
}

interface OneHotModel {
  nFeatures: number;
  /** Input column names: the fit-time names, or x0, x1, ... when the input had none. */
  names: string[];
  /** Whether the fit-time input had names (then transform checks them by position). */
  hasNames: boolean;
  /** Encoded input columns, ascending. */
  encoded: number[];
  /** Categories of each encoded column in output order; '' is the missing category (last). */
  categories: string[][];
  /** Category -> position within its column's indicator block. */
  lookup: Map<string, number>[];
  passThrough: number[];
  namesOut: string[];
}

/** The input as columns: a Table's own, or a Matrix's split into numeric columns. */
interface Columns {
  rows: number;
  cols: number;
  names: readonly string[] | undefined;
  column(j: number): Float32Array | readonly (string | null)[];
}

/**
 * One-hot encodes categorical columns, as scikit-learn's `OneHotEncoder` (dense output) with the other
 * columns passed through. Takes a {@link Table} (string and numeric columns) or a Matrix (numeric codes).
 *
 * Output: the pass-through columns in their input order, then one indicator column per category of each encoded
 * column, named `column=category` (`featureNamesOut()`); unnamed inputs are named `x0`, `x1`, … as in
 * scikit-learn. Categories are sorted as scikit-learn sorts them: strings by code point, numeric codes by value.
 *
 * - Missing values (null or '' in a string column, NaN in an encoded numeric column) form a category of their
 *   own, placed last and named `column=` (scikit-learn likewise keeps None/NaN as a last category). Missing at
 *   transform when none was seen at fit is an unknown category.
 * - A numeric code's category is the shortest decimal form that reads back to the same float32: 3 → `'3'`,
 *   0.1 → `'0.1'` (scikit-learn would name it `x0_3.0`).
 * - Pass-through columns may hold NaN (impute after encoding); ±Infinity raises anywhere. `acceptsMissing` is
 *   true.
 * - At transform, the column count must match (`'feature-count'`) and, when both sides have names, the names
 *   too, by position (`'feature-names'`); a pass-through column must still be numeric.
 * - Unknown categories: all zeros with `handleUnknown: 'ignore'`, an {@link UnknownCategoryError} with `'error'`.
 * - The state keeps the categories in `meta.categories` (JSON arrays of strings), so a restored encoder
 *   transforms identically.
 * - No export spec: ONNX export of string inputs is out of scope, so a pipeline with an encoder does not export.
 *
 * @example
 * const t = table(['bytes', 'protocol'], [Float32Array.of(10, 20, 30), ['tcp', 'udp', null]]);
 * const enc = new OneHotEncoder();
 * toRows(enc.fitTransform(t));  // [[10, 1, 0, 0], [20, 0, 1, 0], [30, 0, 0, 1]]
 * enc.featureNamesOut();        // ['bytes', 'protocol=tcp', 'protocol=udp', 'protocol=']
 */
export class OneHotEncoder extends BaseTransformer<OneHotEncoderParams, OneHotModel> {
  static readonly paramSpace: ParamSpace = {
    columns: {
      type: 'intList',
      default: null,
      nullable: true,
      min: 0,
      description: 'indices of the columns to encode; null: every string column of a Table (nothing of a Matrix)',
    },
    handleUnknown: {
      type: 'choice',
      default: 'ignore',
      choices: ['error', 'ignore'],
      description: "a category not seen at fit: 'ignore' encodes it as all zeros, 'error' raises",
    },
    maxCategories: {
      type: 'int',
      default: 1000,
      min: 1,
      description: 'most distinct categories an encoded column may have at fit (a guard against encoding an ID column)',
    },
  };

  readonly name = 'onehot';
  override readonly acceptsTable = true;
  override readonly acceptsMissing = true;
  private pending: OneHotModel | null = null;

  constructor(params?: Partial<OneHotEncoderParams>) {
    super(OneHotEncoder.paramSpace, params);
    checkColumnList(this.params.columns);
  }

  override setParams(params: Partial<OneHotEncoderParams>): this {
    const merged = resolveParams(OneHotEncoder.paramSpace, { ...this.params, ...params }, 'OneHotEncoder');
    checkColumnList(merged.columns as readonly number[] | null);
    return super.setParams(params);
  }

  /** The categories learned for each encoded column, in output order ('' is the missing category). */
  get categories(): { column: string; index: number; categories: string[] }[] {
    const m = this.model;
    return m.encoded.map((index, k) => ({ column: m.names[index], index, categories: [...m.categories[k]] }));
  }

  override fit(X: Matrix | Table): this {
    const input = readColumns(X);
    const model = this.learn(input);
    // BaseTransformer owns the fitted state (input width and names, the reset on setParams, getState's meta),
    // but its fit reads a Matrix. Hand it the learned model through its own fit, with a zero-row stand-in of
    // the input's width and names.
    this.pending = model;
    try {
      super.fit(matrix(new Float32Array(0), 0, model.nFeatures, input.names));
    } finally {
      this.pending = null;
    }
    return this;
  }

  override transform(X: Matrix | Table): Matrix {
    return this.encode(this.model, readColumns(X));
  }

  override featureNamesOut(): string[] | undefined {
    return this.fitted ? [...this.model.namesOut] : undefined;
  }

  protected fitModel(): OneHotModel {
    if (this.pending === null) throw new Error('OneHotEncoder.fitModel runs only inside OneHotEncoder.fit');
    return this.pending;
  }

  protected apply(model: OneHotModel, X: Matrix): Matrix {
    return this.encode(model, readColumns(X));
  }

  protected modelToState(m: OneHotModel): ModelState {
    return { meta: { encoded: [...m.encoded], categories: m.categories.map((c) => [...c]) }, tensors: {} };
  }

  protected modelFromState(state: ModelState): OneHotModel {
    const bad = (what: string): never => {
      throw new ModelFormatError(`OneHotEncoder state: ${what}`);
    };
    const { nFeatures, featureNames, encoded, categories } = state.meta;
    if (typeof nFeatures !== 'number' || !Number.isInteger(nFeatures) || nFeatures < 1) {
      return bad(`nFeatures must be a positive integer, got ${String(nFeatures)}`);
    }
    let names: string[] | undefined;
    if (featureNames !== null && featureNames !== undefined) {
      if (
        !Array.isArray(featureNames) ||
        featureNames.length !== nFeatures ||
        !featureNames.every((n) => typeof n === 'string')
      ) {
        return bad(`featureNames must be ${nFeatures} strings`);
      }
      names = featureNames as string[];
    }
    if (
      !Array.isArray(encoded) ||
      !encoded.every((j, k) => isIndex(j, nFeatures) && (k === 0 || j > (encoded[k - 1] as number)))
    ) {
      return bad(`encoded must be ascending column indices below ${nFeatures}`);
    }
    if (!Array.isArray(categories) || categories.length !== encoded.length) {
      return bad(`categories must be one list per encoded column (${encoded.length})`);
    }
    const cats = categories.map((c: JsonValue, k) => {
      if (!Array.isArray(c) || c.length === 0 || !c.every((v) => typeof v === 'string') || new Set(c).size !== c.length) {
        return bad(`categories[${k}] must be a non-empty list of distinct strings`);
      }
      return c as string[];
    });
    return buildModel(nFeatures, names, encoded as number[], cats);
  }

  private learn(input: Columns): OneHotModel {
    const { cols, rows } = input;
    const names = columnNames(input);
    const given = this.params.columns;
    let encoded: number[];
    if (given === null) {
      encoded = [];
      for (let j = 0; j < cols; j++) if (isStringColumn(input.column(j))) encoded.push(j);
    } else {
      for (const j of given) {
        if (j >= cols) {
          throw new ValidationError(
            'param',
            `OneHotEncoder: parameter "columns" names column ${j} but X has ${cols} columns (0..${cols - 1})`,
          );
        }
      }
      encoded = [...given].sort((a, b) => a - b);
      const chosen = new Set(encoded);
      for (let j = 0; j < cols; j++) {
        if (!chosen.has(j) && isStringColumn(input.column(j))) {
          throw new ValidationError(
            'type',
            `OneHotEncoder: column ${j} ("${names[j]}") holds strings but is not among columns [${given.join(', ')}]; add ${j} or drop the column`,
          );
        }
      }
    }
    const maxCategories = this.params.maxCategories;
    const categories = encoded.map((j) => {
      const column = input.column(j);
      const seen = new Set<string>();
      for (let i = 0; i < rows; i++) {
        seen.add(categoryAt(column, i, j, names[j]));
        if (seen.size > maxCategories) {
          throw new ValidationError(
            'param',
            `OneHotEncoder: column ${j} ("${names[j]}") has more than maxCategories = ${maxCategories} distinct values ` +
              `(found ${seen.size} in the first ${i + 1} rows); is it an ID or free-text column? Leave it out of ` +
              `"columns" or raise maxCategories`,
          );
        }
      }
      const missing = seen.delete('');
      const list = [...seen];
      if (isStringColumn(column)) list.sort(compareCodePoints);
      else list.sort((a, b) => Number(a) - Number(b));
      if (missing) list.push('');
      return list;
    });
    const model = buildModel(cols, input.names ? [...input.names] : undefined, encoded, categories);
    // Pass-through columns: numbers only (checked above), finite or NaN.
    for (const j of model.passThrough) checkPassThrough(input.column(j) as Float32Array, j, names[j]);
    return model;
  }

  private encode(model: OneHotModel, input: Columns): Matrix {
    const { rows, cols } = input;
    if (cols !== model.nFeatures) {
      throw new ValidationError('feature-count', `OneHotEncoder was fitted on ${model.nFeatures} features but X has ${cols}`);
    }
    if (input.names && model.hasNames) {
      for (let j = 0; j < cols; j++) {
        if (input.names[j] !== model.names[j]) {
          throw new ValidationError(
            'feature-names',
            `OneHotEncoder: feature ${j} is "${input.names[j]}" but was "${model.names[j]}" at fit`,
          );
        }
      }
    }
    const width = model.namesOut.length;
    const out = new Float32Array(rows * width);
    model.passThrough.forEach((j, p) => {
      const column = input.column(j);
      if (isStringColumn(column)) {
        throw new ValidationError(
          'type',
          `OneHotEncoder: column ${j} ("${model.names[j]}") holds strings but was numeric at fit (passed through, not encoded)`,
        );
      }
      checkPassThrough(column, j, model.names[j]);
      for (let i = 0; i < rows; i++) out[i * width + p] = column[i];
    });
    let offset = model.passThrough.length;
    const ignore = this.params.handleUnknown === 'ignore';
    model.encoded.forEach((j, k) => {
      const column = input.column(j);
      const lookup = model.lookup[k];
      for (let i = 0; i < rows; i++) {
        const c = categoryAt(column, i, j, model.names[j]);
        const at = lookup.get(c);
        if (at !== undefined) out[i * width + offset + at] = 1;
        else if (!ignore) throw new UnknownCategoryError(model.names[j], i, c, model.categories[k]);
      }
      offset += model.categories[k].length;
    });
    return matrix(out, rows, width, model.namesOut);
  }
}

function buildModel(nFeatures: number, given: string[] | undefined, encoded: number[], categories: string[][]): OneHotModel {
  const names = given ?? Array.from({ length: nFeatures }, (_, j) => `x${j}`);
  const isEncoded = new Set(encoded);
  const passThrough: number[] = [];
  for (let j = 0; j < nFeatures; j++) if (!isEncoded.has(j)) passThrough.push(j);
  const namesOut = passThrough.map((j) => names[j]);
  encoded.forEach((j, k) => {
    for (const c of categories[k]) namesOut.push(`${names[j]}=${c}`);
  });
  const seen = new Set<string>();
  for (const n of namesOut) {
    if (seen.has(n)) {
      throw new ValidationError(
        'feature-names',
        `OneHotEncoder: output column name "${n}" would appear twice; rename the input column`,
      );
    }
    seen.add(n);
  }
  const lookup = categories.map((c) => new Map(c.map((v, i) => [v, i] as const)));
  return { nFeatures, names, encoded, categories, lookup, passThrough, namesOut, hasNames: given !== undefined };
}

/** Reads a Table or a Matrix (or an array of rows) as columns, checking the shape. */
function readColumns(X: Matrix | Table): Columns {
  if (isTable(X)) {
    const { rows, columns, names } = X;
    if (!Number.isInteger(rows) || rows < 0)
      throw new ValidationError('shape', `X: a table's rows must be a count, got ${describe(rows)}`);
    if (names.length !== columns.length) {
      throw new ValidationError('shape', `X: the table has ${names.length} names for ${columns.length} columns`);
    }
    columns.forEach((c, j) => {
      const ok = c instanceof Float32Array || Array.isArray(c);
      if (!ok)
        throw new ValidationError(
          'type',
          `X: column ${j} ("${names[j]}") is ${describe(c)}, not a Float32Array or an array of strings`,
        );
      if (c.length !== rows) {
        throw new ValidationError(
          'ragged',
          `X: column ${j} ("${names[j]}") has ${c.length} values but the table has ${rows} rows`,
        );
      }
    });
    if (rows === 0) throw new ValidationError('empty', 'X is empty: it has no rows');
    if (columns.length === 0) throw new ValidationError('empty', `X has ${rows} rows but no columns`);
    return { rows, cols: columns.length, names: [...names], column: (j) => columns[j] };
  }
  const m = toMatrix(X, 'X');
  if (m.rows === 0) throw new ValidationError('empty', 'X is empty: it has no rows');
  if (m.cols === 0) throw new ValidationError('empty', `X has ${m.rows} rows but no columns`);
  const cache = new Map<number, Float32Array>();
  return {
    rows: m.rows,
    cols: m.cols,
    names: m.featureNames,
    column: (j) => {
      let c = cache.get(j);
      if (c === undefined) {
        c = new Float32Array(m.rows);
        for (let i = 0; i < m.rows; i++) c[i] = m.data[i * m.cols + j];
        cache.set(j, c);
      }
      return c;
    },
  };
}

function columnNames(input: Columns): string[] {
  return input.names ? [...input.names] : Array.from({ length: input.cols }, (_, j) => `x${j}`);
}

/** The category of one value: the string itself, a number's shortest float32 form, or '' for missing. */
function categoryAt(column: Float32Array | readonly (string | null)[], i: number, j: number, name: string): string {
  if (column instanceof Float32Array) {
    const v = column[i];
    if (Number.isNaN(v)) return '';
    if (!Number.isFinite(v)) {
      throw new ValidationError('non-finite', `X has a non-finite value (${v}) at row ${i}, column ${j} ("${name}")`);
    }
    return numberCategory(v);
  }
  const v = column[i];
  if (v === null) return '';
  if (typeof v !== 'string') {
    throw new ValidationError(
      'type',
      `X: value at row ${i}, column ${j} ("${name}") is ${describe(v)}; expected a string or null`,
    );
  }
  return v;
}

/**
 * The category name {@link OneHotEncoder} gives a numeric code: the shortest decimal that reads back to the same
 * float32, integers without a fraction, -0 as '0'.
 *
 * @example
 * numberCategory(3);                  // '3'
 * numberCategory(Math.fround(0.1));   // '0.1'
 */
export function numberCategory(v: number): string {
  if (Number.isInteger(v)) return String(v === 0 ? 0 : v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

function checkPassThrough(column: Float32Array, j: number, name: string): void {
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v === Infinity || v === -Infinity) {
      throw new ValidationError('non-finite', `X has a non-finite value (${v}) at row ${i}, column ${j} ("${name}")`);
    }
  }
}

function checkColumnList(columns: readonly number[] | null): void {
  if (columns === null) return;
  const seen = new Set<number>();
  for (const j of columns) {
    if (seen.has(j)) throw new ValidationError('param', `OneHotEncoder: parameter "columns" lists column ${j} twice`);
    seen.add(j);
  }
}

function isIndex(j: unknown, n: number): j is number {
  return typeof j === 'number' && Number.isInteger(j) && j >= 0 && j < n;
}

/** Orders strings by Unicode code point, as Python (and so scikit-learn) does. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function showCategory(c: string): string {
  return c === '' ? '(missing)' : JSON.stringify(c.length > 40 ? `${c.slice(0, 40)}…` : c);
}

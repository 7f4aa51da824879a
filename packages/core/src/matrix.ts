import { ValidationError } from './errors.js';

/**
 * A dense row-major float32 matrix: the layout onnxruntime's `Tensor('float32', data, [rows, cols])` takes
 * without copying. `featureNames`, when present, names the columns (from a CSV header, say).
 *
 * @example
 * const X = toMatrix([[0, 1], [2, 3]]);     // { rows: 2, cols: 2, data: Float32Array [0, 1, 2, 3] }
 * const v = X.data[1 * X.cols + 0];          // row 1, column 0 -> 2
 */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly featureNames?: readonly string[];
}

/** What the public doors accept as a matrix: a {@link Matrix} or an array of equal-length number rows. */
export type MatrixLike = Matrix | ArrayLike<ArrayLike<number>>;

/** Makes a matrix from a flat row-major buffer, checking that the sizes agree. */
export function matrix(data: Float32Array, rows: number, cols: number, featureNames?: readonly string[]): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new ValidationError('shape', `matrix: rows and cols must be non-negative integers, got ${rows} x ${cols}`);
  }
  if (data.length !== rows * cols) {
    throw new ValidationError('shape', `matrix: data has ${data.length} values but ${rows} x ${cols} needs ${rows * cols}`);
  }
  if (featureNames !== undefined && featureNames.length !== cols) {
    throw new ValidationError('feature-names', `matrix: ${featureNames.length} feature names given for ${cols} columns`);
  }
  return featureNames === undefined ? { data, rows, cols } : { data, rows, cols, featureNames: [...featureNames] };
}

/** A zero-filled matrix. */
export function zeros(rows: number, cols: number): Matrix {
  return matrix(new Float32Array(rows * cols), rows, cols);
}

/** True for objects shaped like a {@link Matrix}. */
export function isMatrix(value: unknown): value is Matrix {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Matrix).data instanceof Float32Array &&
    typeof (value as Matrix).rows === 'number' &&
    typeof (value as Matrix).cols === 'number'
  );
}

/**
 * Converts `number[][]` (or any array of array-likes) to a {@link Matrix}, or checks and returns a Matrix.
 * Ragged rows and non-numbers raise a {@link ValidationError} naming the row and column; this does not check
 * finiteness (see `validateMatrix`).
 */
export function toMatrix(input: MatrixLike, name = 'X'): Matrix {
  if (isMatrix(input)) {
    if (input.data.length !== input.rows * input.cols) {
      throw new ValidationError(
        'shape',
        `${name}: data has ${input.data.length} values but ${input.rows} x ${input.cols} needs ${input.rows * input.cols}`,
      );
    }
    return input;
  }
  if (input === null || typeof input !== 'object' || typeof (input as ArrayLike<unknown>).length !== 'number') {
    throw new ValidationError('type', `${name}: expected a Matrix or an array of rows, got ${describe(input)}`);
  }
  const rows = input.length;
  if (rows === 0) return { data: new Float32Array(0), rows: 0, cols: 0 };
  const first = input[0];
  if (first === null || typeof first !== 'object' || typeof first.length !== 'number') {
    throw new ValidationError('type', `${name}: row 0 is not an array (got ${describe(first)}); expected rows of numbers`);
  }
  const cols = first.length;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = input[i];
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new ValidationError('type', `${name}: row ${i} is not an array (got ${describe(row)})`);
    }
    if (row.length !== cols) {
      throw new ValidationError('ragged', `${name}: row ${i} has ${row.length} values but row 0 has ${cols}`);
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== 'number') {
        throw new ValidationError('type', `${name}: value at row ${i}, column ${j} is ${describe(v)}, not a number`);
      }
      data[i * cols + j] = v;
    }
  }
  return { data, rows, cols };
}

/** The matrix as `number[][]` (for printing and tests). */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** One row as a view (no copy). */
export function rowView(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** A new matrix holding the given rows, in the given order; feature names are kept. */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float32Array(indices.length * m.cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < m.rows)) throw new RangeError(`takeRows: row index ${i} is outside 0..${m.rows - 1}`);
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return matrix(out, indices.length, m.cols, m.featureNames);
}

/** A new matrix of the given columns; feature names follow their columns. */
export function takeColumns(m: Matrix, columns: ArrayLike<number>): Matrix {
  const out = new Float32Array(m.rows * columns.length);
  for (let i = 0; i < m.rows; i++) {
    for (let k = 0; k < columns.length; k++) out[i * columns.length + k] = m.data[i * m.cols + columns[k]];
  }
  const names = m.featureNames ? Array.from(columns, (c) => m.featureNames![c]) : undefined;
  return matrix(out, m.rows, columns.length, names);
}

/** Stacks matrices with the same column count on top of each other. */
export function vstack(parts: readonly Matrix[]): Matrix {
  if (parts.length === 0) throw new ValidationError('empty', 'vstack: no matrices given');
  const cols = parts[0].cols;
  let rows = 0;
  for (const p of parts) {
    if (p.cols !== cols) throw new ValidationError('shape', `vstack: ${p.cols} columns where ${cols} were expected`);
    rows += p.rows;
  }
  const data = new Float32Array(rows * cols);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return matrix(data, rows, cols, parts[0].featureNames);
}

/** Returns the matrix with the given feature names attached (same data, no copy). */
export function withFeatureNames(m: Matrix, names: readonly string[] | undefined): Matrix {
  return matrix(m.data, m.rows, m.cols, names);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

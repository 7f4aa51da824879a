import { ValidationError } from './errors.js';
import { matrix, type Matrix } from './matrix.js';

/** A column of a {@link Table}: numbers (NaN = missing) or strings (null or '' = missing). */
export type TableColumn = Float32Array | readonly (string | null)[];

/**
 * Named columns of mixed type, as read from a CSV with categorical columns. Pipelines take a Table; an
 * encoder (OneHotEncoder) turns its string columns into numbers and the rest of the pipeline sees a Matrix.
 *
 * @example
 * const t = table(['bytes', 'protocol'], [Float32Array.of(10, 20), ['tcp', 'udp']]);
 * const X = new OneHotEncoder().fitTransform(t);   // columns: bytes, protocol=tcp, protocol=udp
 */
export interface Table {
  readonly names: readonly string[];
  readonly columns: readonly TableColumn[];
  readonly rows: number;
}

/** Builds a table, checking that names are unique and every column has the same length. */
export function table(names: readonly string[], columns: readonly TableColumn[]): Table {
  if (names.length !== columns.length) {
    throw new ValidationError('shape', `table: ${names.length} names for ${columns.length} columns`);
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new ValidationError('feature-names', `table: column name "${n}" appears twice`);
    seen.add(n);
  }
  const rows = columns.length === 0 ? 0 : columns[0].length;
  columns.forEach((c, j) => {
    if (c.length !== rows) {
      throw new ValidationError('ragged', `table: column "${names[j]}" has ${c.length} values but "${names[0]}" has ${rows}`);
    }
  });
  return { names: [...names], columns: [...columns], rows };
}

/** True for objects shaped like a {@link Table}. */
export function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as Table).names) &&
    Array.isArray((value as Table).columns) &&
    typeof (value as Table).rows === 'number'
  );
}

/** True when a column holds strings (a categorical column). */
export function isStringColumn(column: TableColumn): column is readonly (string | null)[] {
  return !(column instanceof Float32Array);
}

/** A table whose columns are all numeric, as a matrix with the column names as feature names. */
export function tableToMatrix(t: Table): Matrix {
  const { rows } = t;
  const cols = t.columns.length;
  const data = new Float32Array(rows * cols);
  t.columns.forEach((column, j) => {
    if (isStringColumn(column)) {
      throw new ValidationError('type', `column "${t.names[j]}" holds strings; encode it first (OneHotEncoder)`);
    }
    for (let i = 0; i < rows; i++) data[i * cols + j] = column[i];
  });
  return matrix(data, rows, cols, t.names);
}

/** A matrix as a table of numeric columns (names from its feature names, else x0, x1, ...). */
export function matrixToTable(m: Matrix): Table {
  const names = m.featureNames ? [...m.featureNames] : Array.from({ length: m.cols }, (_, j) => `x${j}`);
  const columns: Float32Array[] = [];
  for (let j = 0; j < m.cols; j++) {
    const c = new Float32Array(m.rows);
    for (let i = 0; i < m.rows; i++) c[i] = m.data[i * m.cols + j];
    columns.push(c);
  }
  return table(names, columns);
}

import { ValidationError } from './errors.js';
import { describe, type Matrix, type MatrixLike, toMatrix } from './matrix.js';
import { isTable, tableToMatrix, type Table } from './table.js';

/** What detectors take: a matrix, rows of numbers, or a table of numeric columns (names become feature names). */
export type DataLike = MatrixLike | Table;

/** Label vectors: 1 = anomaly, 0 = normal (the PyOD / ADBench convention). */
export type Labels = Uint8Array;

/** What the public doors accept as labels. */
export type LabelsLike = ArrayLike<number | boolean>;

export interface ValidateMatrixOptions {
  /** Allow NaN (missing values) but still reject ±Infinity; for imputers and pipelines that start with one. */
  allowMissing?: boolean;
  /** The argument's name in messages. */
  name?: string;
}

/**
 * Converts and checks a matrix at a public door: non-empty (at least one row and one column), every value
 * finite. Errors name the argument, the row and the column.
 */
export function validateMatrix(input: DataLike, options: ValidateMatrixOptions = {}): Matrix {
  const name = options.name ?? 'X';
  const X = isTable(input) ? tableToMatrix(input) : toMatrix(input, name);
  if (X.rows === 0) throw new ValidationError('empty', `${name} is empty: it has no rows`);
  if (X.cols === 0) throw new ValidationError('empty', `${name} has ${X.rows} rows but no columns`);
  const d = X.data;
  for (let k = 0; k < d.length; k++) {
    const v = d[k];
    if (v - v !== 0) {
      // NaN or ±Infinity
      if (options.allowMissing && Number.isNaN(v)) continue;
      const row = Math.floor(k / X.cols);
      const col = k % X.cols;
      const where = X.featureNames ? ` ("${X.featureNames[col]}")` : '';
      throw new ValidationError(
        'non-finite',
        `${name} has a non-finite value (${v}) at row ${row}, column ${col}${where}` +
          (Number.isNaN(v) ? '; impute missing values first (SimpleImputer)' : ''),
      );
    }
  }
  return X;
}

/**
 * Converts and checks labels: length `n`, each value 0 or 1 (booleans allowed). Errors name the first bad
 * position and value.
 */
export function validateLabels(y: LabelsLike | undefined | null, n: number, name = 'y'): Labels {
  if (y === undefined || y === null) throw new ValidationError('labels', `${name} is required for this detector`);
  if (typeof y !== 'object' || typeof y.length !== 'number') {
    throw new ValidationError('type', `${name}: expected an array of 0/1 labels, got ${describe(y)}`);
  }
  if (y.length !== n) {
    throw new ValidationError('label-length', `${name} has ${y.length} labels but X has ${n} rows`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (v === 1 || v === true) out[i] = 1;
    else if (v === 0 || v === false) out[i] = 0;
    else {
      throw new ValidationError('labels', `${name}[${i}] is ${describe(v)}; labels must be 0 (normal) or 1 (anomaly)`);
    }
  }
  return out;
}

/** Counts of normals and anomalies in a label vector. */
export function countLabels(y: Labels): { normal: number; anomaly: number } {
  let anomaly = 0;
  for (let i = 0; i < y.length; i++) anomaly += y[i];
  return { normal: y.length - anomaly, anomaly };
}

/**
 * Checks a scoring-time matrix against what was seen at fit: the same column count and, when both sides have
 * feature names, the same names in the same order.
 */
export function checkFeatures(X: Matrix, expected: { nFeatures: number; featureNames?: readonly string[] }, who: string): void {
  if (X.cols !== expected.nFeatures) {
    throw new ValidationError('feature-count', `${who} was fitted on ${expected.nFeatures} features but X has ${X.cols}`);
  }
  if (expected.featureNames && X.featureNames) {
    for (let j = 0; j < X.cols; j++) {
      if (expected.featureNames[j] !== X.featureNames[j]) {
        throw new ValidationError(
          'feature-names',
          `${who}: feature ${j} is "${X.featureNames[j]}" but was "${expected.featureNames[j]}" at fit`,
        );
      }
    }
  }
}

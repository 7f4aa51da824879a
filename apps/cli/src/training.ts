import {
  isStringColumn,
  MinMaxScaler,
  OneHotEncoder,
  SimpleImputer,
  StandardScaler,
  type Table,
  type TableColumn,
  type Transformer,
} from '@abc/core';
import { UsageError } from './errors.js';

/** Missing numeric cells (NaN) in a table. */
export function countMissing(columns: readonly TableColumn[]): number {
  let n = 0;
  for (const c of columns) if (c instanceof Float32Array) for (let i = 0; i < c.length; i++) if (Number.isNaN(c[i])) n++;
  return n;
}

/**
 * The preprocessing `abc fit` and `abc search` put in front of a detector, as a factory (a search needs fresh
 * steps per trial): one-hot encoding when the table has text columns, mean imputation when it has empty
 * cells, then the chosen scaler (`minmax`, the paper's, by default; `standard`; `none`).
 */
export function preprocessing(t: Table, scaler: string): () => Transformer[] {
  if (scaler !== 'minmax' && scaler !== 'standard' && scaler !== 'none') {
    throw new UsageError(`--scaler must be minmax, standard or none, got "${scaler}"`);
  }
  const encode = t.columns.some((c) => isStringColumn(c));
  const impute = countMissing(t.columns) > 0;
  return () => [
    ...(encode ? [new OneHotEncoder()] : []),
    ...(impute ? [new SimpleImputer({ strategy: 'mean' })] : []),
    ...(scaler === 'minmax' ? [new MinMaxScaler()] : scaler === 'standard' ? [new StandardScaler()] : []),
  ];
}

/** The rows of a table whose label is `label` (unsupervised detectors learn from the normals). */
export function rowsWithLabel(t: Table, labels: Uint8Array, label: 0 | 1): Table {
  const keep = Array.from(labels.keys()).filter((i) => labels[i] === label);
  return {
    names: t.names,
    rows: keep.length,
    columns: t.columns.map((c) => (isStringColumn(c) ? keep.map((i) => c[i]) : Float32Array.from(keep, (i) => c[i]))),
  };
}

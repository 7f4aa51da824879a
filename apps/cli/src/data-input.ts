import { matrixToTable, takeRows, type Matrix, type Table } from '@abc/core';
import { parseCifar, parseCsv, parseMnistImages, parseMnistLabels } from '@abc/eval';
import { readDataFile } from '@abc/eval/node';
import { UsageError } from './errors.js';

/**
 * What `--data` may be: a CSV with a header (the usual case, streamed when scoring), or the numeric arrays the
 * dataset loaders read: an IDX image file (MNIST and drop-ins such as Fashion-MNIST; gzipped or raw) with its
 * labels from `--labels FILE`, or CIFAR-10 binary records (labels inside). For the arrays, `--classes` keeps
 * some classes and `--anomaly-classes` says which are anomalies (1); features are named px0, px1, ...
 */
export interface InputOptions {
  /** CSV: the label column. */
  label?: string;
  /** IDX images: the IDX label file. */
  labels?: string;
  classes?: readonly number[];
  anomalyClasses?: readonly number[];
}

export type InputFormat = 'csv' | 'idx' | 'cifar';

export interface InputData {
  table: Table;
  labels?: Uint8Array;
  format: InputFormat;
}

const IDX_IMAGES = [0, 0, 8, 3];

/** The format of a data file from its content (gunzipped), and its bytes. */
export async function sniff(path: string): Promise<{ format: InputFormat; bytes: Uint8Array }> {
  const { bytes } = await readDataFile(path, { verify: false });
  if (bytes.length >= 4 && IDX_IMAGES.every((b, i) => bytes[i] === b)) return { format: 'idx', bytes };
  if (/\.bin(\.gz)?$/i.test(path)) return { format: 'cifar', bytes };
  return { format: 'csv', bytes };
}

/** Parses a class list flag such as "0,2,6,8". */
export function classList(text: string | undefined, flag: string): number[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new UsageError(`${flag} must be a comma-separated list of class ids (0-255), got "${text}"`);
  }
  return list;
}

/** Reads a whole data file of any supported format into a table and, when they are defined, 0/1 labels. */
export async function readInput(path: string, options: InputOptions = {}): Promise<InputData> {
  const { format, bytes } = await sniff(path);
  if (format === 'csv') {
    if (options.labels || options.classes || options.anomalyClasses) {
      throw new UsageError(
        `${path}: --labels, --classes and --anomaly-classes are for IDX and CIFAR-10 files; a CSV names its label column with --label`,
      );
    }
    const { table, labels } = parseCsv(bytes, { name: path, label: options.label });
    return { table, labels, format };
  }
  if (options.label)
    throw new UsageError(
      `${path} is ${format === 'idx' ? 'an IDX image file' : 'CIFAR-10 binary data'}, not a CSV: give --anomaly-classes (and --labels FILE for IDX) instead of --label`,
    );
  let X: Matrix;
  let classes: Uint8Array;
  if (format === 'idx') {
    X = parseMnistImages(bytes, path);
    if (!options.labels) {
      if (options.classes || options.anomalyClasses)
        throw new UsageError(`${path}: --classes and --anomaly-classes need the IDX label file: --labels FILE`);
      classes = new Uint8Array(X.rows);
    } else {
      classes = parseMnistLabels((await readDataFile(options.labels, { verify: false })).bytes, options.labels);
      if (classes.length !== X.rows)
        throw new UsageError(`${options.labels} has ${classes.length} labels but ${path} has ${X.rows} images`);
    }
  } else {
    const c = parseCifar(bytes, path);
    X = c.X;
    classes = c.labels;
  }
  let rows = Array.from({ length: X.rows }, (_, i) => i);
  if (options.classes) {
    const keep = new Set(options.classes);
    rows = rows.filter((i) => keep.has(classes[i]));
    if (rows.length === 0) throw new UsageError(`${path}: no row has a class in --classes ${options.classes.join(',')}`);
  }
  const picked = options.classes ? takeRows(X, rows) : X;
  const names = Array.from({ length: picked.cols }, (_, j) => `px${j}`);
  const table = matrixToTable({ data: picked.data, rows: picked.rows, cols: picked.cols, featureNames: names });
  const anomaly = options.anomalyClasses ? new Set(options.anomalyClasses) : null;
  const labels = anomaly ? Uint8Array.from(rows, (i) => (anomaly.has(classes[i]) ? 1 : 0)) : undefined;
  return { table, labels, format };
}

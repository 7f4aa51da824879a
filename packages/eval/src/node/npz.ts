import { basename } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type { Matrix } from '@abc/core';
import { DatasetFormatError } from '../datasets/checksums.js';
import { parseNpz, type NpyArray } from '../datasets/npy.js';
import { npyToLabels, npyToMatrix } from '../datasets/npy-convert.js';
import { readDataFile, type LoadOptions } from './files.js';

/** The largest buffer Node allocates (inflateRawSync refuses a larger maxOutputLength). */
const MAX_OUTPUT = 2 ** 31 - 1;

/**
 * Node's raw inflate for {@link parseNpz}: `zlib.inflateRawSync`, stopped after `expectedSize` + 1 bytes so
 * that a stream longer than the archive announces fails fast instead of filling memory.
 *
 * @example
 * const arrays = parseNpz(bytes, 'a.npz', inflateRawNode);
 */
export function inflateRawNode(bytes: Uint8Array, expectedSize?: number): Uint8Array {
  const limit = expectedSize === undefined ? undefined : Math.min(MAX_OUTPUT, Math.max(1, expectedSize + 1));
  const out = inflateRawSync(bytes, limit === undefined ? {} : { maxOutputLength: limit });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Reads a NumPy `.npz` file and parses every `.npy` member (see {@link parseNpz}). A missing file, a corrupt
 * archive or array is a {@link DatasetFormatError} naming the path (and the member).
 *
 * @example
 * const arrays = await loadNpz('data/adbench/29_Pima.npz');
 * arrays.get('X')!.dtype;   // '<f8'
 */
export async function loadNpz(path: string, options: LoadOptions = {}): Promise<Map<string, NpyArray>> {
  const { bytes } = await readDataFile(path, options);
  return parseNpz(bytes, path, inflateRawNode);
}

/** One ADBench dataset: its features, 0/1 labels and name. */
export interface AdbenchDataset {
  /** float32, row-major (Fortran-ordered files are converted). */
  readonly X: Matrix;
  /** 1 = anomaly, 0 = normal. */
  readonly y: Uint8Array;
  /** The file name without `.npz`, e.g. `29_Pima`. */
  readonly name: string;
}

/**
 * The ADBench dataset in an already-parsed archive (its `X` and `y` members, checked as in
 * {@link loadAdbenchDataset}); `file` names it in errors and gives the `name`. Browser code can call it on
 * {@link parseNpz}'s result.
 *
 * @example
 * const { X, y, name } = adbenchFromArrays(parseNpz(bytes, '29_Pima.npz', inflateRawNode), '29_Pima.npz');
 */
export function adbenchFromArrays(arrays: ReadonlyMap<string, NpyArray>, file: string): AdbenchDataset {
  const xa = arrays.get('X');
  const ya = arrays.get('y');
  if (!xa || !ya) {
    const found = [...arrays.keys()].join(', ') || 'no arrays';
    throw new DatasetFormatError(file, 'format', `an ADBench file holds arrays X and y; found ${found}`);
  }
  const X = npyToMatrix(xa, file, 'X');
  const y = npyToLabels(ya, file, 'y');
  if (y.length !== X.rows) {
    throw new DatasetFormatError(file, 'format', `X has ${X.rows} rows but y has ${y.length} labels`, 'label-length');
  }
  return { X, y, name: basename(file).replace(/\.npz$/i, '') };
}

/**
 * Loads one of ADBench's `.npz` files (`X`: rows x features, any supported numeric dtype, C or Fortran order;
 * `y`: 0/1) as a float32 row-major Matrix and Uint8Array labels. Values are rounded to float32 (int64 first to
 * the nearest double); a non-finite value, a label other than 0/1 (int64 labels compared exactly), a missing
 * array or a row-count mismatch is a {@link DatasetFormatError} naming the path.
 *
 * @example
 * const { X, y, name } = await loadAdbenchDataset('data/adbench/29_Pima.npz');   // 768 x 8, 268 anomalies, '29_Pima'
 */
export async function loadAdbenchDataset(path: string, options: LoadOptions = {}): Promise<AdbenchDataset> {
  return adbenchFromArrays(await loadNpz(path, options), path);
}

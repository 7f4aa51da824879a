/**
 * From parsed `.npy` arrays to the framework's types: a float32 row-major {@link Matrix} and 0/1 labels.
 */
import type { Matrix } from '@abc/core';
import { DatasetFormatError } from './checksums.js';
import type { NpyArray } from './npy.js';

/**
 * The value of element `k` as a JS number. 64-bit integers (BigInt) convert with `Number()`: exact up to
 * 2^53 in magnitude, beyond that rounded to the nearest double (ties to even), as NumPy's `astype(float64)`.
 */
function numberAt(array: NpyArray, k: number): number {
  const v = array.data[k];
  return typeof v === 'bigint' ? Number(v) : v;
}

/**
 * A 2-D array as a float32 row-major {@link Matrix}, converting Fortran (column-major) order. Every value is
 * rounded to the nearest float32 (64-bit integers first to the nearest double, see the rule above). A value
 * that is not finite as a float32 (NaN, ±Infinity, or a float64 beyond ±3.4e38) is a DatasetFormatError
 * (problem `value`) naming the row and column: the framework's matrices hold finite numbers only.
 * A shape other than 2-D is a DatasetFormatError (`format`). `what` names the array in messages.
 *
 * @example
 * const X = npyToMatrix(parseNpz(bytes, 'Pima.npz', inflateRaw).get('X')!, 'Pima.npz', 'X');   // 768 x 8
 */
export function npyToMatrix(array: NpyArray, name = 'NPY data', what = 'X'): Matrix {
  if (array.shape.length !== 2) {
    throw new DatasetFormatError(
      name,
      'format',
      `${what} must be a 2-D array (rows x features); its shape is (${array.shape.join(', ')})`,
    );
  }
  const [rows, cols] = array.shape;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = Math.fround(numberAt(array, array.fortranOrder ? j * rows + i : i * cols + j));
      if (!Number.isFinite(v)) {
        const raw = array.data[array.fortranOrder ? j * rows + i : i * cols + j];
        throw new DatasetFormatError(
          name,
          'value',
          `${what}[${i}, ${j}] is ${String(raw)}${Number.isFinite(Number(raw)) ? ' (beyond float32 range)' : ''}; ` +
            'only finite values can be read into a matrix',
          'non-finite',
        );
      }
      out[i * cols + j] = v;
    }
  }
  return { data: out, rows, cols };
}

/**
 * A 1-D array (or an n x 1 one) of 0/1 labels (1 = anomaly) as a Uint8Array. Any numeric dtype is accepted
 * as long as every value is exactly 0 or 1 (64-bit integers are compared exactly, as BigInt, so a value such as
 * 2^53 + 1 is reported, never rounded to a label); any other value is a DatasetFormatError (problem `value`)
 * naming the index and the value.
 *
 * @example
 * const y = npyToLabels(arrays.get('y')!, 'Pima.npz');   // Uint8Array of 768 zeros and ones
 */
export function npyToLabels(array: NpyArray, name = 'NPY data', what = 'y'): Uint8Array {
  const { shape } = array;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new DatasetFormatError(name, 'format', `${what} must be a 1-D array of labels; its shape is (${shape.join(', ')})`);
  }
  const n = shape[0];
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = array.data[i];
    if (v === 0 || v === 0n) continue;
    if (v === 1 || v === 1n) {
      out[i] = 1;
      continue;
    }
    throw new DatasetFormatError(name, 'value', `${what}[${i}] is ${String(v)}; labels must be 0 (normal) or 1 (anomaly)`);
  }
  return out;
}

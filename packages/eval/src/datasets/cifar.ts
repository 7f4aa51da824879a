import { matrix, type Matrix } from '@abc/core';
import { assertNotGzip, DatasetFormatError } from './checksums.js';

/** Bytes per CIFAR-10 binary record: one label byte, then 1024 red, 1024 green and 1024 blue bytes. */
export const CIFAR_RECORD_BYTES = 3073;

/** CIFAR-10's class names, by label id. */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

/** Parsed CIFAR records: pixels and the class id of each. */
export interface CifarData {
  /** N × 3072 in [0, 1] (float32 = byte / 255), the channel planes in the file's order: R (1024), G, B. */
  readonly X: Matrix;
  /** The class id (0–9) of each row. */
  readonly labels: Uint8Array;
}

/** Options of {@link parseCifar}. */
export interface ParseCifarOptions {
  /** Keep only records of these class ids. */
  classes?: readonly number[];
}

/**
 * Parses CIFAR-10 binary records (the `data_batch_N.bin` / `test_batch.bin` layout: 3073 bytes per record,
 * a label byte then the R, G and B planes of a 32×32 image, row-major). Takes raw (gunzipped) bytes. A length
 * that is not a multiple of 3073 is a {@link DatasetFormatError} naming `name`. `options.classes` keeps only
 * the records of those classes (in file order), without converting the others: the full 50,000-image
 * training set would take 600 MB as float32.
 *
 * @example
 * const { X, labels } = parseCifar(bytes, 'train.bin');   // X.cols 3072
 */
export function parseCifar(bytes: Uint8Array, name = 'CIFAR-10 records', options: ParseCifarOptions = {}): CifarData {
  assertNotGzip(bytes, name);
  if (bytes.length % CIFAR_RECORD_BYTES !== 0) {
    const n = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
    throw new DatasetFormatError(
      name,
      bytes.length > CIFAR_RECORD_BYTES ? 'truncated' : 'format',
      `${bytes.length} bytes is not a multiple of the 3073-byte CIFAR-10 record (${n} whole records and ` +
        `${bytes.length % CIFAR_RECORD_BYTES} bytes left over): truncated or not CIFAR-10 binary data`,
    );
  }
  const records = bytes.length / CIFAR_RECORD_BYTES;
  const keep = options.classes ? new Set(options.classes) : null;
  const selected: number[] = [];
  for (let i = 0; i < records; i++) {
    const label = bytes[i * CIFAR_RECORD_BYTES];
    if (label > 9) {
      throw new DatasetFormatError(
        name,
        'format',
        `record ${i} has label byte ${label}; CIFAR-10 labels are 0–9 (CIFAR-100's layout differs)`,
      );
    }
    if (!keep || keep.has(label)) selected.push(i);
  }
  const n = selected.length;
  const D = CIFAR_RECORD_BYTES - 1;
  const data = new Float32Array(n * D);
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const off = selected[r] * CIFAR_RECORD_BYTES;
    labels[r] = bytes[off];
    const row = r * D;
    for (let k = 0; k < D; k++) data[row + k] = bytes[off + 1 + k] / 255;
  }
  return { X: matrix(data, n, D), labels };
}

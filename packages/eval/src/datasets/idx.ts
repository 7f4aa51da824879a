import { assertNotGzip, DatasetFormatError } from './checksums.js';

/** An IDX file's content: its dimensions and its unsigned bytes (row-major, as stored). */
export interface IdxArray {
  /** The 32-bit magic number, e.g. 0x00000803 for a 3-dimensional unsigned-byte array (MNIST images). */
  readonly magic: number;
  readonly dims: readonly number[];
  /** A view into the input bytes (no copy). */
  readonly data: Uint8Array;
}

/**
 * Parses an IDX file (LeCun's format for MNIST) of unsigned bytes: magic `0x0000 08 NN` (NN = number of
 * dimensions), then NN big-endian u32 sizes, then the data. Other element types (0x09 … 0x0E) are rejected
 * with a clear error: no dataset the framework reads uses them. The data is a view into `bytes`.
 *
 * Errors are {@link DatasetFormatError}s naming `name`: a foreign file (bad magic or gzip bytes, problem
 * `format`), a file shorter than its header says (`truncated`) or longer (`format`).
 *
 * @example
 * const { dims, data } = parseIdx(bytes, 'train-images-idx3-ubyte');   // dims [60000, 28, 28]
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data', expectedMagic?: number): IdxArray {
  assertNotGzip(bytes, name);
  if (bytes.length < 4) {
    throw new DatasetFormatError(name, 'truncated', `${bytes.length} bytes is too short for an IDX header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  const type = (magic >>> 8) & 0xff;
  const ndim = magic & 0xff;
  if (magic >>> 16 !== 0 || ndim === 0) {
    throw new DatasetFormatError(name, 'format', `not an IDX file (magic number ${hex})`);
  }
  if (expectedMagic !== undefined && magic !== expectedMagic) {
    throw new DatasetFormatError(
      name,
      'format',
      `magic number ${hex} where 0x${expectedMagic.toString(16).padStart(8, '0')} was expected ` +
        `(${describeMagic(expectedMagic)}); is this the right file?`,
    );
  }
  if (type !== 0x08) {
    throw new DatasetFormatError(
      name,
      'format',
      `IDX element type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08)`,
    );
  }
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) {
    throw new DatasetFormatError(name, 'truncated', `${bytes.length} bytes is too short for a ${ndim}-dimensional IDX header`);
  }
  const dims: number[] = [];
  let size = 1;
  for (let k = 0; k < ndim; k++) {
    const d = view.getUint32(4 + 4 * k, false);
    dims.push(d);
    size *= d;
  }
  const available = bytes.length - headerLength;
  if (available < size) {
    throw new DatasetFormatError(
      name,
      'truncated',
      `the header says ${dims.join('×')} = ${size} bytes of data but only ${available} follow; the file is truncated`,
    );
  }
  if (available > size) {
    throw new DatasetFormatError(
      name,
      'format',
      `${available - size} bytes follow the ${dims.join('×')} data the header announces; not a well-formed IDX file`,
    );
  }
  return { magic, dims, data: bytes.subarray(headerLength, headerLength + size) };
}

function describeMagic(magic: number): string {
  const ndim = magic & 0xff;
  return ndim === 3 ? 'unsigned-byte images' : ndim === 1 ? 'unsigned-byte labels' : `${ndim}-d unsigned bytes`;
}

/** Magic number of IDX image files (unsigned bytes, 3 dimensions). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of IDX label files (unsigned bytes, 1 dimension). */
export const IDX_LABELS_MAGIC = 0x00000801;

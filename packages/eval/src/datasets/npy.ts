/**
 * NumPy's `.npy` arrays and `.npz` archives (bytes in, browser-safe, synchronous). See `npy-header.ts` for
 * the header and `zip.ts` for the archive; `npy-convert.ts` turns arrays into a Matrix and labels.
 */
import { assertNotGzip, DatasetFormatError } from './checksums.js';
import { isNpy, NpyHeaderError, readNpyHeader, type NpyHeader } from './npy-header.js';
import { readZipEntries, readZipEntry, type InflateRaw } from './zip.js';

export type { InflateRaw } from './zip.js';
export type { NpyKind } from './npy-header.js';

/** The typed array an element type decodes to (bool as 0/1 bytes; 64-bit integers as BigInt arrays, exactly). */
export type NpyData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/** A parsed `.npy` array. */
export interface NpyArray {
  /** The dtype as the header wrote it: `<f8`, `>i4`, `|u1`, `|b1`, ... */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** True when `data` is in column-major (Fortran) order: element (i, j) of an r x c array at `j * r + i`. */
  readonly fortranOrder: boolean;
  /**
   * The elements in the file's order, in the host's byte order (big-endian files are swapped), in a fresh
   * buffer. `<i8`/`<u8` are BigInt64Array/BigUint64Array (exact); `|b1` is a Uint8Array of 0 and 1.
   */
  readonly data: NpyData;
  /** The header's format version. */
  readonly version: '1.0' | '2.0' | '3.0';
}

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function typed(kind: string, buffer: ArrayBuffer): NpyData {
  switch (kind) {
    case 'f8':
      return new Float64Array(buffer);
    case 'f4':
      return new Float32Array(buffer);
    case 'i8':
      return new BigInt64Array(buffer);
    case 'i4':
      return new Int32Array(buffer);
    case 'i2':
      return new Int16Array(buffer);
    case 'i1':
      return new Int8Array(buffer);
    case 'u8':
      return new BigUint64Array(buffer);
    case 'u4':
      return new Uint32Array(buffer);
    case 'u2':
      return new Uint16Array(buffer);
    default:
      return new Uint8Array(buffer); // u1, b1
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Parses a `.npy`; `where` prefixes messages (e.g. `member X.npy: `) for arrays inside an archive. */
function decodeNpy(bytes: Uint8Array, file: string, where: string): NpyArray {
  const fail = (problem: 'truncated' | 'format', message: string): DatasetFormatError =>
    new DatasetFormatError(file, problem, `${where}${message}`);
  let header: NpyHeader;
  try {
    header = readNpyHeader(bytes);
  } catch (e) {
    if (e instanceof NpyHeaderError) throw fail(e.problem, e.message);
    throw e;
  }
  const { shape, itemSize } = header;
  const available = bytes.length - header.dataOffset;
  // The element count, checked against what is there before anything is allocated (no overflow past 2^53).
  let count = 1;
  if (shape.includes(0)) count = 0;
  else {
    for (const d of shape) {
      count *= d;
      if (count * itemSize > available) {
        throw fail(
          'truncated',
          `the header says shape (${shape.join(', ')}) of ${header.descr} but only ${available} bytes of data follow; the data is truncated`,
        );
      }
    }
  }
  const size = count * itemSize;
  if (available > size) {
    throw fail('format', `${available - size} bytes follow the (${shape.join(', ')}) ${header.descr} data the header announces`);
  }
  const copy = bytes.slice(header.dataOffset, header.dataOffset + size); // a fresh, aligned buffer
  if (itemSize > 1 && header.littleEndian !== HOST_LITTLE) swapBytes(copy, itemSize);
  if (header.kind === 'b1') for (let i = 0; i < copy.length; i++) copy[i] = copy[i] === 0 ? 0 : 1;
  return {
    dtype: header.descr,
    shape: [...shape],
    fortranOrder: header.fortranOrder,
    data: typed(header.kind, copy.buffer),
    version: header.version,
  };
}

/**
 * Parses a NumPy `.npy` file: header versions 1.0, 2.0 and 3.0; dtypes `f8 f4 i8 i4 i2 i1 u8 u4 u2 u1 b1` in
 * either byte order; C or Fortran order (kept as stored: see `fortranOrder`, and {@link npyToMatrix}, which
 * converts). Pickled object arrays (`|O`), strings, structured and complex dtypes are refused.
 *
 * Errors are {@link DatasetFormatError}s naming `name`: a foreign file (problem `format`), a truncated one
 * (`truncated`), trailing bytes after the data (`format`), an unsupported dtype (`format`).
 *
 * @example
 * const a = parseNpy(bytes, 'X.npy');   // { dtype: '<f8', shape: [768, 8], fortranOrder: true, data: Float64Array }
 */
export function parseNpy(bytes: Uint8Array, name = 'NPY data'): NpyArray {
  assertNotGzip(bytes, name);
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4 && !isNpy(bytes)) {
    throw new DatasetFormatError(name, 'format', 'this is a zip archive (an .npz?), not a .npy file: use parseNpz');
  }
  return decodeNpy(bytes, name, '');
}

/**
 * Parses a NumPy `.npz` archive (what `np.savez` and `np.savez_compressed` write): a zip of `.npy` files, read
 * through its central directory (zip64 records and data descriptors included), each member's CRC-32 checked.
 * Returns the arrays by name without `.npy` (as `np.load(...)[name]`); members not ending in `.npy` and
 * folders are skipped. Deflated members need `inflateRaw` (in Node, `zlib.inflateRawSync`, or use `loadNpz` of
 * `@abc/eval/node`, which passes it); stored ones do not.
 *
 * Errors are {@link DatasetFormatError}s naming `name` and the member: not a zip, truncated, a corrupt
 * deflate stream or CRC (problem `gzip`), a malformed `.npy` inside, a member name that occurs twice.
 *
 * @example
 * import { inflateRawSync } from 'node:zlib';
 * const arrays = parseNpz(bytes, '29_Pima.npz', (b) => inflateRawSync(b));
 * arrays.get('X')!.shape;   // [768, 8]
 */
export function parseNpz(bytes: Uint8Array, name = 'NPZ data', inflateRaw?: InflateRaw): Map<string, NpyArray> {
  assertNotGzip(bytes, name);
  if (isNpy(bytes))
    throw new DatasetFormatError(name, 'format', 'this is a single .npy array, not an .npz archive: use parseNpy');
  const out = new Map<string, NpyArray>();
  for (const entry of readZipEntries(bytes, name)) {
    if (!entry.name.endsWith('.npy')) continue;
    const key = entry.name.slice(0, -4);
    if (out.has(key)) throw new DatasetFormatError(name, 'format', `member ${entry.name} occurs twice in the archive`);
    const content = readZipEntry(bytes, entry, name, inflateRaw);
    out.set(key, decodeNpy(content, name, `member ${entry.name}: `));
  }
  return out;
}

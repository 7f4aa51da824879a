/**
 * The header of a NumPy `.npy` file (NumPy's `numpy/lib/format.py`, versions 1.0, 2.0 and 3.0): the magic
 * `\x93NUMPY`, a major and minor version byte, the header length (u16 LE in 1.0, u32 LE in 2.0 and 3.0), then
 * a Python literal dict `{'descr': '<f8', 'fortran_order': False, 'shape': (768, 8), }` padded with spaces
 * and a newline (latin-1 in 1.0 and 2.0, UTF-8 in 3.0). Only the literals NumPy writes are accepted: no
 * Python evaluation of any kind.
 */

/** A parse failure; the caller turns it into a DatasetFormatError naming the file. */
export class NpyHeaderError extends Error {
  constructor(
    readonly problem: 'truncated' | 'format',
    message: string,
  ) {
    super(message);
  }
}

/** The element types the parser reads, NumPy's type letter and size. */
export type NpyKind = 'f8' | 'f4' | 'i8' | 'i4' | 'i2' | 'i1' | 'u8' | 'u4' | 'u2' | 'u1' | 'b1';

const KINDS: ReadonlySet<string> = new Set<NpyKind>(['f8', 'f4', 'i8', 'i4', 'i2', 'i1', 'u8', 'u4', 'u2', 'u1', 'b1']);

/** A `.npy` header, as read. */
export interface NpyHeader {
  readonly version: '1.0' | '2.0' | '3.0';
  /** The `descr` as written, e.g. `<f8`, `>i4`, `|u1`. */
  readonly descr: string;
  readonly kind: NpyKind;
  /** Bytes per element. */
  readonly itemSize: number;
  /** False for big-endian (`>`) data. */
  readonly littleEndian: boolean;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Where the data starts. */
  readonly dataOffset: number;
}

type Literal = string | boolean | number[] | { readonly list: true };

/** A recursive-descent reader of the few Python literals a `.npy` header holds. */
class LiteralReader {
  private at = 0;
  constructor(private readonly text: string) {}

  private fail(what: string): never {
    const near = JSON.stringify(this.text.slice(Math.max(0, this.at - 10), this.at + 20));
    throw new NpyHeaderError('format', `malformed .npy header: ${what} at character ${this.at} (near ${near})`);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++;
  }

  private eat(ch: string): boolean {
    this.skipSpace();
    if (this.text[this.at] === ch) {
      this.at++;
      return true;
    }
    return false;
  }

  private expect(ch: string): void {
    if (!this.eat(ch)) this.fail(`expected '${ch}'`);
  }

  private string(): string {
    this.skipSpace();
    const quote = this.text[this.at];
    if (quote !== "'" && quote !== '"') this.fail('expected a string');
    let out = '';
    for (this.at++; this.at < this.text.length; this.at++) {
      const c = this.text[this.at];
      if (c === quote) {
        this.at++;
        return out;
      }
      if (c === '\\') {
        this.at++;
        if (this.at >= this.text.length) break;
      }
      out += this.text[this.at];
    }
    return this.fail('unterminated string');
  }

  private integer(): number {
    this.skipSpace();
    const m = /^\d+L?/.exec(this.text.slice(this.at, this.at + 40));
    if (!m) this.fail('expected a non-negative integer');
    this.at += m[0].length;
    const v = Number(m[0].replace('L', ''));
    if (!Number.isSafeInteger(v)) this.fail(`dimension ${m[0]} is beyond 2^53`);
    return v;
  }

  private value(): Literal {
    this.skipSpace();
    const rest = this.text.slice(this.at, this.at + 5);
    if (rest.startsWith('True')) {
      this.at += 4;
      return true;
    }
    if (rest.startsWith('False')) {
      this.at += 5;
      return false;
    }
    const c = this.text[this.at];
    if (c === "'" || c === '"') return this.string();
    if (c === '(') {
      this.at++;
      const dims: number[] = [];
      if (this.eat(')')) return dims;
      for (;;) {
        dims.push(this.integer());
        if (this.eat(')')) return dims;
        this.expect(',');
        if (this.eat(')')) return dims;
        if (dims.length > 64) this.fail('more than 64 dimensions');
      }
    }
    if (c === '[') return { list: true };
    return this.fail('expected a string, True, False or a tuple of integers');
  }

  /** The dict, as a Map (no prototype to pollute). */
  dict(): Map<string, Literal> {
    const out = new Map<string, Literal>();
    this.expect('{');
    if (this.eat('}')) return this.end(out);
    for (;;) {
      const key = this.string();
      this.expect(':');
      const value = this.value();
      if (out.has(key)) this.fail(`key '${key}' appears twice`);
      out.set(key, value);
      if (typeof value === 'object' && !Array.isArray(value)) return out; // a structured descr: reported by the caller
      if (this.eat('}')) return this.end(out);
      this.expect(',');
      if (this.eat('}')) return this.end(out);
    }
  }

  private end(out: Map<string, Literal>): Map<string, Literal> {
    this.skipSpace();
    if (this.at !== this.text.length) this.fail('unexpected text after the header dict');
    return out;
  }
}

const UNSUPPORTED: Record<string, string> = {
  O: 'a pickled object array (dtype object); pickles are never loaded: save the array with a numeric dtype',
  U: 'a unicode string array',
  S: 'a byte string array',
  a: 'a byte string array',
  V: 'a void (raw or structured) array',
  M: 'a datetime64 array',
  m: 'a timedelta64 array',
  c: 'a complex array',
};

/**
 * Parses a `descr` string into the element type, its size and byte order; unsupported ones throw
 * {@link NpyHeaderError} (pickled objects `|O` with a clear word).
 *
 * @example
 * parseDescr('>i4');   // { kind: 'i4', itemSize: 4, littleEndian: false }
 */
export function parseDescr(descr: string): { kind: NpyKind; itemSize: number; littleEndian: boolean } {
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  const why = m ? UNSUPPORTED[m[2]] : undefined;
  if (why) throw new NpyHeaderError('format', `dtype '${descr}' is ${why}; not supported`);
  const kind = m ? `${m[2]}${m[3]}` : '';
  if (!m || !KINDS.has(kind)) {
    throw new NpyHeaderError(
      'format',
      `dtype '${descr}' is not supported (supported: float64, float32, int64/32/16/8, uint64/32/16/8 and bool, ` +
        `either byte order: ${[...KINDS].join(' ')})`,
    );
  }
  const itemSize = Number(m[3]);
  const order = m[1];
  if (itemSize > 1 && order !== '<' && order !== '>') {
    throw new NpyHeaderError('format', `dtype '${descr}' does not say its byte order ('<' or '>')`);
  }
  return { kind: kind as NpyKind, itemSize, littleEndian: order !== '>' };
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * True when the bytes start with the `.npy` magic.
 *
 * @example
 * isNpy(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));   // true
 */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Reads and checks a `.npy` header (magic, version, dict with exactly `descr`, `fortran_order`, `shape`).
 * Throws {@link NpyHeaderError} (`truncated` or `format`).
 *
 * @example
 * readNpyHeader(bytes);   // { version: '1.0', descr: '<f8', kind: 'f8', itemSize: 8, fortranOrder: true, shape: [768, 8], dataOffset: 128, ... }
 */
export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 6 || !isNpy(bytes)) {
    if (bytes.length < 6 && MAGIC.slice(0, bytes.length).every((b, i) => bytes[i] === b)) {
      throw new NpyHeaderError('truncated', `${bytes.length} bytes is too short for a .npy header`);
    }
    throw new NpyHeaderError('format', 'not a .npy file (no \\x93NUMPY magic)');
  }
  if (bytes.length < 10) throw new NpyHeaderError('truncated', `${bytes.length} bytes is too short for a .npy header`);
  const major = bytes[6];
  const minor = bytes[7];
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw new NpyHeaderError('format', `.npy format version ${major}.${minor} is not supported (only 1.0, 2.0 and 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start)
    throw new NpyHeaderError('truncated', `${bytes.length} bytes is too short for a version ${major}.0 .npy header`);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + length > bytes.length) {
    throw new NpyHeaderError('truncated', `the header announces ${length} bytes but only ${bytes.length - start} follow`);
  }
  const raw = bytes.subarray(start, start + length);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(raw);
  } catch {
    throw new NpyHeaderError('format', 'the version 3.0 header is not valid UTF-8');
  }
  const dict = new LiteralReader(text).dict();
  const descr = dict.get('descr');
  if (typeof descr === 'object' && !Array.isArray(descr)) {
    throw new NpyHeaderError(
      'format',
      'a structured dtype (descr is a list of fields) is not supported; save plain numeric arrays',
    );
  }
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  const keys = [...dict.keys()].sort().join(', ');
  if (
    keys !== 'descr, fortran_order, shape' ||
    typeof descr !== 'string' ||
    typeof fortran !== 'boolean' ||
    !Array.isArray(shape)
  ) {
    throw new NpyHeaderError(
      'format',
      `the header dict must hold exactly 'descr' (a string), 'fortran_order' (True/False) and 'shape' (a tuple); found ${keys || 'no keys'}`,
    );
  }
  const dtype = parseDescr(descr);
  return {
    version: `${major}.0` as NpyHeader['version'],
    descr,
    ...dtype,
    fortranOrder: fortran,
    shape,
    dataOffset: start + length,
  };
}

/**
 * A minimal, synchronous, browser-safe reader of zip archives, enough for NumPy's `.npz` files: the central
 * directory (the end record scanned for from the end, zip64 end records and extra fields when present),
 * stored (0) and deflate (8) entries, entries written with data descriptors (their sizes are taken from the
 * central directory), CRC-32 checked. Single-disk archives only; no encryption. Deflate is done by the
 * caller's `inflateRaw` (zlib's `inflateRawSync` in Node), so this module needs no zlib of its own.
 * (The layout follows PKWARE's APPNOTE.TXT, sections 4.3 and 4.5.)
 */
import { crc32 } from '@abc/core';
import { DatasetFormatError } from './checksums.js';

/**
 * Inflates a raw deflate stream (RFC 1951, no zlib or gzip wrapper). `expectedSize` is the size the archive
 * announces for the output; an implementation may use it to stop early on a larger stream (a "zip bomb").
 *
 * @example
 * import { inflateRawSync } from 'node:zlib';
 * const inflateRaw: InflateRaw = (b, n) => inflateRawSync(b, n === undefined ? {} : { maxOutputLength: Math.max(1, n) });
 */
export type InflateRaw = (bytes: Uint8Array, expectedSize?: number) => Uint8Array;

/** One file of a zip archive, as its central-directory record describes it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

/** Reads an unsigned 64-bit little-endian integer, refusing values beyond 2^53 (no archive here is that big). */
function u64(view: DataView, at: number, file: string, what: string): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi >= 0x200000)
    throw new DatasetFormatError(file, 'format', `zip64 ${what} ${hi} * 2^32 + ${lo} is beyond 2^53: a corrupt archive`);
  return hi * 2 ** 32 + lo;
}

function findEndRecord(bytes: Uint8Array, view: DataView, file: string): number {
  const last = bytes.length - 22;
  const first = Math.max(0, last - MAX16);
  // The last end record whose comment runs exactly to the end of the file; else the last one at all.
  let loose = -1;
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) !== EOCD) continue;
    if (at + 22 + view.getUint16(at + 20, true) === bytes.length) return at;
    if (loose < 0) loose = at;
  }
  if (loose >= 0) return loose;
  const looksZip = bytes.length >= 4 && view.getUint32(0, true) === LOCAL;
  throw new DatasetFormatError(
    file,
    looksZip ? 'truncated' : 'format',
    looksZip
      ? 'the zip archive has no end-of-central-directory record: the file is truncated'
      : 'not a zip archive (no end-of-central-directory record)',
  );
}

interface Directory {
  readonly entries: number;
  readonly size: number;
  readonly offset: number;
  /** Where the directory must end: the (zip64) end record. */
  readonly limit: number;
}

function readDirectoryLocation(bytes: Uint8Array, view: DataView, file: string): Directory {
  const eocd = findEndRecord(bytes, view, file);
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  let entries = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  let limit = eocd;
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR) {
    const at = u64(view, locator + 8, file, 'end record offset');
    if (at + 56 > locator || view.getUint32(at, true) !== ZIP64_EOCD) {
      throw new DatasetFormatError(file, 'format', 'the zip64 end-of-central-directory locator points to no zip64 end record');
    }
    if (view.getUint32(at + 16, true) !== 0 || view.getUint32(at + 20, true) !== 0 || view.getUint32(locator + 16, true) > 1) {
      throw new DatasetFormatError(file, 'format', 'multi-disk (split) zip archives are not supported');
    }
    entries = u64(view, at + 32, file, 'entry count');
    size = u64(view, at + 40, file, 'directory size');
    offset = u64(view, at + 48, file, 'directory offset');
    limit = at;
  } else if (entries === MAX16 || size === MAX32 || offset === MAX32) {
    throw new DatasetFormatError(file, 'truncated', 'the zip end record asks for a zip64 record that is not there');
  } else if (disk !== 0 || cdDisk !== 0) {
    throw new DatasetFormatError(file, 'format', 'multi-disk (split) zip archives are not supported');
  }
  if (offset + size > limit) {
    throw new DatasetFormatError(
      file,
      'truncated',
      `the zip central directory (${size} bytes at ${offset}) runs past its end record at ${limit}: a truncated or corrupt archive`,
    );
  }
  // Each central record is at least 46 bytes: a count beyond that is corrupt (and would loop for long).
  if (entries * 46 > size) {
    throw new DatasetFormatError(file, 'format', `the zip end record announces ${entries} entries in a ${size}-byte directory`);
  }
  return { entries, size, offset, limit };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** The zip64 extra field (id 1) overrides the 32-bit fields that are 0xFFFFFFFF, in this order. */
function applyZip64(
  view: DataView,
  extraAt: number,
  extraLength: number,
  sizes: { uncompressed: number; compressed: number; offset: number },
  file: string,
  name: string,
): void {
  let at = extraAt;
  const end = extraAt + extraLength;
  while (at + 4 <= end) {
    const id = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    const body = at + 4;
    if (body + length > end) break; // a malformed trailing extra field; zipfile ignores it too
    if (id === 0x0001) {
      let p = body;
      const take = (what: string): number => {
        if (p + 8 > body + length) {
          throw new DatasetFormatError(file, 'format', `member ${name}: its zip64 extra field is too short for the ${what}`);
        }
        const v = u64(view, p, file, what);
        p += 8;
        return v;
      };
      if (sizes.uncompressed === MAX32) sizes.uncompressed = take('uncompressed size');
      if (sizes.compressed === MAX32) sizes.compressed = take('compressed size');
      if (sizes.offset === MAX32) sizes.offset = take('local header offset');
    }
    at = body + length;
  }
}

/**
 * The entries of a zip archive, from its central directory. Errors are {@link DatasetFormatError}s naming
 * `file`: not a zip (problem `format`), a truncated archive (`truncated`), unsupported features (`format`).
 *
 * @example
 * readZipEntries(bytes, '29_Pima.npz').map((e) => e.name);   // ['X.npy', 'y.npy']
 */
export function readZipEntries(bytes: Uint8Array, file: string): ZipEntry[] {
  if (bytes.length < 22) {
    throw new DatasetFormatError(
      file,
      bytes.length === 0 ? 'truncated' : 'format',
      `${bytes.length} bytes is too short for a zip archive`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dir = readDirectoryLocation(bytes, view, file);
  const out: ZipEntry[] = [];
  let at = dir.offset;
  const end = dir.offset + dir.size;
  for (let k = 0; k < dir.entries; k++) {
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL) {
      throw new DatasetFormatError(file, 'format', `zip central directory record ${k} is missing or corrupt (at byte ${at})`);
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const sizes = {
      compressed: view.getUint32(at + 20, true),
      uncompressed: view.getUint32(at + 24, true),
      offset: view.getUint32(at + 42, true),
    };
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > end) throw new DatasetFormatError(file, 'format', `zip central directory record ${k} runs past the directory`);
    const rawName = bytes.subarray(at + 46, at + 46 + nameLength);
    let name: string;
    try {
      name = flags & 0x800 ? utf8.decode(rawName) : latin1.decode(rawName);
    } catch {
      throw new DatasetFormatError(file, 'format', `zip central directory record ${k} has a name that is not valid UTF-8`);
    }
    applyZip64(view, at + 46 + nameLength, extraLength, sizes, file, name);
    out.push({
      name,
      method,
      flags,
      crc32: crc,
      compressedSize: sizes.compressed,
      uncompressedSize: sizes.uncompressed,
      localHeaderOffset: sizes.offset,
    });
    at = next;
  }
  return out;
}

/**
 * The content of one entry: a view into `bytes` for a stored entry, `inflateRaw`'s output for a deflated
 * one; its size and CRC-32 are checked against the central directory. Errors are {@link DatasetFormatError}s
 * naming `file` and the member: a truncated archive (`truncated`), a corrupt deflate stream or a CRC mismatch
 * (`gzip`), an encrypted entry or another compression method (`format`).
 *
 * @example
 * const [x] = readZipEntries(bytes, 'a.npz');
 * const content = readZipEntry(bytes, x, 'a.npz', (b) => inflateRawSync(b));
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, file: string, inflateRaw?: InflateRaw): Uint8Array {
  function fail(problem: 'truncated' | 'format' | 'gzip', message: string): never {
    throw new DatasetFormatError(file, problem, `member ${entry.name}: ${message}`);
  }
  if (entry.flags & 0x1) fail('format', 'is encrypted; encrypted zip entries are not supported');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length) fail('truncated', `its local header (at byte ${at}) lies past the end of the file`);
  if (view.getUint32(at, true) !== LOCAL) fail('format', `no local file header at byte ${at}: a corrupt archive`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const stop = start + entry.compressedSize;
  if (stop > bytes.length) {
    fail(
      'truncated',
      `its ${entry.compressedSize} bytes of data (from byte ${start}) run past the end of the file: the archive is truncated`,
    );
  }
  const stored = bytes.subarray(start, stop);
  let content: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      fail('format', `a stored entry of ${entry.compressedSize} bytes that claims ${entry.uncompressedSize} uncompressed`);
    }
    content = stored;
  } else if (entry.method === 8) {
    if (!inflateRaw) {
      return fail(
        'format',
        'is deflate-compressed and no inflateRaw function was given: pass one (zlib.inflateRawSync in Node) or use ' +
          'loadNpz of @abc/eval/node',
      );
    }
    try {
      content = inflateRaw(stored, entry.uncompressedSize);
    } catch (e) {
      return fail('gzip', `corrupt deflate data (${(e as Error)?.message ?? String(e)})`);
    }
    if (content.length !== entry.uncompressedSize) {
      fail('gzip', `inflates to ${content.length} bytes where the archive announces ${entry.uncompressedSize}`);
    }
  } else {
    return fail(
      'format',
      `compression method ${entry.method} is not supported (only stored, 0, and deflate, 8, as NumPy writes)`,
    );
  }
  const crc = crc32(content);
  if (crc !== entry.crc32) {
    fail(
      'gzip',
      `CRC-32 mismatch (the data gives ${crc.toString(16).padStart(8, '0')}, the archive says ${entry.crc32.toString(16).padStart(8, '0')}): corrupt data`,
    );
  }
  return content;
}

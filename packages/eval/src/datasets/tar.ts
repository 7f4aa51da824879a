import { DatasetFormatError } from './checksums.js';

const BLOCK = 512;

/** One regular file of a tar archive: its path and a view of its bytes (no copy). */
export interface TarMember {
  readonly name: string;
  readonly bytes: Uint8Array;
}

function text(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(start, end));
}

/** A numeric header field: octal ASCII, or GNU's base-256 (high bit of the first byte set) for large sizes. */
function numberField(bytes: Uint8Array, start: number, length: number): number {
  if (bytes[start] & 0x80) {
    let n = bytes[start] & 0x7f;
    for (let i = 1; i < length; i++) n = n * 256 + bytes[start + i];
    return n;
  }
  const s = text(bytes, start, length).trim();
  return s === '' ? 0 : /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

function headerChecksumOk(bytes: Uint8Array, at: number): boolean {
  const stored = numberField(bytes, at + 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : bytes[at + i];
  return stored === sum;
}

/** Reads the `path=` record of a pax extended header (the only one we need: long names). */
function paxPath(data: Uint8Array): string | undefined {
  const records = new TextDecoder().decode(data);
  for (const line of records.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Lists the regular files of an uncompressed tar archive (POSIX ustar, GNU long names and pax `path` records),
 * as views into `bytes`. Every header's checksum is checked, so a foreign or damaged archive is a
 * {@link DatasetFormatError} naming `name` rather than garbage; a member running past the end is `truncated`.
 *
 * @example
 * const members = readTar(gunzippedBytes, 'cifar-10-binary.tar');
 * members.find((m) => m.name.endsWith('test_batch.bin'))!.bytes.length;   // 30730000
 */
export function readTar(bytes: Uint8Array, name = 'tar archive'): TarMember[] {
  const members: TarMember[] = [];
  let at = 0;
  let longName: string | undefined;
  while (at + BLOCK <= bytes.length) {
    // Two zero blocks end the archive; one is enough to stop reading.
    if (bytes.subarray(at, at + BLOCK).every((b) => b === 0)) return members;
    if (!headerChecksumOk(bytes, at)) {
      throw new DatasetFormatError(name, 'format', `not a tar archive, or damaged: bad header checksum at byte ${at}`);
    }
    const size = numberField(bytes, at + 124, 12);
    if (!Number.isFinite(size) || size < 0) throw new DatasetFormatError(name, 'format', `bad member size at byte ${at}`);
    const type = String.fromCharCode(bytes[at + 156] || 0x30);
    const dataStart = at + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new DatasetFormatError(name, 'truncated', `member at byte ${at} needs ${size} bytes but the archive ends first`);
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    if (type === 'L') longName = text(data, 0, data.length);
    else if (type === 'x') longName = paxPath(data) ?? longName;
    else {
      if (type === '0' || type === '7') {
        const prefix = text(bytes, at + 345, 155);
        const own = text(bytes, at, 100);
        members.push({ name: longName ?? (prefix ? `${prefix}/${own}` : own), bytes: data });
      }
      longName = undefined;
    }
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (members.length === 0) throw new DatasetFormatError(name, 'format', 'not a tar archive: no member found');
  return members;
}

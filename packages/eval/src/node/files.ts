import { createHash } from 'node:crypto';
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { checksumWarning, DatasetFormatError, isGzip, knownChecksum } from '../datasets/checksums.js';

const gunzipAsync = promisify(gunzip);

/** Options shared by the Node dataset loaders. */
export interface LoadOptions {
  /** Compare SHA-256 checksums with the known ones (default true); a mismatch is a warning, never an error. */
  verify?: boolean;
  /** Called with each warning as it happens (they are also returned in the result's `warnings`). */
  onWarning?: (message: string) => void;
}

/** A file's decompressed bytes and what was found while reading it. */
export interface DataFile {
  readonly path: string;
  /** The content, gunzipped when the file was gzip-compressed (detected by its magic bytes, not its name). */
  readonly bytes: Uint8Array;
  readonly gzipped: boolean;
  readonly warnings: string[];
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads a data file, gunzipping it when it starts with the gzip magic bytes, and checks its SHA-256 against
 * the known checksum for its name (if any): the stored file's hash against the known `.gz` hash, else the
 * content's hash against the known raw hash (so a recompressed copy passes). A mismatch is a warning. A
 * missing file or a corrupt gzip stream is a {@link DatasetFormatError} naming the path.
 *
 * @example
 * const { bytes, warnings } = await readDataFile('data/mnist/t10k-labels-idx1-ubyte.gz');
 */
export async function readDataFile(path: string, options: LoadOptions = {}): Promise<DataFile> {
  let stored: Buffer;
  try {
    stored = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetFormatError(path, 'missing', 'no such file');
    if (code === 'EISDIR') throw new DatasetFormatError(path, 'format', 'is a folder, not a file', 'param');
    throw e;
  }
  const raw = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
  const gzipped = isGzip(raw);
  let bytes = raw;
  if (gzipped) {
    try {
      const out = await gunzipAsync(raw);
      bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw new DatasetFormatError(path, 'gzip', `corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  const warnings: string[] = [];
  if (options.verify !== false && knownChecksum(path)) {
    let warning: string | null = null;
    if (gzipped) {
      if (checksumWarning(path, 'gz', sha256(raw)) !== null) warning = checksumWarning(path, 'raw', sha256(bytes));
    } else {
      warning = checksumWarning(path, 'raw', sha256(bytes));
    }
    if (warning !== null) {
      warnings.push(warning);
      options.onWarning?.(warning);
    }
  }
  return { path, bytes, gzipped, warnings };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds a dataset file: in `dir` itself, then in each of `subdirs` of `dir`, the first of `names` (each also
 * tried with and without `.gz`) that exists. Returns undefined when none does.
 *
 * @example
 * await findDataFile('data', ['test_batch.bin'], ['cifar10']);   // 'data/cifar10/test_batch.bin' or undefined
 */
export async function findDataFile(
  dir: string,
  names: readonly string[],
  subdirs: readonly string[],
): Promise<string | undefined> {
  const variants = names.flatMap((n) => (n.endsWith('.gz') ? [n, n.slice(0, -3)] : [n, `${n}.gz`]));
  for (const folder of [dir, ...subdirs.map((s) => join(dir, s))]) {
    for (const v of variants) {
      const p = join(folder, v);
      if (await isFile(p)) return p;
    }
  }
  return undefined;
}

/**
 * Like {@link findDataFile}, but a missing file is a {@link DatasetFormatError} (problem `missing`) naming the
 * folders and the file names looked for.
 *
 * @example
 * const path = await requireDataFile('data', ['corrected'], ['kddcup99'], "KDD Cup '99 test");
 */
export async function requireDataFile(
  dir: string,
  names: readonly string[],
  subdirs: readonly string[],
  what: string,
): Promise<string> {
  const found = await findDataFile(dir, names, subdirs);
  if (found) return found;
  const where = [dir, ...subdirs.map((s) => join(dir, s))].join(', ');
  throw new DatasetFormatError(
    dir,
    'missing',
    `no ${what} file: looked for ${names.join(', ')} (each with or without .gz) in ${where}`,
  );
}

/**
 * The warnings of several files, in order.
 *
 * @example
 * const warnings = collectWarnings(await Promise.all(paths.map((p) => readDataFile(p))));
 */
export function collectWarnings(files: readonly DataFile[]): string[] {
  return files.flatMap((f) => f.warnings);
}

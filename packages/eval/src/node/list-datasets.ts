import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_CATALOGUE, resolveDatasetNames, type CatalogueChecksum, type CatalogueEntry } from '../datasets/catalogue.js';
import { hashFile, sameHex } from './download-hash.js';
import { readRecordedSha256 } from './recorded-checksum.js';
import { defaultDataDir, type DataDirChoice } from './data-dir.js';

/**
 * How a cached file stands: `verified` (matches the catalogue's checksum), `mismatch` (it does not), `recorded`
 * (matches the SHA-256 recorded at its first download: no published checksum), `unchecked` (present, not hashed),
 * `partial` (only a resumable `.part` is there), `missing`.
 */
export type FileState = 'verified' | 'mismatch' | 'recorded' | 'unchecked' | 'partial' | 'missing';

/** One catalogue file in the data folder. */
export interface CachedFileStatus {
  readonly path: string;
  readonly state: FileState;
  /** Bytes on disk (of the `.part` file when partial; 0 when missing). */
  readonly bytes: number;
  readonly expectedBytes: number | null;
}

/** One dataset in the data folder: `complete` when every file is there and none mismatches. */
export interface CachedDatasetStatus {
  readonly entry: CatalogueEntry;
  readonly complete: boolean;
  readonly files: CachedFileStatus[];
}

function size(path: string): number | undefined {
  try {
    const s = statSync(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function fileState(
  path: string,
  checksum: CatalogueChecksum | null,
  verify: boolean,
): Promise<{ state: FileState; bytes: number }> {
  const bytes = size(path);
  if (bytes === undefined) {
    const part = size(`${path}.part`);
    return part === undefined ? { state: 'missing', bytes: 0 } : { state: 'partial', bytes: part };
  }
  if (!verify) return { state: 'unchecked', bytes };
  if (checksum) {
    let checked: string | null;
    try {
      ({ checked } = await hashFile(path, checksum));
    } catch {
      return { state: 'mismatch', bytes }; // unreadable
    }
    return { state: sameHex(checksum.hex, checked) ? 'verified' : 'mismatch', bytes }; // a damaged gzip never matches
  }
  const sha = await readRecordedSha256(path);
  if (!sha) return { state: 'unchecked', bytes };
  return { state: sameHex(sha, (await hashFile(path)).sha256) ? 'recorded' : 'mismatch', bytes };
}

/** Options of {@link listDatasets}. */
export interface ListDatasetsOptions {
  /** The data folder (default: `ABC_DATA_DIR`, else the platform cache folder). */
  dir?: string;
  /** Only these names (as `abc data fetch` takes them); default every dataset of the catalogue. */
  names?: readonly string[];
  /** The catalogue (default `DATASET_CATALOGUE`). */
  catalogue?: readonly CatalogueEntry[];
  /** Hash present files against their checksums (default true; a few seconds for CIFAR-10's 170 MB). */
  verify?: boolean;
}

/**
 * What the catalogue knows and what the data folder holds: for each dataset, each file's state (verified,
 * mismatch, recorded, unchecked, partial, missing).
 *
 * @example
 * const { dir, datasets } = await listDatasets({ names: ['mnist'] });
 * datasets[0].complete;   // true after `abc data fetch mnist`
 */
export async function listDatasets(
  options: ListDatasetsOptions = {},
): Promise<{ dir: DataDirChoice; datasets: CachedDatasetStatus[] }> {
  const dir = defaultDataDir(options.dir);
  const catalogue = options.catalogue ?? DATASET_CATALOGUE;
  const entries = options.names ? resolveDatasetNames(options.names, catalogue) : catalogue;
  const datasets: CachedDatasetStatus[] = [];
  for (const entry of entries) {
    const files: CachedFileStatus[] = [];
    for (const file of entry.files) {
      const path = join(dir.dir, ...file.path.split('/'));
      const { state, bytes } = await fileState(path, file.checksum, options.verify !== false);
      files.push({ path, state, bytes, expectedBytes: file.bytes });
    }
    const complete = files.every((f) => f.state === 'verified' || f.state === 'recorded' || f.state === 'unchecked');
    datasets.push({ entry, complete, files });
  }
  return { dir, datasets };
}

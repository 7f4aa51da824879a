import { join } from 'node:path';
import { AbcError } from '@abc/core';
import { resolveDatasetNames, type CatalogueEntry, type CatalogueFile } from '../datasets/catalogue.js';
import { defaultDataDir } from './data-dir.js';
import { readRecordedSha256, writeRecordedSha256 } from './recorded-checksum.js';
import { downloadFile, DownloadError, type DownloadChecksum, type DownloadProgress, type DownloadResult } from './download.js';

/** How a fetched file was checked: against the catalogue, against the SHA-256 recorded at its first download, or not at all. */
export type FetchVerification = 'catalogue' | 'recorded' | 'unverified';

/** One file `fetchDatasets` made sure of. */
export interface FetchedFile {
  readonly dataset: string;
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly verification: FetchVerification;
  /** Already there and verified: nothing was downloaded. */
  readonly skipped: boolean;
  /** Where it came from (undefined when skipped). */
  readonly url?: string;
}

/** What `fetchDatasets` reports as it goes: a file starting, progress, a file done. */
export type FetchEvent =
  | { readonly type: 'start'; readonly dataset: string; readonly file: CatalogueFile; readonly dest: string }
  | { readonly type: 'progress'; readonly dataset: string; readonly file: CatalogueFile; readonly progress: DownloadProgress }
  | { readonly type: 'done'; readonly dataset: string; readonly file: FetchedFile };

/** Options of {@link fetchDatasets}. */
export interface FetchDatasetsOptions {
  /** The data folder (default: `ABC_DATA_DIR`, else the platform cache folder; see `defaultDataDir`). */
  dir?: string;
  /** Base addresses holding the same relative paths (`URL/mnist/train-images-idx3-ubyte.gz`), tried before the catalogue's. */
  mirrors?: readonly string[];
  signal?: AbortSignal;
  onEvent?: (event: FetchEvent) => void;
  /** Proxy variables (`HTTPS_PROXY`, `NO_PROXY`, ...; default process.env). */
  env?: Record<string, string | undefined>;
  /** The catalogue to resolve names in (default `DATASET_CATALOGUE`; another one for your own datasets). */
  catalogue?: readonly CatalogueEntry[];
  /** Passed to the downloader: attempts per address after the first, base backoff, idle timeout. */
  retries?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

/** A dataset file that could not be fetched from any address; the message says how to place it by hand. */
export class DatasetFetchError extends AbcError {
  readonly dataset: string;
  readonly file: string;
  constructor(dataset: string, file: string, message: string, options?: { cause?: unknown }) {
    super('DOWNLOAD', message, options);
    this.dataset = dataset;
    this.file = file;
  }
}

function mirrorUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path}`;
}

function byHand(entry: CatalogueEntry, file: CatalogueFile, dest: string, urls: readonly string[]): string {
  const check = file.checksum
    ? ` (${file.checksum.algorithm} ${file.checksum.hex}${file.checksum.of === 'gunzipped' ? ' of the gunzipped content' : ''})`
    : '';
  return (
    `To place it by hand: download ${urls[urls.length - 1]} (or any address above) on a machine with network access ` +
    `and copy it to ${dest}${check}; or serve a copy of the data folder over HTTP and pass --mirror URL. ` +
    `Then abc data list shows ${entry.name} as present.`
  );
}

async function fetchFile(
  entry: CatalogueEntry,
  file: CatalogueFile,
  dir: string,
  options: FetchDatasetsOptions,
): Promise<FetchedFile> {
  const dest = join(dir, ...file.path.split('/'));
  const urls = [...(options.mirrors ?? []).map((m) => mirrorUrl(m, file.path)), ...file.urls];
  const recorded = file.checksum ? undefined : await readRecordedSha256(dest);
  const checksum: DownloadChecksum | undefined = file.checksum
    ? { ...file.checksum }
    : recorded
      ? { algorithm: 'sha256', hex: recorded, of: 'file' }
      : undefined;
  options.onEvent?.({ type: 'start', dataset: entry.name, file, dest });
  let result: DownloadResult;
  try {
    result = await downloadFile({
      urls,
      dest,
      checksum,
      signal: options.signal,
      env: options.env,
      retries: options.retries,
      backoffMs: options.backoffMs,
      timeoutMs: options.timeoutMs,
      onProgress: (progress) => options.onEvent?.({ type: 'progress', dataset: entry.name, file, progress }),
    });
  } catch (e) {
    if (e instanceof DownloadError) {
      throw new DatasetFetchError(entry.name, file.path, `${entry.name}: ${e.message}\n${byHand(entry, file, dest, urls)}`, {
        cause: e,
      });
    }
    throw e;
  }
  // A file placed by hand (already there, no record yet) gets its record too, saying so.
  if (!checksum) await writeRecordedSha256(dest, result.sha256, result.skipped ? 'a file already in place' : result.url);
  const fetched: FetchedFile = {
    dataset: entry.name,
    path: dest,
    bytes: result.bytes,
    sha256: result.sha256,
    verification: file.checksum ? 'catalogue' : recorded ? 'recorded' : 'unverified',
    skipped: result.skipped,
    ...(result.skipped ? {} : { url: result.url }),
  };
  options.onEvent?.({ type: 'done', dataset: entry.name, file: fetched });
  return fetched;
}

/**
 * Downloads datasets of the catalogue into the data folder, in the `--data-dir` layout (`mnist/`, `kddcup99/`,
 * `cifar10/`, `fashion-mnist/`, `adbench/`), so every loader and `abc reproduce` read them. Each file is tried
 * from `mirrors` first, then the catalogue's addresses; it is resumed, written atomically under a lock, and
 * verified (a mismatch deletes it and names both hashes). A file the catalogue has no checksum for gets its
 * SHA-256 recorded beside it (`FILE.sha256`) at the first download, which later fetches check. Files already
 * present and verified are not downloaded again. When no address answers, a {@link DatasetFetchError} names
 * every address tried and how to place the file by hand.
 *
 * @example
 * const { dir, files } = await fetchDatasets(['mnist'], { onEvent: (e) => e.type === 'done' && console.log(e.file.path) });
 * await loadMnist(dir);
 */
export async function fetchDatasets(
  names: readonly string[],
  options: FetchDatasetsOptions = {},
): Promise<{ dir: string; files: FetchedFile[] }> {
  const entries = resolveDatasetNames(names, options.catalogue);
  const { dir } = defaultDataDir(options.dir, { env: options.env });
  const files: FetchedFile[] = [];
  for (const entry of entries) {
    for (const file of entry.files) files.push(await fetchFile(entry, file, dir, options));
  }
  return { dir, files };
}

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError, type Params } from '@abc/core';
import { cifarSplit, kddSplit, mnistSplit, type PaperSplit } from '../datasets/splits.js';
import { resolveMethods, type MethodSpec } from '../protocols/methods.js';
import type { Results, Setting } from '../protocols/records.js';
import { DATASET_NAMES, SETTING3_KNOWN_COUNTS, subsampleSplit, toySplit, type DatasetName } from '../protocols/settings.js';
import { renderReport, type DatasetInfo, type ReportArtifacts, type RenderedReport } from '../report/report.js';
import type { ToyPoints } from '../report/figures.js';
import type { GridSpec, HistoryPoint } from '../protocols/run.js';
import { loadCifar, type CifarTestSetChoice } from './cifar.js';
import { loadKdd } from './kdd.js';
import { loadMnist } from './mnist.js';
import { DatasetFormatError } from '../datasets/checksums.js';
import { defaultDataDir } from './data-dir.js';
import { fetchDatasets, type FetchDatasetsOptions } from './fetch-datasets.js';
import { findDataset } from './locate.js';
import {
  readRuns,
  runExperiments,
  writeFileAtomic,
  writeResults,
  type DatasetSource,
  type RunExecutor,
  type RunnerEvent,
} from './runner.js';

/** Options of {@link reproduce}. */
export interface ReproduceOptions {
  /** Output folder (created): runs.jsonl, results.json, report.md, report.html, figures/, artifacts/. */
  out: string;
  /** Default all four: toy2d, mnist, kdd99, cifar10. */
  datasets?: readonly DatasetName[];
  /** Default [1, 2, 3]. */
  settings?: readonly Setting[];
  /** Runs per experiment (default 5, the paper's). */
  runs?: number;
  /** `all` (default) or method ids (see `resolveMethods`). */
  methods?: string | readonly string[];
  /** Extra method specs (a plugin's detectors). */
  extraMethods?: Readonly<Record<string, MethodSpec>>;
  /**
   * Folder holding mnist/, kddcup99/, cifar10/ (default env ABC_DATA_DIR, else the cache folder `abc data fetch`
   * writes; see `defaultDataDir`); not needed for toy2d alone.
   */
  dataDir?: string;
  /**
   * Fetch the datasets missing from the data folder first (`true`, or the fetch's options: mirrors, progress);
   * without it a missing dataset is an error naming `abc data fetch NAME`.
   */
  download?: boolean | Omit<FetchDatasetsOptions, 'dir' | 'signal'>;
  /** Caps the networks' epochs: every epoch param of a method (`maxEpochs`, `epochs`, `aeEpochs`), recorded in its params. */
  maxEpochs?: number;
  /** Rows of each 2-D toy set (default 10,000, the paper's). */
  toySize?: number;
  /** Cut each of a split's five parts to at most this many rows (quick checks; recorded in params). */
  maxRowsPerPart?: number;
  /** CIFAR-10's test images: `auto` (default: exact test_batch.bin if present, else the lossy JPEG copies), or one. */
  cifarTestSet?: CifarTestSetChoice;
  /** Setting 3's counts (default 10, 50, 100, 500, 1,000, 5,000, all). */
  knownCounts?: readonly (number | 'all')[];
  /** Datasets that get setting 3 (default MNIST, the paper's; the requested datasets when MNIST is not among them). */
  setting3Datasets?: readonly DatasetName[];
  /** Seed of run 0 (default 0). */
  seed?: number;
  signal?: AbortSignal;
  onEvent?: (event: RunnerEvent) => void;
  onWarning?: (message: string) => void;
  /** Write report.md and report.html at the end (default true). */
  report?: boolean;
  /** Run the experiments elsewhere (a work queue: `@abc/queue`'s `queueRunExecutor`); the records are the same. */
  executor?: RunExecutor;
}

/** What {@link reproduce} did. */
export interface ReproduceResult {
  results: Results;
  ran: number;
  skipped: number;
  /** `method X is not registered …` for methods of `all` that were left out. */
  missing: string[];
  /** Files written (absolute or as joined with `out`). */
  files: string[];
}

/**
 * Parses a dataset list (`toy2d,mnist,kdd99,cifar10`, or `all`).
 *
 * @example
 * parseDatasets('toy2d,mnist');   // ['toy2d', 'mnist']
 */
export function parseDatasets(text: string): DatasetName[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 1 && items[0] === 'all') return [...DATASET_NAMES];
  const bad = items.filter((d) => !(DATASET_NAMES as readonly string[]).includes(d));
  if (bad.length > 0 || items.length === 0) {
    throw new ValidationError(
      'param',
      `unknown dataset ${bad.map((b) => `"${b}"`).join(', ') || '(none given)'}; datasets: ${DATASET_NAMES.join(', ')} or all`,
    );
  }
  return [...new Set(items)] as DatasetName[];
}

/**
 * The runner's source for one of the paper's datasets: `toy2d` is generated per seed (no files); `mnist`,
 * `kdd99` and `cifar10` are read once from `dataDir` (a folder holding mnist/, kddcup99/, cifar10/, or the
 * dataset's files directly) and split per seed as the paper does.
 *
 * @example
 * const src = datasetSource('mnist', { dataDir: 'data', maxRowsPerPart: 300 });
 */
export function datasetSource(
  name: DatasetName,
  options: Pick<ReproduceOptions, 'dataDir' | 'toySize' | 'maxRowsPerPart' | 'cifarTestSet' | 'onWarning'> = {},
): DatasetSource {
  const cap = options.maxRowsPerPart;
  const protocolParams: Params = {};
  if (cap !== undefined) protocolParams.maxRowsPerPart = cap;
  const reduce = (split: PaperSplit, seed: number): PaperSplit => (cap === undefined ? split : subsampleSplit(split, cap, seed));
  const capNote = cap === undefined ? [] : [`every part cut to at most ${cap} rows (seeded): not the paper's sizes`];
  const needDir = (): string => {
    const dir = options.dataDir;
    if (!dir)
      throw new ValidationError(
        'param',
        `dataset ${name} needs its files: give --data-dir DIR (or set ABC_DATA_DIR) holding mnist/, kddcup99/, cifar10/, or fetch them with \`abc data fetch ${name}\``,
      );
    return dir;
  };
  const loadOptions = { onWarning: options.onWarning };
  switch (name) {
    case 'toy2d': {
      const size = options.toySize ?? 10000;
      protocolParams.toySize = size;
      return {
        name,
        scale: false,
        grid: true,
        protocolParams,
        open: async () => ({
          split: (seed) => reduce(toySplit(size, seed), seed),
          notes: [...(size !== 10000 ? [`${size} rows per set instead of the paper's 10,000`] : []), ...capNote],
        }),
      };
    }
    case 'mnist':
      return {
        name,
        scale: true,
        protocolParams,
        open: async () => {
          const data = await loadMnist(needDir(), loadOptions);
          return { split: (seed) => reduce(mnistSplit(data, { seed }), seed), notes: [...data.warnings, ...capNote] };
        },
      };
    case 'kdd99':
      return {
        name,
        scale: true,
        protocolParams,
        open: async () => {
          const data = await loadKdd(needDir(), loadOptions);
          const split = kddSplit(data.train, data.test);
          return {
            split: (seed) => reduce(split, seed),
            notes: [
              ...data.warnings,
              "unknown anomalies: the R2L attacks (2,913 rows); the paper's 2,926 are 13 more, probably the xterm rows (U2R)",
              ...capNote,
            ],
          };
        },
      };
    case 'cifar10':
      return {
        name,
        scale: true,
        protocolParams,
        open: async () => {
          const data = await loadCifar(needDir(), {
            ...loadOptions,
            testSet: options.cifarTestSet ?? 'auto',
            classes: [1, 5, 9],
          });
          return {
            split: (seed) =>
              reduce(
                data.test ? cifarSplit(data.train, data.test, data.testSet) : cifarSplit(data.train, null, 'holdout', { seed }),
                seed,
              ),
            notes: [...data.warnings, `test set: ${data.testSet}`, ...capNote],
          };
        },
      };
    default:
      throw new ValidationError('param', `unknown dataset "${String(name)}"`);
  }
}

/**
 * Makes sure the data folder holds each dataset: fetches the missing ones when `download` is set, else throws a
 * {@link DatasetFormatError} (problem `missing`) that names `abc data fetch NAME`.
 */
async function ensureDatasets(
  names: readonly DatasetName[],
  dir: string,
  options: Pick<ReproduceOptions, 'download' | 'signal'>,
): Promise<void> {
  const missing = names.filter((n) => !findDataset(n, dir).present);
  if (missing.length === 0) return;
  if (options.download) {
    const fetchOptions = options.download === true ? {} : options.download;
    await fetchDatasets(missing, { ...fetchOptions, dir, signal: options.signal });
    return;
  }
  const files = missing.flatMap((n) => findDataset(n, dir).missing);
  throw new DatasetFormatError(
    dir,
    'missing',
    `${missing.join(', ')} not found (missing ${files.join(', ')}): fetch with \`abc data fetch ${missing.join(' ')}\` ` +
      `(or rerun with --download), or give --data-dir DIR holding ${missing.map((n) => (n === 'kdd99' ? 'kddcup99/' : `${n}/`)).join(', ')}`,
  );
}

/**
 * Reads what a reproduction left in `out` (results.json or runs.jsonl, datasets.json, artifacts/) and writes
 * `report.md`, `report.html` and `figures/*.svg`.
 *
 * @example
 * await writeReport('out');   // after an interrupted run, to see what finished
 */
export async function writeReport(
  out: string,
  options: { notes?: string[] } = {},
): Promise<RenderedReport & { files: string[] }> {
  const { records } = await readRuns(join(out, 'runs.jsonl'));
  const results = await writeResults(out, records);
  let datasets: Record<string, DatasetInfo> | undefined;
  try {
    datasets = JSON.parse(await readFile(join(out, 'datasets.json'), 'utf8')) as Record<string, DatasetInfo>;
  } catch {
    datasets = undefined;
  }
  const artifacts = await readArtifacts(join(out, 'artifacts'));
  const rendered = await renderReport({ results, datasets, artifacts, notes: options.notes });
  await mkdir(join(out, 'figures'), { recursive: true });
  const files: string[] = [];
  for (const [file, svg] of Object.entries(rendered.figures)) {
    await writeFileAtomic(join(out, 'figures', file), svg);
    files.push(join(out, 'figures', file));
  }
  await writeFileAtomic(join(out, 'report.md'), rendered.markdown);
  await writeFileAtomic(join(out, 'report.html'), rendered.html);
  files.unshift(join(out, 'report.md'), join(out, 'report.html'));
  return { ...rendered, files };
}

async function readArtifacts(dir: string): Promise<ReportArtifacts> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return {};
  }
  const dataset = 'toy2d';
  const out: ReportArtifacts = { dataset, grids: {}, histories: {} };
  const re = new RegExp(`^${dataset}-s1-(.+)-r0\\.json$`);
  for (const n of names) {
    if (n === `${dataset}-points.json`) {
      out.points = JSON.parse(await readFile(join(dir, n), 'utf8')) as ToyPoints;
      continue;
    }
    const m = re.exec(n);
    if (!m) continue;
    const a = JSON.parse(await readFile(join(dir, n), 'utf8')) as {
      grid?: GridSpec & { scores: number[] };
      history?: HistoryPoint[];
    };
    if (a.grid) out.grids![m[1]] = a.grid;
    if (a.history) out.histories![m[1]] = a.history;
  }
  return out;
}

/**
 * Reproduces the paper's experiments: resolves the methods through the registry (methods of `all` that are
 * not registered are left out and named in `missing`), runs settings 1–3 on the datasets with
 * {@link runExperiments} (resumable: rerun with the same `out`), then writes the report.
 *
 * @example
 * const r = await reproduce({ out: 'out', datasets: ['toy2d'], settings: [1], runs: 1, methods: 'abc-ae,ae', toySize: 500, maxEpochs: 5 });
 * r.files;   // ['out/report.md', 'out/report.html', 'out/figures/figure3.svg', …]
 */
export async function reproduce(options: ReproduceOptions): Promise<ReproduceResult> {
  const datasets = [...(options.datasets ?? DATASET_NAMES)];
  const settings = [...(options.settings ?? [1, 2, 3])] as Setting[];
  const runs = options.runs ?? 5;
  if (!(Number.isInteger(runs) && runs >= 1)) throw new ValidationError('param', `runs must be a positive integer, got ${runs}`);
  for (const s of settings)
    if (s !== 1 && s !== 2 && s !== 3) throw new ValidationError('param', `settings are 1, 2 and 3; got ${String(s)}`);
  if (options.maxEpochs !== undefined && !(Number.isInteger(options.maxEpochs) && options.maxEpochs >= 1)) {
    throw new ValidationError('param', `maxEpochs must be a positive integer, got ${options.maxEpochs}`);
  }
  if (options.toySize !== undefined && !(Number.isInteger(options.toySize) && options.toySize >= 1)) {
    throw new ValidationError('param', `toySize must be a positive integer, got ${options.toySize}`);
  }
  const { methods, missing } = resolveMethods(options.methods ?? 'all', { extra: options.extraMethods });
  missing.forEach((m) => {
    options.onWarning?.(m);
  });
  if (methods.length === 0) throw new ValidationError('param', `no method to run: ${missing.join('; ')}`);
  const dataDir = defaultDataDir(options.dataDir).dir;
  const setting3Datasets = options.setting3Datasets ?? (datasets.includes('mnist') ? ['mnist'] : datasets);
  const sources = datasets.map((d) => datasetSource(d, { ...options, dataDir }));
  // Fail (or fetch) early on a missing dataset rather than after hours of toy runs.
  await ensureDatasets(
    datasets.filter((d) => d !== 'toy2d'),
    dataDir,
    options,
  );
  await mkdir(options.out, { recursive: true });
  const fingerprint = {
    seed: options.seed ?? 0,
    maxEpochs: options.maxEpochs ?? null,
    toySize: options.toySize ?? 10000,
    maxRowsPerPart: options.maxRowsPerPart ?? null,
    cifarTestSet: options.cifarTestSet ?? 'auto',
  };
  const { results, ran, skipped } = await runExperiments({
    out: options.out,
    datasets: sources,
    settings,
    runs,
    seed: options.seed,
    methods,
    maxEpochs: options.maxEpochs,
    knownCounts: options.knownCounts ?? SETTING3_KNOWN_COUNTS,
    setting3Datasets,
    signal: options.signal,
    onEvent: options.onEvent,
    onWarning: options.onWarning,
    fingerprint,
    executor: options.executor,
  });
  const files = [join(options.out, 'runs.jsonl'), join(options.out, 'results.json')];
  if (options.report !== false) {
    const notes = [
      ...missing,
      ...(options.maxEpochs !== undefined
        ? [`networks capped at ${options.maxEpochs} epochs (the paper: at most 300, early stopping)`]
        : []),
      ...(settings.includes(3) ? [`setting 3 on ${setting3Datasets.join(', ')}`] : []),
    ];
    const report = await writeReport(options.out, { notes });
    files.push(...report.files);
  }
  return { results, ran, skipped, missing, files };
}

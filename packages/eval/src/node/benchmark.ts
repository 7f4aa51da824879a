/**
 * `abc benchmark` in Node: every chosen detector on a folder of ADBench-style `.npz` files under ADBench's
 * protocol (`adbenchSplit`), resumable through runs.jsonl as `abc reproduce` is (the same `readRuns`,
 * `writeFileAtomic` and output lock), then the report.
 */
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AbortError, throwIfAborted, ValidationError, type ProgressEvent } from '@abc/core';
import { DatasetFormatError } from '../datasets/checksums.js';
import { adbenchSplit, type AdbenchSplit } from '../protocols/adbench.js';
import { BENCHMARK_RATIOS, benchmarkMethods, parseRatios, planBenchmark, type BenchmarkTask } from '../benchmark/plan.js';
import {
  aggregateBenchmark,
  benchmarkRecordProblem,
  benchmarkRunKey,
  type BenchmarkRecord,
  type BenchmarkResults,
} from '../benchmark/records.js';
import { renderBenchmarkReport, type RenderedBenchmarkReport } from '../benchmark/report.js';
import {
  benchmarkRunMethodIds,
  benchmarkRunSpec,
  runBenchmarkJob,
  type BenchmarkRunSpec,
  type BenchmarkTaskOutcome,
  type ReliabilityRecord,
} from '../benchmark/run.js';
import { defaultDataDir } from './data-dir.js';
import { loadAdbenchDataset } from './npz.js';
import { lockOutDir, readRuns, writeFileAtomic } from './runner.js';

/** The suites `benchmark` knows. */
export const BENCHMARK_SUITES = ['adbench'] as const;

/** A benchmark suite. */
export type BenchmarkSuite = (typeof BENCHMARK_SUITES)[number];

/** Options of {@link benchmark}. */
export interface BenchmarkOptions {
  /** `adbench` (the only suite so far). */
  suite: BenchmarkSuite;
  /**
   * A folder holding `adbench/*.npz` (as `abc data fetch adbench` writes), or the `.npz` files directly; any
   * file with arrays X and y works. Default: env ABC_DATA_DIR, else the cache folder (`defaultDataDir`).
   */
  dataDir?: string;
  /** Dataset names (file names without `.npz`, e.g. `29_Pima`, or without the number, `Pima`); default every file. */
  datasets?: readonly string[];
  /** Shares of the training anomalies that are labelled (default 0, 0.01, 0.05, 0.1). */
  ratios?: readonly number[];
  /** Seeds 0..seeds-1 (default 3, ADBench's). */
  seeds?: number;
  /**
   * `all` (every registered detector, default) or a list of detector names / method ids, and calibrated
   * variants `METHOD+CALIBRATOR` (`abc+platt`, `iforest+unify`; calibrators platt, isotonic, linear, unify).
   */
  methods?: string | readonly string[];
  /** Caps every budget parameter that counts epochs (recorded in params as `maxEpochsCap`). */
  maxEpochs?: number;
  /** Output folder: runs.jsonl, results.json, reliability.jsonl, failures.jsonl, config.json, report.md, report.html, figures/. */
  out: string;
  signal?: AbortSignal;
  onEvent?: (event: BenchmarkEvent) => void;
  onWarning?: (message: string) => void;
  /** Write report.md and report.html at the end (default true). */
  report?: boolean;
  /**
   * Runs the fits elsewhere (a work queue: `@abc/queue`'s `queueBenchmarkExecutor`) instead of one by one here;
   * the records written are the same but for the timings. Without it, every fit runs in this process.
   */
  executor?: BenchmarkExecutor;
}

/** A run handed to a {@link BenchmarkExecutor}: its spec (plain data) and the dataset file it reads. */
export interface BenchmarkRunRequest {
  spec: BenchmarkRunSpec;
  file: BenchmarkDatasetFile;
}

/** What a {@link BenchmarkExecutor} reports, run by run, in any order. */
export interface BenchmarkExecutorHandlers {
  /** A finished run (`runBenchmarkJob`'s outcome): awaited before the executor forgets the run. */
  onOutcome(run: BenchmarkRunRequest, outcome: BenchmarkTaskOutcome): Promise<void>;
  /** A run that failed for good: recorded in failures.jsonl, as a local failure is, and redone by the next call. */
  onFailure(run: BenchmarkRunRequest, message: string): Promise<void>;
}

/**
 * Runs benchmark runs somewhere (the workers of a queue), each through `runBenchmarkJob`, and reports each once
 * through the handlers; rejects only when it cannot go on (Ctrl-C, a lost queue).
 *
 * @example
 * const executor: BenchmarkExecutor = async (runs, { onOutcome }) => {
 *   for (const run of runs) {
 *     const data = await loadAdbenchDataset(run.file.path);
 *     await onOutcome(run, await runBenchmarkJob(data, run.spec));
 *   }
 * };
 */
export type BenchmarkExecutor = (
  runs: readonly BenchmarkRunRequest[],
  handlers: BenchmarkExecutorHandlers,
  signal?: AbortSignal,
) => Promise<void>;

/** Progress of {@link benchmark}. */
export type BenchmarkEvent =
  | { type: 'dataset'; dataset: string; phase: 'loading' | 'loaded' | 'skipped'; message?: string }
  | { type: 'start'; task: BenchmarkTaskInfo; done: number; total: number }
  | { type: 'fit'; task: BenchmarkTaskInfo; event: ProgressEvent }
  | { type: 'run'; records: BenchmarkRecord[]; done: number; total: number; skipped: number; elapsedSeconds: number }
  | { type: 'failed'; task: BenchmarkTaskInfo; message: string; done: number; total: number };

/** A task as events name it. */
export interface BenchmarkTaskInfo {
  dataset: string;
  method: string;
  seed: number;
  /** The ratio fitted on (0 for unsupervised methods). */
  ratio: number;
  /** The ratios it is recorded at. */
  ratios: number[];
}

/** What {@link benchmark} did. */
export interface BenchmarkResult {
  results: BenchmarkResults;
  /**
   * Fits done now (an unsupervised fit recorded at several ratios counts once, and so does a fit recorded for
   * a method and its calibrated variants).
   */
  ran: number;
  /** Planned fits found recorded. */
  skipped: number;
  /** Fits that failed (recorded in failures.jsonl and redone on the next call). */
  failed: number;
  files: string[];
}

/** One `.npz` file of a benchmark folder. */
export interface BenchmarkDatasetFile {
  name: string;
  path: string;
}

async function npzFiles(dir: string): Promise<BenchmarkDatasetFile[]> {
  try {
    return (await readdir(dir))
      .filter((f) => /\.npz$/i.test(f))
      .map((f) => ({ name: f.replace(/\.npz$/i, ''), path: join(dir, f) }))
      .sort((a, b) => (parseInt(a.name, 10) || 0) - (parseInt(b.name, 10) || 0) || a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

/**
 * The datasets of a benchmark folder: `DIR/adbench/*.npz` when there are any, else `DIR/*.npz`, in ADBench's
 * numeric order. With `names`, those (by file name without `.npz`, or without the leading number, case
 * insensitive); a name with no file is a DatasetFormatError naming `abc data fetch adbench/NAME`.
 *
 * @example
 * await findBenchmarkDatasets('../shared/datasets', ['Pima', '4_breastw']);
 * // [{ name: '29_Pima', path: '../shared/datasets/adbench/29_Pima.npz' }, { name: '4_breastw', ... }]
 */
export async function findBenchmarkDatasets(dir: string, names?: readonly string[]): Promise<BenchmarkDatasetFile[]> {
  const nested = await npzFiles(join(dir, 'adbench'));
  const files = nested.length > 0 ? nested : await npzFiles(dir);
  if (!names) {
    if (files.length === 0) {
      throw new DatasetFormatError(
        dir,
        'missing',
        'no .npz dataset found here or in adbench/: fetch them with `abc data fetch adbench`, or give --data-dir DIR holding adbench/*.npz',
      );
    }
    return files;
  }
  const strip = (n: string) => n.toLowerCase().replace(/^\d+_/, '');
  const out: BenchmarkDatasetFile[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const lower = name.toLowerCase().replace(/\.npz$/, '');
    const hit = files.find((f) => f.name.toLowerCase() === lower) ?? files.find((f) => strip(f.name) === strip(lower));
    if (!hit) missing.push(name);
    else if (!out.includes(hit)) out.push(hit);
  }
  if (missing.length > 0) {
    throw new DatasetFormatError(
      dir,
      'missing',
      `dataset ${missing.join(', ')} not found in ${nested.length > 0 ? join(dir, 'adbench') : dir}: fetch with \`abc data fetch ${missing.map((m) => `adbench/${m}`).join(' ')}\` ` +
        `(ADBench's file names, e.g. adbench/29_Pima), or give --data-dir DIR holding adbench/NAME.npz`,
    );
  }
  return out;
}

/**
 * Reads a benchmark's runs.jsonl (a half-written last line ignored and, with `repair`, cut off; duplicates dropped).
 *
 * @example
 * const { records } = await readBenchmarkRuns('out/runs.jsonl');
 */
export function readBenchmarkRuns(path: string, options: { repair?: boolean } = {}) {
  return readRuns<BenchmarkRecord>(path, { ...options, check: benchmarkRecordProblem, key: benchmarkRunKey });
}

async function readJsonLines<T>(path: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a half-written line of an interrupted append: skipped
    }
  }
  return out;
}

/** A failed fit in failures.jsonl. */
interface FailureRecord {
  dataset: string;
  ratio: number;
  method: string;
  seed: number;
  error: string;
}

async function writeBenchmarkResults(out: string, records: readonly BenchmarkRecord[]): Promise<BenchmarkResults> {
  const results = aggregateBenchmark(records);
  await writeFileAtomic(join(out, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  return results;
}

/**
 * Writes results.json, report.md, report.html and figures/*.svg from what `out` holds (runs.jsonl,
 * reliability.jsonl, failures.jsonl, config.json), running nothing: after a finished benchmark, or part-way.
 *
 * @example
 * await writeBenchmarkReport('out');
 */
export async function writeBenchmarkReport(
  out: string,
  options: { notes?: string[] } = {},
): Promise<RenderedBenchmarkReport & { files: string[]; results: BenchmarkResults }> {
  const { records } = await readBenchmarkRuns(join(out, 'runs.jsonl'));
  const results = await writeBenchmarkResults(out, records);
  const done = new Set(records.map(benchmarkRunKey));
  // A reliability record is keyed by its fit's ratio: 0 for an unsupervised fit, whatever ratios it stands for.
  const fits = new Set(
    records.map((r) => (r.params.labels === 'none' ? benchmarkRunKey({ ...r, ratio: 0 }) : benchmarkRunKey(r))),
  );
  const keptReliability = new Map<string, ReliabilityRecord>();
  for (const r of await readJsonLines<ReliabilityRecord>(join(out, 'reliability.jsonl')))
    if (fits.has(benchmarkRunKey(r))) keptReliability.set(benchmarkRunKey(r), r);
  const failures = (await readJsonLines<FailureRecord>(join(out, 'failures.jsonl'))).filter((f) => !done.has(benchmarkRunKey(f)));
  const config =
    (await readFile(join(out, 'config.json'), 'utf8')
      .then((t) => JSON.parse(t) as Record<string, unknown>)
      .catch(() => undefined)) ?? {};
  const cap = config.maxEpochs;
  const notes = [
    ...(typeof cap === 'number' ? [`epoch budgets capped at ${cap} (maxEpochsCap in params)`] : []),
    ...(options.notes ?? []),
    ...[...new Map(failures.map((f) => [benchmarkRunKey(f), f])).values()].map(
      (f) => `failed: ${f.dataset} ratio ${f.ratio} ${f.method} seed ${f.seed}: ${f.error}`,
    ),
  ];
  const rendered = await renderBenchmarkReport({ results, reliability: [...keptReliability.values()], notes });
  await mkdir(join(out, 'figures'), { recursive: true });
  const files = [join(out, 'report.md'), join(out, 'report.html')];
  for (const [file, svg] of Object.entries(rendered.figures)) {
    await writeFileAtomic(join(out, 'figures', file), svg);
    files.push(join(out, 'figures', file));
  }
  await writeFileAtomic(join(out, 'report.md'), rendered.markdown);
  await writeFileAtomic(join(out, 'report.html'), rendered.html);
  return { ...rendered, files, results };
}

async function checkConfig(out: string, fingerprint: Record<string, string | number | null>): Promise<void> {
  const path = join(out, 'config.json');
  let previous: Record<string, unknown> | undefined;
  try {
    previous = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ValidationError('type', `${path}: ${(e as Error).message}`);
  }
  if (!previous) {
    await writeFileAtomic(path, `${JSON.stringify(fingerprint, null, 1)}\n`);
    return;
  }
  const diff = Object.keys(fingerprint).filter((k) => JSON.stringify(previous![k] ?? null) !== JSON.stringify(fingerprint[k]));
  if (diff.length > 0) {
    throw new ValidationError(
      'param',
      `${out} holds runs made with other options (${diff.map((k) => `${k}: ${JSON.stringify(previous![k] ?? null)} there, ${JSON.stringify(fingerprint[k])} now`).join('; ')}); use the same options to resume, or another --out`,
    );
  }
}

function info(t: BenchmarkTask): BenchmarkTaskInfo {
  return { dataset: t.dataset, method: t.method.spec.id, seed: t.seed, ratio: t.fitRatio, ratios: t.ratios };
}

/**
 * Runs the benchmark: for each dataset file, seed and method, ADBench's split ({@link adbenchSplit}: 1,000 /
 * 10,000 row resampling, stratified 70/30, min-max on training, `ceil(ratio x training anomalies)` labelled),
 * then a fit and a test score ({@link runBenchmarkJob}). Unsupervised methods see no labels: each is fitted
 * once per dataset and seed on the whole (contaminated) training part and its result is recorded once per
 * ratio (identical lines but `ratio`; `nLabelled` 0, `params.labels` 'none'). Label-aware methods are fitted
 * at every ratio above 0, and at ratio 0 only when they learn without anomalies (ABC). A calibrated variant
 * (`abc+platt`) is recorded from its method's fit, which the method and all its variants share (one fit, a
 * record each; see `runBenchmarkTask`).
 *
 * Resumable: finished runs are appended to `OUT/runs.jsonl` as they end and skipped by a later call with the
 * same `out` (other ratios, seeds, methods or datasets add to it; a different `maxEpochs` is an error).
 * Records are keyed by method id: a variant added to a finished folder fits its method again (the method's
 * own records are not rewritten). A fit that throws is reported (`onWarning`, failures.jsonl, a line per
 * output and ratio) and the benchmark goes on; it is retried next time.
 * `signal` stops between fits and inside one (an AbortError); what finished is on disk. With `executor`, the
 * pending fits of every dataset go to it at once (a work queue's workers) and are recorded here as they finish.
 *
 * @example
 * const r = await benchmark({ suite: 'adbench', dataDir: '../shared/datasets', datasets: ['29_Pima'],
 *   ratios: [0, 0.05], seeds: 1, methods: 'iforest,hbos,abc,abc+platt', maxEpochs: 20, out: 'bench' });
 * r.results.ranks;   // [{ ratio: 0, method: 'iforest', meanRank: 1 }, ...]
 */
export async function benchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const { out, signal } = options;
  if (!(BENCHMARK_SUITES as readonly string[]).includes(options.suite)) {
    throw new ValidationError('param', `unknown suite "${String(options.suite)}"; suites: ${BENCHMARK_SUITES.join(', ')}`);
  }
  const ratios = parseRatios(options.ratios ?? BENCHMARK_RATIOS);
  const nSeeds = options.seeds ?? 3;
  if (!(Number.isInteger(nSeeds) && nSeeds >= 1))
    throw new ValidationError('param', `seeds must be a positive integer, got ${nSeeds}`);
  if (options.maxEpochs !== undefined && !(Number.isInteger(options.maxEpochs) && options.maxEpochs >= 1)) {
    throw new ValidationError('param', `maxEpochs must be a positive integer, got ${options.maxEpochs}`);
  }
  const methods = benchmarkMethods(options.methods ?? 'all');
  const dataDir = defaultDataDir(options.dataDir).dir;
  const files = await findBenchmarkDatasets(dataDir, options.datasets);
  throwIfAborted(signal);
  await mkdir(out, { recursive: true });
  const unlock = await lockOutDir(out);
  try {
    await checkConfig(out, { suite: options.suite, maxEpochs: options.maxEpochs ?? null });
    const r = await runAll(options, { ratios, seeds: Array.from({ length: nSeeds }, (_, i) => i), methods, files });
    const outFiles = [join(out, 'runs.jsonl'), join(out, 'results.json')];
    if (options.report !== false) outFiles.push(...(await writeBenchmarkReport(out)).files);
    return { ...r, files: outFiles };
  } finally {
    await unlock();
  }
}

async function runAll(
  options: BenchmarkOptions,
  plan: { ratios: number[]; seeds: number[]; methods: ReturnType<typeof benchmarkMethods>; files: BenchmarkDatasetFile[] },
): Promise<Omit<BenchmarkResult, 'files'>> {
  const { out, signal } = options;
  const warn = (m: string) => options.onWarning?.(m);
  const runsPath = join(out, 'runs.jsonl');
  const { records, warnings } = await readBenchmarkRuns(runsPath, { repair: true });
  warnings.forEach(warn);
  const done = new Map(records.map((r) => [benchmarkRunKey(r), r]));
  const tasks = new Map(plan.files.map((f) => [f.name, planBenchmark(f.name, plan)]));
  const total = [...tasks.values()].reduce((a, t) => a + t.length, 0);
  const recordedAt = (t: { dataset: string; seed: number }, method: string, ratios: readonly number[]) =>
    ratios.every((ratio) => done.has(benchmarkRunKey({ dataset: t.dataset, ratio, method, seed: t.seed })));
  /** The outputs of a task (method ids) with a ratio not recorded yet. */
  const pendingOf = (t: BenchmarkTask) => t.outputs.map((o) => o.spec.id).filter((id) => !recordedAt(t, id, t.ratios));
  let finished = 0;
  let skipped = 0;
  let ran = 0;
  let failed = 0;
  const started = performance.now();
  const specOf = (t: BenchmarkTask, outputs: readonly string[]) =>
    benchmarkRunSpec(t, { suite: options.suite, maxEpochs: options.maxEpochs, outputs });
  /** Appends the records not recorded yet (a repeated outcome, a copy already made: each key once). */
  const append = async (rs: readonly BenchmarkRecord[]) => {
    const fresh = rs.filter((r) => !done.has(benchmarkRunKey(r)));
    if (fresh.length > 0) await appendFile(runsPath, fresh.map((r) => `${JSON.stringify(r)}\n`).join(''));
    for (const r of fresh) {
      done.set(benchmarkRunKey(r), r);
      records.push(r);
    }
  };
  /** A task done: results.json rewritten, the event sent. */
  const finish = async (rs: BenchmarkRecord[]) => {
    finished++;
    ran++;
    await writeBenchmarkResults(out, records);
    options.onEvent?.({
      type: 'run',
      records: rs,
      done: finished,
      total,
      skipped,
      elapsedSeconds: (performance.now() - started) / 1000,
    });
  };
  const appendOutcome = async (outcome: BenchmarkTaskOutcome) => {
    if (outcome.reliability.length > 0)
      await appendFile(join(out, 'reliability.jsonl'), outcome.reliability.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await append(outcome.records);
  };
  const recordFailure = async (task: BenchmarkTaskInfo, outputs: readonly string[], message: string) => {
    failed++;
    finished++;
    warn(`${task.dataset} ratio ${task.ratio} ${task.method} seed ${task.seed} failed: ${message}`);
    const failures = outputs.flatMap((method) =>
      task.ratios.map((ratio): FailureRecord => ({ dataset: task.dataset, ratio, method, seed: task.seed, error: message })),
    );
    await appendFile(join(out, 'failures.jsonl'), failures.map((f) => `${JSON.stringify(f)}\n`).join(''));
    options.onEvent?.({ type: 'failed', task, message, done: finished, total });
  };
  /**
   * Copies of the earlier results of an unsupervised method's outputs (its result stands for every ratio, so
   * a ratio added later needs no fit); returns the copies and the outputs that still need the fit.
   */
  const copyEarlier = async (task: BenchmarkTask, pending: readonly string[]) => {
    const copies: BenchmarkRecord[] = [];
    const needFit: string[] = [];
    for (const id of pending) {
      const earlier = task.method.unsupervised
        ? records.find((r) => r.dataset === task.dataset && r.method === id && r.seed === task.seed && r.params.labels === 'none')
        : undefined;
      if (earlier) copies.push(...task.ratios.map((ratio) => ({ ...earlier, ratio })));
      else needFit.push(id);
    }
    await append(copies);
    return { copies, needFit };
  };
  const queued: BenchmarkRunRequest[] = [];

  for (const file of plan.files) {
    throwIfAborted(signal);
    const list = tasks.get(file.name)!;
    if (list.every((t) => pendingOf(t).length === 0)) {
      finished += list.length;
      skipped += list.length;
      options.onEvent?.({ type: 'dataset', dataset: file.name, phase: 'skipped', message: 'every run already recorded' });
      continue;
    }
    let data: Awaited<ReturnType<typeof loadAdbenchDataset>> | undefined;
    let splits = new Map<string, AdbenchSplit>();
    let splitSeed = -1;
    const splitOf = (seed: number, ratio: number): AdbenchSplit => {
      if (seed !== splitSeed) {
        splits = new Map();
        splitSeed = seed;
      }
      const key = String(ratio);
      if (!splits.has(key)) splits.set(key, adbenchSplit(data!.X, data!.y, { seed, ratio }));
      return splits.get(key)!;
    };
    for (const task of list) {
      throwIfAborted(signal);
      const pending = pendingOf(task);
      if (pending.length === 0) {
        finished++;
        skipped++;
        continue;
      }
      const { copies, needFit } = await copyEarlier(task, pending);
      if (needFit.length === 0) {
        await finish(copies);
        continue;
      }
      // Through the executor: every pending run of every dataset at once (it spreads them), after the copies.
      if (options.executor) {
        queued.push({ spec: specOf(task, needFit), file });
        continue;
      }
      if (!data) {
        options.onEvent?.({ type: 'dataset', dataset: file.name, phase: 'loading' });
        data = await loadAdbenchDataset(file.path, { onWarning: warn });
        options.onEvent?.({
          type: 'dataset',
          dataset: file.name,
          phase: 'loaded',
          message: `${data.X.rows} rows, ${data.X.cols} features`,
        });
      }
      options.onEvent?.({ type: 'start', task: info(task), done: finished, total });
      try {
        const outcome = await runBenchmarkJob(data, specOf(task, needFit), {
          split: splitOf(task.seed, task.fitRatio),
          signal,
          onProgress: (event) => options.onEvent?.({ type: 'fit', task: info(task), event }),
          onWarning: warn,
        });
        await appendOutcome(outcome);
        await finish([...copies, ...outcome.records]);
      } catch (e) {
        if (e instanceof AbortError || signal?.aborted) throw e;
        await recordFailure(info(task), needFit, (e as Error).message);
      }
    }
  }
  if (options.executor && queued.length > 0) {
    const infoOf = ({ spec }: BenchmarkRunRequest): BenchmarkTaskInfo => ({
      dataset: spec.dataset,
      method: spec.method.id,
      seed: spec.seed,
      ratio: spec.fitRatio,
      ratios: spec.ratios,
    });
    // Recorded once per run, whatever the executor repeats: a run is recorded when every output it asked for is.
    const recorded = (spec: BenchmarkRunSpec) => benchmarkRunMethodIds(spec).every((id) => recordedAt(spec, id, spec.ratios));
    await options.executor(
      queued,
      {
        onOutcome: async (run, outcome) => {
          if (recorded(run.spec)) return;
          await appendOutcome(outcome);
          await finish(outcome.records);
        },
        onFailure: async (run, message) => {
          if (!recorded(run.spec)) await recordFailure(infoOf(run), benchmarkRunMethodIds(run.spec), message);
        },
      },
      signal,
    );
  }
  const results = await writeBenchmarkResults(out, records);
  return { results, ran, skipped, failed };
}

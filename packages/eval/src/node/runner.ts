import { open, mkdir, readFile, rename, truncate, unlink, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AbortError, ValidationError, getDetectorEntry, throwIfAborted, type Params, type ProgressEvent } from '@abc/core';
import type { PaperSplit } from '../datasets/splits.js';
import type { MethodSpec } from '../protocols/methods.js';
import { planDatasetRuns, plannedKey, type PlannedRun } from '../protocols/plan.js';
import {
  aggregateResults,
  recordProblem,
  runKey,
  type ExperimentRecord,
  type Results,
  type Setting,
} from '../protocols/records.js';
import { runMethod, TOY_GRID, type GridSpec, type RunArtifacts, type RunOutcome } from '../protocols/run.js';
import { SETTING3_KNOWN_COUNTS, settingData, splitSizes, type SplitSizes } from '../protocols/settings.js';

/**
 * Writes a file atomically: a temporary file in the same folder, then a rename over the target.
 *
 * @example
 * await writeFileAtomic('out/results.json', JSON.stringify(results));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** The records of a runs.jsonl file and what reading it found. */
export interface ReadRunsResult<R = ExperimentRecord> {
  records: R[];
  /** Warnings: a half-written last line ignored (and cut off the file), duplicates dropped. */
  warnings: string[];
}

/** Options of {@link readRuns}; `check` and `key` let another kind of record (the benchmark's) use it. */
export interface ReadRunsOptions<R = ExperimentRecord> {
  /** Cut a half-written last line off the file. */
  repair?: boolean;
  /** What is wrong with a parsed line as a record, or null (default: the experiment record's check). */
  check?: (value: unknown) => string | null;
  /** A run's key for duplicates (default: the experiment record's `runKey`). */
  key?: (record: R) => string;
}

/**
 * Reads `runs.jsonl`: one experiment record per line. A half-written last line (an interrupted append: not
 * valid JSON, or not a whole record) is ignored with a warning and, with `repair`, cut off the file so that
 * later appends start on a clean line; a bad line elsewhere is a {@link ValidationError} naming it. A later
 * duplicate of a run (same {@link runKey}) is dropped with a warning. A missing file reads as no records.
 *
 * @example
 * const { records, warnings } = await readRuns('out/runs.jsonl', { repair: true });
 */
export async function readRuns<R = ExperimentRecord>(path: string, options: ReadRunsOptions<R> = {}): Promise<ReadRunsResult<R>> {
  const check = options.check ?? recordProblem;
  const keyOf = options.key ?? ((r: R) => runKey(r as unknown as ExperimentRecord));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], warnings: [] };
    throw e;
  }
  const warnings: string[] = [];
  const records: R[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  let offset = 0;
  let lastNonEmpty = lines.length - 1;
  while (lastNonEmpty >= 0 && lines[lastNonEmpty].trim() === '') lastNonEmpty--;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const start = offset;
    offset += Buffer.byteLength(line, 'utf8') + 1;
    if (line.trim() === '') continue;
    let problem: string | null;
    let value: unknown;
    try {
      value = JSON.parse(line);
      problem = check(value);
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem !== null) {
      if (i === lastNonEmpty) {
        warnings.push(`${path}: ignoring a half-written last line (line ${i + 1}: ${problem}); that run will be redone`);
        if (options.repair) await truncate(path, start);
        break;
      }
      throw new ValidationError(
        'type',
        `${path}: line ${i + 1} is not an experiment record (${problem}); fix or remove that line`,
      );
    }
    const record = value as R;
    const key = keyOf(record);
    if (seen.has(key)) {
      warnings.push(`${path}: line ${i + 1} repeats run ${key}; the first record is kept`);
      continue;
    }
    seen.add(key);
    records.push(record);
    if (i === lastNonEmpty && i === lines.length - 1 && options.repair) {
      // A whole record without its newline: add it, so the next append starts a new line.
      await appendFile(path, '\n');
    }
  }
  return { records, warnings };
}

/**
 * Rewrites `results.json` atomically from the records: `{ runs, cells }` ({@link aggregateResults}).
 *
 * @example
 * await writeResults('out', records);
 */
export async function writeResults(outDir: string, records: readonly ExperimentRecord[]): Promise<Results> {
  const results = aggregateResults(records);
  await writeFileAtomic(join(outDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  return results;
}

/** A dataset as the runner uses it: opened once, then split per run seed. */
export interface DatasetSource {
  /** Name in records (`toy2d`, `mnist`, `kdd99`, `cifar10`, or another). */
  name: string;
  /** Min-max scale the features on the training data (the paper: all but the 2-D toy data). */
  scale: boolean;
  /** Loads the data (once) and returns the split of a seed. */
  open(): Promise<OpenedDataset>;
  /** Score Figure 3's grid in setting 1, run 0 (2-D data). */
  grid?: boolean;
  /** Protocol values recorded in each record's params (e.g. `toySize`, `maxRowsPerPart`). */
  protocolParams?: Params;
}

/** A loaded dataset. */
export interface OpenedDataset {
  split(seed: number): PaperSplit;
  /** Lines for the report (reductions, caveats, loader warnings). */
  notes?: string[];
}

/** A progress event of the runner. */
export type RunnerEvent =
  | { type: 'dataset'; dataset: string; phase: 'loading' | 'loaded' | 'skipped'; message?: string }
  | { type: 'run'; record: ExperimentRecord; done: number; total: number; skipped: number; elapsedSeconds: number }
  | { type: 'start'; task: PlannedRun; done: number; total: number }
  | { type: 'fit'; task: PlannedRun; event: ProgressEvent };

/** Options of {@link runExperiments}. */
export interface RunExperimentsOptions {
  /** Output folder: runs.jsonl, results.json, datasets.json, artifacts/. */
  out: string;
  datasets: readonly DatasetSource[];
  settings: readonly Setting[];
  runs: number;
  /** Seed of run 0 (run r: seed + r; default 0). */
  seed?: number;
  methods: readonly MethodSpec[];
  /** Caps the networks' epochs. */
  maxEpochs?: number;
  /** Setting 3's counts of known anomalies (default the paper's 10, 50, 100, 500, 1,000, 5,000, all). */
  knownCounts?: readonly (number | 'all')[];
  /** Datasets that get setting 3 (default: all given). */
  setting3Datasets?: readonly string[];
  /** Setting 2's number of unknown anomalies in training (default 100). */
  setting2Unknown?: number;
  signal?: AbortSignal;
  onEvent?: (event: RunnerEvent) => void;
  onWarning?: (message: string) => void;
  /** Options that must match the folder's earlier runs to resume (recorded in OUT/config.json). */
  fingerprint?: Record<string, string | number | boolean | null>;
  /**
   * Runs the tasks elsewhere (a work queue: `@abc/queue`) instead of one by one here; the records written are
   * the same. Without it, every run trains in this process.
   */
  executor?: RunExecutor;
}

/** A run handed to a {@link RunExecutor}: the planned run and what {@link runMethod} needs besides the data. */
export interface RunTask {
  task: PlannedRun;
  /** The dataset's name, scaling and protocol params (`toySize`, `maxRowsPerPart`). */
  dataset: Pick<DatasetSource, 'name' | 'scale' | 'protocolParams'>;
  maxEpochs?: number;
  /** Setting 2's number of unknown anomalies in training (default 100). */
  setting2Unknown?: number;
  /** Score Figure 3's grid and return the toy points too (setting 1, run 0 of 2-D data). */
  grid?: GridSpec;
}

/** What an executor returns per task: the run's record and artifacts, and for 2-D data the points of Figure 3. */
export interface RunTaskOutcome extends RunOutcome {
  points?: ToyPointsSample;
}

/** A sample of a toy test set's points, as `OUT/artifacts/DATASET-points.json` holds it. */
export interface ToyPointsSample {
  normal: [number, number][];
  known: [number, number][];
  unknown: [number, number][];
}

/**
 * Runs tasks somewhere (workers of a queue) and calls `onOutcome` once per finished task, in any order, waiting
 * for each call before it forgets the task; rejects on a task that cannot be done.
 *
 * @example
 * const executor: RunExecutor = async (tasks, onOutcome) => {
 *   for (const t of tasks) await onOutcome(t, await runSomewhere(t));
 * };
 */
export type RunExecutor = (
  tasks: readonly RunTask[],
  onOutcome: (task: RunTask, outcome: RunTaskOutcome) => Promise<void>,
  signal?: AbortSignal,
) => Promise<void>;

/** What {@link runExperiments} did. */
export interface RunExperimentsResult {
  results: Results;
  /** Runs done now. */
  ran: number;
  /** Planned runs found finished in runs.jsonl (not redone). */
  skipped: number;
  /** Dataset sizes as used (run 0), by dataset. */
  datasets: Record<string, DatasetRecord>;
}

/** What OUT/datasets.json holds per dataset. */
export interface DatasetRecord {
  D: number;
  sizes: SplitSizes;
  testSet: string;
  notes: string[];
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ValidationError('type', `${path}: ${(e as Error).message}`);
  }
}

/**
 * Takes `OUT/.lock` (a stale lock of a process that is gone is taken over); returns the release function. A
 * lock held by a live process is a ValidationError.
 *
 * @example
 * const unlock = await lockOutDir('out');
 * try { ... } finally { await unlock(); }
 */
export async function lockOutDir(outDir: string): Promise<() => Promise<void>> {
  return lock(outDir);
}

async function lock(outDir: string): Promise<() => Promise<void>> {
  const path = join(outDir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(path, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      return () => unlink(path).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      let alive = false;
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch {
          alive = false;
        }
      }
      if (alive)
        throw new ValidationError(
          'param',
          `${outDir} is being written by another reproduction (pid ${pid}); wait for it or use another --out`,
        );
      await unlink(path).catch(() => undefined); // stale lock of a process that is gone
    }
  }
  throw new ValidationError('param', `${outDir}: cannot take the lock file .lock`);
}

/**
 * Runs the paper's protocols and records each finished (dataset, setting, method, run) as it completes: one
 * JSON line appended to `OUT/runs.jsonl` (then `OUT/results.json` rewritten atomically), so an interrupted
 * reproduction resumes without redoing finished runs — rerun with the same `out`. Datasets are loaded one at a
 * time; a run's training and test sets come from {@link settingData}; each method runs through the registry
 * ({@link runMethod}). Setting 1, run 0 of each dataset also leaves `OUT/artifacts/*.json` (training
 * histories; score grids and a data sample for 2-D data) for the figures. Setting 3's run with every known
 * anomaly is setting 1's run of the same seed (identical training set and detector seed), so when that record
 * exists it is copied with `setting: 3` instead of being trained again.
 *
 * The `signal` stops the work between runs and inside a fit (at the next epoch or tree) with an
 * `AbortError`; what finished is on disk. `fingerprint` guards resuming: it is written to `OUT/config.json`
 * and a later call with different values is a {@link ValidationError} (mixing, say, capped and uncapped
 * epochs in one table would be wrong).
 *
 * @example
 * const ac = new AbortController();
 * process.on('SIGINT', () => ac.abort());
 * const { results, ran, skipped } = await runExperiments({
 *   out: 'out', datasets: [toySource(1000)], settings: [1, 2], runs: 5,
 *   methods: resolveMethods('abc-ae,ae').methods, signal: ac.signal,
 * });
 */
export async function runExperiments(options: RunExperimentsOptions): Promise<RunExperimentsResult> {
  const { out, signal } = options;
  throwIfAborted(signal);
  await mkdir(join(out, 'artifacts'), { recursive: true });
  const unlock = await lock(out);
  try {
    return await runLocked(options);
  } finally {
    await unlock();
  }
}

async function runLocked(options: RunExperimentsOptions): Promise<RunExperimentsResult> {
  const { out, signal } = options;
  const warn = (m: string) => options.onWarning?.(m);
  const configPath = join(out, 'config.json');
  const fingerprint = options.fingerprint ?? {};
  const previous = await readJson<Record<string, unknown>>(configPath);
  if (previous) {
    const diff = Object.keys({ ...previous, ...fingerprint }).filter(
      (k) => JSON.stringify(previous[k] ?? null) !== JSON.stringify(fingerprint[k] ?? null),
    );
    if (diff.length > 0) {
      throw new ValidationError(
        'param',
        `${out} holds runs made with other options (${diff.map((k) => `${k}: ${JSON.stringify(previous[k] ?? null)} there, ${JSON.stringify(fingerprint[k] ?? null)} now`).join('; ')}); use the same options to resume, or another --out`,
      );
    }
  } else {
    await writeFileAtomic(configPath, `${JSON.stringify(fingerprint, null, 1)}\n`);
  }
  const runsPath = join(out, 'runs.jsonl');
  const { records, warnings } = await readRuns(runsPath, { repair: true });
  warnings.forEach(warn);
  const done = new Map(records.map((r) => [runKey(r), r]));
  const datasetsPath = join(out, 'datasets.json');
  const datasetInfo: Record<string, DatasetRecord> = (await readJson<Record<string, DatasetRecord>>(datasetsPath)) ?? {};
  const methods = options.methods.map((m) => ({ ...m, supervised: getDetectorEntry(m.detector).supervision === 'supervised' }));
  const knownCounts = options.knownCounts ?? SETTING3_KNOWN_COUNTS;
  const settingsFor = (ds: string): Setting[] =>
    options.settings.filter((s) => s !== 3 || !options.setting3Datasets || options.setting3Datasets.includes(ds));
  const planFor = (ds: string, availableKnown?: number) =>
    planDatasetRuns({
      dataset: ds,
      settings: settingsFor(ds),
      runs: options.runs,
      seed: options.seed,
      methods,
      knownCounts,
      availableKnown,
    });
  // Totals: exact for datasets whose sizes are known from an earlier call, estimated otherwise.
  const plans = new Map<string, PlannedRun[]>();
  for (const ds of options.datasets) plans.set(ds.name, planFor(ds.name, datasetInfo[ds.name]?.sizes.trainKnown));
  const total = () => [...plans.values()].reduce((a, p) => a + p.length, 0);
  let finished = 0;
  let skipped = 0;
  let ran = 0;
  const started = performance.now();

  for (const ds of options.datasets) {
    throwIfAborted(signal);
    let plan = plans.get(ds.name)!;
    if (datasetInfo[ds.name] && plan.every((p) => done.has(plannedKey(p)))) {
      finished += plan.length;
      skipped += plan.length;
      options.onEvent?.({ type: 'dataset', dataset: ds.name, phase: 'skipped', message: 'every run already recorded' });
      continue;
    }
    options.onEvent?.({ type: 'dataset', dataset: ds.name, phase: 'loading' });
    const opened = await ds.open();
    throwIfAborted(signal);
    let split0: PaperSplit | undefined = opened.split(options.seed ?? 0);
    const info: DatasetRecord = {
      D: split0.train.normal.cols,
      sizes: splitSizes(split0),
      testSet: split0.testSet,
      notes: opened.notes ?? [],
    };
    datasetInfo[ds.name] = info;
    await writeFileAtomic(datasetsPath, `${JSON.stringify(datasetInfo, null, 1)}\n`);
    options.onEvent?.({ type: 'dataset', dataset: ds.name, phase: 'loaded' });
    plan = planFor(ds.name, info.sizes.trainKnown);
    plans.set(ds.name, plan);
    // A finished run: appended to runs.jsonl, counted, results.json rewritten, reported.
    const append = async (record: ExperimentRecord, key = runKey(record)) => {
      await appendFile(join(out, 'runs.jsonl'), `${JSON.stringify(record)}\n`);
      done.set(key, record);
      records.push(record);
      finished++;
      ran++;
      await writeResults(out, records);
      options.onEvent?.({
        type: 'run',
        record,
        done: finished,
        total: total(),
        skipped,
        elapsedSeconds: (performance.now() - started) / 1000,
      });
    };
    if (options.executor) {
      // Through the executor: every pending run at once (it spreads them), then setting 3's runs with every known
      // anomaly, copied from setting 1's records as below when those exist.
      split0 = undefined;
      const accept = async (t: RunTask, outcome: RunTaskOutcome) => {
        if (done.has(plannedKey(t.task))) return; // recorded once, whatever the executor repeats
        if (t.task.setting === 1 && t.task.run === 0)
          await saveArtifacts(out, outcome.record, outcome.artifacts, ds.grid ? outcome.points : undefined);
        await append(outcome.record);
      };
      const asTasks = (runs: PlannedRun[]): RunTask[] =>
        runs.map((task) => ({
          task,
          dataset: { name: ds.name, scale: ds.scale, protocolParams: ds.protocolParams },
          maxEpochs: options.maxEpochs,
          setting2Unknown: options.setting2Unknown,
          grid: task.setting === 1 && task.run === 0 && ds.grid ? TOY_GRID : undefined,
        }));
      const everyKnown = (t: PlannedRun) => t.setting === 3 && t.supervised && t.nKnown === info.sizes.trainKnown;
      const pending = plan.filter((t) => !done.has(plannedKey(t)));
      finished += plan.length - pending.length;
      skipped += plan.length - pending.length;
      const now = pending.filter((t) => !everyKnown(t));
      if (now.length > 0) await options.executor(asTasks(now), accept, signal);
      const later: PlannedRun[] = [];
      for (const task of pending.filter(everyKnown)) {
        const same = done.get(runKey({ dataset: ds.name, setting: 1, method: task.method.id, run: task.run, nKnown: 0 }));
        if (same && same.seed === task.seed) await append({ ...same, setting: 3 });
        else later.push(task);
      }
      if (later.length > 0) await options.executor(asTasks(later), accept, signal);
      continue;
    }
    let currentSeed: number | undefined;
    let split: PaperSplit | undefined;
    for (const task of plan) {
      throwIfAborted(signal);
      const key = plannedKey(task);
      if (done.has(key)) {
        finished++;
        skipped++;
        continue;
      }
      if (task.setting === 3 && task.supervised && task.nKnown === info.sizes.trainKnown) {
        // Setting 3 with every known anomaly is setting 1's run of the same seed (same training set, same
        // detector seed, deterministic): reuse its record rather than train the same model again.
        const same = done.get(runKey({ dataset: ds.name, setting: 1, method: task.method.id, run: task.run, nKnown: 0 }));
        if (same && same.seed === task.seed) {
          await append({ ...same, setting: 3 }, key);
          continue;
        }
      }
      if (currentSeed !== task.seed) {
        split = task.seed === (options.seed ?? 0) && split0 ? split0 : opened.split(task.seed);
        split0 = undefined; // free run 0's split once used
        currentSeed = task.seed;
      }
      const data = settingData(split!, task.setting, {
        seed: task.seed,
        nKnown: task.setting === 3 && task.supervised ? task.nKnown : undefined,
        setting2Unknown: options.setting2Unknown,
      });
      options.onEvent?.({ type: 'start', task, done: finished, total: total() });
      const keep = task.setting === 1 && task.run === 0;
      const { record, artifacts } = await runMethod(data, task.method, {
        dataset: ds.name,
        run: task.run,
        seed: task.seed,
        scale: ds.scale,
        maxEpochs: options.maxEpochs,
        protocolParams: ds.protocolParams,
        signal,
        grid: keep && ds.grid ? TOY_GRID : undefined,
        onProgress: (event) => options.onEvent?.({ type: 'fit', task, event }),
        onWarning: warn,
      });
      if (keep) await saveArtifacts(out, record, artifacts, ds.grid ? toyPoints(data) : undefined);
      await append(record, key);
    }
  }
  const results = await writeResults(out, records);
  return { results, ran, skipped, datasets: datasetInfo };
}

function sample(m: { data: Float32Array; rows: number; cols: number }, k: number): [number, number][] {
  const out: [number, number][] = [];
  const step = Math.max(1, Math.floor(m.rows / k));
  for (let i = 0; i < m.rows && out.length < k; i += step) out.push([m.data[i * m.cols], m.data[i * m.cols + 1]]);
  return out;
}

/**
 * The sample of a 2-D test set's points that Figure 3 draws (200 of each group).
 *
 * @example
 * const points = toyPoints(settingData(toySplit(1000, 0), 1, { seed: 0 }));
 */
export function toyPoints(toy: ReturnType<typeof settingData>): ToyPointsSample {
  return { normal: sample(toy.test.normal, 200), known: sample(toy.test.known, 200), unknown: sample(toy.test.unknown, 200) };
}

async function saveArtifacts(
  out: string,
  record: ExperimentRecord,
  artifacts: RunArtifacts,
  points: ToyPointsSample | undefined,
): Promise<void> {
  const dir = join(out, 'artifacts');
  if (points) {
    await writeFileAtomic(join(dir, `${record.dataset}-points.json`), JSON.stringify(points));
  }
  if (artifacts.history || artifacts.grid) {
    await writeFileAtomic(
      join(dir, `${record.dataset}-s${record.setting}-${record.method}-r${record.run}.json`),
      JSON.stringify(artifacts),
    );
  }
}

/** Re-exported for callers that catch it. */
export { AbortError };

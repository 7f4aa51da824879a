/**
 * One benchmark fit: a method on an ADBench split, scored on its test part, measured (AUROC, AP, calibration,
 * times) and recorded at each of its ratios. Browser-safe: no file access.
 */
import { throwIfAborted, type Matrix, type ProgressEvent } from '@abc/core';
import { averagePrecision } from '../metrics/aupr.js';
import { auroc } from '../metrics/auroc.js';
import {
  brierScore,
  expectedCalibrationError,
  logLoss,
  reliabilityDiagram,
  type ReliabilityBin,
} from '../metrics/calibration.js';
import { adbenchSplit, type AdbenchSplit } from '../protocols/adbench.js';
import type { MethodSpec } from '../protocols/methods.js';
import { finiteScores } from '../protocols/run.js';
import { benchmarkMethod, benchmarkParams, epochBudget, type BenchmarkTask } from './plan.js';
import type { BenchmarkRecord } from './records.js';

/** Options of {@link runBenchmarkTask}. */
export interface RunBenchmarkTaskOptions {
  /** Suite name recorded (`adbench`). */
  suite: string;
  /** Caps an epoch budget (see `benchmarkParams`). */
  maxEpochs?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  onWarning?: (message: string) => void;
}

/** The reliability diagram of one run (detectors with a probability). */
export interface ReliabilityRecord {
  dataset: string;
  ratio: number;
  method: string;
  seed: number;
  bins: ReliabilityBin[];
}

/** What one task gives: one record per ratio, and its reliability diagram when the detector has a probability. */
export interface BenchmarkTaskOutcome {
  records: BenchmarkRecord[];
  reliability: ReliabilityRecord | null;
}

/**
 * Fits the task's method on the split's training part — unsupervised methods on all of it without labels
 * (contaminated with the unlabelled anomalies, as ADBench), label-aware ones with its labels (1 = labelled
 * anomaly) — then scores the test part: AUROC, average precision, and for detectors with a probability the
 * Brier score, log loss and ECE (15 equal-mass bins) of `predictProba`. Returns one record per ratio of the
 * task (an unsupervised method's result stands for every ratio; `nLabelled` is 0 then).
 *
 * @example
 * const split = adbenchSplit(X, y, { ratio: 0.05, seed: 0 });
 * const { records } = await runBenchmarkTask(split, task, { suite: 'adbench', maxEpochs: 20 });
 */
export async function runBenchmarkTask(
  split: AdbenchSplit,
  task: BenchmarkTask,
  options: RunBenchmarkTaskOptions,
): Promise<BenchmarkTaskOutcome> {
  const { signal } = options;
  throwIfAborted(signal);
  const { method } = task;
  const params = benchmarkParams(method, { seed: task.seed, maxEpochs: options.maxEpochs });
  const detector = method.entry.create(params);
  let lastEpoch: number | null = null;
  const fitOptions = {
    signal,
    onProgress: (e: ProgressEvent) => {
      if (e.unit === 'epoch') lastEpoch = e.step;
      options.onProgress?.(e);
    },
  };
  const t0 = performance.now();
  if (method.unsupervised) await detector.fit(split.train.X, null, fitOptions);
  else await detector.fit(split.train.X, split.train.y, fitOptions);
  const fitSeconds = (performance.now() - t0) / 1000;
  throwIfAborted(signal);

  const t1 = performance.now();
  const raw = await detector.scoreSamples(split.test.X);
  const scoreSeconds = (performance.now() - t1) / 1000;
  const { scores, replaced } = finiteScores(raw);
  const where = `${task.dataset} ratio ${task.fitRatio} ${method.spec.id} seed ${task.seed}`;
  if (replaced > 0) options.onWarning?.(`${where}: ${replaced} non-finite test scores ranked as extremes`);
  const y = split.test.y;

  let calibration: Pick<BenchmarkRecord, 'brier' | 'ece' | 'logLoss'> = { brier: null, ece: null, logLoss: null };
  let reliability: ReliabilityRecord | null = null;
  if (method.entry.hasProbability) {
    const p = Float64Array.from(await detector.predictProba(split.test.X), (v) =>
      Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0.5,
    );
    calibration = { brier: brierScore(p, y), ece: expectedCalibrationError(p, y), logLoss: logLoss(p, y) };
    reliability = {
      dataset: task.dataset,
      ratio: task.fitRatio,
      method: method.spec.id,
      seed: task.seed,
      bins: reliabilityDiagram(p, y),
    };
  }
  const history = (detector as unknown as { history?: unknown }).history;
  const epochs = Array.isArray(history) && history.length > 0 ? history.length : lastEpoch;
  const recordedParams = {
    ...detector.getParams(),
    labels: method.unsupervised ? 'none' : 'labelled anomalies',
    ...(options.maxEpochs !== undefined && epochBudget(method.entry) ? { maxEpochsCap: options.maxEpochs } : {}),
  };
  const base = {
    suite: options.suite,
    dataset: task.dataset,
    method: method.spec.id,
    seed: task.seed,
    nTrain: split.train.X.rows,
    nTest: split.test.X.rows,
    nLabelled: method.unsupervised ? 0 : split.nLabelled,
    auroc: auroc(scores, y),
    aupr: averagePrecision(scores, y),
    ...calibration,
    fitSeconds,
    scoreSeconds,
    epochs,
    params: recordedParams,
  };
  // Field order of the contract: suite, dataset, ratio, method, ...
  const records = task.ratios.map((ratio): BenchmarkRecord => {
    const { suite, dataset, ...rest } = base;
    return { suite, dataset, ratio, ...rest };
  });
  return { records, reliability };
}

/**
 * One benchmark run as plain data (JSON): everything besides the dataset's rows that {@link runBenchmarkJob}
 * needs. A work queue sends it to its workers; the local runner goes through the same function.
 */
export interface BenchmarkRunSpec {
  /** Suite name recorded (`adbench`). */
  suite: string;
  /** The dataset's name in the records (its file name without `.npz`). */
  dataset: string;
  seed: number;
  /** The ratio whose split the method is fitted on. */
  fitRatio: number;
  /** The ratios the result is recorded at. */
  ratios: number[];
  /** The method (plain data): its id in the records, its detector's registry name, its own params. */
  method: MethodSpec;
  /** Caps an epoch budget (see `benchmarkParams`). */
  maxEpochs?: number;
}

/**
 * The plain-data spec of a planned task.
 *
 * @example
 * const spec = benchmarkRunSpec(task, { suite: 'adbench', maxEpochs: 20 });
 * JSON.parse(JSON.stringify(spec));   // the same spec: it travels as JSON
 */
export function benchmarkRunSpec(task: BenchmarkTask, options: { suite: string; maxEpochs?: number }): BenchmarkRunSpec {
  return {
    suite: options.suite,
    dataset: task.dataset,
    seed: task.seed,
    fitRatio: task.fitRatio,
    ratios: [...task.ratios],
    method: { ...task.method.spec },
    ...(options.maxEpochs !== undefined ? { maxEpochs: options.maxEpochs } : {}),
  };
}

/** Options of {@link runBenchmarkJob}. */
export interface RunBenchmarkJobOptions {
  /** The split of (`spec.seed`, `spec.fitRatio`) when already made (the local runner keeps one per seed); else it is made here. */
  split?: AdbenchSplit;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  onWarning?: (message: string) => void;
}

/**
 * Runs one benchmark run from its spec and the dataset's rows: ADBench's split of `spec.seed` at
 * `spec.fitRatio` ({@link adbenchSplit}), then {@link runBenchmarkTask}. `abc benchmark` runs every run through
 * here, locally or on a queue's workers, so both write the same records (but the timings). An unregistered
 * detector is an `UnknownDetectorError`.
 *
 * @example
 * const { X, y } = await loadAdbenchDataset('data/adbench/29_Pima.npz');
 * const { records } = await runBenchmarkJob({ X, y }, {
 *   suite: 'adbench', dataset: '29_Pima', seed: 0, fitRatio: 0, ratios: [0, 0.05],
 *   method: { id: 'iforest', detector: 'iforest' },
 * });
 */
export async function runBenchmarkJob(
  data: { X: Matrix; y: Uint8Array },
  spec: BenchmarkRunSpec,
  options: RunBenchmarkJobOptions = {},
): Promise<BenchmarkTaskOutcome> {
  const task: BenchmarkTask = {
    dataset: spec.dataset,
    seed: spec.seed,
    method: benchmarkMethod(spec.method),
    fitRatio: spec.fitRatio,
    ratios: [...spec.ratios],
  };
  throwIfAborted(options.signal);
  const split = options.split ?? adbenchSplit(data.X, data.y, { seed: spec.seed, ratio: spec.fitRatio });
  return runBenchmarkTask(split, task, {
    suite: spec.suite,
    maxEpochs: spec.maxEpochs,
    signal: options.signal,
    onProgress: options.onProgress,
    onWarning: options.onWarning,
  });
}

/**
 * One benchmark fit: a method on an ADBench split, scored on its test part, measured (AUROC, AP, calibration,
 * times) and recorded at each of its ratios. Browser-safe: no file access.
 */
import { throwIfAborted, type ProgressEvent } from '@abc/core';
import { averagePrecision } from '../metrics/aupr.js';
import { auroc } from '../metrics/auroc.js';
import {
  brierScore,
  expectedCalibrationError,
  logLoss,
  reliabilityDiagram,
  type ReliabilityBin,
} from '../metrics/calibration.js';
import type { AdbenchSplit } from '../protocols/adbench.js';
import { finiteScores } from '../protocols/run.js';
import { benchmarkParams, epochBudget, type BenchmarkTask } from './plan.js';
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

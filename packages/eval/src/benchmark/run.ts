/**
 * One benchmark fit: a method on an ADBench split, scored on its test part, measured (AUROC, AP, calibration,
 * times) and recorded at each of its ratios. Browser-safe: no file access.
 */
import {
  CALIBRATION_METHODS,
  calibrationNeedsLabels,
  throwIfAborted,
  ValidationError,
  type CalibrationMethod,
  type Matrix,
  type Params,
  type ProgressEvent,
} from '@abc/core';
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
import { epochParams, type MethodSpec } from '../protocols/methods.js';
import { finiteScores } from '../protocols/run.js';
import { calibratedProbabilities, calibratedRanking } from './calibrate.js';
import { benchmarkMethod, benchmarkParams, calibratedMethod, calibratedMethodId, type BenchmarkTask } from './plan.js';
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

/** The reliability diagram of one run of a method with a probability (a calibrated variant has one); `ratio` is the fit ratio. */
export interface ReliabilityRecord {
  dataset: string;
  ratio: number;
  method: string;
  seed: number;
  bins: ReliabilityBin[];
}

/**
 * What one task gives: one record per output (the method and/or its calibrated variants) and ratio, and the
 * reliability diagram of each output with a probability.
 */
export interface BenchmarkTaskOutcome {
  records: BenchmarkRecord[];
  reliability: ReliabilityRecord[];
}

/**
 * Fits the task's method on the split's training part — unsupervised methods on all of it without labels
 * (contaminated with the unlabelled anomalies, as ADBench), label-aware ones with its labels (1 = labelled
 * anomaly) — then scores the test part once, and records every output of the task from that one fit:
 *
 * - the method itself: AUROC and average precision of `scoreSamples`, and for detectors with a probability
 *   the Brier score, log loss and ECE (15 equal-mass bins) of `predictProba`;
 * - a calibrated variant (`abc+platt`, ...): the Brier score, log loss and ECE of the calibrated p(anomaly) of
 *   {@link calibratedProbabilities} on the whole test part (`platt`/`isotonic` cross-fitted on stratified
 *   halves of the test part, `linear`/`unify` fitted on the training scores), its AUROC and AP those of
 *   {@link calibratedRanking} (per half for `platt`/`isotonic`), its params those of its base plus
 *   `calibration` and `calibratedOn`, its `fitSeconds` its base's plus the calibration's (scoring the training
 *   part included).
 *
 * Returns one record per output and ratio of the task (an unsupervised method's result stands for every
 * ratio; `nLabelled` is 0 then).
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

  // linear and unify are fitted on the training scores: scored once for all of them.
  let train: { scores: Float64Array; seconds: number } | undefined;
  if (task.outputs.some((o) => o.calibration !== null && !calibrationNeedsLabels(o.calibration))) {
    const t2 = performance.now();
    const trainRaw = finiteScores(await detector.scoreSamples(split.train.X));
    if (trainRaw.replaced > 0) options.onWarning?.(`${where}: ${trainRaw.replaced} non-finite training scores clamped`);
    train = { scores: trainRaw.scores, seconds: (performance.now() - t2) / 1000 };
  }

  const history = (detector as unknown as { history?: unknown }).history;
  const epochs = Array.isArray(history) && history.length > 0 ? history.length : lastEpoch;
  const fittedParams = {
    ...detector.getParams(),
    labels: method.unsupervised ? 'none' : 'labelled anomalies',
    ...(options.maxEpochs !== undefined && epochParams(method.entry).length > 0 ? { maxEpochsCap: options.maxEpochs } : {}),
  };
  const rawRanking = { auroc: auroc(scores, y), aupr: averagePrecision(scores, y) };
  const records: BenchmarkRecord[] = [];
  const reliability: ReliabilityRecord[] = [];
  for (const output of task.outputs) {
    throwIfAborted(signal);
    let ranking = rawRanking;
    let p: Float64Array | null = null;
    let outputFitSeconds = fitSeconds;
    let recordedParams: Params = fittedParams;
    if (output.calibration === null) {
      if (method.entry.hasProbability) {
        p = Float64Array.from(await detector.predictProba(split.test.X), (v) =>
          Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0.5,
        );
      }
    } else {
      const fromLabels = calibrationNeedsLabels(output.calibration);
      const t3 = performance.now();
      p = calibratedProbabilities(output.calibration, {
        testScores: scores,
        testLabels: y,
        trainScores: train?.scores,
        seed: task.seed,
      });
      ranking = calibratedRanking(output.calibration, p, y, task.seed);
      outputFitSeconds = fitSeconds + (performance.now() - t3) / 1000 + (fromLabels ? 0 : train!.seconds);
      recordedParams = {
        ...fittedParams,
        calibration: output.calibration,
        calibratedOn: fromLabels ? CALIBRATED_ON_TEST_HALVES : CALIBRATED_ON_TRAINING,
      };
    }
    const calibration: Pick<BenchmarkRecord, 'brier' | 'ece' | 'logLoss'> =
      p === null
        ? { brier: null, ece: null, logLoss: null }
        : { brier: brierScore(p, y), ece: expectedCalibrationError(p, y), logLoss: logLoss(p, y) };
    if (p !== null) {
      reliability.push({
        dataset: task.dataset,
        ratio: task.fitRatio,
        method: output.spec.id,
        seed: task.seed,
        bins: reliabilityDiagram(p, y),
      });
    }
    // Field order of the contract: suite, dataset, ratio, method, ...
    for (const ratio of task.ratios) {
      records.push({
        suite: options.suite,
        dataset: task.dataset,
        ratio,
        method: output.spec.id,
        seed: task.seed,
        nTrain: split.train.X.rows,
        nTest: split.test.X.rows,
        nLabelled: method.unsupervised ? 0 : split.nLabelled,
        auroc: ranking.auroc,
        aupr: ranking.aupr,
        ...calibration,
        fitSeconds: outputFitSeconds,
        scoreSeconds,
        epochs,
        params: recordedParams,
      });
    }
  }
  return { records, reliability };
}

/** `params.calibratedOn` of a `platt` or `isotonic` variant's records. */
export const CALIBRATED_ON_TEST_HALVES = 'stratified halves of the test part, swapped';
/** `params.calibratedOn` of a `linear` or `unify` variant's records. */
export const CALIBRATED_ON_TRAINING = 'training scores';

/**
 * What a run records from its fit, as plain data: `raw` is the method's own output (its id `method.id`), a
 * calibration method its calibrated variant (`method.id + '+' + calibration`).
 */
export type BenchmarkOutput = 'raw' | CalibrationMethod;

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
  /** The method fitted (plain data): its id in the records, its detector's registry name, its own params. */
  method: MethodSpec;
  /**
   * What is recorded from the one fit (see {@link BenchmarkOutput}); absent means `['raw']`, the method alone
   * (so a plain run's spec, and its queue job's id, are what they were before calibrated variants).
   */
  outputs?: BenchmarkOutput[];
  /** Caps an epoch budget (see `benchmarkParams`). */
  maxEpochs?: number;
}

/**
 * The plain-data spec of a planned task; with `outputs`, only those of the task's outputs (method ids) are
 * asked for (a resumed run that has some of them recorded).
 *
 * @example
 * const spec = benchmarkRunSpec(task, { suite: 'adbench', maxEpochs: 20 });
 * JSON.parse(JSON.stringify(spec));   // the same spec: it travels as JSON
 */
export function benchmarkRunSpec(
  task: BenchmarkTask,
  options: { suite: string; maxEpochs?: number; outputs?: readonly string[] },
): BenchmarkRunSpec {
  const wanted = options.outputs ? task.outputs.filter((o) => options.outputs!.includes(o.spec.id)) : task.outputs;
  const outputs = wanted.map((o): BenchmarkOutput => o.calibration ?? 'raw');
  return {
    suite: options.suite,
    dataset: task.dataset,
    seed: task.seed,
    fitRatio: task.fitRatio,
    ratios: [...task.ratios],
    method: { ...task.method.spec },
    ...(outputs.length === 1 && outputs[0] === 'raw' ? {} : { outputs }),
    ...(options.maxEpochs !== undefined ? { maxEpochs: options.maxEpochs } : {}),
  };
}

/**
 * The method ids a run spec records (each at every ratio of `spec.ratios`).
 *
 * @example
 * benchmarkRunMethodIds({ ...spec, method: { id: 'abc', detector: 'abc' }, outputs: ['raw', 'platt'] });   // ['abc', 'abc+platt']
 */
export function benchmarkRunMethodIds(spec: BenchmarkRunSpec): string[] {
  return (spec.outputs ?? ['raw']).map((o) => (o === 'raw' ? spec.method.id : calibratedMethodId(spec.method.id, o)));
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
 * `spec.fitRatio` ({@link adbenchSplit}), then {@link runBenchmarkTask}: one fit, a record per output and
 * ratio. `abc benchmark` runs every run through here, locally or on a queue's workers, so both write the same
 * records (but the timings). An unregistered detector is an `UnknownDetectorError`, an unknown output a
 * ValidationError.
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
  const method = benchmarkMethod(spec.method);
  const outputs = spec.outputs ?? ['raw'];
  if (outputs.length === 0) throw new ValidationError('param', `benchmark run ${spec.method.id}: outputs is empty`);
  const task: BenchmarkTask = {
    dataset: spec.dataset,
    seed: spec.seed,
    method,
    outputs: outputs.map((o) => {
      if (o === 'raw') return method;
      if (!CALIBRATION_METHODS.includes(o)) {
        throw new ValidationError(
          'param',
          `benchmark run ${spec.method.id}: unknown output ${JSON.stringify(o)}; outputs are raw, ${CALIBRATION_METHODS.join(', ')}`,
        );
      }
      return calibratedMethod(method, o);
    }),
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

import {
  matrix,
  MinMaxScaler,
  Pipeline,
  throwIfAborted,
  vstack,
  type Detector,
  type Params,
  type ProgressEvent,
} from '@abc/core';
import { averagePrecision } from '../metrics/aupr.js';
import { auroc } from '../metrics/auroc.js';
import { labelledSet } from '../datasets/toy.js';
import { methodEntry, methodParams, type MethodSpec } from './methods.js';
import type { ExperimentRecord } from './records.js';
import type { SettingData } from './settings.js';

/** A grid of 2-D points to score for Figure 3's heatmaps. */
export interface GridSpec {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  /** Points per axis. */
  steps: number;
}

/** Figure 3's default grid: the two half circles and the unknown cluster around (−3, 3). */
export const TOY_GRID: GridSpec = { xMin: -4.5, xMax: 3, yMin: -2, yMax: 4.5, steps: 41 };

/** One training epoch as the figures use it (a subset of the models' `EpochRecord`). */
export interface HistoryPoint {
  epoch: number;
  loss: number | null;
  lossNormal: number | null;
  lossAnomaly: number | null;
  errorNormal: number | null;
  errorAnomaly: number | null;
}

/** What a run leaves besides its record: the training history (networks) and the scores on a grid. */
export interface RunArtifacts {
  history?: HistoryPoint[];
  grid?: GridSpec & { scores: number[] };
}

/** Options of {@link runMethod}. */
export interface RunMethodOptions {
  dataset: string;
  run: number;
  seed: number;
  /** Min-max scaling fitted on the training data in a Pipeline (the paper's, except for the 2-D toy data). */
  scale: boolean;
  /** Caps the networks' epochs (recorded in params as `maxEpochs`). */
  maxEpochs?: number;
  /** Protocol values recorded in `params` besides the detector's (e.g. `toySize`). */
  protocolParams?: Params;
  /** Extra params for the detector, over the protocol's. */
  paramOverrides?: Params;
  signal?: AbortSignal;
  /** Progress of the fit (epochs, trees). */
  onProgress?: (event: ProgressEvent) => void;
  /** Also score this grid of 2-D points (Figure 3). */
  grid?: GridSpec;
  /** Non-finite scores were replaced (see {@link finiteScores}); called with a message. */
  onWarning?: (message: string) => void;
}

/** A finished run: its record and artifacts. */
export interface RunOutcome {
  record: ExperimentRecord;
  artifacts: RunArtifacts;
}

/**
 * Replaces non-finite scores so that AUROC and AP are defined: +∞ becomes the largest float64, and −∞ and
 * NaN (a diverged network) the lowest, i.e. "not anomalous" — ties among themselves. Returns the count replaced.
 *
 * @example
 * finiteScores(Float32Array.of(0.1, NaN, Infinity));   // { scores: [0.1, -1.79e308, 1.79e308], replaced: 2 }
 */
export function finiteScores(scores: ArrayLike<number>): { scores: Float64Array; replaced: number } {
  const out = new Float64Array(scores.length);
  let replaced = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (Number.isFinite(v)) out[i] = v;
    else {
      replaced++;
      out[i] = v === Infinity ? Number.MAX_VALUE : -Number.MAX_VALUE;
    }
  }
  return { scores: out, replaced };
}

/** AUROC and AP of normals (negatives) against one group of anomalies (positives). */
function versus(normal: Float64Array, anomalies: Float64Array): { auroc: number; ap: number } {
  const s = new Float64Array(normal.length + anomalies.length);
  s.set(normal, 0);
  s.set(anomalies, normal.length);
  const y = new Uint8Array(s.length);
  y.fill(1, normal.length);
  return { auroc: auroc(s, y), ap: averagePrecision(s, y) };
}

/**
 * The points of a grid, row by row (x fastest), as a flat [x0, y0, x1, y1, …] buffer.
 *
 * @example
 * gridPoints({ xMin: 0, xMax: 1, yMin: 0, yMax: 1, steps: 2 });   // [0, 0, 1, 0, 0, 1, 1, 1]
 */
export function gridPoints(grid: GridSpec): Float32Array {
  const { xMin, xMax, yMin, yMax, steps } = grid;
  const out = new Float32Array(steps * steps * 2);
  for (let j = 0; j < steps; j++) {
    for (let i = 0; i < steps; i++) {
      const k = j * steps + i;
      out[2 * k] = xMin + ((xMax - xMin) * i) / (steps - 1);
      out[2 * k + 1] = yMin + ((yMax - yMin) * j) / (steps - 1);
    }
  }
  return out;
}

function historyOf(detector: Detector): HistoryPoint[] | undefined {
  const h = (detector as unknown as { history?: unknown }).history;
  if (!Array.isArray(h) || h.length === 0) return undefined;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return h.map((e: Record<string, unknown>, i) => ({
    epoch: typeof e.epoch === 'number' ? e.epoch : i + 1,
    loss: num(e.loss),
    lossNormal: num(e.lossNormal),
    lossAnomaly: num(e.lossAnomaly),
    errorNormal: num(e.errorNormal),
    errorAnomaly: num(e.errorAnomaly),
  }));
}

/**
 * Runs one method on one setting's data: builds the detector through the registry with the protocol's params
 * ({@link methodParams}), puts it behind a min-max scaler fitted on the training data when `scale`, fits it —
 * supervised detectors on normals (0) and known anomalies (1), unsupervised ones on the normals only — and
 * scores the test set. AUROC and AP ("AUPR") are of test normals against test known anomalies and against test
 * unknown anomalies. `epochs` is the length of the detector's training `history` (the networks'), else the
 * last epoch its progress reported, else null.
 *
 * @example
 * const data = settingData(toySplit(2000, 0), 1);
 * const { record } = await runMethod(data, METHOD_TABLE['abc-ae'], { dataset: 'toy2d', run: 0, seed: 0, scale: false });
 * record.aurocKnown;   // ≈ 0.96
 */
export async function runMethod(data: SettingData, spec: MethodSpec, options: RunMethodOptions): Promise<RunOutcome> {
  const { signal } = options;
  throwIfAborted(signal);
  const entry = methodEntry(spec);
  const params = {
    ...methodParams(spec, entry, { seed: options.seed, nFeatures: data.trainNormal.cols, maxEpochs: options.maxEpochs }),
    ...(options.paramOverrides ?? {}),
  };
  const detector = entry.create(params);
  const model: Detector = options.scale ? new Pipeline([new MinMaxScaler(), detector]) : detector;
  const supervised = entry.supervision === 'supervised';
  let lastEpoch: number | null = null;
  const fitOptions = {
    signal,
    onProgress: (e: ProgressEvent) => {
      if (e.unit === 'epoch') lastEpoch = e.step;
      options.onProgress?.(e);
    },
  };
  const t0 = performance.now();
  if (supervised) {
    const { X, y } = labelledSet(data.trainNormal, data.trainKnown);
    await model.fit(X, y, fitOptions);
  } else {
    await model.fit(data.trainNormal, null, fitOptions);
  }
  const fitSeconds = (performance.now() - t0) / 1000;
  throwIfAborted(signal);
  const fitted = model instanceof Pipeline ? model.detector : model;

  const { normal, known, unknown } = data.test;
  const t1 = performance.now();
  const raw = await model.scoreSamples(vstack([normal, known, unknown]));
  const scoreSeconds = (performance.now() - t1) / 1000;
  const { scores, replaced } = finiteScores(raw);
  if (replaced > 0) {
    options.onWarning?.(
      `${options.dataset} setting ${data.setting} ${spec.id} run ${options.run}: ${replaced} non-finite test scores ranked as extremes`,
    );
  }
  const sN = scores.subarray(0, normal.rows);
  const sK = scores.subarray(normal.rows, normal.rows + known.rows);
  const sU = scores.subarray(normal.rows + known.rows);
  const k = versus(sN, sK);
  const u = versus(sN, sU);

  const history = historyOf(fitted);
  const artifacts: RunArtifacts = {};
  if (history) artifacts.history = history;
  if (options.grid && data.trainNormal.cols === 2) {
    const g = options.grid;
    const gridScores = finiteScores(await model.scoreSamples(matrix(gridPoints(g), g.steps * g.steps, 2))).scores;
    artifacts.grid = { ...g, scores: Array.from(gridScores, (v) => Math.fround(v)) };
  }
  const record: ExperimentRecord = {
    dataset: options.dataset,
    setting: data.setting,
    method: spec.id,
    run: options.run,
    seed: options.seed,
    nKnown: supervised ? data.trainKnown.rows : 0,
    testSet: data.testSet,
    aurocKnown: k.auroc,
    aurocUnknown: u.auroc,
    auprKnown: k.ap,
    auprUnknown: u.ap,
    epochs: history ? history.length : lastEpoch,
    fitSeconds,
    scoreSeconds,
    params: { ...fitted.getParams(), scaler: options.scale ? 'minmax' : 'none', ...(options.protocolParams ?? {}) },
  };
  return { record, artifacts };
}

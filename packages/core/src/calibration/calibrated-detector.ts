import type { Detector, FitOptions, Supervision } from '../detector.js';
import { quantile } from '../detector.js';
import { ModelFormatError, NotFittedError, ValidationError, throwIfAborted } from '../errors.js';
import { takeRows } from '../matrix.js';
import { commonDetectorParams, copyParams, resolveParams, type ParamSpace, type Params } from '../params.js';
import { Random } from '../random.js';
import { createDetector, hasDetector, registerDetector } from '../registry.js';
import type { JsonValue, ModelState, Tensor } from '../state.js';
import { validateLabels, validateMatrix, type DataLike, type Labels, type LabelsLike } from '../validate.js';
import {
  CALIBRATION_METHODS,
  calibrate,
  calibrationNeedsLabels,
  calibratorFromState,
  calibratorToState,
  fitCalibrator,
  type CalibrationMethod,
  type Calibrator,
} from './calibrator.js';

/** The parameters of a {@link CalibratedDetector}; the wrapped detector keeps its own. */
export type CalibratedParams = {
  method: CalibrationMethod;
  /** Share of each class held out to fit `platt` or `isotonic` (unused by `linear` and `unify`). */
  calibrationFraction: number;
  /** Seeds the stratified split (the wrapped detector is seeded by its own `seed`). */
  seed: number;
  threshold: number | null;
  contamination: number | null;
};

const TENSOR_PREFIX = { detector: 'detector/', calibrator: 'calibrator/' } as const;

/**
 * A detector and a calibrator on its scores, itself a {@link Detector} whose `scoreSamples` and
 * `predictProba` are the calibrated p(anomaly) (`hasProbability` is true, so `predict` thresholds at 0.5
 * unless `threshold` or `contamination` say otherwise).
 *
 * `fit(X, y)`:
 * - `platt` and `isotonic` (labels required): a stratified split (seeded by `seed`) holds out
 *   `calibrationFraction` of each class; the detector is fitted on the rest (with its labels; an unsupervised
 *   detector ignores them) and the calibrator on the detector's scores of the held-out rows. Each class needs
 *   at least two rows, one on each side.
 * - `linear` and `unify` (PyOD's label-free rescalings): the detector is fitted on all of X, the calibrator on
 *   its training scores; labels are needed only when the detector is supervised.
 *
 * The detector is fitted on a clone, so the instance given to the constructor is never changed and an aborted
 * fit leaves this one as it was. In a {@link Pipeline} it goes last, in place of the detector. It saves and
 * loads as one model file through `serialize`/`deserialize` once {@link registerCalibratedDetector} has run:
 * the wrapped detector (which must be registered itself) travels inside its state, as pipeline steps do.
 *
 * @example
 * const det = new CalibratedDetector(createDetector('iforest', { seed: 1 }), { method: 'isotonic' });
 * await det.fit(X, y);                        // y: 1 = anomaly, 0 = normal
 * const p = await det.predictProba(Xtest);    // calibrated p(anomaly), Float32Array
 */
export class CalibratedDetector implements Detector<CalibratedParams> {
  static readonly paramSpace: ParamSpace = {
    ...commonDetectorParams,
    seed: { type: 'int', default: 0, min: 0, description: 'seed of the stratified calibration split' },
    method: {
      type: 'choice',
      default: 'platt',
      choices: CALIBRATION_METHODS,
      description: 'platt or isotonic (fitted on held-out labelled scores), linear or unify (PyOD, label-free)',
    },
    calibrationFraction: {
      type: 'float',
      default: 0.5,
      min: 0,
      max: 1,
      exclusiveMin: true,
      exclusiveMax: true,
      description: 'share of each class held out to fit a platt or isotonic calibrator',
    },
  };

  readonly name = 'calibrated';
  readonly hasProbability = true;
  private params: CalibratedParams;
  private inner: Detector | null;
  private info: { calibrator: Calibrator; threshold: number } | null = null;

  /**
   * @param detector the detector to calibrate (not changed: `fit` fits a clone). `null` only for an instance
   *   that `setState` fills (what the registry entry creates when a model file is loaded).
   */
  constructor(detector: Detector | null, params?: Partial<CalibratedParams>) {
    if (detector !== null && (typeof detector !== 'object' || typeof (detector as Detector).scoreSamples !== 'function')) {
      throw new ValidationError('param', 'CalibratedDetector: the first argument must be a detector');
    }
    this.inner = detector;
    this.params = resolveParams(
      CalibratedDetector.paramSpace,
      params as Record<string, unknown>,
      'CalibratedDetector',
    ) as CalibratedParams;
  }

  /** The wrapped detector: the fitted one after `fit` or loading. */
  get detector(): Detector {
    if (this.inner === null)
      throw new ValidationError(
        'param',
        'CalibratedDetector has no detector: construct it as new CalibratedDetector(detector, params)',
      );
    return this.inner;
  }
  /** The fitted calibrator (undefined before fit). */
  get calibrator(): Calibrator | undefined {
    return this.info?.calibrator;
  }
  /** `platt` and `isotonic` learn from labels; `linear` and `unify` are as supervised as the wrapped detector. */
  get supervision(): Supervision {
    if (calibrationNeedsLabels(this.params.method)) return 'supervised';
    return this.inner?.supervision ?? 'unsupervised';
  }
  get fitted(): boolean {
    return this.info !== null;
  }
  get nFeatures(): number | undefined {
    return this.info ? this.inner!.nFeatures : undefined;
  }
  get featureNames(): readonly string[] | undefined {
    return this.info ? this.inner!.featureNames : undefined;
  }
  get threshold(): number | undefined {
    return this.info?.threshold;
  }

  async fit(X: DataLike, y?: LabelsLike | null, options: FitOptions = {}): Promise<this> {
    const base = this.detector;
    const Xm = validateMatrix(X);
    const { method, calibrationFraction, seed } = this.params;
    const needsLabels = calibrationNeedsLabels(method);
    let labels: Labels | undefined;
    if (needsLabels || base.supervision === 'supervised' || (y !== undefined && y !== null)) labels = validateLabels(y, Xm.rows);
    throwIfAborted(options.signal);
    const inner = base.clone();
    let calibrator: Calibrator;
    if (needsLabels) {
      const split = stratifiedSplit(labels!, calibrationFraction, new Random(seed), method);
      await inner.fit(takeRows(Xm, split.fit), pick(labels!, split.fit), options);
      throwIfAborted(options.signal);
      const held = await inner.scoreSamples(takeRows(Xm, split.calibration));
      calibrator = fitCalibrator(method, held, pick(labels!, split.calibration));
    } else {
      await inner.fit(Xm, labels ?? null, options);
      throwIfAborted(options.signal);
      calibrator = fitCalibrator(method, await inner.scoreSamples(Xm));
    }
    const trainProba = calibrate(calibrator, await inner.scoreSamples(Xm));
    const threshold = this.resolveThreshold(trainProba);
    throwIfAborted(options.signal);
    // Commit only now: an abort or error above leaves the previous state untouched.
    this.inner = inner;
    this.info = { calibrator, threshold };
    return this;
  }

  async scoreSamples(X: DataLike): Promise<Float32Array> {
    const info = this.info;
    if (info === null) throw new NotFittedError('CalibratedDetector');
    const raw = await this.inner!.scoreSamples(X);
    return Float32Array.from(calibrate(info.calibrator, raw));
  }

  /** The calibrated p(anomaly): the same as `scoreSamples`. */
  async predictProba(X: DataLike): Promise<Float32Array> {
    return this.scoreSamples(X);
  }

  async predict(X: DataLike): Promise<Uint8Array> {
    const p = await this.scoreSamples(X);
    const t = this.info!.threshold;
    const out = new Uint8Array(p.length);
    for (let i = 0; i < p.length; i++) out[i] = p[i] > t ? 1 : 0;
    return out;
  }

  getParams(): CalibratedParams {
    return copyParams(this.params);
  }

  /** Changes the wrapper's own params (the detector's are set on it); a fitted instance becomes unfitted. */
  setParams(params: Partial<CalibratedParams>): this {
    this.params = resolveParams(
      CalibratedDetector.paramSpace,
      { ...this.params, ...params },
      'CalibratedDetector',
    ) as CalibratedParams;
    this.info = null;
    return this;
  }

  clone(): CalibratedDetector {
    return new CalibratedDetector(this.inner === null ? null : this.inner.clone(), this.getParams());
  }

  /**
   * The fitted state: threshold and calibrator in `meta`, with the wrapped detector's name, params and state
   * under `meta.detector`; its tensors are prefixed `detector/`, the calibrator's `calibrator/`.
   */
  getState(): ModelState {
    const info = this.info;
    if (info === null) throw new NotFittedError('CalibratedDetector');
    const inner = this.inner!;
    if (!hasDetector(inner.name)) {
      throw new ValidationError(
        'param',
        `cannot save CalibratedDetector: its detector "${inner.name}" is not registered, so it could not be loaded again`,
      );
    }
    const innerState = inner.getState();
    const cal = calibratorToState(info.calibrator);
    const tensors: { [name: string]: Tensor } = {};
    for (const [k, t] of Object.entries(innerState.tensors)) tensors[TENSOR_PREFIX.detector + k] = t;
    for (const [k, t] of Object.entries(cal.tensors)) tensors[TENSOR_PREFIX.calibrator + k] = t;
    return {
      meta: {
        threshold: info.threshold,
        calibrator: cal.meta,
        detector: { name: inner.name, params: toJson(inner.getParams()), state: innerState.meta },
      },
      tensors,
    };
  }

  /** Restores a state from {@link getState}; the wrapped detector is created through the registry. */
  setState(state: ModelState): void {
    const bad = (what: string): never => {
      throw new ModelFormatError(`CalibratedDetector state is invalid: ${what}`);
    };
    const { threshold, calibrator, detector } = state.meta;
    if (typeof threshold !== 'number' || Number.isNaN(threshold)) bad('"threshold" is not a number');
    if (typeof detector !== 'object' || detector === null || Array.isArray(detector)) {
      bad('"detector" is not an object');
      return;
    }
    const { name, params, state: innerMeta } = detector;
    if (typeof name !== 'string') bad('"detector.name" is not a string');
    if (typeof params !== 'object' || params === null || Array.isArray(params)) bad('"detector.params" is not an object');
    if (typeof innerMeta !== 'object' || innerMeta === null || Array.isArray(innerMeta)) bad('"detector.state" is not an object');
    const cal = calibratorFromState(calibrator, withPrefix(state.tensors, TENSOR_PREFIX.calibrator));
    if (cal.method !== this.params.method) bad(`the calibrator is "${cal.method}" but the params say "${this.params.method}"`);
    const inner = createDetector(name as string, params as Params);
    inner.setState({
      meta: innerMeta as { [key: string]: JsonValue },
      tensors: withPrefix(state.tensors, TENSOR_PREFIX.detector),
    });
    this.inner = inner;
    this.info = { calibrator: cal, threshold: threshold as number };
  }

  /** The `threshold` param, else the `contamination` quantile of the calibrated training scores, else 0.5. */
  private resolveThreshold(trainProba: Float64Array): number {
    const { threshold, contamination } = this.params;
    if (threshold !== null) return threshold;
    if (contamination === null) return 0.5;
    return quantile(Float32Array.from(trainProba), 1 - contamination);
  }
}

/**
 * Registers the loader entry `calibrated` (idempotent), which `deserialize` needs to read a saved
 * {@link CalibratedDetector}, alone or as a pipeline's last step. It is not registered by default, because
 * `createDetector('calibrated', params)` alone cannot build a fittable detector: the wrapped detector is a
 * constructor argument, not a parameter (params are flat numbers, strings and booleans), so the entry would
 * otherwise show up among the methods that `listDetectors()` offers to the CLI, model search and benchmarks
 * without being usable there. The entry says `supervised` (the default method, `platt`, needs labels).
 *
 * @example
 * registerCalibratedDetector();
 * const bytes = await serialize(calibrated);
 * const again = await deserialize(bytes);   // a CalibratedDetector scoring as `calibrated` does
 */
export function registerCalibratedDetector(): void {
  if (hasDetector('calibrated')) return;
  registerDetector({
    name: 'calibrated',
    supervision: 'supervised',
    hasProbability: true,
    description:
      'a detector with a probability calibrator (Platt, isotonic, PyOD linear/unify); built with new CalibratedDetector(detector, params)',
    paramSpace: CalibratedDetector.paramSpace,
    create: (params) => new CalibratedDetector(null, params as Partial<CalibratedParams>),
  });
}

/**
 * Splits row indices by class: `fraction` of each class (rounded, at least one row and at most all but one)
 * goes to the calibration part, the rest to the fit part; both parts in increasing row order.
 */
function stratifiedSplit(y: Labels, fraction: number, rng: Random, method: string): { fit: number[]; calibration: number[] } {
  const byClass: number[][] = [[], []];
  for (let i = 0; i < y.length; i++) byClass[y[i]].push(i);
  const fit: number[] = [];
  const calibration: number[] = [];
  byClass.forEach((rows, label) => {
    if (rows.length < 2) {
      throw new ValidationError(
        'labels',
        `CalibratedDetector: method "${method}" needs at least 2 rows of each class (one to fit the detector, one to calibrate); y has ${rows.length} ${label === 1 ? 'anomal' : 'normal'}${rows.length === 1 ? (label === 1 ? 'y' : ' row') : label === 1 ? 'ies' : ' rows'}`,
      );
    }
    const nCal = Math.min(rows.length - 1, Math.max(1, Math.round(fraction * rows.length)));
    const order = rng.permutation(rows.length);
    for (let k = 0; k < rows.length; k++) (k < nCal ? calibration : fit).push(rows[order[k]]);
  });
  fit.sort((a, b) => a - b);
  calibration.sort((a, b) => a - b);
  return { fit, calibration };
}

function pick(y: Labels, rows: readonly number[]): Labels {
  return Uint8Array.from(rows, (i) => y[i]);
}

function withPrefix(tensors: { [name: string]: Tensor }, prefix: string): { [name: string]: Tensor } {
  const out: { [name: string]: Tensor } = Object.create(null);
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t;
  return out;
}

function toJson(params: Params): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(params)) out[k] = Array.isArray(v) ? [...v] : (v as JsonValue);
  return out;
}

import {
  BaseDetector,
  ModelFormatError,
  type DataLike,
  type Params,
  takeRows,
  tensor,
  type FitContext,
  type Matrix,
  type ModelState,
  type Random,
  defineParams,
  type KernelSvmExportSpec,
} from '@abc/core';
import { decisionValues } from './kernel.js';
import { defaultMaxIter, solveSmo, type SmoProblem, type SmoResult } from './smo.js';

/** A fitted RBF-kernel SVM (two-class or one-class): f(x) = Σ_s coef_s exp(−γ ||sv_s − x||²) − rho. */
export interface SvmModel {
  /** Support vectors, row-major nSV × nFeatures. */
  supportVectors: Float32Array;
  /** Dual coefficients: y_s α_s for SVC (y = +1 for anomalies), α_s for the one-class SVM. */
  dualCoef: Float64Array;
  rho: number;
  /** The γ used (resolved from 'scale' when the gamma param is null). */
  gamma: number;
  nFeatures: number;
  /** SMO iterations and whether the stopping rule was met before the iteration cap. */
  iterations: number;
  converged: boolean;
  /** Set when the training rows were subsampled to `maxSamples`. */
  subsampled: { from: number; to: number } | null;
}

/** Parameter specs the two SVMs share. */
export const sharedSvmParams = defineParams({
  gamma: {
    type: 'float',
    default: null,
    nullable: true,
    min: 0,
    exclusiveMin: true,
    description:
      "RBF kernel coefficient in exp(-gamma ||x - x'||^2); null means scikit-learn's 'scale': 1 / (nFeatures * X.var()) on the training rows",
    search: { low: 1e-4, high: 10, log: true },
  },
  tol: {
    type: 'float',
    default: 1e-3,
    min: 0,
    exclusiveMin: true,
    description: "SMO stopping tolerance on the maximal KKT violation (libsvm's eps, scikit-learn's tol)",
  },
  maxIter: {
    type: 'int',
    default: null,
    nullable: true,
    min: 1,
    description:
      "cap on SMO iterations; null = no limit of our own (libsvm's safety cap max(1e7, 100 n) applies); a fit that stops at the cap is recorded as converged: false",
  },
  maxSamples: {
    type: 'int',
    default: 10_000,
    min: 2,
    description:
      'largest training set the solver sees: a larger one is subsampled (seeded; stratified by label for SVM) to this many rows, recorded in the model state as subsampled: { from, to }',
  },
  cacheSize: {
    type: 'float',
    default: 200,
    min: 1,
    description: "kernel cache in MB (float32 kernel rows, least-recently-used), as scikit-learn's cache_size",
  },
});

/** Iterations between progress events (and abort checks) of the solver. */
export const PROGRESS_EVERY = 1000;

/**
 * Seeded subsample of `maxSamples` row indices (ascending), stratified by label when labels are given
 * (each class keeps its share, rounded, at least one row). Null when no subsample is needed.
 */
export function subsampleIndices(n: number, maxSamples: number, rng: Random, y?: Uint8Array): Uint32Array | null {
  if (n <= maxSamples) return null;
  let picked: number[];
  if (y) {
    const byClass: number[][] = [[], []];
    for (let i = 0; i < n; i++) byClass[y[i]].push(i);
    const n1 = byClass[1].length;
    let k1 = Math.round((maxSamples * n1) / n);
    if (n1 > 0) k1 = Math.max(1, k1);
    if (byClass[0].length > 0) k1 = Math.min(k1, maxSamples - 1);
    const k0 = maxSamples - k1;
    picked = [];
    for (const [c, k] of [
      [0, k0],
      [1, k1],
    ] as const) {
      const rows = byClass[c];
      const order = rng.sample(rows.length, k);
      for (let t = 0; t < k; t++) picked.push(rows[order[t]]);
    }
  } else {
    picked = Array.from(rng.sample(n, maxSamples));
  }
  return Uint32Array.from(picked).sort();
}

/** Applies a subsample to X (and y). */
export function applySubsample(
  X: Matrix,
  y: Uint8Array | undefined,
  idx: Uint32Array | null,
): { X: Matrix; y: Uint8Array | undefined } {
  if (idx === null) return { X, y };
  return { X: takeRows(X, idx), y: y ? Uint8Array.from(idx, (i) => y[i]) : undefined };
}

/**
 * Runs the solver with a progress event every {@link PROGRESS_EVERY} iterations (and one at the end), and,
 * about every 50 ms of solver time, a turn of the event loop and an abort check, so that an `AbortSignal` fired
 * by a timer or a UI lands during a long fit (also while the initial gradient is built).
 */
export async function runSolver(prob: SmoProblem, ctx: FitContext): Promise<SmoResult> {
  const res = await solveSmo(prob, {
    every: PROGRESS_EVERY,
    progress: (iteration, gap) =>
      ctx.progress({ step: iteration, totalSteps: prob.maxIter, unit: 'iteration', metrics: { violation: gap } }),
    tickMs: 50,
    tick: async () => {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      ctx.checkAborted();
    },
  });
  ctx.progress({
    step: res.iterations,
    totalSteps: res.iterations,
    unit: 'iteration',
    metrics: { objective: res.obj, rho: res.rho, supportVectors: countNonZero(res.alpha) },
  });
  return res;
}

export function resolveMaxIter(maxIter: number | null, l: number): number {
  return maxIter === null ? defaultMaxIter(l) : maxIter;
}

function countNonZero(a: Float64Array): number {
  let k = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) k++;
  return k;
}

/** Keeps the rows with α ≠ 0 as support vectors, with coefficient sign[i] · α_i. */
export function buildModel(
  X: Matrix,
  res: SmoResult,
  sign: Int8Array | null,
  gamma: number,
  subsampled: { from: number; to: number } | null,
): SvmModel {
  const d = X.cols;
  const nSV = countNonZero(res.alpha);
  const sv = new Float32Array(nSV * d);
  const coef = new Float64Array(nSV);
  let k = 0;
  for (let i = 0; i < res.alpha.length; i++) {
    if (res.alpha[i] === 0) continue;
    sv.set(X.data.subarray(i * d, (i + 1) * d), k * d);
    coef[k] = sign ? sign[i] * res.alpha[i] : res.alpha[i];
    k++;
  }
  return {
    supportVectors: sv,
    dualCoef: coef,
    rho: res.rho,
    gamma,
    nFeatures: d,
    iterations: res.iterations,
    converged: res.converged,
    subsampled,
  };
}

/** The decision function f(x) = Σ coef K(sv, x) − rho of a fitted model. */
export function modelDecision(model: SvmModel, X: Matrix): Float64Array {
  return decisionValues(X, model.supportVectors, model.dualCoef, model.rho, model.gamma);
}

export function svmModelToState(model: SvmModel, kind: 'svc' | 'one-class'): ModelState {
  const nSV = model.dualCoef.length;
  return {
    meta: {
      kind,
      nSupport: nSV,
      iterations: model.iterations,
      converged: model.converged,
      subsampled: model.subsampled,
    },
    tensors: {
      supportVectors: tensor(model.supportVectors, [nSV, model.nFeatures]),
      dualCoef: tensor(model.dualCoef, [nSV]),
      rho: tensor(Float64Array.of(model.rho), [1]),
      gamma: tensor(Float64Array.of(model.gamma), [1]),
    },
  };
}

export function svmModelFromState(state: ModelState, kind: 'svc' | 'one-class', who: string): SvmModel {
  const bad = (what: string): never => {
    throw new ModelFormatError(`${who}: bad model state: ${what}`);
  };
  if (state.meta.kind !== kind) bad(`kind is ${JSON.stringify(state.meta.kind)}, expected "${kind}"`);
  const { supportVectors, dualCoef, rho, gamma } = state.tensors;
  if (supportVectors?.dtype !== 'f32' || supportVectors.shape.length !== 2) bad('supportVectors must be an f32 [nSV, d] tensor');
  if (dualCoef?.dtype !== 'f64' || dualCoef.shape.length !== 1) bad('dualCoef must be an f64 [nSV] tensor');
  if (rho?.dtype !== 'f64' || rho.data.length !== 1) bad('rho must be an f64 [1] tensor');
  if (gamma?.dtype !== 'f64' || gamma.data.length !== 1) bad('gamma must be an f64 [1] tensor');
  const [nSV, d] = supportVectors.shape;
  if (dualCoef.shape[0] !== nSV || supportVectors.data.length !== nSV * d || dualCoef.data.length !== nSV) {
    bad(`supportVectors [${supportVectors.shape}] and dualCoef [${dualCoef.shape}] disagree`);
  }
  const nFeatures = state.meta.nFeatures;
  if (typeof nFeatures === 'number' && nFeatures !== d) bad(`support vectors have ${d} columns but nFeatures is ${nFeatures}`);
  const sub = state.meta.subsampled;
  let subsampled: SvmModel['subsampled'] = null;
  if (sub !== null && sub !== undefined) {
    if (typeof sub !== 'object' || Array.isArray(sub) || typeof sub.from !== 'number' || typeof sub.to !== 'number')
      bad('subsampled must be { from, to } or null');
    const s = sub as { from: number; to: number };
    subsampled = { from: s.from, to: s.to };
  }
  const g = gamma.data[0];
  if (!(g > 0) || !Number.isFinite(rho.data[0])) bad('gamma must be > 0 and rho finite');
  return {
    supportVectors: supportVectors.data as Float32Array,
    dualCoef: dualCoef.data as Float64Array,
    rho: rho.data[0],
    gamma: g,
    nFeatures: d,
    iterations: typeof state.meta.iterations === 'number' ? state.meta.iterations : 0,
    converged: state.meta.converged !== false,
    subsampled,
  };
}

/** Float64 decision values to the Float32 scores the Detector contract returns, with an optional sign flip. */
export function toScores(dec: Float64Array, sign: 1 | -1): Float32Array {
  const out = new Float32Array(dec.length);
  for (let i = 0; i < dec.length; i++) out[i] = sign * dec[i];
  return out;
}

/**
 * What SVM and OCSVM share once fitted: the float64 decision function, facts about the model, scoring
 * (the decision value with the detector's sign, higher = more anomalous) and the model state.
 */
export abstract class SvmDetector<P extends Params> extends BaseDetector<P, SvmModel> {
  /** Which solver problem the state records. */
  protected abstract readonly svmKind: 'svc' | 'one-class';
  /** +1 when a higher decision value is more anomalous (SVC), −1 when it is more normal (one-class). */
  protected abstract readonly scoreSign: 1 | -1;

  /** scikit-learn's `decision_function` (float64, scikit-learn's sign), before the cast to float32 scores. */
  async decisionFunction(X: DataLike): Promise<Float64Array> {
    const Xm = this.checkScoringInput(X);
    return modelDecision(this.model, Xm);
  }

  /** Facts about the fitted model: support vector count, γ, rho, iterations, convergence, subsample. */
  get modelInfo(): {
    nSupport: number;
    gamma: number;
    rho: number;
    iterations: number;
    converged: boolean;
    subsampled: { from: number; to: number } | null;
  } {
    const m = this.model;
    return {
      nSupport: m.dualCoef.length,
      gamma: m.gamma,
      rho: m.rho,
      iterations: m.iterations,
      converged: m.converged,
      subsampled: m.subsampled,
    };
  }

  protected scoreModel(model: SvmModel, X: Matrix): Float32Array {
    return toScores(modelDecision(model, X), this.scoreSign);
  }

  /**
   * The export spec (see `KernelSvmExportSpec` in `@abc/core`): the support vectors, dual coefficients, rho,
   * gamma and the detector's sign; the ONNX graph `@abc/onnx-export` builds from it gives
   * `scoreSamples`.
   *
   * @example
   * const bytes = toOnnx(await new OCSVM({ nu: 0.1 }).fit(X)); // from @abc/onnx-export
   */
  toExportSpec(): KernelSvmExportSpec {
    const m = this.model;
    return {
      kind: 'svm',
      kernel: 'rbf',
      gamma: m.gamma,
      nFeatures: m.nFeatures,
      supportVectors: Float32Array.from(m.supportVectors),
      dualCoef: Float64Array.from(m.dualCoef),
      rho: m.rho,
      sign: this.scoreSign,
      ...(this.threshold === undefined ? {} : { threshold: this.threshold }),
    };
  }

  protected modelToState(model: SvmModel): ModelState {
    return svmModelToState(model, this.svmKind);
  }

  protected modelFromState(state: ModelState): SvmModel {
    return svmModelFromState(state, this.svmKind, this.constructor.name);
  }
}

import {
  type FitContext,
  type Labels,
  type Matrix,
  declareDetector,
  defineParams,
  withCommonParams,
  type ParamsOf,
} from '@abc/core';
import {
  applySubsample,
  buildModel,
  resolveMaxIter,
  runSolver,
  sharedSvmParams,
  subsampleIndices,
  SvmDetector,
  type SvmModel,
} from './common.js';
import { scaleGamma } from './kernel.js';

/** OCSVM's parameters (the common ones, then its own). */
export const ocsvmParamSpace = withCommonParams(
  defineParams({
    nu: {
      type: 'float',
      default: 0.5,
      min: 0,
      max: 1,
      exclusiveMin: true,
      description:
        'upper bound on the share of training rows outside the boundary and lower bound on the share of support vectors, as scikit-learn OneClassSVM nu',
      search: { low: 0.01, high: 0.5, log: true },
    },
    ...sharedSvmParams,
  }),
);

/** OCSVM's parameters (derived from {@link ocsvmParamSpace}). */
export type OCSVMParams = ParamsOf<typeof ocsvmParamSpace>;

/**
 * Unsupervised one-class SVM with an RBF kernel (Schölkopf et al. 2001), trained by our port of libsvm's SMO
 * solver, as scikit-learn's `OneClassSVM(kernel='rbf')`: the dual min ½ αᵀKα s.t. 0 ≤ α_i ≤ 1, Σα = ν n,
 * started, as libsvm does, from α_i = 1 for the first ⌊ν n⌋ rows.
 *
 * Score = −f(x) = rho − Σ_s α_s K(sv_s, x), higher = more anomalous (> 0 outside the learned region). It
 * equals scikit-learn's `-decision_function(X)`; scikit-learn's `-score_samples(X)` is the same minus rho
 * (its `offset_`), so the two rank rows identically. scikit-learn's own sign is the opposite. Not a
 * probability: `hasProbability` is false and the default threshold is the 0.9 quantile of the training
 * scores (contamination 0.1); `threshold: 0` gives libsvm's own boundary (about a ν share of training rows out).
 *
 * Labels, when given to fit, are checked but ignored. A training set larger than `maxSamples` gets a seeded
 * subsample (recorded in the state as `subsampled: { from, to }`).
 *
 * @example
 * const det = await new OCSVM({ nu: 0.1 }).fit(Xnormal);
 * const scores = await det.scoreSamples(Xtest);   // > 0 outside the support of the normals
 */
export class OCSVM extends SvmDetector<OCSVMParams> {
  protected readonly svmKind = 'one-class' as const;
  protected readonly scoreSign = -1 as const;
  static readonly declaration = declareDetector({
    name: 'ocsvm',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description:
      "one-class SVM with an RBF kernel (libsvm's SMO, as scikit-learn OneClassSVM); score = -decision_function, > 0 outside",
    budget: null,
    quickParams: {},
    paramSpace: ocsvmParamSpace,
  });
  /** @deprecated The space is `OCSVM.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = ocsvmParamSpace;

  constructor(params?: Partial<OCSVMParams>) {
    super(OCSVM.declaration, params);
  }

  protected async fitModel(X: Matrix, _y: Labels | undefined, ctx: FitContext): Promise<SvmModel> {
    const { nu, gamma, tol, maxIter, maxSamples, cacheSize } = this.params;
    const idx = subsampleIndices(X.rows, maxSamples, ctx.rng);
    const Xs = applySubsample(X, undefined, idx).X;
    const l = Xs.rows;
    const g = gamma ?? scaleGamma(Xs);
    // libsvm's solve_one_class start: the first floor(nu l) at 1, the next at the remainder, Σα = nu l.
    const alpha = new Float64Array(l);
    const n = Math.floor(nu * l);
    for (let i = 0; i < n; i++) alpha[i] = 1;
    if (n < l) alpha[n] = nu * l - n;
    const res = await runSolver(
      {
        X: Xs.data,
        l,
        d: Xs.cols,
        y: new Int8Array(l).fill(1),
        p: new Float64Array(l),
        alpha,
        Cp: 1,
        Cn: 1,
        gamma: g,
        eps: tol,
        maxIter: resolveMaxIter(maxIter, l),
        cacheBytes: cacheSize * 1024 * 1024,
      },
      ctx,
    );
    return buildModel(Xs, res, null, g, idx ? { from: X.rows, to: l } : null);
  }
}

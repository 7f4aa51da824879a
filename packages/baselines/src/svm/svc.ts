import {
  countLabels,
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

/** SVM's parameters (the common ones, then its own). */
export const svmParamSpace = withCommonParams(
  defineParams({
    C: {
      type: 'float',
      default: 1,
      min: 0,
      exclusiveMin: true,
      description: 'penalty of a margin violation (upper bound of each dual coefficient), as scikit-learn SVC C',
      search: { low: 1e-2, high: 1e3, log: true },
    },
    ...sharedSvmParams,
    classWeight: {
      type: 'choice',
      default: 'none',
      choices: ['none', 'balanced'],
      description:
        "per-class C multiplier: 'balanced' uses n / (2 n_class) for each class (scikit-learn's class_weight='balanced'), 'none' uses 1",
      search: { choices: ['none', 'balanced'] },
    },
  }),
);

/** SVM's parameters (derived from {@link svmParamSpace}). */
export type SVMParams = ParamsOf<typeof svmParamSpace>;

/**
 * Supervised C-SVC with an RBF kernel (Cortes and Vapnik 1995), trained by our port of libsvm's SMO solver, as
 * scikit-learn's `SVC(kernel='rbf')`: labels 1 = anomaly (class +1), 0 = normal (class −1).
 *
 * Score = the decision function f(x) = Σ_s y_s α_s K(sv_s, x) − rho, higher = more anomalous (f > 0 is the
 * anomaly side); it equals scikit-learn's `SVC.decision_function` for classes [0, 1]. Not a probability
 * (no Platt scaling): `hasProbability` is false and the default threshold is the 0.9 quantile of the training
 * scores (contamination 0.1); set `threshold: 0` for the SVM's own decision boundary.
 *
 * Deterministic given the data, except for the seeded stratified subsample a training set larger than
 * `maxSamples` gets (recorded in the model state as `subsampled: { from, to }`). Emits a progress event every
 * 1000 SMO iterations and one at the end, so an abort lands during a long fit.
 *
 * @example
 * const det = await new SVM({ C: 10 }).fit(X, y);      // y: 1 = known anomaly, 0 = normal
 * const scores = await det.scoreSamples(Xtest);         // > 0 on the anomaly side of the boundary
 */
export class SVM extends SvmDetector<SVMParams> {
  protected readonly svmKind = 'svc' as const;
  protected readonly scoreSign = 1 as const;
  static readonly declaration = declareDetector({
    name: 'svm',
    supervision: 'supervised',
    hasProbability: false,
    learnsWithoutAnomalies: false,
    description:
      "C-SVC with an RBF kernel (libsvm's SMO, as scikit-learn SVC); score = decision function, > 0 on the anomaly side",
    budget: null,
    quickParams: {},
    paramSpace: svmParamSpace,
  });
  /** @deprecated The space is `SVM.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = svmParamSpace;

  constructor(params?: Partial<SVMParams>) {
    super(SVM.declaration, params);
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<SvmModel> {
    const { C, gamma, tol, maxIter, classWeight, maxSamples, cacheSize } = this.params;
    const idx = subsampleIndices(X.rows, maxSamples, ctx.rng, y);
    const sub = applySubsample(X, y, idx);
    const Xs = sub.X;
    const ys = sub.y!;
    const l = Xs.rows;
    const g = gamma ?? scaleGamma(Xs);
    let wPos = 1;
    let wNeg = 1;
    if (classWeight === 'balanced') {
      const { normal, anomaly } = countLabels(ys);
      wPos = l / (2 * anomaly);
      wNeg = l / (2 * normal);
    }
    const sign = Int8Array.from(ys, (v) => (v ? 1 : -1));
    const res = await runSolver(
      {
        X: Xs.data,
        l,
        d: Xs.cols,
        y: sign,
        p: new Float64Array(l).fill(-1),
        alpha: new Float64Array(l),
        Cp: C * wPos,
        Cn: C * wNeg,
        gamma: g,
        eps: tol,
        maxIter: resolveMaxIter(maxIter, l),
        cacheBytes: cacheSize * 1024 * 1024,
      },
      ctx,
    );
    return buildModel(Xs, res, sign, g, idx ? { from: X.rows, to: l } : null);
  }
}

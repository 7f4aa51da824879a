import {
  BaseDetector,
  ModelFormatError,
  StandardScaler,
  declareDetector,
  defineParams,
  matrix,
  withCommonParams,
  type AugmentedExportSpec,
  type DataLike,
  type DetectorExportSpec,
  type FitContext,
  type JsonValue,
  type Labels,
  type Matrix,
  type ModelState,
  type ParamsOf,
  type Tensor,
} from '@abc/core';
import { GradientTreeBoosting, gradientTreeBoostingParamSpace, type GradientTreeBoostingParams } from './gtb.js';
import { createMemberDetector, type XGBODMemberDetector } from './xgbod-member-detectors.js';
import {
  checkMemberParams,
  isStandardized,
  memberLabel,
  memberLists,
  resolveMembers,
  type XGBODMember,
} from './xgbod-members.js';
import {
  fitNeighbourMembers,
  neighbourMembersExportSpecs,
  neighbourMembersFromState,
  neighbourMembersToState,
  scoreNeighbourMembers,
  type NeighbourMembers,
} from './xgbod-neighbours.js';

const gtb = gradientTreeBoostingParamSpace;
const memberList = (what: string, min: number) =>
  ({
    type: 'intList',
    default: null,
    nullable: true,
    min,
    description: `${what}; null: the \`members\` preset's list, [] (from code): none`,
  }) as const;

/** XGBOD's parameters (the common ones, the member lists, then those of its gradient tree boosting). */
export const xgbodParamSpace = withCommonParams(
  defineParams({
    members: {
      type: 'choice',
      default: 'standard',
      choices: ['standard', 'fast'],
      description:
        "member detectors: 'standard' = PyOD's 41 (KNN, LOF, HBOS, OCSVM, isolation forests), 'fast' = 25 (no OCSVM, 2 forests)",
    },
    knnNeighbors: memberList('k of the KNN members (method largest; k >= training rows are left out)', 1),
    lofNeighbors: memberList('k of the LOF members (k >= training rows are left out)', 1),
    hbosBins: memberList('bin counts of the HBOS members', 2),
    ocsvmNuPercent: memberList('nu x 100 of the one-class SVM members (1 to 100)', 1),
    iforestTrees: memberList('tree counts of the isolation forest members', 1),
    learningRate: { ...gtb.learningRate, description: "gradient boosting's shrinkage (XGBoost's eta)" },
    maxIter: { ...gtb.maxIter, description: "boosting iterations, one tree each (XGBoost's n_estimators)" },
    maxDepth: {
      ...gtb.maxDepth,
      default: 3,
      description: "depth of a boosted tree, at most (XGBoost's max_depth); null: no limit",
      search: { low: 2, high: 8 },
    },
    maxLeafNodes: { ...gtb.maxLeafNodes, default: null, search: undefined },
    minSamplesLeaf: {
      ...gtb.minSamplesLeaf,
      default: 5,
      description: "training rows in a boosted tree's leaf, at least (XGBoost bounds the hessian sum instead)",
      search: { low: 1, high: 50, log: true },
    },
    l2Regularization: {
      ...gtb.l2Regularization,
      default: 1,
      description: "L2 penalty on leaf values (XGBoost's reg_lambda)",
      search: { low: 0, high: 10 },
    },
    maxBins: gtb.maxBins,
    earlyStopping: {
      ...gtb.earlyStopping,
      default: 'false',
      description: "stop boosting on a held-out validation loss ('auto': when there are more than 10,000 rows; PyOD never does)",
    },
  }),
);

/** XGBOD's parameters (derived from {@link xgbodParamSpace}). */
export type XGBODParams = ParamsOf<typeof xgbodParamSpace>;

/** The fitted XGBOD. */
export interface XGBODModel {
  /** Training row count (the KNN and LOF members with k >= it are left out). */
  nTrain: number;
  /** The members, in column order. */
  members: XGBODMember[];
  /** The feature standardization of the KNN, LOF and OCSVM members (PyOD's `standardizer`, training statistics). */
  scaler: StandardScaler;
  /** The KNN and LOF members (null when there is none). */
  neighbours: NeighbourMembers | null;
  /** The HBOS, OCSVM and isolation forest members, in member order. */
  detectors: XGBODMemberDetector[];
  /** The gradient tree boosting on [features | member scores]. */
  booster: GradientTreeBoosting;
  /** The training matrix and its probabilities until the base class asks for the training scores once. */
  pending: { X: Matrix; proba: Float32Array } | null;
}

const PREFIX = { scaler: 'scaler/', neighbours: 'neighbours/', booster: 'gtb/', member: (i: number) => `member${i}/` };

/**
 * XGBOD (Zhao and Hryniewicki 2018), supervised, as PyOD's `XGBOD`: the training features augmented with the
 * scores of unsupervised member detectors, then gradient tree boosting on the augmented rows; score = the boosting's
 * p(anomaly | x) (`hasProbability`). Good when some anomalies are labelled: the members' scores are features that
 * already separate many anomalies, and the boosting learns which of them (and of the raw features) to trust.
 *
 * Members (PyOD 3.6.5's `_init_detectors` by default, `members: 'standard'`): KNN (method 'largest') and LOF at
 * k = 1, 3, 5, 10, 20, 30, 40, 50 (those < the training row count), HBOS at 5, 10, 15, 20, 25, 30, 50 bins, one-class
 * SVMs at ν = 0.01, 0.1, 0.2, ..., 0.9, 0.99, isolation forests of 10, 20, 50, 70, 100, 150, 200 trees: 41 members.
 * `members: 'fast'` drops the one-class SVMs (their fit grows with the square of the rows) and keeps forests of 50
 * and 100 trees (25 members); `knnNeighbors`, `lofNeighbors`, `hbosBins`, `ocsvmNuPercent`, `iforestTrees` replace
 * one family's list (`[]` drops it). As in PyOD, the KNN, LOF and OCSVM members learn on the features standardized
 * with the training mean and standard deviation (constant columns: divisor 1), OCSVM with γ = 1 / features (PyOD's
 * 'auto'); HBOS and the forests on the raw features; the forests all get `seed` (PyOD's `random_state`); the
 * training rows' member scores are the members' training scores (KNN and LOF leave each row out of its own
 * neighbours, PyOD's `decision_scores_`), new rows' their `decision_function`. The member scores enter the
 * boosting as they are (PyOD standardizes the members' inputs, not their scores; trees do not care for a score's
 * scale). The KNN and LOF members share one neighbour search for their largest k.
 *
 * What differs from PyOD, which boosts with XGBoost (not available to a JavaScript user):
 * - The boosting is our {@link GradientTreeBoosting} (histogram splits on at most `maxBins` quantile bins per
 *   feature, as LightGBM and scikit-learn's HistGradientBoostingClassifier; XGBoost 1.7 splits exactly on small
 *   data), with XGBoost's defaults where it has them: depth 3, 100 trees, learning rate 0.1, L2 penalty λ = 1, no
 *   early stopping. Split gain and leaf value are XGBoost's (G²/(H + λ), −η G/(H + λ)); XGBoost's `min_child_weight`
 *   (hessian sum ≥ 1 in a child) is replaced by `minSamplesLeaf` (rows in a leaf, default 5) and a hessian floor of
 *   1e-3; the first raw prediction is the log-odds of the training anomaly rate (XGBoost's `base_score` 0.5 starts
 *   from 0). No column or row subsampling, no `gamma`, `max_delta_step` or L1 penalty (PyOD's defaults do not use
 *   them either).
 * - OCSVM members subsample training sets above 10,000 rows (OCSVM's `maxSamples`); PyOD fits all rows.
 * - Measured: AUROC within 0.02 of PyOD's XGBOD on ADBench's Pima, breastw and Ionosphere (see the package's tests).
 *
 * Fit reports one progress event per member, then one per boosting iteration (unit 'iteration'); an abort is
 * checked between members, inside the neighbour search, the SVM solver and the boosting. The model file holds
 * every member (the training rows once, for the neighbour members), the scaler and the boosted trees.
 *
 * @example
 * const det = await new XGBOD({ seed: 0 }).fit(Xtrain, ytrain);   // ytrain: 1 = known anomaly
 * const p = await det.predictProba(Xtest);                         // p(anomaly), PyOD's decision_function
 * new XGBOD({ members: 'fast', maxIter: 50 });                    // 25 members, for larger training sets
 */
export class XGBOD extends BaseDetector<XGBODParams, XGBODModel> {
  static readonly declaration = declareDetector({
    name: 'xgbod',
    supervision: 'supervised',
    hasProbability: true,
    learnsWithoutAnomalies: false,
    description:
      "XGBOD (Zhao and Hryniewicki 2018): features + 41 unsupervised detectors' scores, then gradient tree boosting; score = p(anomaly)",
    budget: 'maxIter',
    quickParams: { knnNeighbors: [5], lofNeighbors: [10], hbosBins: [10], ocsvmNuPercent: [50], iforestTrees: [20], maxIter: 10 },
    paramSpace: xgbodParamSpace,
    checkParams: checkMemberParams,
  });

  constructor(params?: Partial<XGBODParams>) {
    super(XGBOD.declaration, params);
  }

  /**
   * The member columns of the last fit, in order, e.g. `['knn(k=1)', 'lof(k=1)', ..., 'iforest(trees=200)']`.
   *
   * @example
   * (await new XGBOD().fit(X, y)).memberNames.length; // 41 with at least 51 training rows
   */
  get memberNames(): string[] {
    return this.model.members.map(memberLabel);
  }

  /**
   * The augmented rows the boosting sees for `X`: its features, then one column per member (the members' scores
   * of `X` as new rows), float32, `X.rows × (features + members)`.
   *
   * @example
   * const A = await det.augment(Xtest);   // A.cols === Xtest[0].length + det.memberNames.length
   */
  async augment(X: DataLike): Promise<Matrix> {
    return augmentRows(this.model, this.checkScoringInput(X));
  }

  /**
   * The export spec (`AugmentedExportSpec`, see `@abc/core`): every member's spec in column order (the KNN and LOF
   * members as `neighbours` specs on the standardized training rows; the HBOS, OCSVM and forest members their own),
   * mean 0 and std 1 (the member scores enter the boosting as they are), the training standardization as `scaler`
   * with `scaled` = 1 for the KNN, LOF and OCSVM members, the boosting's `'sum-sigmoid'` tree spec as the head, and
   * the threshold. The ONNX graph `@abc/onnx-export` builds from it scores new rows as `scoreSamples` does.
   * Each KNN and LOF member carries the training rows, so the file holds them once per such member (16 times with
   * the standard members); the exporter refuses a neighbour spec above its size limit (`NEIGHBOURS_MAX_VALUES`).
   *
   * @example
   * const bytes = toOnnx(await new XGBOD({ members: 'fast' }).fit(X, y)); // from @abc/onnx-export
   */
  toExportSpec(): AugmentedExportSpec {
    const model = this.model;
    const d = this.nFeatures!;
    const nb = model.neighbours ? neighbourMembersExportSpecs(model.neighbours) : { knn: [], lof: [] };
    let a = 0;
    let b = 0;
    let k = 0;
    const members: DetectorExportSpec[] = model.members.map((m) => {
      if (m.family === 'knn') return nb.knn[a++];
      if (m.family === 'lof') return nb.lof[b++];
      return model.detectors[k++].toExportSpec();
    });
    const M = members.length;
    const standard = model.scaler.toExportSpec() as Extract<ReturnType<StandardScaler['toExportSpec']>, { kind: 'standard' }>;
    return {
      kind: 'augmented',
      nFeatures: d,
      members,
      mean: new Float64Array(M),
      std: new Float64Array(M).fill(1),
      scaler: { center: Float64Array.from(standard.mean64!), scale: Float64Array.from(standard.std64!) },
      scaled: Uint8Array.from(model.members, (m) => (isStandardized(m.family) ? 1 : 0)),
      head: model.booster.toExportSpec(),
      ...(this.threshold === undefined ? {} : { threshold: this.threshold }),
    };
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<XGBODModel> {
    const p = this.params;
    const raw = matrix(X.data, X.rows, X.cols);
    const n = raw.rows;
    const members = resolveMembers(memberLists(p), n);
    const scaler = new StandardScaler().fit(raw);
    const standardized = scaler.transform(raw);
    const total = members.length + p.maxIter;
    const columns: Float64Array[] = new Array(members.length);
    let done = 0;
    const memberDone = () => {
      done++;
      ctx.progress({ step: done, totalSteps: total, unit: 'iteration', metrics: { members: done } });
    };

    const knn = members.filter((m) => m.family === 'knn').map((m) => m.value);
    const lof = members.filter((m) => m.family === 'lof').map((m) => m.value);
    let neighbours: NeighbourMembers | null = null;
    if (knn.length + lof.length > 0) {
      const fitted = await fitNeighbourMembers(standardized, knn, lof, ctx.signal);
      neighbours = fitted.model;
      placeNeighbourScores(members, fitted.train, columns);
      for (let i = 0; i < knn.length + lof.length; i++) memberDone();
    }

    const detectors: XGBODMemberDetector[] = [];
    for (let i = 0; i < members.length; i++) {
      const m = members[i];
      if (m.family === 'knn' || m.family === 'lof') continue;
      ctx.checkAborted();
      const det = createMemberDetector(m, raw.cols, p.seed);
      await det.fit(isStandardized(m.family) ? standardized : raw, null, { signal: ctx.signal });
      columns[i] = Float64Array.from(det.fitScores!);
      detectors.push(det);
      memberDone();
    }

    const A = assemble(raw, columns);
    const booster = new GradientTreeBoosting(boosterParams(p));
    await booster.fit(A, y!, {
      signal: ctx.signal,
      onProgress: (e) =>
        ctx.progress({ step: members.length + e.step, totalSteps: total, unit: 'iteration', metrics: e.metrics }),
    });
    const proba = await booster.predictProba(A);
    return { nTrain: n, members, scaler, neighbours, detectors, booster, pending: { X, proba } };
  }

  protected async scoreModel(model: XGBODModel, X: Matrix): Promise<Float32Array> {
    if (model.pending !== null && X === model.pending.X) {
      // The base class's threshold call on the training rows: PyOD's decision_scores_ (leave-one-out members).
      const { proba } = model.pending;
      model.pending = null;
      return proba;
    }
    return model.booster.predictProba(await augmentRows(model, X));
  }

  protected modelToState(model: XGBODModel): ModelState {
    const tensors: { [name: string]: Tensor } = {};
    const put = (prefix: string, state: ModelState) => {
      for (const [k, t] of Object.entries(state.tensors)) tensors[prefix + k] = t;
      return state.meta;
    };
    const meta: { [key: string]: JsonValue } = {
      nTrain: model.nTrain,
      members: model.members.map(memberLabel),
      scaler: put(PREFIX.scaler, model.scaler.getState()),
      neighbours: model.neighbours ? put(PREFIX.neighbours, neighbourMembersToState(model.neighbours)) : null,
      detectors: model.detectors.map((d, i) => ({ name: d.name, state: put(PREFIX.member(i), d.getState()) })),
      gtb: put(PREFIX.booster, model.booster.getState()),
    };
    return { meta, tensors };
  }

  protected modelFromState(state: ModelState): XGBODModel {
    const bad = (what: string): never => {
      throw new ModelFormatError(`xgbod: bad model state: ${what}`);
    };
    const { nTrain, nFeatures, members: labels, scaler: scalerMeta, neighbours: nbMeta, detectors: detMeta } = state.meta;
    if (typeof nTrain !== 'number' || !Number.isInteger(nTrain) || nTrain < 2) bad('"nTrain" is not a row count');
    if (typeof nFeatures !== 'number' || !Number.isInteger(nFeatures) || nFeatures < 1) bad('"nFeatures" is not a count');
    const d = nFeatures as number;
    const members = resolveMembers(memberLists(this.params), nTrain as number);
    const expected = members.map(memberLabel);
    if (!Array.isArray(labels) || labels.length !== expected.length || labels.some((l, i) => l !== expected[i])) {
      bad(`its members ${JSON.stringify(labels)} are not those the params give for ${nTrain} rows (${expected.join(', ')})`);
    }
    const scaler = new StandardScaler();
    scaler.setState({ meta: asObject(scalerMeta, 'scaler', bad), tensors: withPrefix(state.tensors, PREFIX.scaler) });
    const knn = members.filter((m) => m.family === 'knn').map((m) => m.value);
    const lof = members.filter((m) => m.family === 'lof').map((m) => m.value);
    let neighbours: NeighbourMembers | null = null;
    if (knn.length + lof.length > 0) {
      neighbours = neighbourMembersFromState(
        { meta: asObject(nbMeta, 'neighbours', bad), tensors: withPrefix(state.tensors, PREFIX.neighbours) },
        knn,
        lof,
        d,
      );
    }
    const own = members.filter((m) => m.family !== 'knn' && m.family !== 'lof');
    if (!Array.isArray(detMeta) || detMeta.length !== own.length) bad(`"detectors" must list ${own.length} members`);
    const detectors = own.map((m, i) => {
      const entry = asObject((detMeta as JsonValue[])[i], `detectors[${i}]`, bad);
      if (entry.name !== m.family) bad(`detectors[${i}] is ${JSON.stringify(entry.name)}, expected "${m.family}"`);
      const det = createMemberDetector(m, d, this.params.seed);
      det.setState({
        meta: asObject(entry.state, `detectors[${i}].state`, bad),
        tensors: withPrefix(state.tensors, PREFIX.member(i)),
      });
      return det;
    });
    const booster = new GradientTreeBoosting(boosterParams(this.params));
    booster.setState({ meta: asObject(state.meta.gtb, 'gtb', bad), tensors: withPrefix(state.tensors, PREFIX.booster) });
    if (booster.nFeatures !== d + members.length)
      bad(`the boosting has ${booster.nFeatures} features, expected ${d + members.length}`);
    return { nTrain: nTrain as number, members, scaler, neighbours, detectors, booster, pending: null };
  }
}

/** The boosting's params from XGBOD's (its seed only seeds an early-stopping split). */
function boosterParams(p: XGBODParams): Partial<GradientTreeBoostingParams> {
  return {
    seed: p.seed,
    learningRate: p.learningRate,
    maxIter: p.maxIter,
    maxDepth: p.maxDepth,
    maxLeafNodes: p.maxLeafNodes,
    minSamplesLeaf: p.minSamplesLeaf,
    l2Regularization: p.l2Regularization,
    maxBins: p.maxBins,
    earlyStopping: p.earlyStopping,
  };
}

/** Puts the neighbour members' scores into their columns (KNN and LOF members in list order). */
function placeNeighbourScores(
  members: readonly XGBODMember[],
  scores: { knn: Float64Array[]; lof: Float64Array[] },
  columns: Float64Array[],
): void {
  let a = 0;
  let b = 0;
  members.forEach((m, i) => {
    if (m.family === 'knn') columns[i] = scores.knn[a++];
    else if (m.family === 'lof') columns[i] = scores.lof[b++];
  });
}

/** [X | columns] as one float32 matrix. */
function assemble(X: Matrix, columns: readonly Float64Array[]): Matrix {
  const { rows: n, cols: d } = X;
  const w = d + columns.length;
  const out = new Float32Array(n * w);
  for (let i = 0; i < n; i++) out.set(X.data.subarray(i * d, (i + 1) * d), i * w);
  columns.forEach((c, j) => {
    for (let i = 0; i < n; i++) out[i * w + d + j] = c[i];
  });
  return matrix(out, n, w);
}

/** The boosting's input for new rows: the features, then every member's score of them. */
async function augmentRows(model: XGBODModel, X: Matrix): Promise<Matrix> {
  const raw = matrix(X.data, X.rows, X.cols);
  const standardized = model.scaler.transform(raw);
  const columns: Float64Array[] = new Array(model.members.length);
  if (model.neighbours) placeNeighbourScores(model.members, await scoreNeighbourMembers(model.neighbours, standardized), columns);
  let k = 0;
  for (let i = 0; i < model.members.length; i++) {
    const m = model.members[i];
    if (m.family === 'knn' || m.family === 'lof') continue;
    columns[i] = Float64Array.from(await model.detectors[k++].scoreSamples(isStandardized(m.family) ? standardized : raw));
  }
  return assemble(raw, columns);
}

function asObject(v: JsonValue | undefined, what: string, bad: (what: string) => never): { [key: string]: JsonValue } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(`"${what}" is not an object`);
  return v;
}

function withPrefix(tensors: { [name: string]: Tensor }, prefix: string): { [name: string]: Tensor } {
  const out: { [name: string]: Tensor } = Object.create(null);
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t;
  return out;
}

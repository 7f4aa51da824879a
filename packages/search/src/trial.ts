import {
  AbortError,
  createDetector,
  Pipeline,
  type Random,
  takeRows,
  type Detector,
  type Matrix,
  type Params,
  type Transformer,
} from '@abc/core';
import { evaluateObjective, syntheticOutliers, type Objective, type ObjectiveValue } from './objective.js';
import { makeFolds, type Validation } from './split.js';

/** One validation part of a search: its training rows and the rows each trial is scored on. */
export interface SearchPart {
  trainX: Matrix;
  trainY: Uint8Array;
  trainNormals: Matrix;
  normal: Matrix;
  known: Matrix;
  synthetic: Matrix;
}

/** What {@link searchParts} needs besides the data. */
export interface SearchPartsOptions {
  validation?: Validation;
  /** Synthetic outliers per validation part (default: as many as validation normals, at least 200). */
  syntheticCount?: number;
}

/**
 * The validation parts of a search: folds from `rng.fork()`, synthetic outliers from the next fork, as
 * `searchDetectors` draws them, so that a worker given the same data, seed and options builds the same parts.
 *
 * @example
 * const parts = searchParts(X, y, new Random(0), { validation: { kind: 'holdout', fraction: 0.2 } });
 */
export function searchParts(X: Matrix, y: Uint8Array, rng: Random, options: SearchPartsOptions = {}): SearchPart[] {
  const folds = makeFolds(y, options.validation ?? { kind: 'holdout', fraction: 0.2 }, rng.fork());
  const synthRng = rng.fork();
  return folds.map((fold) => {
    const trainX = takeRows(X, fold.train);
    const trainY = Uint8Array.from(fold.train, (i) => y[i]);
    const vNormal = fold.validation.filter((i) => y[i] === 0);
    const vKnown = fold.validation.filter((i) => y[i] === 1);
    const nSynth = options.syntheticCount ?? Math.max(200, vNormal.length);
    return {
      trainX,
      trainY,
      trainNormals: takeRows(
        X,
        fold.train.filter((i) => y[i] === 0),
      ),
      normal: takeRows(X, vNormal),
      known: takeRows(X, vKnown),
      synthetic: syntheticOutliers(trainX, nSynth, synthRng),
    };
  });
}

/** The measured part of a trial: the objective, its AUROCs, the seconds, or the error of a failed candidate. */
export interface TrialOutcome extends ObjectiveValue {
  fitSeconds: number;
  scoreSeconds: number;
  error: string | null;
}

/**
 * Fits one configuration on every part and scores it (the mean over parts). A candidate that fails gets
 * objective 0 and its error message (it ranks last); an abort is thrown.
 *
 * @example
 * const outcome = await evaluateCandidate(parts, 'iforest', { nEstimators: 50, seed: 0 }, 'known-and-synthetic');
 */
export async function evaluateCandidate(
  parts: readonly SearchPart[],
  detector: string,
  params: Params,
  objective: Objective,
  transformers?: () => Transformer[],
  signal?: AbortSignal,
): Promise<TrialOutcome> {
  let fitSeconds = 0;
  let scoreSeconds = 0;
  let value: ObjectiveValue = { objective: 0, aurocKnown: null, aurocSynthetic: 0, auprKnown: null };
  let error: string | null = null;
  try {
    const values: ObjectiveValue[] = [];
    for (const p of parts) {
      const pipe = makePipeline(detector, params, transformers);
      const t0 = performance.now();
      if (pipe.supervision === 'unsupervised') await pipe.fit(p.trainNormals, null, { signal });
      else await pipe.fit(p.trainX, p.trainY, { signal });
      const t1 = performance.now();
      const scored = {
        normal: await pipe.scoreSamples(p.normal),
        known: p.known.rows > 0 ? await pipe.scoreSamples(p.known) : new Float32Array(0),
        synthetic: await pipe.scoreSamples(p.synthetic),
      };
      scoreSeconds += (performance.now() - t1) / 1000;
      fitSeconds += (t1 - t0) / 1000;
      values.push(evaluateObjective(scored, objective));
    }
    value = meanValue(values);
  } catch (e) {
    if (e instanceof AbortError || (e as Error)?.name === 'AbortError') throw e;
    error = (e as Error).message; // a candidate that fails ranks last; the search goes on
  }
  return { ...value, fitSeconds, scoreSeconds, error };
}

/**
 * A detector, with fresh transformers in front when given.
 *
 * @example
 * const pipe = makePipeline('ae', { seed: 1 }, () => [new MinMaxScaler()]);
 */
export function makePipeline(detector: string, params: Params, transformers?: () => Transformer[]): Detector {
  const d = createDetector(detector, params);
  const ts = transformers?.() ?? [];
  return ts.length > 0 ? new Pipeline([...ts, d]) : d;
}

function meanValue(values: ObjectiveValue[]): ObjectiveValue {
  const mean = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  return {
    objective: mean(values.map((v) => v.objective))!,
    aurocKnown: mean(values.map((v) => v.aurocKnown)),
    aurocSynthetic: mean(values.map((v) => v.aurocSynthetic))!,
    auprKnown: mean(values.map((v) => v.auprKnown)),
  };
}

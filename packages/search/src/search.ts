import {
  AbortError,
  countLabels,
  createDetector,
  Pipeline,
  Random,
  takeRows,
  throwIfAborted,
  validateLabels,
  validateMatrix,
  ValidationError,
  type Detector,
  type LabelsLike,
  type DataLike,
  type Params,
  type ProgressEvent,
  type Transformer,
} from '@abc/core';
import { budgetParam, chooseCandidates, sampleConfig } from './candidates.js';
import { evaluateObjective, syntheticOutliers, type Objective, type ObjectiveValue } from './objective.js';
import { makeFolds, type Validation } from './split.js';

export interface SearchOptions {
  /** Registry names of the candidate detectors (default: every registered one, filtered by the labels). */
  detectors?: readonly string[];
  /** 'random' (default) or 'halving' (successive halving with epochs or trees as the budget). */
  strategy?: 'random' | 'halving';
  /** Configurations drawn per detector (default 4). Halving starts from these and keeps 1/eta per rung. */
  trialsPerDetector?: number;
  /** Halving: the keep ratio and the number of rungs (default eta 3, 3 rungs: budgets 1/9, 1/3 and 1). */
  eta?: number;
  rungs?: number;
  /** Validation (default holdout of 20%, stratified). */
  validation?: Validation;
  objective?: Objective;
  /** Parameters fixed for a detector, e.g. { abc: { hidden: [10, 10], latent: 1 } }; they are not searched. */
  fixed?: Record<string, Params>;
  /** Transformers put in front of every candidate (clones are fitted per trial), e.g. () => [new MinMaxScaler()]. */
  transformers?: () => Transformer[];
  /** Synthetic outliers per validation part (default: as many as validation normals, at least 200). */
  syntheticCount?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Called with each finished trial, e.g. to append it to a file so an interrupted search can resume. */
  onTrial?: (trial: Trial) => void;
  /** Trials recorded by an earlier run of the same search: those are not run again. */
  resume?: readonly Trial[];
}

/** One evaluated configuration at one budget. */
export interface Trial {
  /** A stable key of detector, params and budget (what `resume` matches on). */
  key: string;
  detector: string;
  params: Params;
  rung: number;
  budget: { param: string; value: number } | null;
  objective: number;
  aurocKnown: number | null;
  aurocSynthetic: number;
  auprKnown: number | null;
  fitSeconds: number;
  scoreSeconds: number;
  error: string | null;
}

export interface SearchResult {
  trials: Trial[];
  best: Trial;
  /** The best configuration refitted on all the data (with the transformers in front). */
  bestPipeline: Detector;
  candidates: string[];
  /** How the validation split treats known anomalies, in words (setting 3 asks). */
  validationNote: string;
}

/**
 * Searches detectors and their parameters for the best anomaly detector on labelled data (1 = known
 * anomaly, 0 = normal). Unsupervised candidates are trained on the normal rows only. Seeded, abortable,
 * with progress events; returns every trial and the refitted best pipeline.
 *
 * @example
 * const result = await searchDetectors(X, y, { detectors: ['abc', 'ae', 'gtb'], strategy: 'halving', seed: 1 });
 * console.table(result.trials.map((t) => ({ detector: t.detector, objective: t.objective })));
 * const scores = await result.bestPipeline.scoreSamples(Xnew);
 */
export async function searchDetectors(Xin: DataLike, yin: LabelsLike, options: SearchOptions = {}): Promise<SearchResult> {
  // Missing values may come in when the first transformer imputes them.
  const X = validateMatrix(Xin, { allowMissing: options.transformers?.()[0]?.acceptsMissing ?? false });
  const y = validateLabels(yin, X.rows);
  const { anomaly } = countLabels(y);
  const candidates = chooseCandidates(options.detectors, anomaly);
  const strategy = options.strategy ?? 'random';
  const objective = options.objective ?? 'known-and-synthetic';
  const trialsPerDetector = options.trialsPerDetector ?? 4;
  const eta = options.eta ?? 3;
  const rungs = strategy === 'halving' ? (options.rungs ?? 3) : 1;
  if (!(Number.isInteger(trialsPerDetector) && trialsPerDetector >= 1)) throw new ValidationError('param', `trialsPerDetector must be a positive integer, got ${trialsPerDetector}`);
  if (!(eta >= 2)) throw new ValidationError('param', `eta must be >= 2, got ${eta}`);
  const rng = new Random(options.seed ?? 0);
  const folds = makeFolds(y, options.validation ?? { kind: 'holdout', fraction: 0.2 }, rng.fork());
  const synthRng = rng.fork();
  const parts = folds.map((fold) => {
    const trainX = takeRows(X, fold.train);
    const trainY = Uint8Array.from(fold.train, (i) => y[i]);
    const vNormal = fold.validation.filter((i) => y[i] === 0);
    const vKnown = fold.validation.filter((i) => y[i] === 1);
    const nSynth = options.syntheticCount ?? Math.max(200, vNormal.length);
    return {
      trainX,
      trainY,
      trainNormals: takeRows(X, fold.train.filter((i) => y[i] === 0)),
      normal: takeRows(X, vNormal),
      known: takeRows(X, vKnown),
      synthetic: syntheticOutliers(trainX, nSynth, synthRng),
    };
  });
  const nValidationKnown = parts.reduce((a, p) => a + p.known.rows, 0);
  const validationNote =
    anomaly === 0
      ? 'no known anomaly in the labels: candidates are the unsupervised detectors and ABC, scored against synthetic outliers only'
      : nValidationKnown === 0
        ? `only ${anomaly} known anomaly: it stays in training; validation scores against synthetic outliers only`
        : `stratified split: ${nValidationKnown} of ${anomaly} known anomalies held out for validation (at least one stays in training)`;

  const done = new Map((options.resume ?? []).map((t) => [t.key, t]));
  const trials: Trial[] = [];
  const fixed = options.fixed ?? {};
  type Config = { detector: string; params: Params; budget: string | null; maxBudget: number | null };
  let pool: Config[] = [];
  for (const entry of candidates) {
    const bp = strategy === 'halving' ? budgetParam(entry) : null;
    const f = fixed[entry.name] ?? {};
    for (let t = 0; t < trialsPerDetector; t++) {
      const params = sampleConfig(entry, rng, { ...f, seed: options.seed ?? 0 }, bp);
      const maxBudget = bp ? Number(f[bp] ?? createDetector(entry.name, params).getParams()[bp]) : null;
      pool.push({ detector: entry.name, params, budget: bp, maxBudget });
    }
  }
  const totalSteps = countSteps(pool.length, rungs, eta);
  let step = 0;

  const evaluate = async (c: Config, rung: number): Promise<Trial> => {
    const budgetValue = c.budget ? Math.max(1, Math.round(c.maxBudget! * eta ** (rung - (rungs - 1)))) : null;
    const params = c.budget ? { ...c.params, [c.budget]: budgetValue! } : c.params;
    const key = JSON.stringify([c.detector, params]);
    const seen = trials.find((t) => t.key === key);
    if (seen) return { ...seen, rung };
    const recorded = done.get(key);
    if (recorded) {
      // A trial recorded by an earlier, interrupted run: reused without refitting, and listed like the others.
      const trial = { ...recorded, rung };
      trials.push(trial);
      return trial;
    }
    throwIfAborted(options.signal);
    let fitSeconds = 0;
    let scoreSeconds = 0;
    let value: ObjectiveValue = { objective: 0, aurocKnown: null, aurocSynthetic: 0, auprKnown: null };
    let error: string | null = null;
    try {
      const values: ObjectiveValue[] = [];
      for (const p of parts) {
        const pipe = makePipeline(c.detector, params, options.transformers);
        const t0 = performance.now();
        if (pipe.supervision === 'unsupervised') await pipe.fit(p.trainNormals, null, { signal: options.signal });
        else await pipe.fit(p.trainX, p.trainY, { signal: options.signal });
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
    const trial: Trial = {
      key,
      detector: c.detector,
      params,
      rung,
      budget: c.budget ? { param: c.budget, value: budgetValue! } : null,
      ...value,
      fitSeconds,
      scoreSeconds,
      error,
    };
    trials.push(trial);
    options.onTrial?.(trial);
    return trial;
  };

  let ranked: { config: Config; trial: Trial }[] = [];
  for (let rung = 0; rung < rungs; rung++) {
    ranked = [];
    for (const c of pool) {
      const trial = await evaluate(c, rung);
      ranked.push({ config: c, trial });
      step++;
      options.onProgress?.({ step, totalSteps, unit: 'iteration', metrics: { objective: trial.objective, rung } });
      throwIfAborted(options.signal);
    }
    ranked.sort((a, b) => b.trial.objective - a.trial.objective);
    if (rung < rungs - 1) pool = ranked.slice(0, Math.max(1, Math.floor(ranked.length / eta))).map((r) => r.config);
  }
  const best = ranked[0].trial;
  if (best.error) throw new ValidationError('param', `every candidate failed; the first error: ${best.error}`);
  const bestPipeline = makePipeline(best.detector, best.params, options.transformers);
  if (bestPipeline.supervision === 'unsupervised') await bestPipeline.fit(takeRows(X, indicesOf(y, 0)), null, { signal: options.signal });
  else await bestPipeline.fit(X, y, { signal: options.signal });
  return { trials, best, bestPipeline, candidates: candidates.map((c) => c.name), validationNote };
}

function makePipeline(detector: string, params: Params, transformers?: () => Transformer[]): Detector {
  const d = createDetector(detector, params);
  const ts = transformers?.() ?? [];
  return ts.length > 0 ? new Pipeline([...ts, d]) : d;
}

function indicesOf(y: Uint8Array, label: number): Uint32Array {
  const out: number[] = [];
  y.forEach((v, i) => v === label && out.push(i));
  return Uint32Array.from(out);
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

function countSteps(n: number, rungs: number, eta: number): number {
  let total = 0;
  for (let r = 0; r < rungs; r++) {
    total += n;
    n = Math.max(1, Math.floor(n / eta));
  }
  return total;
}

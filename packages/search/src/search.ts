import {
  countLabels,
  createDetector,
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
import type { Objective } from './objective.js';
import type { Validation } from './split.js';
import { evaluateCandidate, makePipeline, searchParts, type TrialOutcome } from './trial.js';

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
  /** Called with each finished trial, e.g. to append it to a file so an interrupted search can resume (awaited with an executor). */
  onTrial?: (trial: Trial) => unknown;
  /** Trials recorded by an earlier run of the same search: those are not run again. */
  resume?: readonly Trial[];
  /**
   * Evaluates each rung's configurations elsewhere (a work queue: `@abc/queue`'s `queueTrialExecutor`) instead of
   * one by one here; a rung is handed over when the previous one has finished. The trials are the same (their
   * order is the order they finish in); `onTrial` is awaited when it returns a promise.
   */
  executor?: TrialExecutor;
}

/** A configuration handed to a {@link TrialExecutor}. */
export interface TrialRequest {
  /** The trial's key (as {@link Trial.key}). */
  key: string;
  detector: string;
  /** Every parameter, the budget's included. */
  params: Params;
}

/**
 * Evaluates configurations somewhere (workers of a queue) on the search's data and options, calling `onOutcome`
 * once per finished configuration in any order and waiting for it; rejects on one that cannot be evaluated.
 *
 * @example
 * const executor: TrialExecutor = async (requests, onOutcome) => {
 *   for (const r of requests) await onOutcome(r, await evaluateSomewhere(r));
 * };
 */
export type TrialExecutor = (
  requests: readonly TrialRequest[],
  onOutcome: (request: TrialRequest, outcome: TrialOutcome) => Promise<void>,
  signal?: AbortSignal,
) => Promise<void>;

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
  if (!(Number.isInteger(trialsPerDetector) && trialsPerDetector >= 1))
    throw new ValidationError('param', `trialsPerDetector must be a positive integer, got ${trialsPerDetector}`);
  if (!(eta >= 2)) throw new ValidationError('param', `eta must be >= 2, got ${eta}`);
  const rng = new Random(options.seed ?? 0);
  const parts = searchParts(X, y, rng, { validation: options.validation, syntheticCount: options.syntheticCount });
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

  const request = (c: Config, rung: number) => {
    const budgetValue = c.budget ? Math.max(1, Math.round(c.maxBudget! * eta ** (rung - (rungs - 1)))) : null;
    const params = c.budget ? { ...c.params, [c.budget]: budgetValue! } : c.params;
    return { key: JSON.stringify([c.detector, params]), params, budgetValue };
  };
  const makeTrial = (c: Config, rung: number, outcome: TrialOutcome): Trial => {
    const { key, params, budgetValue } = request(c, rung);
    return {
      key,
      detector: c.detector,
      params,
      rung,
      budget: c.budget ? { param: c.budget, value: budgetValue! } : null,
      objective: outcome.objective,
      aurocKnown: outcome.aurocKnown,
      aurocSynthetic: outcome.aurocSynthetic,
      auprKnown: outcome.auprKnown,
      fitSeconds: outcome.fitSeconds,
      scoreSeconds: outcome.scoreSeconds,
      error: outcome.error,
    };
  };
  /** A trial found without evaluating: already run at this budget, or recorded by an earlier run. */
  const known = (c: Config, rung: number): Trial | undefined => {
    const { key } = request(c, rung);
    const seen = trials.find((t) => t.key === key);
    if (seen) return { ...seen, rung };
    const recorded = done.get(key);
    if (recorded) {
      // A trial recorded by an earlier, interrupted run: reused without refitting, and listed like the others.
      const trial = { ...recorded, rung };
      trials.push(trial);
      return trial;
    }
    return undefined;
  };

  const evaluate = async (c: Config, rung: number): Promise<Trial> => {
    const found = known(c, rung);
    if (found) return found;
    throwIfAborted(options.signal);
    const outcome = await evaluateCandidate(
      parts,
      c.detector,
      request(c, rung).params,
      objective,
      options.transformers,
      options.signal,
    );
    const trial = makeTrial(c, rung, outcome);
    trials.push(trial);
    options.onTrial?.(trial);
    return trial;
  };

  /** A rung through the executor: the configurations not known yet go out together. */
  const evaluateRung = async (executor: TrialExecutor, rung: number): Promise<Trial[]> => {
    const out = new Map<Config, Trial>();
    const waiting = new Map<string, Config[]>();
    for (const c of pool) {
      const found = known(c, rung);
      if (found) out.set(c, found);
      else {
        const { key } = request(c, rung);
        waiting.set(key, [...(waiting.get(key) ?? []), c]);
      }
    }
    const requests = [...waiting.values()].map((cs) => {
      const { key, params } = request(cs[0], rung);
      return { key, detector: cs[0].detector, params };
    });
    if (requests.length > 0)
      await executor(
        requests,
        async (req, outcome) => {
          const cs = waiting.get(req.key);
          if (!cs || out.has(cs[0])) return;
          const trial = makeTrial(cs[0], rung, outcome);
          trials.push(trial);
          for (const c of cs) out.set(c, trial);
          await options.onTrial?.(trial);
          step++;
          options.onProgress?.({ step, totalSteps, unit: 'iteration', metrics: { objective: trial.objective, rung } });
        },
        options.signal,
      );
    throwIfAborted(options.signal);
    return pool.map((c) => {
      const trial = out.get(c);
      if (!trial) throw new ValidationError('param', `the executor finished without evaluating ${request(c, rung).key}`);
      return trial;
    });
  };

  let ranked: { config: Config; trial: Trial }[] = [];
  for (let rung = 0; rung < rungs; rung++) {
    ranked = [];
    if (options.executor) {
      const before = step;
      const rungTrials = await evaluateRung(options.executor, rung);
      step = before + pool.length;
      pool.forEach((c, i) => {
        ranked.push({ config: c, trial: rungTrials[i] });
      });
    }
    for (const c of options.executor ? [] : pool) {
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
  if (bestPipeline.supervision === 'unsupervised')
    await bestPipeline.fit(takeRows(X, indicesOf(y, 0)), null, { signal: options.signal });
  else await bestPipeline.fit(X, y, { signal: options.signal });
  return { trials, best, bestPipeline, candidates: candidates.map((c) => c.name), validationNote };
}

function indicesOf(y: Uint8Array, label: number): Uint32Array {
  const out: number[] = [];
  y.forEach((v, i) => {
    v === label && out.push(i);
  });
  return Uint32Array.from(out);
}

function countSteps(n: number, rungs: number, eta: number): number {
  let total = 0;
  for (let r = 0; r < rungs; r++) {
    total += n;
    n = Math.max(1, Math.floor(n / eta));
  }
  return total;
}

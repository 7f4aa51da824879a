/**
 * Which methods run where in the benchmark: the method list (`all` = every registered detector), each
 * method's params under the benchmark (defaults, the seed, the epoch cap), and the plan of runs with the
 * supervision rules.
 */
import {
  getDetectorEntry,
  learnsWithoutAnomalies,
  listDetectors,
  ValidationError,
  type DetectorEntry,
  type Params,
} from '@abc/core';
import { resolveMethods, type MethodSpec } from '../protocols/methods.js';

/** ADBench's ratios that the benchmark runs by default. */
export const BENCHMARK_RATIOS: readonly number[] = [0, 0.01, 0.05, 0.1];

/** A method of the benchmark with its registry entry. */
export interface BenchmarkMethod {
  spec: MethodSpec;
  entry: DetectorEntry;
  /** Sees no labels: trained once per dataset and seed, its result stands for every ratio. */
  unsupervised: boolean;
  /** Runs at ratio 0 (unsupervised, or a label-aware method that learns from labels with no anomaly, as ABC). */
  atRatioZero: boolean;
}

/**
 * Resolves the benchmark's method list: `all` is every registered detector under its registry name; other
 * items are method ids of the paper's table (`abc-ae`, `abc-dae`, ...) or registered detectors' names (see
 * `resolveMethods`). Duplicates are dropped; an unknown or unregistered name is a ValidationError.
 *
 * @example
 * benchmarkMethods('iforest,hbos,abc').map((m) => [m.spec.id, m.unsupervised, m.atRatioZero]);
 * // [['iforest', true, true], ['hbos', true, true], ['abc', false, true]]
 */
export function benchmarkMethods(list: string | readonly string[]): BenchmarkMethod[] {
  const items = (typeof list === 'string' ? list.split(',') : [...list]).map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new ValidationError('param', 'methods: give "all" or a comma-separated list of detector names');
  const specs: MethodSpec[] = [];
  for (const item of items) {
    if (item === 'all') specs.push(...listDetectors().map((e) => ({ id: e.name, detector: e.name })));
    else specs.push(...resolveMethods(item).methods);
  }
  const seen = new Set<string>();
  const out: BenchmarkMethod[] = [];
  for (const spec of specs) {
    if (seen.has(spec.id)) continue;
    seen.add(spec.id);
    out.push(benchmarkMethod(spec));
  }
  if (out.length === 0) throw new ValidationError('param', 'methods: no detector is registered');
  return out;
}

/**
 * A benchmark method from its spec alone (the one place a {@link BenchmarkMethod} is made, so a worker of a
 * queue that gets the spec as data runs the method exactly as the local runner does). An unregistered detector
 * is an `UnknownDetectorError`.
 *
 * @example
 * benchmarkMethod({ id: 'abc-ae', detector: 'abc', params: { variant: 'ae' } }).atRatioZero;   // true
 */
export function benchmarkMethod(spec: MethodSpec): BenchmarkMethod {
  const entry = getDetectorEntry(spec.detector);
  const unsupervised = entry.supervision === 'unsupervised';
  return { spec, entry, unsupervised, atRatioZero: unsupervised || learnsWithoutAnomalies(entry) };
}

/**
 * A method's params in the benchmark: the detector's defaults with the method's own params, the run's seed,
 * and — where the declared budget parameter counts epochs — that budget capped at `maxEpochs` (the cap is
 * also recorded as `maxEpochsCap` in the record's params).
 *
 * @example
 * benchmarkParams(method, { seed: 2, maxEpochs: 20 });   // { variant: 'ae', maxEpochs: 20, seed: 2 } for abc-ae
 */
export function benchmarkParams(method: BenchmarkMethod, options: { seed: number; maxEpochs?: number }): Params {
  const params: Params = { ...(method.spec.params ?? {}) };
  const budget = epochBudget(method.entry);
  if (options.maxEpochs !== undefined && budget) {
    const own = typeof params[budget] === 'number' ? (params[budget] as number) : method.entry.paramSpace[budget]?.default;
    params[budget] = typeof own === 'number' ? Math.min(own, options.maxEpochs) : options.maxEpochs;
  }
  params.seed = options.seed;
  return params;
}

/**
 * The declared budget parameter when it counts epochs (`maxEpochs`, `epochs`), else null.
 *
 * @example
 * epochBudget(getDetectorEntry('abc'));       // 'maxEpochs'
 * epochBudget(getDetectorEntry('iforest'));   // null (its budget counts trees)
 */
export function epochBudget(entry: DetectorEntry): string | null {
  const b = entry.budget ?? null;
  return b !== null && /epoch/i.test(b) ? b : null;
}

/** One planned fit: a method on a dataset and seed, recorded at `ratios` (several for an unsupervised method). */
export interface BenchmarkTask {
  dataset: string;
  seed: number;
  method: BenchmarkMethod;
  /** The ratio whose split the method is fitted on (0 for unsupervised methods: they see no labels). */
  fitRatio: number;
  /** The ratios the result is recorded at: one line each. */
  ratios: number[];
}

/**
 * The runs of one dataset, seed by seed: each unsupervised method once per seed, recorded at every ratio;
 * each label-aware method at every ratio above 0, and at ratio 0 only when it learns without anomalies.
 *
 * @example
 * planBenchmark('29_Pima', { ratios: [0, 0.05], seeds: [0], methods }).map((t) => [t.method.spec.id, t.ratios]);
 * // [['iforest', [0, 0.05]], ['abc', [0]], ['abc', [0.05]], ['gtb', [0.05]]]
 */
export function planBenchmark(
  dataset: string,
  options: { ratios: readonly number[]; seeds: readonly number[]; methods: readonly BenchmarkMethod[] },
): BenchmarkTask[] {
  const tasks: BenchmarkTask[] = [];
  for (const seed of options.seeds) {
    for (const method of options.methods) {
      if (method.unsupervised) {
        tasks.push({ dataset, seed, method, fitRatio: 0, ratios: [...options.ratios] });
        continue;
      }
      for (const ratio of options.ratios) {
        if (ratio === 0 && !method.atRatioZero) continue;
        tasks.push({ dataset, seed, method, fitRatio: ratio, ratios: [ratio] });
      }
    }
  }
  return tasks;
}

/**
 * Checks and sorts a ratio list (each in [0, 1], duplicates dropped).
 *
 * @example
 * parseRatios('0.05,0,0.1');   // [0, 0.05, 0.1]
 */
export function parseRatios(text: string | readonly number[]): number[] {
  const items =
    typeof text === 'string'
      ? text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map(Number)
      : [...text];
  if (items.length === 0 || items.some((r) => !(Number.isFinite(r) && r >= 0 && r <= 1))) {
    throw new ValidationError(
      'param',
      `ratios must be numbers in [0, 1] (shares of the training anomalies that are labelled, e.g. 0,0.01,0.05,0.1), got "${String(text)}"`,
    );
  }
  return [...new Set(items)].sort((a, b) => a - b);
}

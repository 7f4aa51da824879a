/**
 * Which methods run where in the benchmark: the method list (`all` = every registered detector, `NAME+platt`
 * and the like = a calibrated variant of a method), each method's params under the benchmark (defaults, the
 * seed, the epoch cap), and the plan of runs with the supervision rules, a method and its calibrated variants
 * sharing one fit.
 */
import {
  CALIBRATION_METHODS,
  getDetectorEntry,
  learnsWithoutAnomalies,
  listDetectors,
  ValidationError,
  type CalibrationMethod,
  type DetectorEntry,
  type Params,
} from '@abc/core';
import { epochParams, resolveMethods, type MethodSpec } from '../protocols/methods.js';

/** ADBench's ratios that the benchmark runs by default. */
export const BENCHMARK_RATIOS: readonly number[] = [0, 0.01, 0.05, 0.1];

/** A method of the benchmark with its registry entry. */
export interface BenchmarkMethod {
  /**
   * Its id in the records (`spec.id`), its detector and that detector's params. For a calibrated variant the
   * id is `BASE+CALIBRATOR` (`abc+platt`) and the detector and params are its base's.
   */
  spec: MethodSpec;
  entry: DetectorEntry;
  /** Sees no labels: trained once per dataset and seed, its result stands for every ratio. */
  unsupervised: boolean;
  /** Runs at ratio 0 (unsupervised, or a label-aware method that learns from labels with no anomaly, as ABC). */
  atRatioZero: boolean;
  /** A calibrated variant's calibrator (`abc+platt`: `platt`); null for a method's own scores. */
  calibration: CalibrationMethod | null;
  /** The method whose fit it reads: its own spec, or a calibrated variant's base (`abc` for `abc+platt`). */
  base: MethodSpec;
}

/** The separator of a calibrated variant's method id: `abc+platt`. */
const CALIBRATED = '+';

/**
 * The method id of a method's calibrated variant.
 *
 * @example
 * calibratedMethodId('abc-ae', 'isotonic');   // 'abc-ae+isotonic'
 */
export function calibratedMethodId(baseId: string, calibration: CalibrationMethod): string {
  return `${baseId}${CALIBRATED}${calibration}`;
}

/**
 * The base and calibrator of a calibrated variant's method id, or null for any other id (never throws: for
 * reading records; {@link parseCalibratedMethodId} checks a method list).
 *
 * @example
 * calibratedMethodParts('abc+platt');   // { base: 'abc', calibration: 'platt' }
 * calibratedMethodParts('abc-ae');      // null
 */
export function calibratedMethodParts(id: string): { base: string; calibration: CalibrationMethod } | null {
  const at = id.lastIndexOf(CALIBRATED);
  const calibration = id.slice(at + 1);
  if (at <= 0 || !(CALIBRATION_METHODS as readonly string[]).includes(calibration)) return null;
  return { base: id.slice(0, at), calibration: calibration as CalibrationMethod };
}

/**
 * Splits a calibrated variant's method id (`BASE+CALIBRATOR`) into its base id and calibrator; null for an id
 * without `+`. A calibrator that is not one of core's `CALIBRATION_METHODS` (platt, isotonic, linear, unify),
 * or an empty base, is a ValidationError.
 *
 * @example
 * parseCalibratedMethodId('iforest+unify');   // { base: 'iforest', calibration: 'unify' }
 * parseCalibratedMethodId('iforest');         // null
 * parseCalibratedMethodId('abc+sigmoid');     // throws ValidationError: unknown calibrator "sigmoid" ...
 */
export function parseCalibratedMethodId(id: string): { base: string; calibration: CalibrationMethod } | null {
  const at = id.lastIndexOf(CALIBRATED);
  if (at < 0) return null;
  const base = id.slice(0, at).trim();
  const calibration = id.slice(at + 1).trim();
  if (!(CALIBRATION_METHODS as readonly string[]).includes(calibration)) {
    throw new ValidationError(
      'param',
      `methods: unknown calibrator "${calibration}" in "${id}"; a calibrated variant is METHOD+CALIBRATOR with CALIBRATOR one of ${CALIBRATION_METHODS.join(', ')} (e.g. abc+platt)`,
    );
  }
  if (base === '' || base === 'all' || base.includes(CALIBRATED)) {
    throw new ValidationError(
      'param',
      `methods: "${id}" names no method to calibrate; write METHOD+${calibration} with METHOD a registered detector's name or a method id (e.g. abc+${calibration})`,
    );
  }
  return { base, calibration: calibration as CalibrationMethod };
}

/**
 * Resolves the benchmark's method list: `all` is every registered detector under its registry name; other
 * items are method ids of the paper's table (`abc-ae`, `abc-dae`, ...), registered detectors' names (see
 * `resolveMethods`), or a calibrated variant of either, `METHOD+CALIBRATOR` with CALIBRATOR one of `platt`,
 * `isotonic` (fitted on labelled held-out test scores), `linear`, `unify` (PyOD's label-free rescalings of the
 * training scores). Duplicates are dropped; an unknown or unregistered name, or an unknown calibrator, is a
 * ValidationError.
 *
 * @example
 * benchmarkMethods('iforest,hbos,abc').map((m) => [m.spec.id, m.unsupervised, m.atRatioZero]);
 * // [['iforest', true, true], ['hbos', true, true], ['abc', false, true]]
 * benchmarkMethods('abc,abc+platt').map((m) => [m.spec.id, m.calibration, m.base.id]);
 * // [['abc', null, 'abc'], ['abc+platt', 'platt', 'abc']]
 */
export function benchmarkMethods(list: string | readonly string[]): BenchmarkMethod[] {
  const items = (typeof list === 'string' ? list.split(',') : [...list]).map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new ValidationError('param', 'methods: give "all" or a comma-separated list of detector names');
  const methods: BenchmarkMethod[] = [];
  for (const item of items) {
    const variant = parseCalibratedMethodId(item);
    if (variant) {
      const [base] = resolveMethods(variant.base).methods;
      methods.push(calibratedMethod(benchmarkMethod(base), variant.calibration));
    } else if (item === 'all') methods.push(...listDetectors().map((e) => benchmarkMethod({ id: e.name, detector: e.name })));
    else methods.push(...resolveMethods(item).methods.map(benchmarkMethod));
  }
  const seen = new Set<string>();
  const out = methods.filter((m) => !seen.has(m.spec.id) && Boolean(seen.add(m.spec.id)));
  if (out.length === 0) throw new ValidationError('param', 'methods: no detector is registered');
  return out;
}

/**
 * A benchmark method from its spec alone (the one place a {@link BenchmarkMethod} is made, so a worker of a
 * queue that gets the spec as data runs the method exactly as the local runner does; a calibrated variant is
 * made from it by {@link calibratedMethod}). An unregistered detector is an `UnknownDetectorError`.
 *
 * @example
 * benchmarkMethod({ id: 'abc-ae', detector: 'abc', params: { variant: 'ae' } }).atRatioZero;   // true
 */
export function benchmarkMethod(spec: MethodSpec): BenchmarkMethod {
  const entry = getDetectorEntry(spec.detector);
  const unsupervised = entry.supervision === 'unsupervised';
  return {
    spec,
    entry,
    unsupervised,
    atRatioZero: unsupervised || learnsWithoutAnomalies(entry),
    calibration: null,
    base: spec,
  };
}

/**
 * The calibrated variant of a method: the same detector, params and supervision rules (it reads its base's
 * fit: the plan never fits it on its own), its own id `BASE+CALIBRATOR`.
 *
 * @example
 * calibratedMethod(benchmarkMethod({ id: 'abc', detector: 'abc' }), 'platt').spec.id;   // 'abc+platt'
 */
export function calibratedMethod(base: BenchmarkMethod, calibration: CalibrationMethod): BenchmarkMethod {
  if (base.calibration !== null)
    throw new ValidationError('param', `methods: ${base.spec.id} is already calibrated; calibrate its base ${base.base.id}`);
  return {
    ...base,
    spec: {
      id: calibratedMethodId(base.spec.id, calibration),
      detector: base.spec.detector,
      ...(base.spec.params ? { params: base.spec.params } : {}),
    },
    calibration,
    base: base.spec,
  };
}

/**
 * A method's params in the benchmark: the detector's defaults with the method's own params, the run's seed,
 * and each param that counts epochs (`maxEpochs`, `epochs`, pre-training ones such as `aeEpochs`: see
 * `epochParams`) capped at `maxEpochs`, as `abc reproduce` caps them (the cap is also recorded as
 * `maxEpochsCap` in the record's params).
 *
 * @example
 * benchmarkParams(method, { seed: 2, maxEpochs: 20 });   // { variant: 'ae', maxEpochs: 20, seed: 2 } for abc-ae
 * benchmarkParams(deepsad, { seed: 0, maxEpochs: 50 });  // { epochs: 50, aeEpochs: 50, seed: 0 }
 */
export function benchmarkParams(method: BenchmarkMethod, options: { seed: number; maxEpochs?: number }): Params {
  const params: Params = { ...(method.spec.params ?? {}) };
  if (options.maxEpochs !== undefined) {
    for (const name of epochParams(method.entry)) {
      const own = typeof params[name] === 'number' ? (params[name] as number) : method.entry.paramSpace[name]?.default;
      params[name] = typeof own === 'number' ? Math.min(own, options.maxEpochs) : options.maxEpochs;
    }
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

/**
 * One planned fit: a method on a dataset and seed, recorded at `ratios` (several for an unsupervised method),
 * under the ids of `outputs` (the method itself and/or its calibrated variants: one fit, one record each).
 */
export interface BenchmarkTask {
  dataset: string;
  seed: number;
  /** The method fitted (a base method: never a calibrated variant). */
  method: BenchmarkMethod;
  /**
   * What is recorded from the fit, in the order of the method list: `method` itself when it was listed, and
   * each of its calibrated variants that was (`abc+platt`, ...). Never empty.
   */
  outputs: BenchmarkMethod[];
  /** The ratio whose split the method is fitted on (0 for unsupervised methods: they see no labels). */
  fitRatio: number;
  /** The ratios the result is recorded at: one line each. */
  ratios: number[];
}

/**
 * The runs of one dataset, seed by seed: each unsupervised method once per seed, recorded at every ratio;
 * each label-aware method at every ratio above 0, and at ratio 0 only when it learns without anomalies. A
 * method and its calibrated variants (`abc`, `abc+platt`, `abc+isotonic`) are one task: one fit whose scores
 * every output reads (a variant listed without its base still fits the base, and records only the variant).
 *
 * @example
 * planBenchmark('29_Pima', { ratios: [0, 0.05], seeds: [0], methods: benchmarkMethods('iforest,abc,abc+platt,gtb') })
 *   .map((t) => [t.method.spec.id, t.outputs.map((o) => o.spec.id), t.ratios]);
 * // [['iforest', ['iforest'], [0, 0.05]], ['abc', ['abc', 'abc+platt'], [0]], ['abc', ['abc', 'abc+platt'], [0.05]],
 * //  ['gtb', ['gtb'], [0.05]]]
 */
export function planBenchmark(
  dataset: string,
  options: { ratios: readonly number[]; seeds: readonly number[]; methods: readonly BenchmarkMethod[] },
): BenchmarkTask[] {
  const groups = new Map<string, { method: BenchmarkMethod; outputs: BenchmarkMethod[] }>();
  for (const m of options.methods) {
    const g = groups.get(m.base.id);
    if (g) g.outputs.push(m);
    else groups.set(m.base.id, { method: m.calibration === null ? m : benchmarkMethod(m.base), outputs: [m] });
  }
  const tasks: BenchmarkTask[] = [];
  for (const seed of options.seeds) {
    for (const { method, outputs } of groups.values()) {
      if (method.unsupervised) {
        tasks.push({ dataset, seed, method, outputs: [...outputs], fitRatio: 0, ratios: [...options.ratios] });
        continue;
      }
      for (const ratio of options.ratios) {
        if (ratio === 0 && !method.atRatioZero) continue;
        tasks.push({ dataset, seed, method, outputs: [...outputs], fitRatio: ratio, ratios: [ratio] });
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

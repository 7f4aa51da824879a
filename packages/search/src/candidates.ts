import {
  getDetectorEntry,
  learnsWithoutAnomalies,
  listDetectors,
  type Random,
  ValidationError,
  type DetectorEntry,
  type ParamSpec,
  type Params,
  type ParamValue,
} from '@abc/core';

/**
 * The parameter successive halving scales for a detector: its declared training budget (epochs, trees, boosting
 * rounds), or null when it declares none (fitted once, at full cost: an SVM's iteration cap is a safety limit).
 *
 * @example
 * budgetParam(getDetectorEntry('abc'));   // 'maxEpochs'
 * budgetParam(getDetectorEntry('svm'));   // null
 */
export function budgetParam(entry: DetectorEntry): string | null {
  const budget = entry.budget ?? null;
  if (budget === null) return null;
  const spec = entry.paramSpace[budget];
  if (spec?.type !== 'int') {
    throw new ValidationError(
      'param',
      `detector ${entry.name} declares "${budget}" as its budget, which is not one of its integer parameters`,
    );
  }
  return budget;
}

/**
 * Label-aware candidates. With no anomaly in the training labels only the detectors that declare they learn
 * without anomalies (the unsupervised ones, and ABC, which then is an autoencoder) are candidates; with anomalies
 * every named detector is.
 *
 * @example
 * chooseCandidates(['abc', 'gtb', 'iforest'], 0).map((e) => e.name);   // ['abc', 'iforest']
 */
export function chooseCandidates(names: readonly string[] | undefined, nAnomalies: number): DetectorEntry[] {
  const entries = names ? names.map((n) => getDetectorEntry(n)) : listDetectors();
  if (nAnomalies > 0) return entries;
  const usable = entries.filter((e) => learnsWithoutAnomalies(e));
  if (usable.length === 0) {
    throw new ValidationError(
      'labels',
      `the training labels hold no anomaly, and none of ${entries.map((e) => e.name).join(', ')} can learn without one`,
    );
  }
  return usable;
}

/** Draws one value of a parameter from its declared search range. */
export function sampleParam(spec: ParamSpec, rng: Random): ParamValue {
  switch (spec.type) {
    case 'int':
    case 'float': {
      const s = spec.search!;
      const u = s.log ? Math.exp(rng.uniform(Math.log(s.low), Math.log(s.high))) : rng.uniform(s.low, s.high);
      return spec.type === 'int' ? Math.min(s.high, Math.max(s.low, Math.round(u))) : u;
    }
    case 'choice':
      return pick(spec.search?.choices ?? spec.choices, rng);
    case 'bool':
      return pick(spec.search?.choices ?? [true, false], rng);
    case 'intList':
      return [...pick(spec.search!.choices, rng)];
  }
}

/**
 * A random configuration: every parameter that declares a `search` range is drawn (the budget parameter
 * excepted: halving sets it); `fixed` values win over draws.
 */
export function sampleConfig(entry: DetectorEntry, rng: Random, fixed: Params = {}, skip: string | null = null): Params {
  const out: Params = {};
  for (const [name, spec] of Object.entries(entry.paramSpace)) {
    if (name === skip || name === 'seed' || !hasSearch(spec)) continue;
    out[name] = sampleParam(spec, rng);
  }
  return { ...out, ...fixed };
}

function hasSearch(spec: ParamSpec): boolean {
  if (spec.type === 'choice' || spec.type === 'bool') return spec.search !== undefined;
  return spec.search !== undefined;
}

function pick<T>(list: readonly T[], rng: Random): T {
  return list[rng.int(list.length)];
}

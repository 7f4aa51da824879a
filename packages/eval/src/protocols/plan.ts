import type { MethodSpec } from './methods.js';
import { runKey, type Setting } from './records.js';
import { setting3Counts } from './settings.js';

/** One run to do: a (dataset, setting, method, run) and, in setting 3, the number of known anomalies. */
export interface PlannedRun {
  dataset: string;
  setting: Setting;
  method: MethodSpec;
  /** Whether the method's detector is supervised (trains on known anomalies). */
  supervised: boolean;
  run: number;
  seed: number;
  /** Known anomalies in training: setting 3's count for supervised methods, 0 for unsupervised ones; undefined in settings 1, 2. */
  nKnown?: number;
}

/** Options of {@link planDatasetRuns}. */
export interface PlanOptions {
  dataset: string;
  settings: readonly Setting[];
  runs: number;
  /** Seed of run 0; run r uses `seed + r` (default 0). */
  seed?: number;
  methods: readonly (MethodSpec & { supervised: boolean })[];
  /** Setting 3's counts (default the paper's: 10, 50, 100, 500, 1,000, 5,000, all). */
  knownCounts: readonly (number | 'all')[];
  /** Known anomalies the split has; without it, each count is taken as given (an estimate for progress). */
  availableKnown?: number;
}

/**
 * The runs of one dataset, in the order they are done: run (seed) by run, then setting, then (setting 3)
 * count, then method. In setting 3, supervised methods run once per count ({@link setting3Counts}: counts at or
 * above the available number are the `all` run), unsupervised ones once (they use no known anomaly: Figure 4's
 * dashed lines).
 *
 * @example
 * planDatasetRuns({ dataset: 'mnist', settings: [3], runs: 5, methods, knownCounts: [10, 'all'], availableKnown: 13797 });
 */
export function planDatasetRuns(options: PlanOptions): PlannedRun[] {
  const out: PlannedRun[] = [];
  const base = options.seed ?? 0;
  const counts =
    options.availableKnown === undefined
      ? options.knownCounts.map((c, i) => (c === 'all' ? Number.MAX_SAFE_INTEGER - i : c))
      : setting3Counts(options.knownCounts, options.availableKnown);
  for (let run = 0; run < options.runs; run++) {
    const seed = base + run;
    for (const setting of options.settings) {
      const common = { dataset: options.dataset, setting, run, seed };
      if (setting !== 3) {
        for (const m of options.methods) out.push({ ...common, method: stripSupervised(m), supervised: m.supervised });
        continue;
      }
      for (const nKnown of counts) {
        for (const m of options.methods)
          if (m.supervised) out.push({ ...common, method: stripSupervised(m), supervised: true, nKnown });
      }
      for (const m of options.methods)
        if (!m.supervised) out.push({ ...common, method: stripSupervised(m), supervised: false, nKnown: 0 });
    }
  }
  return out;
}

function stripSupervised(m: MethodSpec & { supervised: boolean }): MethodSpec {
  const { supervised: _, ...spec } = m;
  return spec;
}

/**
 * The resume key of a planned run (the same as {@link runKey} of its record).
 *
 * @example
 * const todo = plan.filter((p) => !done.has(plannedKey(p)));
 */
export function plannedKey(p: PlannedRun): string {
  return runKey({ dataset: p.dataset, setting: p.setting, method: p.method.id, run: p.run, nKnown: p.nKnown ?? 0 });
}

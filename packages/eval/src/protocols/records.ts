import type { Params } from '@abc/core';
import type { TestSet } from '../datasets/splits.js';

/** The paper's settings: 1 (clean training normals), 2 (100 unknown anomalies among them), 3 (fewer known anomalies). */
export type Setting = 1 | 2 | 3;

/**
 * One finished run: a line of `OUT/runs.jsonl` (exactly the fields of the experiment record in docs/contracts.md).
 * `nKnown` is the number of known anomalies in the run's training set (0 for unsupervised methods, which
 * train on normals only); `epochs` the epochs actually trained (null for methods that are not networks);
 * `params` the detector's resolved params plus the protocol's (`scaler`, and `toySize` / `maxRowsPerPart`
 * where they shaped the data).
 */
export interface ExperimentRecord {
  dataset: string;
  setting: Setting;
  method: string;
  run: number;
  seed: number;
  nKnown: number;
  testSet: TestSet;
  aurocKnown: number;
  aurocUnknown: number;
  auprKnown: number;
  auprUnknown: number;
  epochs: number | null;
  fitSeconds: number;
  scoreSeconds: number;
  params: Params;
}

/** The field names of an experiment record, in order. */
export const RECORD_FIELDS = [
  'dataset',
  'setting',
  'method',
  'run',
  'seed',
  'nKnown',
  'testSet',
  'aurocKnown',
  'aurocUnknown',
  'auprKnown',
  'auprUnknown',
  'epochs',
  'fitSeconds',
  'scoreSeconds',
  'params',
] as const;

/** Mean and sample standard deviation (ddof = 1) of a cell; `std` is null with fewer than two runs. */
export interface MeanStd {
  mean: number;
  std: number | null;
}

/** One (dataset, setting, method, nKnown) cell of `results.json`: the aggregate of its runs. */
export interface ResultCell {
  dataset: string;
  setting: Setting;
  method: string;
  /** Known anomalies in training (distinguishes the cells of setting 3). */
  nKnown: number;
  testSet: TestSet;
  /** Number of runs. */
  n: number;
  aurocKnown: MeanStd;
  aurocUnknown: MeanStd;
  auprKnown: MeanStd;
  auprUnknown: MeanStd;
  fitSeconds: MeanStd;
}

/** `OUT/results.json`: every record and the cells aggregated from them. */
export interface Results {
  runs: ExperimentRecord[];
  cells: ResultCell[];
}

/**
 * Mean and sample standard deviation (ddof = 1, as the t-test uses); std is null for a single value.
 *
 * @example
 * meanStd([0.96, 0.97, 0.98]);   // { mean: 0.97, std: 0.01 }
 */
export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: null };
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  if (n < 2) return { mean, std: null };
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

/**
 * The identity of a run for resuming: settings 1 and 2 by run; setting 3 also by the number of known anomalies.
 *
 * @example
 * runKey({ dataset: 'mnist', setting: 3, method: 'abc-ae', run: 2, nKnown: 50 });   // 'mnist|3|abc-ae|50|2'
 */
export function runKey(r: Pick<ExperimentRecord, 'dataset' | 'setting' | 'method' | 'run' | 'nKnown'>): string {
  return r.setting === 3 ? `${r.dataset}|3|${r.method}|${r.nKnown}|${r.run}` : `${r.dataset}|${r.setting}|${r.method}|${r.run}`;
}

/**
 * Groups records into cells by (dataset, setting, method, nKnown) in first-seen order and aggregates each
 * metric as mean and sample std.
 *
 * @example
 * const { cells } = aggregateResults(records);
 * cells[0].aurocKnown;   // { mean: 0.965, std: 0.004 }
 */
export function aggregateResults(runs: readonly ExperimentRecord[]): Results {
  const groups = new Map<string, ExperimentRecord[]>();
  for (const r of runs) {
    const key = `${r.dataset}|${r.setting}|${r.method}|${r.nKnown}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const cells: ResultCell[] = [];
  for (const g of groups.values()) {
    const first = g[0];
    const testSets = new Set(g.map((r) => r.testSet));
    cells.push({
      dataset: first.dataset,
      setting: first.setting,
      method: first.method,
      nKnown: first.nKnown,
      testSet: testSets.size === 1 ? first.testSet : ([...testSets].join('+') as TestSet),
      n: g.length,
      aurocKnown: meanStd(g.map((r) => r.aurocKnown)),
      aurocUnknown: meanStd(g.map((r) => r.aurocUnknown)),
      auprKnown: meanStd(g.map((r) => r.auprKnown)),
      auprUnknown: meanStd(g.map((r) => r.auprUnknown)),
      fitSeconds: meanStd(g.map((r) => r.fitSeconds)),
    });
  }
  return { runs: [...runs], cells };
}

/**
 * Checks a parsed JSON value against the record's fields (types only); returns an error message or null.
 *
 * @example
 * recordProblem(JSON.parse(line));   // null for a good record
 */
export function recordProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  for (const f of RECORD_FIELDS) if (!(f in r)) return `field "${f}" is missing`;
  if (typeof r.dataset !== 'string' || typeof r.method !== 'string') return 'dataset and method must be strings';
  if (r.setting !== 1 && r.setting !== 2 && r.setting !== 3) return `setting ${String(r.setting)} is not 1, 2 or 3`;
  for (const f of ['run', 'seed', 'nKnown', 'fitSeconds', 'scoreSeconds'] as const) {
    if (typeof r[f] !== 'number') return `field "${f}" is not a number`;
  }
  for (const f of ['aurocKnown', 'aurocUnknown', 'auprKnown', 'auprUnknown'] as const) {
    if (typeof r[f] !== 'number') return `field "${f}" is not a number`;
  }
  if (r.epochs !== null && typeof r.epochs !== 'number') return 'field "epochs" is neither a number nor null';
  if (typeof r.params !== 'object' || r.params === null) return 'field "params" is not an object';
  return null;
}

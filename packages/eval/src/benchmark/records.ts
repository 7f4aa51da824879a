/**
 * The benchmark's records (DESIGN.md, "Benchmark records", a firm contract): one line of `OUT/runs.jsonl` per
 * finished (dataset, ratio, method, seed), and `OUT/results.json` aggregated from them.
 */
import type { Params } from '@abc/core';
import { meanStd, type MeanStd } from '../protocols/records.js';
import { rankRow } from '../stats/ranks.js';
import { calibratedMethodParts } from './plan.js';

/** One finished benchmark run: exactly the firm contract's fields. */
export interface BenchmarkRecord {
  /** `adbench`. */
  suite: string;
  /** The file name without `.npz`, e.g. `29_Pima`. */
  dataset: string;
  /** Share of the training anomalies that are labelled (0, 0.01, 0.05, 0.1, ...). */
  ratio: number;
  /** The method id (a registry name, a method-table id such as `abc-dae`, or a calibrated variant `abc+platt`). */
  method: string;
  seed: number;
  nTrain: number;
  nTest: number;
  /** Labelled anomalies the method saw (0 for unsupervised methods, whatever the ratio). */
  nLabelled: number;
  auroc: number;
  /** Average precision. */
  aupr: number;
  /**
   * Calibration of `predictProba` (of the calibrated probability for a calibrated variant) on the test part;
   * null for detectors without a probability.
   */
  brier: number | null;
  ece: number | null;
  logLoss: number | null;
  fitSeconds: number;
  scoreSeconds: number;
  /** Epochs trained (networks), else null. */
  epochs: number | null;
  /** The detector's params, plus the protocol's (`maxEpochsCap`, `labels`). */
  params: Params;
}

/** One (dataset, ratio, method) cell of results.json: mean and std over seeds. */
export interface BenchmarkCell {
  dataset: string;
  ratio: number;
  method: string;
  /** Seeds recorded. */
  n: number;
  auroc: MeanStd;
  aupr: MeanStd;
}

/** One method's average AUROC rank over the datasets of a ratio (1 = best). */
export interface BenchmarkRank {
  ratio: number;
  method: string;
  meanRank: number;
}

/** `OUT/results.json`. */
export interface BenchmarkResults {
  runs: BenchmarkRecord[];
  cells: BenchmarkCell[];
  ranks: BenchmarkRank[];
}

const NUMBER_FIELDS = ['ratio', 'seed', 'nTrain', 'nTest', 'nLabelled', 'auroc', 'aupr', 'fitSeconds', 'scoreSeconds'] as const;
const NULLABLE_FIELDS = ['brier', 'ece', 'logLoss', 'epochs'] as const;

/**
 * What is wrong with a parsed runs.jsonl line as a {@link BenchmarkRecord}, or null when it is one.
 *
 * @example
 * benchmarkRecordProblem({ suite: 'adbench' });   // 'field dataset is missing or not a string'
 */
export function benchmarkRecordProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  for (const f of ['suite', 'dataset', 'method'] as const)
    if (typeof r[f] !== 'string') return `field ${f} is missing or not a string`;
  for (const f of NUMBER_FIELDS) if (typeof r[f] !== 'number') return `field ${f} is missing or not a number`;
  for (const f of NULLABLE_FIELDS)
    if (!(r[f] === null || typeof r[f] === 'number')) return `field ${f} is missing or not a number or null`;
  if (typeof r.params !== 'object' || r.params === null) return 'field params is missing or not an object';
  return null;
}

/**
 * The key of a run: (dataset, ratio, method, seed). A rerun skips the planned runs whose key is recorded.
 *
 * @example
 * benchmarkRunKey({ dataset: '29_Pima', ratio: 0.05, method: 'iforest', seed: 1 });   // '29_Pima|0.05|iforest|1'
 */
export function benchmarkRunKey(r: Pick<BenchmarkRecord, 'dataset' | 'ratio' | 'method' | 'seed'>): string {
  return `${r.dataset}|${r.ratio}|${r.method}|${r.seed}`;
}

/**
 * The cells (mean and std over seeds per dataset, ratio and method), in first-seen order.
 *
 * @example
 * benchmarkCells(records)[0];   // { dataset: '29_Pima', ratio: 0, method: 'iforest', n: 3, auroc: { mean, std }, aupr: { mean, std } }
 */
export function benchmarkCells(records: readonly BenchmarkRecord[]): BenchmarkCell[] {
  const groups = new Map<string, BenchmarkRecord[]>();
  for (const r of records) {
    const key = `${r.dataset}|${r.ratio}|${r.method}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((g) => ({
    dataset: g[0].dataset,
    ratio: g[0].ratio,
    method: g[0].method,
    n: g.length,
    auroc: meanStd(g.map((r) => r.auroc)),
    aupr: meanStd(g.map((r) => r.aupr)),
  }));
}

/** The AUROC table of one ratio: datasets (rows) where every one of its methods (columns) has a cell. */
export interface RatioTable {
  ratio: number;
  methods: string[];
  datasets: string[];
  /** rows[i][j]: mean AUROC of methods[j] on datasets[i]. */
  rows: number[][];
  /** Datasets left out because a method has no cell there (a failed or unfinished run). */
  incomplete: string[];
}

/**
 * The per-ratio AUROC tables that ranks and the Friedman test read: for each ratio, the methods with a cell
 * at that ratio, and the datasets where all of them have one (the others are listed in `incomplete`).
 * Calibrated variants (`abc+platt`, ...) are left out: a monotone map of their base's scores, ranking both
 * would count one detector twice (their cells stay in results.json and the report's tables).
 *
 * @example
 * ratioTables(benchmarkCells(records)).map((t) => [t.ratio, t.methods.length, t.datasets.length]);
 */
export function ratioTables(cells: readonly BenchmarkCell[]): RatioTable[] {
  const ratios = [...new Set(cells.map((c) => c.ratio))].sort((a, b) => a - b);
  return ratios.map((ratio) => {
    const at = cells.filter((c) => c.ratio === ratio && calibratedMethodParts(c.method) === null);
    const methods = [...new Set(at.map((c) => c.method))];
    const allDatasets = [...new Set(at.map((c) => c.dataset))];
    const value = new Map(at.map((c) => [`${c.dataset}|${c.method}`, c.auroc.mean]));
    const datasets = allDatasets.filter((d) => methods.every((m) => Number.isFinite(value.get(`${d}|${m}`))));
    return {
      ratio,
      methods,
      datasets,
      rows: datasets.map((d) => methods.map((m) => value.get(`${d}|${m}`)!)),
      incomplete: allDatasets.filter((d) => !datasets.includes(d)),
    };
  });
}

/**
 * Average AUROC ranks per ratio over its complete datasets (see {@link ratioTables}; rank 1 = highest mean
 * AUROC, ties share the average rank; calibrated variants are not ranked). A ratio with no complete dataset
 * has no ranks.
 *
 * @example
 * benchmarkRanks(benchmarkCells(records));   // [{ ratio: 0, method: 'iforest', meanRank: 1.4 }, ...]
 */
export function benchmarkRanks(cells: readonly BenchmarkCell[]): BenchmarkRank[] {
  const out: BenchmarkRank[] = [];
  for (const t of ratioTables(cells)) {
    if (t.datasets.length === 0) continue;
    const sums = new Float64Array(t.methods.length);
    for (const row of t.rows) {
      const r = rankRow(row);
      for (let j = 0; j < r.length; j++) sums[j] += r[j];
    }
    t.methods.forEach((method, j) => {
      out.push({ ratio: t.ratio, method, meanRank: sums[j] / t.datasets.length });
    });
  }
  return out;
}

/**
 * results.json from the records: `{ runs, cells, ranks }`.
 *
 * @example
 * const results = aggregateBenchmark(records);
 * results.ranks.filter((r) => r.ratio === 0);
 */
export function aggregateBenchmark(records: readonly BenchmarkRecord[]): BenchmarkResults {
  const cells = benchmarkCells(records);
  return { runs: [...records], cells, ranks: benchmarkRanks(cells) };
}

/**
 * Comparing several methods over several datasets (Demšar, "Statistical comparisons of classifiers over
 * multiple data sets", JMLR 7, 2006): average ranks, the Friedman test with the Iman-Davenport correction,
 * and the Nemenyi critical difference.
 */
import { ValidationError } from '@abc/core';
import { chiSquareSurvival, fSurvival } from './distributions.js';
import { studentizedRangeQuantile } from './studentized-range.js';

/** A results table: one row per dataset, one column per method (a metric such as AUROC). */
export type ResultTable = readonly ArrayLike<number>[];

/** Options of the rank functions. */
export interface RankOptions {
  /** True (default) when a higher metric is better (AUROC, AUPR): the highest value gets rank 1. */
  higherIsBetter?: boolean;
}

/**
 * Ranks within one row: rank 1 for the best value (the highest, unless `higherIsBetter` is false), tied
 * values sharing the average of the ranks they span.
 *
 * @example
 * rankRow([0.9, 0.7, 0.9, 0.5]);   // [1.5, 3, 1.5, 4]
 */
export function rankRow(values: ArrayLike<number>, options: RankOptions = {}): Float64Array {
  const higher = options.higherIsBetter ?? true;
  const k = values.length;
  for (let j = 0; j < k; j++) {
    if (typeof values[j] !== 'number' || Number.isNaN(values[j])) {
      throw new ValidationError('non-finite', `rankRow: value ${j} is ${String(values[j])}, not a number`);
    }
  }
  const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => (higher ? values[b] - values[a] : values[a] - values[b]));
  const ranks = new Float64Array(k);
  for (let i = 0; i < k; ) {
    let j = i;
    while (j + 1 < k && values[order[j + 1]] === values[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]] = avg;
    i = j + 1;
  }
  return ranks;
}

/**
 * The average rank of each method over the datasets (rows): the ranks of {@link rankRow} in each row,
 * averaged per column. Lower is better; they sum to k(k + 1)/2.
 *
 * @example
 * averageRanks([
 *   [0.90, 0.85, 0.80],   // dataset 1: methods A, B, C
 *   [0.70, 0.75, 0.60],   // dataset 2
 * ]);   // [1.5, 1.5, 3]
 */
export function averageRanks(table: ResultTable, options: RankOptions = {}): Float64Array {
  const { n, k } = checkTable(table, 'averageRanks', 1);
  const sums = new Float64Array(k);
  for (const row of table) {
    const r = rankRow(row, options);
    for (let j = 0; j < k; j++) sums[j] += r[j];
  }
  return sums.map((s) => s / n);
}

/** Result of {@link friedmanTest}. */
export interface FriedmanResult {
  /** Number of methods (columns). */
  k: number;
  /** Number of datasets (rows). */
  n: number;
  averageRanks: Float64Array;
  /** Friedman's χ²_F = 12N / (k(k+1)) · [Σ R_j² − k(k+1)²/4] (divided by the tie correction when asked). */
  chiSquare: number;
  /** k − 1. */
  df: number;
  /** P(χ²(k−1) ≥ χ²_F). */
  pValue: number;
  /** Iman and Davenport's F_F = (N−1) χ²_F / (N(k−1) − χ²_F); Infinity when every dataset ranks the methods alike. */
  imanDavenportF: number;
  /** k − 1 and (k − 1)(N − 1). */
  fDf1: number;
  fDf2: number;
  /** P(F(k−1, (k−1)(N−1)) ≥ F_F), the test Demšar recommends. */
  fPValue: number;
}

/**
 * The Friedman test that k methods perform alike over N datasets, from their ranks per dataset, with Iman and
 * Davenport's less conservative F statistic. By default χ²_F is Demšar's (2006) formula, without a correction
 * for ties (his worked example's 9.28); `tieCorrection: true` divides it by 1 − Σ(t³ − t) / (N k (k² − 1)) over
 * the groups of t tied values, as SciPy's `friedmanchisquare` does.
 *
 * @example
 * const r = friedmanTest(aurocTable);   // rows: datasets, columns: methods
 * if (r.fPValue < 0.05) nemenyiCriticalDifference(r.k, r.n).cd;   // then compare average ranks
 */
export function friedmanTest(table: ResultTable, options: RankOptions & { tieCorrection?: boolean } = {}): FriedmanResult {
  const { n, k } = checkTable(table, 'friedmanTest', 2);
  const sums = new Float64Array(k);
  let ties = 0;
  for (const row of table) {
    const r = rankRow(row, options);
    for (let j = 0; j < k; j++) sums[j] += r[j];
    if (options.tieCorrection) {
      const counts = new Map<number, number>();
      for (let j = 0; j < k; j++) counts.set(r[j], (counts.get(r[j]) ?? 0) + 1);
      for (const t of counts.values()) ties += t * t * t - t;
    }
  }
  const ranks = sums.map((s) => s / n);
  let sumSq = 0;
  for (let j = 0; j < k; j++) sumSq += ranks[j] * ranks[j];
  let chiSquare = ((12 * n) / (k * (k + 1))) * (sumSq - (k * (k + 1) * (k + 1)) / 4);
  if (options.tieCorrection) {
    const c = 1 - ties / (n * k * (k * k - 1));
    chiSquare = c > 0 ? chiSquare / c : NaN; // c = 0: every row all tied, the statistic is undefined
  }
  chiSquare = Math.max(0, chiSquare); // rounding can leave −1e-15 when every average rank is (k+1)/2
  const df = k - 1;
  const fDf1 = k - 1;
  const fDf2 = (k - 1) * (n - 1);
  const denom = n * (k - 1) - chiSquare;
  const imanDavenportF = denom > 1e-12 * n * k ? ((n - 1) * chiSquare) / denom : Infinity;
  return {
    k,
    n,
    averageRanks: ranks,
    chiSquare,
    df,
    pValue: chiSquareSurvival(chiSquare, df),
    imanDavenportF,
    fDf1,
    fDf2,
    fPValue: fSurvival(imanDavenportF, fDf1, fDf2),
  };
}

/**
 * The Nemenyi critical difference for k methods over N datasets: two methods differ significantly at level
 * `alpha` when their average ranks differ by at least CD = q_α · √(k(k+1) / (6N)), where q_α is the upper α
 * quantile of the studentized range for k means and infinite degrees of freedom, divided by √2 (Demšar 2006,
 * section 3.2.2). q_α is computed ({@link studentizedRangeQuantile}), not read from a table, so any k works.
 *
 * @example
 * nemenyiCriticalDifference(4, 14);   // { q: 2.569, cd: 1.25 }: Demšar's worked example
 */
export function nemenyiCriticalDifference(k: number, n: number, alpha = 0.05): { q: number; cd: number } {
  if (!Number.isInteger(k) || k < 2)
    throw new ValidationError('param', `nemenyiCriticalDifference: k must be an integer ≥ 2, got ${k}`);
  if (!Number.isInteger(n) || n < 1)
    throw new ValidationError('param', `nemenyiCriticalDifference: n must be a positive integer, got ${n}`);
  if (!(alpha > 0 && alpha < 1))
    throw new ValidationError('param', `nemenyiCriticalDifference: alpha must be in (0, 1), got ${alpha}`);
  const q = studentizedRangeQuantile(1 - alpha, k) / Math.SQRT2;
  return { q, cd: q * Math.sqrt((k * (k + 1)) / (6 * n)) };
}

function checkTable(table: ResultTable, who: string, minRows: number): { n: number; k: number } {
  if (!Array.isArray(table)) throw new ValidationError('type', `${who}: expected rows (datasets) of numbers (methods)`);
  const n = table.length;
  if (n < minRows)
    throw new ValidationError('empty', `${who}: needs at least ${minRows} dataset row${minRows > 1 ? 's' : ''}, got ${n}`);
  const k = table[0]?.length ?? 0;
  if (k < 2) throw new ValidationError('shape', `${who}: needs at least 2 methods (columns), got ${k}`);
  table.forEach((row, i) => {
    if (row?.length !== k) throw new ValidationError('ragged', `${who}: row ${i} has ${row?.length} values, row 0 has ${k}`);
  });
  return { n, k };
}

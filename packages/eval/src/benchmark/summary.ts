/**
 * The numbers a benchmark report states: the Friedman test and Nemenyi's critical difference per ratio, time
 * and calibration per method, and the "which detector when" sentences drawn from them.
 */
import { friedmanTest, nemenyiCriticalDifference } from '../stats/ranks.js';
import type { ReliabilityBin } from '../metrics/calibration.js';
import { calibratedMethodParts } from './plan.js';
import { ratioTables, type BenchmarkRecord, type BenchmarkResults } from './records.js';
import type { ReliabilityRecord } from './run.js';

/** The rank analysis of one ratio. */
export interface RatioAnalysis {
  ratio: number;
  /** Methods by average rank, best first. */
  ranking: { method: string; meanRank: number; meanAuroc: number }[];
  /** Datasets ranked over (complete ones). */
  datasets: string[];
  incomplete: string[];
  /** With at least 2 methods and 2 datasets. */
  friedman: { chiSquare: number; df: number; pValue: number; imanDavenportF: number; fPValue: number } | null;
  /** Nemenyi's critical difference at 0.05 (with at least 2 methods). */
  cd: number | null;
  /** Groups of methods (by rank order) whose average ranks differ by less than the CD: not significantly different. */
  cliques: string[][];
}

/**
 * Groups of consecutive methods (sorted by rank) whose ranks span less than `cd`, keeping only maximal ones
 * (Demšar's bars).
 *
 * @example
 * cliquesOf([{ method: 'a', meanRank: 1 }, { method: 'b', meanRank: 1.5 }, { method: 'c', meanRank: 3 }], 1);   // [['a', 'b']]
 */
export function cliquesOf(sorted: readonly { method: string; meanRank: number }[], cd: number): string[][] {
  const spans: [number, number][] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1].meanRank - sorted[i].meanRank < cd) j++;
    if (j > i && !spans.some(([a, b]) => a <= i && j <= b)) spans.push([i, j]);
  }
  return spans.map(([a, b]) => sorted.slice(a, b + 1).map((s) => s.method));
}

/**
 * Ranks, the Friedman test (Iman-Davenport F as well) and Nemenyi's CD for each ratio of the results.
 *
 * @example
 * analyseRatios(results)[0].friedman?.pValue;
 */
export function analyseRatios(results: BenchmarkResults): RatioAnalysis[] {
  return ratioTables(results.cells).map((t) => {
    const k = t.methods.length;
    const n = t.datasets.length;
    const rankOf = new Map(results.ranks.filter((r) => r.ratio === t.ratio).map((r) => [r.method, r.meanRank]));
    const ranking = t.methods
      .map((method, j) => ({
        method,
        meanRank: rankOf.get(method) ?? NaN,
        meanAuroc: n > 0 ? t.rows.reduce((a, row) => a + row[j], 0) / n : NaN,
      }))
      .sort((a, b) => a.meanRank - b.meanRank || b.meanAuroc - a.meanAuroc);
    let friedman: RatioAnalysis['friedman'] = null;
    if (k >= 2 && n >= 2) {
      const f = friedmanTest(t.rows);
      friedman = { chiSquare: f.chiSquare, df: f.df, pValue: f.pValue, imanDavenportF: f.imanDavenportF, fPValue: f.fPValue };
    }
    const cd = k >= 2 && n >= 1 ? nemenyiCriticalDifference(k, n).cd : null;
    return {
      ratio: t.ratio,
      ranking,
      datasets: t.datasets,
      incomplete: t.incomplete,
      friedman,
      cd,
      cliques: cd === null ? [] : cliquesOf(ranking, cd),
    };
  });
}

/** Mean times of a method over its distinct fits. */
export interface MethodTiming {
  method: string;
  fits: number;
  fitSeconds: number;
  scoreSeconds: number;
}

/** A record's fit: an unsupervised method's copies at several ratios are one fit. */
function distinctFits(runs: readonly BenchmarkRecord[]): BenchmarkRecord[] {
  const seen = new Set<string>();
  return runs.filter((r) => {
    const key =
      r.params.labels === 'none' ? `${r.dataset}|${r.method}|${r.seed}` : `${r.dataset}|${r.ratio}|${r.method}|${r.seed}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Mean fit and score seconds per method (each fit counted once), fastest first.
 *
 * @example
 * methodTimings(results.runs)[0];   // { method: 'hbos', fits: 15, fitSeconds: 0.004, scoreSeconds: 0.001 }
 */
export function methodTimings(runs: readonly BenchmarkRecord[]): MethodTiming[] {
  const by = new Map<string, BenchmarkRecord[]>();
  for (const r of distinctFits(runs)) by.set(r.method, [...(by.get(r.method) ?? []), r]);
  return [...by.entries()]
    .map(([method, rs]) => ({
      method,
      fits: rs.length,
      fitSeconds: rs.reduce((a, r) => a + r.fitSeconds, 0) / rs.length,
      scoreSeconds: rs.reduce((a, r) => a + r.scoreSeconds, 0) / rs.length,
    }))
    .sort((a, b) => a.fitSeconds + a.scoreSeconds - (b.fitSeconds + b.scoreSeconds));
}

/** Mean calibration of a method with a probability, per ratio. */
export interface MethodCalibration {
  method: string;
  ratio: number;
  runs: number;
  brier: number;
  logLoss: number;
  ece: number;
}

/**
 * Mean Brier score, log loss and ECE per method and ratio, over the runs that have them (detectors with a
 * probability), best ECE first within a ratio.
 *
 * @example
 * methodCalibration(results.runs);   // [{ method: 'abc', ratio: 0, runs: 5, brier: 0.08, logLoss: 0.3, ece: 0.05 }, ...]
 */
export function methodCalibration(runs: readonly BenchmarkRecord[]): MethodCalibration[] {
  const by = new Map<string, BenchmarkRecord[]>();
  for (const r of runs) {
    if (r.brier === null || r.ece === null || r.logLoss === null) continue;
    const key = `${r.ratio}|${r.method}`;
    by.set(key, [...(by.get(key) ?? []), r]);
  }
  const mean = (rs: BenchmarkRecord[], f: 'brier' | 'ece' | 'logLoss') =>
    rs.reduce((a, r) => a + (r[f] as number), 0) / rs.length;
  return [...by.values()]
    .map((rs) => ({
      method: rs[0].method,
      ratio: rs[0].ratio,
      runs: rs.length,
      brier: mean(rs, 'brier'),
      logLoss: mean(rs, 'logLoss'),
      ece: mean(rs, 'ece'),
    }))
    .sort((a, b) => a.ratio - b.ratio || a.ece - b.ece);
}

/** One row of the raw-vs-calibrated comparison: a method or one of its calibrated variants at a ratio. */
export interface CalibrationComparisonRow {
  ratio: number;
  /** The method whose fit the row reads (`abc` for `abc`, `abc+platt`, ...). */
  base: string;
  /** The row's method id: `base` itself (its own scores) or a calibrated variant. */
  method: string;
  /** The calibrator, null for the base's own scores. */
  calibration: string | null;
  /** Runs averaged (datasets × seeds). */
  runs: number;
  auroc: number;
  /** Means over the runs; null where the method has no probability (a detector without one, raw). */
  brier: number | null;
  logLoss: number | null;
  ece: number | null;
}

/**
 * The raw-vs-calibrated comparison: for each ratio and each method that has calibrated variants recorded, the
 * method's own row (its `predictProba`, or null calibration numbers without one) and one row per variant,
 * mean AUROC, Brier, log loss and ECE over the (dataset, seed) runs that the base and all its variants have
 * in common (so the rows compare the same fits). Methods without variants are not listed (see
 * {@link methodCalibration} for every method with a probability).
 *
 * @example
 * calibrationComparison(results.runs).filter((r) => r.base === 'abc' && r.ratio === 0.05);
 * // [{ method: 'abc', calibration: null, ece: 0.13, ... }, { method: 'abc+platt', calibration: 'platt', ece: 0.04, ... }]
 */
export function calibrationComparison(runs: readonly BenchmarkRecord[]): CalibrationComparisonRow[] {
  const families = new Map<string, Set<string>>(); // `ratio|base` -> method ids (base included when recorded)
  const byKey = new Map<string, BenchmarkRecord>();
  for (const r of runs) {
    const parts = calibratedMethodParts(r.method);
    const base = parts?.base ?? r.method;
    const key = `${r.ratio}|${base}`;
    if (!families.has(key)) families.set(key, new Set());
    families.get(key)!.add(r.method);
    byKey.set(`${r.ratio}|${r.method}|${r.dataset}|${r.seed}`, r);
  }
  const out: CalibrationComparisonRow[] = [];
  const mean = (xs: (number | null)[]) =>
    xs.some((x) => x === null) ? null : (xs as number[]).reduce((a, x) => a + x, 0) / xs.length;
  for (const [key, set] of families) {
    const ratio = Number(key.slice(0, key.indexOf('|')));
    const base = key.slice(key.indexOf('|') + 1);
    const methods = [...set].sort((a, b) => (a === base ? -1 : b === base ? 1 : a.localeCompare(b)));
    if (!methods.some((m) => m !== base)) continue;
    // The (dataset, seed) pairs every member has.
    const pairs = [
      ...new Set(runs.filter((r) => r.ratio === ratio && r.method === methods[0]).map((r) => `${r.dataset}|${r.seed}`)),
    ].filter((p) => methods.every((m) => byKey.has(`${ratio}|${m}|${p}`)));
    if (pairs.length === 0) continue;
    for (const method of methods) {
      const rs = pairs.map((p) => byKey.get(`${ratio}|${method}|${p}`)!);
      out.push({
        ratio,
        base,
        method,
        calibration: calibratedMethodParts(method)?.calibration ?? null,
        runs: rs.length,
        auroc: mean(rs.map((r) => r.auroc))!,
        brier: mean(rs.map((r) => r.brier)),
        logLoss: mean(rs.map((r) => r.logLoss)),
        ece: mean(rs.map((r) => r.ece)),
      });
    }
  }
  return out.sort((a, b) => a.ratio - b.ratio || a.base.localeCompare(b.base));
}

/**
 * One sentence per ratio and calibrated method from {@link calibrationComparison}: the raw ECE and Brier
 * score (where the method has a probability) and the variant with the lowest ECE.
 *
 * @example
 * calibrationFindings(calibrationComparison(results.runs));
 * // ['ratio 0.05, abc: ECE 0.134 raw; best abc+isotonic (ECE 0.028, Brier 0.051 against 0.090 raw, AUROC 0.902 against 0.905)', ...]
 */
export function calibrationFindings(rows: readonly CalibrationComparisonRow[]): string[] {
  const groups = new Map<string, CalibrationComparisonRow[]>();
  for (const r of rows) groups.set(`${r.ratio}|${r.base}`, [...(groups.get(`${r.ratio}|${r.base}`) ?? []), r]);
  const lines: string[] = [];
  for (const g of groups.values()) {
    const raw = g.find((r) => r.calibration === null);
    const variants = g.filter((r) => r.calibration !== null && r.ece !== null).sort((a, b) => a.ece! - b.ece!);
    if (variants.length === 0) continue;
    const best = variants[0];
    const rawText = !raw ? 'not recorded raw' : raw.ece === null ? 'no probability of its own' : `ECE ${raw.ece.toFixed(3)} raw`;
    const vs = (x: number, r: number | null | undefined) =>
      r === null || r === undefined ? x.toFixed(3) : `${x.toFixed(3)} against ${r.toFixed(3)} raw`;
    lines.push(
      `ratio ${g[0].ratio}, ${g[0].base}: ${rawText}; best ${best.method} (ECE ${best.ece!.toFixed(3)}, Brier ${vs(best.brier!, raw?.brier)}, ` +
        `log-loss ${vs(best.logLoss!, raw?.logLoss)}, AUROC ${vs(best.auroc, raw?.auroc)}; over ${best.runs} runs)`,
    );
  }
  return lines;
}

/** One point of a pooled reliability curve. */
export interface ReliabilityPoint {
  method: string;
  meanPredicted: number;
  observedFrequency: number;
  count: number;
}

/**
 * Pools the runs' reliability bins per method into `bins` equal-width bins of predicted probability (each run's
 * bin weighted by its row count), for the report's reliability diagram.
 *
 * @example
 * poolReliability(reliabilityRecords, 10).filter((p) => p.method === 'abc');
 */
export function poolReliability(records: readonly ReliabilityRecord[], bins = 10): ReliabilityPoint[] {
  const acc = new Map<string, { p: number; o: number; n: number }[]>();
  for (const r of records) {
    const slots = acc.get(r.method) ?? Array.from({ length: bins }, () => ({ p: 0, o: 0, n: 0 }));
    acc.set(r.method, slots);
    for (const b of r.bins as ReliabilityBin[]) {
      const k = Math.min(bins - 1, Math.max(0, Math.floor(b.meanPredicted * bins)));
      slots[k].p += b.meanPredicted * b.count;
      slots[k].o += b.observedFrequency * b.count;
      slots[k].n += b.count;
    }
  }
  const out: ReliabilityPoint[] = [];
  for (const [method, slots] of acc) {
    for (const s of slots) if (s.n > 0) out.push({ method, meanPredicted: s.p / s.n, observedFrequency: s.o / s.n, count: s.n });
  }
  return out;
}

function pct(r: number): string {
  return `${Math.round(r * 1000) / 10}%`;
}

/**
 * The report's "which detector when" sentences, drawn from the numbers: the best-ranked method per ratio (and
 * whether the Friedman test finds the methods different), what ranks best with no labels, the fastest method
 * within 0.01 mean AUROC of the best, and the best-calibrated detector with a probability.
 *
 * @example
 * whichDetectorWhen(analyseRatios(results), methodTimings(results.runs), methodCalibration(results.runs));
 * // ['With 5% of the anomalies labelled, abc ranks best (average rank 1.6, mean AUROC 0.912); ...', ...]
 */
export function whichDetectorWhen(
  analyses: readonly RatioAnalysis[],
  timings: readonly MethodTiming[],
  calibration: readonly MethodCalibration[],
): string[] {
  const lines: string[] = [];
  const time = new Map(timings.map((t) => [t.method, t.fitSeconds + t.scoreSeconds]));
  for (const a of analyses) {
    if (a.ranking.length === 0 || a.datasets.length === 0) continue;
    const best = a.ranking[0];
    const where = a.ratio === 0 ? 'With no labels (ratio 0)' : `With ${pct(a.ratio)} of the training anomalies labelled`;
    const sig = a.friedman
      ? a.friedman.fPValue < 0.05
        ? `the methods differ (Friedman/Iman-Davenport p = ${a.friedman.fPValue.toPrecision(2)})`
        : `the Friedman test finds no significant difference (p = ${a.friedman.fPValue.toPrecision(2)})`
      : 'too few datasets or methods for the Friedman test';
    const tied = a.cliques.find((c) => c[0] === best.method)?.slice(1) ?? [];
    const tie = tied.length > 0 ? `; not significantly better than ${tied.join(', ')} (Nemenyi CD ${a.cd!.toFixed(2)})` : '';
    const top = [...a.ranking].sort((x, y) => y.meanAuroc - x.meanAuroc)[0];
    const close = a.ranking.filter((r) => r.meanAuroc >= top.meanAuroc - 0.01 && time.has(r.method));
    const fastest = close.sort((x, y) => time.get(x.method)! - time.get(y.method)!)[0];
    const highest = top.method === best.method ? '' : ` The highest mean AUROC is ${top.method}'s (${top.meanAuroc.toFixed(3)}).`;
    const fast = !fastest
      ? ''
      : fastest.method === top.method
        ? ` Nothing within 0.01 mean AUROC of ${top.method} is faster than it (${formatSeconds(time.get(fastest.method)!)} per fit and score).`
        : ` The fastest within 0.01 mean AUROC of ${top.method} is ${fastest.method} (${fastest.meanAuroc.toFixed(3)}, ${formatSeconds(time.get(fastest.method)!)} per fit and score, against ${formatSeconds(time.get(top.method) ?? NaN)}).`;
    lines.push(
      `${where}, ${best.method} ranks best (average rank ${best.meanRank.toFixed(2)} of ${a.ranking.length}, mean AUROC ${best.meanAuroc.toFixed(3)} over ${a.datasets.length} datasets); ${sig}${tie}.${highest}${fast}`,
    );
  }
  const labelled = analyses.filter((a) => a.ratio > 0 && a.ranking.length > 0 && a.datasets.length > 0);
  const zero = analyses.find((a) => a.ratio === 0 && a.ranking.length > 0 && a.datasets.length > 0);
  if (zero && labelled.length > 0) {
    const winners = [...new Set(labelled.map((a) => a.ranking[0].method))];
    const significant = [zero, ...labelled].some((a) => a.friedman !== null && a.friedman.fPValue < 0.05);
    lines.push(
      `In short, by average rank: with no labels, ${zero.ranking[0].method}; with labelled anomalies, ${winners.join(' or ')} (${labelled.map((a) => `${pct(a.ratio)}: ${a.ranking[0].method}`).join(', ')})` +
        `${significant ? '' : ' — but no ratio shows a significant difference at 0.05, so on these datasets any of them is a defensible choice'}.`,
    );
  }
  const byRatio = new Map<number, MethodCalibration[]>();
  for (const c of calibration) byRatio.set(c.ratio, [...(byRatio.get(c.ratio) ?? []), c]);
  const cal = [...byRatio.entries()].map(([ratio, cs]) => `${pct(ratio)}: ${cs[0].method} (ECE ${cs[0].ece.toFixed(3)})`);
  if (cal.length > 0) lines.push(`Best calibrated among the detectors with a probability, by ratio: ${cal.join(', ')}.`);
  return lines;
}

/**
 * Seconds for people: `0.004 s`, `12.3 s`, `4.1 min`.
 *
 * @example
 * formatSeconds(0.0042);   // '0.004 s'
 */
export function formatSeconds(s: number): string {
  if (s < 1) return `${s.toFixed(3)} s`;
  if (s < 120) return `${s.toFixed(1)} s`;
  return `${(s / 60).toFixed(1)} min`;
}

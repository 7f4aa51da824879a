import { welchTTest } from '../metrics/ttest.js';
import { meanStd, type ExperimentRecord, type Setting } from '../protocols/records.js';
import { paperValue, type PaperValue } from './paper.js';

/** Which metric a table shows. */
export type TableMetric = 'auroc' | 'aupr';

/** One cell of Table 2: our mean (std) over the runs, whether it is bold, and the paper's value. */
export interface Table2Cell {
  method: string;
  n: number;
  mean: number;
  /** Null with one run (shown as n/a). */
  std: number | null;
  bold: boolean;
  /** The paper's AUROC, where the paper has this cell. */
  paper?: PaperValue;
  values: number[];
}

/** One row of Table 2: a dataset and A (known anomalies) or U (unknown anomalies). */
export interface Table2Row {
  dataset: string;
  kind: 'A' | 'U';
  /** One per method column; null where that method has no run. */
  cells: (Table2Cell | null)[];
}

/** Table 2 of one setting, in the paper's layout. */
export interface Table2 {
  setting: Setting;
  metric: TableMetric;
  methods: string[];
  rows: Table2Row[];
  /** True when some compared cell has a single run, so that the t-test cannot be done (shown as n/a). */
  testNotApplicable: boolean;
}

/** Options of {@link boldMask}. */
export interface BoldOptions {
  /** Significance level (default 0.05, the paper's). */
  alpha?: number;
}

/**
 * The paper's bold rule over the runs of several methods (higher is better): the best mean is bold, and so is
 * every method not different from a best one under Welch's t-test at p = alpha (p ≥ alpha). Where both
 * samples have zero std, equal means count as not different and unequal ones as different. Where either
 * sample has a single run the t-test is not applicable: only the best (and equal means) are bold.
 *
 * @example
 * boldMask([[0.96, 0.97, 0.98], [0.95, 0.97, 0.99], [0.80, 0.81, 0.82]]);   // [true, true, false]
 * boldMask([[1, 1, 1], [0.999, 0.999, 0.999]]);                             // [true, false]
 * boldMask([[0.9], [0.8]]);                                                 // [true, false] (one run: t-test n/a)
 */
export function boldMask(samples: readonly (readonly number[])[], options: BoldOptions = {}): boolean[] {
  const alpha = options.alpha ?? 0.05;
  const stats = samples.map((s) => meanStd(s as number[]));
  const present = samples.map((s) => s.length > 0);
  let best = -Infinity;
  stats.forEach((st, i) => {
    if (present[i] && st.mean > best) best = st.mean;
  });
  const isBest = stats.map((st, i) => present[i] && st.mean === best);
  return samples.map((s, i) => {
    if (!present[i]) return false;
    if (isBest[i]) return true;
    return samples.some((b, j) => {
      if (!isBest[j]) return false;
      if (s.length < 2 || b.length < 2) return false; // t-test n/a: only the best are bold
      const si = stats[i].std;
      const sj = stats[j].std;
      if (si === 0 && sj === 0) return stats[i].mean === stats[j].mean;
      const { p } = welchTTest(b, s);
      return Number.isFinite(p) && p >= alpha;
    });
  });
}

function metricOf(r: ExperimentRecord, metric: TableMetric, kind: 'A' | 'U'): number {
  if (metric === 'auroc') return kind === 'A' ? r.aurocKnown : r.aurocUnknown;
  return kind === 'A' ? r.auprKnown : r.auprUnknown;
}

/** Options of {@link buildTable2}. */
export interface Table2Options {
  metric?: TableMetric;
  /** Column order (default: the methods found, in first-seen order). */
  methods?: readonly string[];
  /** Row order of the datasets (default: first-seen order). */
  datasets?: readonly string[];
  alpha?: number;
}

/**
 * Table 2 of one setting from the run records: rows dataset × A/U, columns methods, cells mean (std) over the
 * runs with the paper's bold rule ({@link boldMask}) applied across the methods of each row, and the paper's
 * AUROC beside ours where it has the cell.
 *
 * @example
 * const t = buildTable2(results.runs, 1, { methods: ['abc-ae', 'ae'] });
 * formatCell(t.rows[0].cells[0]!);   // "0.962 (0.004) [0.965]"
 */
export function buildTable2(runs: readonly ExperimentRecord[], setting: Setting, options: Table2Options = {}): Table2 {
  const metric = options.metric ?? 'auroc';
  const mine = runs.filter((r) => r.setting === setting);
  const methods = options.methods ? [...options.methods] : [...new Set(mine.map((r) => r.method))];
  const datasets = options.datasets
    ? options.datasets.filter((d) => mine.some((r) => r.dataset === d))
    : [...new Set(mine.map((r) => r.dataset))];
  let testNotApplicable = false;
  const rows: Table2Row[] = [];
  for (const dataset of datasets) {
    for (const kind of ['A', 'U'] as const) {
      const samples = methods.map((m) =>
        mine.filter((r) => r.dataset === dataset && r.method === m).map((r) => metricOf(r, metric, kind)),
      );
      const bold = boldMask(samples, { alpha: options.alpha });
      if (samples.some((s) => s.length === 1) && samples.filter((s) => s.length > 0).length > 1) testNotApplicable = true;
      rows.push({
        dataset,
        kind,
        cells: samples.map((values, i) => {
          if (values.length === 0) return null;
          const { mean, std } = meanStd(values);
          const paper = metric === 'auroc' ? paperValue(setting, dataset, methods[i], kind) : undefined;
          return { method: methods[i], n: values.length, mean, std, bold: bold[i], values, ...(paper ? { paper } : {}) };
        }),
      });
    }
  }
  return { setting, metric, methods, rows, testNotApplicable };
}

/**
 * A cell as the report prints it: `0.962 (0.004) [0.965]` — our mean (std) and the paper's mean in brackets;
 * `n/a` for the std of a single run. `bold` wraps our part with the given markers.
 *
 * @example
 * formatCell({ mean: 0.9623, std: 0.0041, paper: { mean: 0.965, std: 0.004 } } as Table2Cell);   // "0.962 (0.004) [0.965]"
 */
export function formatCell(cell: Pick<Table2Cell, 'mean' | 'std' | 'paper' | 'bold'>, bold: [string, string] = ['', '']): string {
  const ours = `${cell.mean.toFixed(3)} (${cell.std === null ? 'n/a' : cell.std.toFixed(3)})`;
  const shown = cell.bold ? `${bold[0]}${ours}${bold[1]}` : ours;
  return cell.paper ? `${shown} [${cell.paper.mean.toFixed(3)}]` : shown;
}

/**
 * The benchmark report: Markdown and a self-contained HTML page (styles and SVG figures inline) with the AUROC
 * and AUPR tables, average ranks per ratio, the Friedman test and critical-difference diagrams, time per
 * method, calibration (every method with a probability, and each method raw against its calibrated variants)
 * with reliability diagrams, and the "which detector when" paragraph.
 */
import { inlineSvg, renderSvg } from '../report/figures.js';
import type { MeanStd } from '../protocols/records.js';
import { cdDiagramSpec, reliabilitySpec } from './figures.js';
import type { BenchmarkResults } from './records.js';
import type { ReliabilityRecord } from './run.js';
import { calibratedMethodParts } from './plan.js';
import {
  analyseRatios,
  calibrationComparison,
  calibrationFindings,
  formatSeconds,
  methodCalibration,
  methodTimings,
  poolReliability,
  whichDetectorWhen,
  type RatioAnalysis,
} from './summary.js';

/** What {@link renderBenchmarkReport} reads. */
export interface BenchmarkReportInput {
  results: BenchmarkResults;
  /** Reliability diagrams of the runs with a probability (OUT/reliability.jsonl). */
  reliability?: readonly ReliabilityRecord[];
  title?: string;
  /** Lines for the notes section (caps, skipped methods, failed runs). */
  notes?: readonly string[];
}

/** A rendered benchmark report. */
export interface RenderedBenchmarkReport {
  markdown: string;
  html: string;
  /** SVG figures by file name (`cd-ratio-0.svg`, `reliability.svg`, `reliability-abc.svg` per method with calibrated variants). */
  figures: Record<string, string>;
  /** The rank analyses it states (per ratio). */
  analyses: RatioAnalysis[];
}

interface Figure {
  file: string;
  caption: string;
  svg: string;
}

interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

function fmt(m: MeanStd | undefined): string {
  if (!m || !Number.isFinite(m.mean)) return '—';
  return m.std === null ? m.mean.toFixed(3) : `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}`;
}

function ratioLabel(r: number): string {
  return `${Math.round(r * 1000) / 10}%`;
}

/** AUROC or AUPR per dataset (rows) and method (columns), one table per ratio. */
function metricTables(results: BenchmarkResults, metric: 'auroc' | 'aupr'): Table[] {
  const ratios = [...new Set(results.cells.map((c) => c.ratio))].sort((a, b) => a - b);
  return ratios.map((ratio) => {
    const cells = results.cells.filter((c) => c.ratio === ratio);
    const methods = [...new Set(cells.map((c) => c.method))];
    const datasets = [...new Set(cells.map((c) => c.dataset))].sort(
      (a, b) => (parseInt(a, 10) || 0) - (parseInt(b, 10) || 0) || a.localeCompare(b),
    );
    const at = new Map(cells.map((c) => [`${c.dataset}|${c.method}`, c]));
    return {
      title: `${metric === 'auroc' ? 'AUROC' : 'AUPR (average precision)'}, ratio ${ratio} (${ratioLabel(ratio)} labelled), mean ± std over seeds`,
      header: ['dataset', ...methods],
      rows: datasets.map((d) => [d, ...methods.map((m) => fmt(at.get(`${d}|${m}`)?.[metric]))]),
    };
  });
}

function rankTable(analyses: readonly RatioAnalysis[]): Table {
  const methods = [...new Set(analyses.flatMap((a) => a.ranking.map((r) => r.method)))];
  const rank = new Map(analyses.flatMap((a) => a.ranking.map((r) => [`${a.ratio}|${r.method}`, r.meanRank] as const)));
  const avg = (m: string) => {
    const rs = analyses.map((a) => rank.get(`${a.ratio}|${m}`)).filter((v): v is number => v !== undefined);
    return rs.reduce((x, y) => x + y, 0) / Math.max(1, rs.length);
  };
  methods.sort((a, b) => avg(a) - avg(b));
  return {
    title: 'Average AUROC rank per ratio (1 = best; over the datasets where every method of the ratio finished)',
    header: ['method', ...analyses.map((a) => `ratio ${a.ratio} (${a.datasets.length} datasets)`)],
    rows: methods.map((m) => [m, ...analyses.map((a) => rank.get(`${a.ratio}|${m}`)?.toFixed(2) ?? '—')]),
  };
}

function friedmanTable(analyses: readonly RatioAnalysis[]): Table {
  return {
    title: "Friedman test and Nemenyi's critical difference (alpha = 0.05)",
    header: [
      'ratio',
      'methods',
      'datasets',
      'Friedman χ²',
      'df',
      'p',
      'Iman-Davenport F',
      'p (F)',
      'Nemenyi CD',
      'not significantly different',
    ],
    rows: analyses.map((a) => [
      String(a.ratio),
      String(a.ranking.length),
      String(a.datasets.length),
      a.friedman ? a.friedman.chiSquare.toFixed(2) : 'n/a',
      a.friedman ? String(a.friedman.df) : 'n/a',
      a.friedman ? a.friedman.pValue.toPrecision(3) : 'n/a',
      a.friedman ? (Number.isFinite(a.friedman.imanDavenportF) ? a.friedman.imanDavenportF.toFixed(2) : '∞') : 'n/a',
      a.friedman ? a.friedman.fPValue.toPrecision(3) : 'n/a',
      a.cd === null ? 'n/a' : a.cd.toFixed(2),
      a.cliques.map((c) => `{${c.join(', ')}}`).join(' ') || '—',
    ]),
  };
}

function timingTable(results: BenchmarkResults): Table {
  return {
    title: 'Time per method (mean over fits; an unsupervised fit counts once for all ratios)',
    header: ['method', 'fits', 'fit', 'score'],
    rows: methodTimings(results.runs).map((t) => [
      t.method,
      String(t.fits),
      formatSeconds(t.fitSeconds),
      formatSeconds(t.scoreSeconds),
    ]),
  };
}

function calibrationTable(results: BenchmarkResults): Table {
  return {
    title:
      'Calibration of predictProba on the test part (detectors with a probability; mean over datasets and seeds; lower is better)',
    header: ['ratio', 'method', 'runs', 'Brier', 'log-loss', 'ECE (15 equal-mass bins)'],
    rows: methodCalibration(results.runs).map((c) => [
      String(c.ratio),
      c.method,
      String(c.runs),
      c.brier.toFixed(4),
      c.logLoss.toFixed(4),
      c.ece.toFixed(4),
    ]),
  };
}

function comparisonTable(results: BenchmarkResults): Table | null {
  const rows = calibrationComparison(results.runs);
  if (rows.length === 0) return null;
  const num = (v: number | null, digits = 4) => (v === null ? '— (no probability)' : v.toFixed(digits));
  return {
    title:
      'Raw against calibrated: each method with calibrated variants, its own output and each variant, mean over the same runs (platt, isotonic: fitted on one stratified half of the test part, evaluated on the other, then swapped; linear, unify: PyOD rescalings fitted on the training scores)',
    header: ['ratio', 'method', 'calibration', 'runs', 'AUROC', 'Brier', 'log-loss', 'ECE'],
    rows: rows.map((r) => [
      String(r.ratio),
      r.method,
      r.calibration ?? 'raw',
      String(r.runs),
      r.auroc.toFixed(3),
      num(r.brier),
      num(r.logLoss),
      num(r.ece),
    ]),
  };
}

async function makeFigures(analyses: readonly RatioAnalysis[], reliability: readonly ReliabilityRecord[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const a of analyses) {
    if (a.ranking.length < 2 || a.datasets.length === 0) continue;
    figures.push({
      file: `cd-ratio-${a.ratio}.svg`,
      caption: `Critical-difference diagram, ratio ${a.ratio}: average AUROC rank over ${a.datasets.length} datasets; methods joined by a thick line are not significantly different (Nemenyi, CD = ${a.cd?.toFixed(2)}).`,
      svg: await renderSvg(cdDiagramSpec(a)),
    });
  }
  const points = poolReliability(reliability);
  if (points.length > 0) {
    figures.push({
      file: 'reliability.svg',
      caption:
        'Reliability diagram: observed anomaly frequency against mean predicted probability (all runs pooled into 10 bins per method, calibrated variants included); the dashed diagonal is perfect calibration.',
      svg: await renderSvg(reliabilitySpec(points)),
    });
  }
  // One diagram per method with calibrated variants: the method (raw, where it has a probability) and its variants.
  const baseOf = (m: string) => calibratedMethodParts(m)?.base ?? m;
  const bases = [...new Set(points.filter((p) => calibratedMethodParts(p.method) !== null).map((p) => baseOf(p.method)))];
  for (const base of bases) {
    figures.push({
      file: `reliability-${base.replace(/[^A-Za-z0-9_-]/g, '_')}.svg`,
      caption: `Reliability diagram of ${base}, raw and calibrated (runs pooled into 10 bins per method); the dashed diagonal is perfect calibration.`,
      svg: await renderSvg(reliabilitySpec(points.filter((p) => baseOf(p.method) === base))),
    });
  }
  return figures;
}

function mdTable(t: Table): string[] {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `### ${t.title}`,
    '',
    `| ${t.header.map(esc).join(' | ')} |`,
    `|${t.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
  ];
}

function escHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlTable(t: Table): string[] {
  return [
    `<h3>${escHtml(t.title)}</h3>`,
    '<table>',
    `<tr>${t.header.map((h, i) => `<th${i === 0 ? ' class="l"' : ''}>${escHtml(h)}</th>`).join('')}</tr>`,
    ...t.rows.map((r) => `<tr>${r.map((c, i) => `<td${i === 0 ? ' class="l"' : ''}>${escHtml(c)}</td>`).join('')}</tr>`),
    '</table>',
  ];
}

/**
 * Renders the benchmark report from results.json (and the reliability records): Markdown with the figures
 * linked as `figures/NAME.svg`, a self-contained HTML page, and the SVGs.
 *
 * @example
 * const { markdown, html, figures } = await renderBenchmarkReport({ results, reliability });
 */
export async function renderBenchmarkReport(input: BenchmarkReportInput): Promise<RenderedBenchmarkReport> {
  const { results } = input;
  const analyses = analyseRatios(results);
  const figures = await makeFigures(analyses, input.reliability ?? []);
  const which = whichDetectorWhen(analyses, methodTimings(results.runs), methodCalibration(results.runs));
  const title = input.title ?? 'Benchmark: ADBench classical datasets';
  const datasets = new Set(results.runs.map((r) => r.dataset)).size;
  const intro = `${results.runs.length} runs recorded (runs.jsonl) on ${datasets} datasets; ${results.cells.length} cells (results.json). An unsupervised method sees no labels: it is fitted once per dataset and seed, and that result is recorded at every ratio.${
    results.runs.some((r) => calibratedMethodParts(r.method) !== null)
      ? " A calibrated variant (METHOD+CALIBRATOR) reads its method's fit (no second fit); it is left out of the ranks, the Friedman test and the critical-difference diagrams, which would otherwise count one detector twice."
      : ''
  }`;
  const sections: { heading: string; tables: Table[]; lines?: string[] }[] = [
    { heading: 'Average ranks', tables: [rankTable(analyses), friedmanTable(analyses)] },
    { heading: 'AUROC per dataset and method', tables: metricTables(results, 'auroc') },
    { heading: 'AUPR per dataset and method', tables: metricTables(results, 'aupr') },
    { heading: 'Time', tables: [timingTable(results)] },
    {
      heading: 'Calibration',
      tables: [comparisonTable(results), calibrationTable(results)].filter((t): t is Table => t !== null),
      lines: calibrationFindings(calibrationComparison(results.runs)),
    },
  ];
  const incomplete = analyses
    .filter((a) => a.incomplete.length > 0)
    .map((a) => `ratio ${a.ratio}: ${a.incomplete.join(', ')} left out of the ranks (a method has no run there)`);
  const notes = [...(input.notes ?? []), ...incomplete];

  const md: string[] = [`# ${title}`, '', intro, '', '## Which detector when', '', ...which.map((l) => `- ${l}`), ''];
  for (const s of sections) {
    md.push(`## ${s.heading}`, '');
    if (s.lines && s.lines.length > 0) md.push(...s.lines.map((l) => `- ${l}`), '');
    for (const t of s.tables) md.push(...mdTable(t));
    if (s.heading === 'Average ranks')
      for (const f of figures.filter((f) => f.file.startsWith('cd-')))
        md.push(`![${f.caption}](figures/${f.file})`, '', `*${f.caption}*`, '');
    if (s.heading === 'Calibration')
      for (const f of figures.filter((f) => f.file.startsWith('reliability')))
        md.push(`![${f.caption}](figures/${f.file})`, '', `*${f.caption}*`, '');
  }
  if (notes.length > 0) md.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');

  const H: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escHtml(title)}</title>`,
  ];
  H.push(
    '<style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1300px;padding:0 1em;color:#222}' +
      'table{border-collapse:collapse;margin:0.5em 0 1em;font-size:0.85em}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}' +
      'th{background:#f3f3f3}td.l,th.l{text-align:left}figure{margin:1.5em 0}figcaption{font-size:0.9em;color:#444;max-width:900px}' +
      '.note{font-size:0.85em;color:#555}svg{max-width:100%;height:auto}</style>',
    '</head>',
    '<body>',
    `<h1>${escHtml(title)}</h1>`,
    `<p>${escHtml(intro)}</p>`,
    '<h2>Which detector when</h2>',
    '<ul>',
    ...which.map((l) => `<li>${escHtml(l)}</li>`),
    '</ul>',
  );
  const fig = (f: Figure) => `<figure>${inlineSvg(f.svg)}<figcaption>${escHtml(f.caption)}</figcaption></figure>`;
  for (const s of sections) {
    H.push(`<h2>${escHtml(s.heading)}</h2>`);
    if (s.lines && s.lines.length > 0) H.push('<ul>', ...s.lines.map((l) => `<li>${escHtml(l)}</li>`), '</ul>');
    for (const t of s.tables) H.push(...htmlTable(t));
    if (s.heading === 'Average ranks') H.push(...figures.filter((f) => f.file.startsWith('cd-')).map(fig));
    if (s.heading === 'Calibration') H.push(...figures.filter((f) => f.file.startsWith('reliability')).map(fig));
  }
  if (notes.length > 0) H.push('<h2>Notes</h2>', '<ul class="note">', ...notes.map((n) => `<li>${escHtml(n)}</li>`), '</ul>');
  H.push('</body>', '</html>', '');
  return {
    markdown: md.join('\n'),
    html: H.join('\n'),
    figures: Object.fromEntries(figures.map((f) => [f.file, f.svg])),
    analyses,
  };
}

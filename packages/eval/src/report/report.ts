import type { TestSet } from '../datasets/splits.js';
import { ABLATION_METHOD_IDS, METHOD_IDS, METHOD_TABLE, methodLabel } from '../protocols/methods.js';
import type { HistoryPoint, GridSpec } from '../protocols/run.js';
import type { ResultCell, Results, Setting } from '../protocols/records.js';
import { DATASET_LABELS, DATASET_NAMES, PAPER_TABLE1, type SplitSizes } from '../protocols/settings.js';
import { figure3Spec, figure4Spec, figure5Spec, inlineSvg, renderSvg, type HeatmapPanel, type ToyPoints } from './figures.js';
import { buildTable2, formatCell, type Table2, type TableMetric } from './table2.js';

/** What the report says about one dataset: the sizes of its parts (Table 1) and its test set. */
export interface DatasetInfo {
  D: number;
  /** Sizes of run 0's split, as used (after any reduction). */
  sizes: SplitSizes;
  testSet: TestSet;
  /** Lines the report prints under Table 1 (reductions, caveats). */
  notes?: string[];
}

/** The figures' inputs: what runs leave besides their records (see `RunArtifacts`). */
export interface ReportArtifacts {
  /** 2-D toy data sample for Figure 3(a). */
  points?: ToyPoints;
  /** Score grids by method id (2-D toy data, setting 1, run 0). */
  grids?: Record<string, GridSpec & { scores: number[] }>;
  /** Training histories by method id (2-D toy data, setting 1, run 0). */
  histories?: Record<string, HistoryPoint[]>;
  /** The dataset the grids and histories are of (default toy2d). */
  dataset?: string;
}

/** Everything a report is made from. */
export interface ReportInput {
  results: Results;
  datasets?: Record<string, DatasetInfo>;
  artifacts?: ReportArtifacts;
  /** Lines for the report's notes (methods not registered, interrupted runs, options). */
  notes?: string[];
  title?: string;
}

/** A rendered report: Markdown, self-contained HTML and each figure as a standalone SVG file's text. */
export interface RenderedReport {
  markdown: string;
  html: string;
  /** File name (e.g. `figure4-mnist.svg`) to SVG text. */
  figures: Record<string, string>;
}

interface Figure {
  file: string;
  caption: string;
  svg: string;
}

const FIG3_METHODS = [
  ['dnn', 'DNN'],
  ['ae', 'AE'],
  ['abc-ae', 'ABC'],
] as const;
const FIG5_METHODS = [
  ['lrc', 'LRC'],
  ['abc-ae', 'ABC'],
] as const;

function order<T extends string>(found: Iterable<T>, preferred: readonly string[]): T[] {
  const set = new Set(found);
  const first = preferred.filter((p) => set.has(p as T)) as T[];
  return [...first, ...[...set].filter((m) => !preferred.includes(m))];
}

function datasetLabel(d: string): string {
  return DATASET_LABELS[d] ?? d;
}

/** Table 2 methods (the paper's columns and plugins), without the ablation rows. */
function tableMethods(results: Results): string[] {
  const found = new Set(results.runs.map((r) => r.method));
  return order(found, METHOD_IDS).filter((m) => !METHOD_TABLE[m]?.ablation);
}

async function makeFigures(input: ReportInput): Promise<Figure[]> {
  const figures: Figure[] = [];
  const a = input.artifacts ?? {};
  const dataset = a.dataset ?? 'toy2d';
  const grids = a.grids ?? {};
  const panels: HeatmapPanel[] = FIG3_METHODS.filter(([m]) => grids[m]).map(([m, title]) => ({ title, grid: grids[m] }));
  if (panels.length > 0 || a.points) {
    figures.push({
      file: 'figure3.svg',
      caption: `Figure 3: ${datasetLabel(dataset)} data (normal green, known anomalies red, unknown black) and heatmaps of anomaly scores in setting 1 (run 0), colored by the score's percentile on the grid${
        panels.length < 3
          ? `; methods not run: ${FIG3_METHODS.filter(([m]) => !grids[m])
              .map(([, t]) => t)
              .join(', ')}`
          : ''
      }.`,
      svg: await renderSvg(figure3Spec(panels, a.points)),
    });
  }
  const s3 = input.results.cells.filter((c) => c.setting === 3);
  for (const d of order(new Set(s3.map((c) => c.dataset)), DATASET_NAMES)) {
    const spec = figure4Spec(
      s3.filter((c) => c.dataset === d),
      (m) => methodLabel(m),
    );
    if (!spec) continue;
    figures.push({
      file: `figure4-${d}.svg`,
      caption: `Figure 4 (${datasetLabel(d)}): AUROC against the number of known anomalies in training (setting 3, mean over runs); dashed: unsupervised methods, which use none.`,
      svg: await renderSvg(spec),
    });
  }
  const histories = a.histories ?? {};
  const hp = FIG5_METHODS.filter(([m]) => histories[m]?.length).map(([m, title]) => ({ title, history: histories[m] }));
  if (hp.length > 0) {
    figures.push({
      file: 'figure5.svg',
      caption: `Figure 5: mean training loss per epoch for normals and known anomalies on ${datasetLabel(dataset)} (setting 1, run 0)${
        hp.length < 2
          ? `; not run: ${FIG5_METHODS.filter(([m]) => !histories[m]?.length)
              .map(([, t]) => t)
              .join(', ')}`
          : ''
      }.`,
      svg: await renderSvg(figure5Spec(hp)),
    });
  }
  return figures;
}

function tables(input: ReportInput): { t: Table2; title: string }[] {
  const out: { t: Table2; title: string }[] = [];
  const methods = tableMethods(input.results);
  const settings = [...new Set(input.results.runs.map((r) => r.setting))].filter((s) => s !== 3).sort() as Setting[];
  const datasets = order(new Set(input.results.runs.map((r) => r.dataset)), DATASET_NAMES);
  for (const metric of ['auroc', 'aupr'] as TableMetric[]) {
    for (const s of settings) {
      const t = buildTable2(input.results.runs, s, { metric, methods, datasets });
      if (t.rows.length === 0) continue;
      out.push({
        t,
        title:
          metric === 'auroc'
            ? `Table 2, setting ${s}: AUROC mean (std) over runs [the paper's mean]`
            : `AUPR (average precision), setting ${s}: mean (std) over runs`,
      });
    }
  }
  return out;
}

function ablationTable(
  input: ReportInput,
): { header: string[]; rows: { label: string; cells: string[]; boldCells: boolean[] }[] } | null {
  const runs = input.results.runs.filter((r) => r.setting !== 3);
  const ablations = order(new Set(runs.map((r) => r.method)), ABLATION_METHOD_IDS).filter((m) => METHOD_TABLE[m]?.ablation);
  if (ablations.length === 0) return null;
  const base = [...new Set(ablations.map((m) => METHOD_TABLE[m].ablationOf ?? 'abc-ae'))];
  const methods = [...base, ...ablations];
  const header: string[] = [];
  const columns: { setting: Setting; dataset: string; kind: 'A' | 'U' }[] = [];
  const settings = [...new Set(runs.map((r) => r.setting))].sort();
  for (const s of settings) {
    for (const d of order(
      new Set(runs.filter((r) => r.setting === s && ablations.includes(r.method)).map((r) => r.dataset)),
      DATASET_NAMES,
    )) {
      for (const kind of ['A', 'U'] as const) {
        columns.push({ setting: s, dataset: d, kind });
        header.push(`S${s} ${datasetLabel(d)} ${kind}`);
      }
    }
  }
  const cellsByColumn = columns.map(
    (c) => buildTable2(runs, c.setting, { methods, datasets: [c.dataset] }).rows.find((r) => r.kind === c.kind)!,
  );
  const rows = methods.map((m, i) => ({
    label:
      m in METHOD_TABLE && METHOD_TABLE[m].ablation ? `${methodLabel(m)} (${m})` : `${methodLabel(m)}, default distance (${m})`,
    cells: cellsByColumn.map((row) => {
      const cell = row?.cells[i];
      return cell ? formatCell({ ...cell, paper: undefined }) : '—';
    }),
    boldCells: cellsByColumn.map((row) => Boolean(row?.cells[i]?.bold)),
  }));
  return { header, rows };
}

function timingCells(input: ReportInput): ResultCell[] {
  const cells = input.results.cells.filter((c) => c.setting === 1);
  const rank = (list: readonly string[], v: string) => (list.includes(v) ? list.indexOf(v) : list.length);
  const methods = [...METHOD_IDS, ...ABLATION_METHOD_IDS] as readonly string[];
  return cells.sort(
    (a, b) =>
      rank(DATASET_NAMES, a.dataset) - rank(DATASET_NAMES, b.dataset) || rank(methods, a.method) - rank(methods, b.method),
  );
}

function fmtSize(n: number): string {
  return n.toLocaleString('en-US');
}

const TEST_SET_NOTE: Record<string, string> = {
  'lossy-jpeg':
    'lossy-jpeg: the CIFAR-10 test images are JPEG (quality 75) decoded copies, about 8 RMSE per pixel (0–255) from the originals; results are not on the exact test set',
  holdout: 'holdout: the test images are held out (seeded) from the exact training images, not the original test_batch',
  generated: 'generated: the 2-D toy data is drawn anew for each run (seeded)',
};

/**
 * The report as Markdown: Table 1 (our sizes next to the paper's), Table 2 per setting in the paper's
 * layout (bold: best and not different under Welch's t-test at p = 0.05), the AUPR tables, the ablation
 * rows, fit times, Figures 3–5 as image links to `figures/*.svg`, and notes.
 *
 * @example
 * const md = renderMarkdown(input, ['figure4-mnist.svg']);
 */
function markdown(input: ReportInput, figures: readonly Figure[]): string {
  const L: string[] = [];
  L.push(
    `# ${input.title ?? 'Reproduction of "Autoencoding Binary Classifiers for Supervised Anomaly Detection" (IJCAI 2019)'}`,
    '',
  );
  const runs = input.results.runs;
  L.push(`${runs.length} runs recorded (runs.jsonl); ${input.results.cells.length} cells (results.json).`, '');
  const ds = input.datasets ?? {};
  if (Object.keys(ds).length > 0) {
    L.push("## Table 1: datasets (ours [the paper's])", '');
    L.push(
      '| data | D | normal train | known train | normal test | known test | unknown test | test set |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const d of order(Object.keys(ds), DATASET_NAMES)) {
      const info = ds[d];
      const p = (PAPER_TABLE1 as Record<string, SplitSizes & { D: number }>)[d];
      const f = (k: keyof SplitSizes) => `${fmtSize(info.sizes[k])}${p ? ` [${fmtSize(p[k])}]` : ''}`;
      L.push(
        `| ${datasetLabel(d)} | ${info.D}${p ? ` [${p.D}]` : ''} | ${f('trainNormal')} | ${f('trainKnown')} | ${f('testNormal')} | ${f('testKnown')} | ${f('testUnknown')} | ${info.testSet} |`,
      );
    }
    L.push('');
    for (const d of Object.keys(ds)) for (const n of ds[d].notes ?? []) L.push(`- ${datasetLabel(d)}: ${n}`);
    const testSets = new Set(Object.values(ds).map((i) => i.testSet));
    for (const t of testSets) if (TEST_SET_NOTE[t]) L.push(`- ${TEST_SET_NOTE[t]}`);
    L.push('');
  }
  for (const { t, title } of tables(input)) {
    L.push(`## ${title}`, '');
    L.push(
      `| data | | ${t.methods.map((m) => methodLabel(m)).join(' | ')} |`,
      `|---|---|${t.methods.map(() => '---').join('|')}|`,
    );
    for (const row of t.rows) {
      const cells = row.cells.map((c) => (c ? formatCell(c, ['**', '**']) : '—'));
      L.push(`| ${row.kind === 'A' ? datasetLabel(row.dataset) : ''} | ${row.kind} | ${cells.join(' | ')} |`);
    }
    L.push('');
    L.push(boldNote(t), '');
  }
  const abl = ablationTable(input);
  if (abl) {
    L.push('## Ablation: ABC(AE) distance', '');
    L.push(
      "ABC's default distance is the mean over attributes of the squared error; the l2 norm is what the paper's text names.",
      '',
    );
    L.push(`| method | ${abl.header.join(' | ')} |`, `|---|${abl.header.map(() => '---').join('|')}|`);
    for (const r of abl.rows) L.push(`| ${r.label} | ${r.cells.map((c, i) => (r.boldCells[i] ? `**${c}**` : c)).join(' | ')} |`);
    L.push('');
  }
  const timing = timingCells(input);
  if (timing.length > 0) {
    L.push('## Fit time, setting 1 (seconds, mean over runs)', '');
    L.push('| data | method | runs | fit s | AUROC A | AUROC U |', '|---|---|---|---|---|---|');
    for (const c of timing) {
      L.push(
        `| ${datasetLabel(c.dataset)} | ${methodLabel(c.method)} | ${c.n} | ${c.fitSeconds.mean.toFixed(1)} | ${c.aurocKnown.mean.toFixed(3)} | ${c.aurocUnknown.mean.toFixed(3)} |`,
      );
    }
    L.push('');
  }
  if (figures.length > 0) {
    L.push('## Figures', '');
    for (const f of figures) L.push(`![${f.caption.split(':')[0]}](figures/${f.file})`, '', f.caption, '');
  }
  if ((input.notes ?? []).length > 0) {
    L.push('## Notes', '');
    for (const n of input.notes!) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}

function boldNote(t: Table2): string {
  const base =
    "Bold: the best mean and those not different from it under Welch's t-test at p = 0.05 (with zero std on both sides, equal means count as not different).";
  return t.testNotApplicable ? `${base} With a single run the std and the t-test are n/a: only the best is bold.` : base;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function html(input: ReportInput, figures: readonly Figure[]): string {
  const H: string[] = [];
  const title = input.title ?? 'Reproduction of "Autoencoding Binary Classifiers for Supervised Anomaly Detection" (IJCAI 2019)';
  H.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>${esc(title)}</title>`);
  H.push(
    '<style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1300px;padding:0 1em;color:#222}' +
      'table{border-collapse:collapse;margin:0.5em 0 0.5em;font-size:0.85em}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}' +
      'th{background:#f3f3f3}td.l,th.l{text-align:left}.paper{color:#777}figure{margin:1.5em 0}figcaption{font-size:0.9em;color:#444;max-width:900px}' +
      '.note{font-size:0.85em;color:#555}svg{max-width:100%;height:auto}</style>',
  );
  H.push('</head>', '<body>', `<h1>${esc(title)}</h1>`);
  H.push(`<p>${input.results.runs.length} runs recorded (runs.jsonl); ${input.results.cells.length} cells (results.json).</p>`);
  const ds = input.datasets ?? {};
  if (Object.keys(ds).length > 0) {
    H.push('<h2>Table 1: datasets (ours <span class="paper">[the paper\'s]</span>)</h2>', '<table>');
    H.push(
      '<tr><th class="l">data</th><th>D</th><th>normal train</th><th>known train</th><th>normal test</th><th>known test</th><th>unknown test</th><th class="l">test set</th></tr>',
    );
    for (const d of order(Object.keys(ds), DATASET_NAMES)) {
      const info = ds[d];
      const p = (PAPER_TABLE1 as Record<string, SplitSizes & { D: number }>)[d];
      const f = (k: keyof SplitSizes) => `${fmtSize(info.sizes[k])}${p ? ` <span class="paper">[${fmtSize(p[k])}]</span>` : ''}`;
      H.push(
        `<tr><td class="l">${esc(datasetLabel(d))}</td><td>${info.D}${p ? ` <span class="paper">[${p.D}]</span>` : ''}</td><td>${f('trainNormal')}</td><td>${f('trainKnown')}</td><td>${f('testNormal')}</td><td>${f('testKnown')}</td><td>${f('testUnknown')}</td><td class="l">${esc(info.testSet)}</td></tr>`,
      );
    }
    H.push('</table>', '<ul class="note">');
    for (const d of Object.keys(ds)) for (const n of ds[d].notes ?? []) H.push(`<li>${esc(datasetLabel(d))}: ${esc(n)}</li>`);
    for (const t of new Set(Object.values(ds).map((i) => i.testSet)))
      if (TEST_SET_NOTE[t]) H.push(`<li>${esc(TEST_SET_NOTE[t])}</li>`);
    H.push('</ul>');
  }
  for (const { t, title: tt } of tables(input)) {
    H.push(`<h2>${esc(tt)}</h2>`, '<table>');
    H.push(`<tr><th class="l">data</th><th></th>${t.methods.map((m) => `<th>${esc(methodLabel(m))}</th>`).join('')}</tr>`);
    for (const row of t.rows) {
      const cells = row.cells.map((c) => {
        if (!c) return '<td>—</td>';
        const ours = formatCell({ ...c, paper: undefined, bold: false });
        const paper = c.paper ? ` <span class="paper">[${c.paper.mean.toFixed(3)}]</span>` : '';
        return `<td>${c.bold ? `<b>${esc(ours)}</b>` : esc(ours)}${paper}</td>`;
      });
      H.push(
        `<tr><td class="l">${row.kind === 'A' ? esc(datasetLabel(row.dataset)) : ''}</td><td>${row.kind}</td>${cells.join('')}</tr>`,
      );
    }
    H.push('</table>', `<p class="note">${esc(boldNote(t))}</p>`);
  }
  const abl = ablationTable(input);
  if (abl) {
    H.push(
      '<h2>Ablation: ABC(AE) distance</h2>',
      '<p class="note">ABC\'s default distance is the mean over attributes of the squared error; the l2 norm is what the paper\'s text names.</p>',
      '<table>',
    );
    H.push(`<tr><th class="l">method</th>${abl.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`);
    for (const r of abl.rows)
      H.push(
        `<tr><td class="l">${esc(r.label)}</td>${r.cells.map((c, i) => `<td>${r.boldCells[i] ? `<b>${esc(c)}</b>` : esc(c)}</td>`).join('')}</tr>`,
      );
    H.push('</table>');
  }
  const timing = timingCells(input);
  if (timing.length > 0) {
    H.push('<h2>Fit time, setting 1 (seconds, mean over runs)</h2>', '<table>');
    H.push(
      '<tr><th class="l">data</th><th class="l">method</th><th>runs</th><th>fit s</th><th>AUROC A</th><th>AUROC U</th></tr>',
    );
    for (const c of timing) {
      H.push(
        `<tr><td class="l">${esc(datasetLabel(c.dataset))}</td><td class="l">${esc(methodLabel(c.method))}</td><td>${c.n}</td><td>${c.fitSeconds.mean.toFixed(1)}</td><td>${c.aurocKnown.mean.toFixed(3)}</td><td>${c.aurocUnknown.mean.toFixed(3)}</td></tr>`,
      );
    }
    H.push('</table>');
  }
  if (figures.length > 0) {
    H.push('<h2>Figures</h2>');
    for (const f of figures) H.push(`<figure>${inlineSvg(f.svg)}<figcaption>${esc(f.caption)}</figcaption></figure>`);
  }
  if ((input.notes ?? []).length > 0) {
    H.push('<h2>Notes</h2>', '<ul class="note">', ...input.notes!.map((n) => `<li>${esc(n)}</li>`), '</ul>');
  }
  H.push('</body>', '</html>', '');
  return H.join('\n');
}

/**
 * Renders the whole report: Markdown (figures linked as `figures/NAME.svg`), a self-contained HTML page (the
 * SVG figures inlined, styles inline, no external reference) and each figure's SVG.
 *
 * @example
 * const { markdown, html, figures } = await renderReport({ results, datasets, artifacts });
 * await writeFile('report.html', html);
 */
export async function renderReport(input: ReportInput): Promise<RenderedReport> {
  const figures = await makeFigures(input);
  return {
    markdown: markdown(input, figures),
    html: html(input, figures),
    figures: Object.fromEntries(figures.map((f) => [f.file, f.svg])),
  };
}

import type { TopLevelSpec } from 'vega-lite';
import type { GridSpec, HistoryPoint } from '../protocols/run.js';
import type { ResultCell } from '../protocols/records.js';

/**
 * The report's figures as Vega-Lite specifications, rendered to SVG by Vega in Node (no browser, no canvas:
 * `View.toSVG()` with the `none` renderer), or in a browser the same way.
 */

/** A sample of the 2-D toy data for Figure 3(a) and the heatmaps' overlays. */
export interface ToyPoints {
  normal: [number, number][];
  known: [number, number][];
  unknown: [number, number][];
}

/** One heatmap of Figure 3: a method's scores on a grid. */
export interface HeatmapPanel {
  title: string;
  grid: GridSpec & { scores: number[] };
}

/** One panel of Figure 5: a method's training history. */
export interface HistoryPanel {
  title: string;
  history: readonly HistoryPoint[];
}

const POINT_COLORS = { normal: '#1a9641', known: '#d7191c', unknown: '#000000' } as const;
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#ad494a',
];

/**
 * Ranks scaled to [0, 1] (ties share their mean rank): the heatmaps show where a score ranks on the grid.
 *
 * @example
 * percentiles([3, 1, 2, 2]);   // [1, 0, 0.5, 0.5]
 */
export function percentiles(values: readonly number[]): number[] {
  const n = values.length;
  if (n <= 1) return values.map(() => 0.5);
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Array<number>(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 / (n - 1);
    for (let k = i; k <= j; k++) out[order[k]] = r;
    i = j + 1;
  }
  return out;
}

function pointLayers(points: ToyPoints | undefined, x: object, y: object): object[] {
  if (!points) return [];
  return (['normal', 'known', 'unknown'] as const).map((group) => ({
    data: { values: points[group].map(([px, py]) => ({ x: px, y: py })) },
    mark: { type: 'circle', size: 8, opacity: 0.55, color: POINT_COLORS[group] },
    encoding: { x: { field: 'x', type: 'quantitative', ...x }, y: { field: 'y', type: 'quantitative', ...y } },
  }));
}

/**
 * Figure 3: (a) the 2-D toy data (normal green, known anomalies red, unknown black) and one heatmap of
 * anomaly scores per panel (the paper's DNN, AE and ABC), each colored by the score's percentile on the grid
 * (a monotone map, so the ordering that AUROC measures is what is seen), with the data drawn over it.
 *
 * @example
 * const svg = await renderSvg(figure3Spec([{ title: 'ABC(AE)', grid }], points));
 */
export function figure3Spec(panels: readonly HeatmapPanel[], points?: ToyPoints, size = 210): TopLevelSpec {
  const g0 = panels[0]?.grid;
  const domainX = g0 ? [g0.xMin, g0.xMax] : [-4.5, 3];
  const domainY = g0 ? [g0.yMin, g0.yMax] : [-2, 4.5];
  const x = { scale: { domain: domainX, nice: false, zero: false }, title: 'x₁' };
  const y = { scale: { domain: domainY, nice: false, zero: false }, title: 'x₂' };
  const charts: object[] = [];
  if (points) charts.push({ title: '(a) data', width: size, height: size, layer: pointLayers(points, x, y) });
  panels.forEach((p, k) => {
    const g = p.grid;
    const dx = (g.xMax - g.xMin) / (g.steps - 1);
    const dy = (g.yMax - g.yMin) / (g.steps - 1);
    const pct = percentiles(g.scores);
    const cells = pct.map((v, idx) => {
      const i = idx % g.steps;
      const j = Math.floor(idx / g.steps);
      const cx = g.xMin + dx * i;
      const cy = g.yMin + dy * j;
      return { x0: cx - dx / 2, x1: cx + dx / 2, y0: cy - dy / 2, y1: cy + dy / 2, p: Math.round(v * 1000) / 1000 };
    });
    const letter = String.fromCharCode('b'.charCodeAt(0) + k - (points ? 0 : 1));
    charts.push({
      title: `(${letter}) ${p.title}`,
      width: size,
      height: size,
      layer: [
        {
          data: { values: cells },
          mark: { type: 'rect' },
          encoding: {
            x: { field: 'x0', type: 'quantitative', ...x },
            x2: { field: 'x1' },
            y: { field: 'y0', type: 'quantitative', ...y },
            y2: { field: 'y1' },
            color: { field: 'p', type: 'quantitative', scale: { scheme: 'viridis', domain: [0, 1] }, title: 'score percentile' },
          },
        },
        ...pointLayers(points, x, y),
      ],
    });
  });
  return { hconcat: charts, config: { view: { stroke: null }, axis: { grid: false } } } as unknown as TopLevelSpec;
}

/**
 * Figure 4: AUROC against the number of known anomalies in training (setting 3, log axis), one line per
 * supervised method, and the unsupervised methods (which use none) as dashed horizontal lines; one panel for
 * known anomalies (A) and one for unknown anomalies (U). Null when there is no setting-3 cell.
 *
 * @example
 * const spec = figure4Spec(results.cells.filter((c) => c.dataset === 'mnist'), labelOf);
 */
export function figure4Spec(cells: readonly ResultCell[], label: (method: string) => string = (m) => m): TopLevelSpec | null {
  const s3 = cells.filter((c) => c.setting === 3);
  if (s3.length === 0) return null;
  // One fixed color per method (Vega's default palette has 10, the paper 11 methods).
  const labels = [...new Set(s3.map((c) => label(c.method)))];
  const colorScale = { domain: labels, range: labels.map((_, i) => PALETTE[i % PALETTE.length]) };
  const panel = (kind: 'A' | 'U'): object => {
    const value = (c: ResultCell) => (kind === 'A' ? c.aurocKnown.mean : c.aurocUnknown.mean);
    const lines = s3.filter((c) => c.nKnown > 0).map((c) => ({ method: label(c.method), nKnown: c.nKnown, auroc: value(c) }));
    const rules = s3.filter((c) => c.nKnown === 0).map((c) => ({ method: label(c.method), auroc: value(c) }));
    const layer: object[] = [];
    const color = { field: 'method', type: 'nominal', title: 'method', scale: colorScale };
    if (lines.length > 0) {
      layer.push({
        data: { values: lines },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'nKnown', type: 'quantitative', scale: { type: 'log' }, title: 'known anomalies in training' },
          y: { field: 'auroc', type: 'quantitative', scale: { zero: false }, title: `AUROC (${kind})` },
          color,
        },
      });
    }
    if (rules.length > 0) {
      layer.push({
        data: { values: rules },
        mark: { type: 'rule', strokeDash: [5, 4] },
        encoding: { y: { field: 'auroc', type: 'quantitative', title: `AUROC (${kind})` }, color },
      });
    }
    return { title: kind === 'A' ? 'known anomalies (A)' : 'unknown anomalies (U)', width: 300, height: 220, layer };
  };
  return { hconcat: [panel('A'), panel('U')], resolve: { scale: { y: 'independent' } } } as unknown as TopLevelSpec;
}

/**
 * Figure 5: mean training loss per epoch for normals and for known anomalies (the detectors' `history`:
 * `lossNormal`, `lossAnomaly`), one panel per method (the paper's LRC and ABC), each with its own y axis.
 *
 * @example
 * const spec = figure5Spec([{ title: 'LRC', history: lrcHistory }, { title: 'ABC(AE)', history: abcHistory }]);
 */
export function figure5Spec(panels: readonly HistoryPanel[]): TopLevelSpec {
  const charts = panels.map((p, k) => {
    const values: { epoch: number; group: string; loss: number }[] = [];
    for (const h of p.history) {
      if (h.lossNormal !== null) values.push({ epoch: h.epoch, group: 'normal', loss: h.lossNormal });
      if (h.lossAnomaly !== null) values.push({ epoch: h.epoch, group: 'anomaly', loss: h.lossAnomaly });
    }
    return {
      title: `(${String.fromCharCode(97 + k)}) ${p.title}`,
      width: 280,
      height: 200,
      data: { values },
      mark: { type: 'line', point: values.length <= 40 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'loss', type: 'quantitative', scale: { zero: false }, title: 'mean training loss' },
        color: {
          field: 'group',
          type: 'nominal',
          scale: { domain: ['normal', 'anomaly'], range: [POINT_COLORS.normal, POINT_COLORS.known] },
          title: 'rows',
        },
      },
    };
  });
  return { hconcat: charts, resolve: { scale: { y: 'independent' } } } as unknown as TopLevelSpec;
}

/**
 * Renders a Vega-Lite spec to an SVG string with Vega's headless SVG renderer (no DOM, no canvas; text widths
 * are estimated). Vega and Vega-Lite are loaded on first use, so importing `@abc/eval` stays light.
 *
 * @example
 * const svg = await renderSvg({ data: { values: [{ a: 1, b: 2 }] }, mark: 'point',
 *   encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } });
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const withConfig = { ...spec, config: { ...(spec as { config?: object }).config, aria: false } } as TopLevelSpec;
  const compiled = vl.compile(withConfig).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return compactSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/** Rounds the coordinates in `d` and `transform` attributes to 2 decimals (a third of a heatmap's bytes). */
function compactSvg(svg: string): string {
  return svg.replace(
    / (d|transform)="([^"]*)"/g,
    (_, name: string, value: string) =>
      ` ${name}="${value.replace(/-?\d+\.\d{3,}/g, (n) => String(Math.round(Number(n) * 100) / 100))}"`,
  );
}

/**
 * An SVG string made fit for inlining in HTML: the namespace declarations (URIs, not references, but they
 * would look like external links) are dropped — the HTML parser puts `<svg>` in the SVG namespace itself.
 *
 * @example
 * inlineSvg('<svg xmlns="http://www.w3.org/2000/svg" width="10"></svg>');   // '<svg width="10"></svg>'
 */
export function inlineSvg(svg: string): string {
  return svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '').replace(/xlink:href=/g, 'href=');
}

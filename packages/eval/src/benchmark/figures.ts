/**
 * The benchmark report's figures as Vega-Lite specifications (rendered to SVG by `renderSvg`, as the
 * reproduction's figures): Nemenyi critical-difference diagrams and a reliability diagram.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RatioAnalysis, ReliabilityPoint } from './summary.js';

/**
 * A critical-difference diagram (Demšar 2006) of one ratio: each method at its average rank on a rank axis
 * (1 = best, at the left), labelled; a bar as long as Nemenyi's CD at the top; and under the methods a thick
 * line joining each group whose ranks differ by less than the CD (not significantly different).
 *
 * @example
 * const svg = await renderSvg(cdDiagramSpec(analyseRatios(results)[0]));
 */
export function cdDiagramSpec(a: RatioAnalysis, width = 560): TopLevelSpec {
  const k = a.ranking.length;
  const points = a.ranking.map((r, i) => ({
    method: r.method,
    rank: r.meanRank,
    y: i + 1,
    y0: 0,
    label: `${r.method} (${r.meanRank.toFixed(2)})`,
  }));
  const cd = a.cd ?? 0;
  const cliques = a.cliques.map((c, i) => {
    const ranks = a.ranking.filter((r) => c.includes(r.method)).map((r) => r.meanRank);
    return { x: Math.min(...ranks), x2: Math.max(...ranks), y: k + 1 + i * 0.6 };
  });
  const height = 26 * (k + 1 + a.cliques.length * 0.6) + 30;
  // The axis reaches the CD bar's end when the CD is longer than the ranks' range (few datasets).
  const xScale = { domain: [1, Math.max(2, k, Math.ceil(1 + cd))], nice: false, zero: false };
  const yScale = { domain: [-1, k + 1 + a.cliques.length * 0.6], reverse: true, nice: false, zero: false };
  const x = {
    field: 'rank',
    type: 'quantitative',
    scale: xScale,
    title: 'average rank (1 = best)',
    axis: { orient: 'top', tickMinStep: 1 },
  };
  const y = { field: 'y', type: 'quantitative', scale: yScale, axis: null };
  const layers: object[] = [
    {
      data: { values: points },
      mark: { type: 'rule', color: '#999' },
      encoding: { x, y: { ...y, field: 'y0' }, y2: { field: 'y' } },
    },
    { data: { values: points }, mark: { type: 'circle', size: 50, color: '#1f77b4' }, encoding: { x, y } },
    {
      data: { values: points },
      mark: { type: 'text', align: 'left', dx: 6, fontSize: 11 },
      encoding: { x, y, text: { field: 'label' } },
    },
  ];
  if (cd > 0) {
    layers.push(
      {
        data: { values: [{ rank: 1, rank2: 1 + cd, y: -0.5 }] },
        mark: { type: 'rule', strokeWidth: 2, color: '#d62728' },
        encoding: { x, x2: { field: 'rank2' }, y },
      },
      {
        data: { values: [{ rank: 1 + cd, y: -0.5, t: `CD = ${cd.toFixed(2)}` }] },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#d62728' },
        encoding: { x, y, text: { field: 't' } },
      },
    );
  }
  if (cliques.length > 0) {
    layers.push({
      data: { values: cliques.map((c) => ({ rank: c.x, rank2: c.x2, y: c.y })) },
      mark: { type: 'rule', strokeWidth: 4, color: '#333' },
      encoding: { x, x2: { field: 'rank2' }, y },
    });
  }
  const f = a.friedman;
  const title = `ratio ${a.ratio}: ${a.datasets.length} datasets, ${k} methods${f ? `, Friedman p = ${f.pValue.toPrecision(2)}, Iman-Davenport p = ${f.fPValue.toPrecision(2)}` : ''}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 12 },
    width,
    height,
    layer: layers,
  } as unknown as TopLevelSpec;
}

/**
 * The reliability diagram: observed anomaly frequency against mean predicted probability, one line per
 * detector with a probability (runs pooled, see `poolReliability`), with the diagonal of perfect calibration.
 *
 * @example
 * const svg = await renderSvg(reliabilitySpec(poolReliability(records)));
 */
export function reliabilitySpec(points: readonly ReliabilityPoint[], size = 320): TopLevelSpec {
  const unit = { scale: { domain: [0, 1], nice: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: size,
    height: size,
    layer: [
      {
        data: {
          values: [
            { a: 0, b: 0 },
            { a: 1, b: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'a', type: 'quantitative', ...unit }, y: { field: 'b', type: 'quantitative', ...unit } },
      },
      {
        data: { values: points.map((p) => ({ ...p })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'meanPredicted', type: 'quantitative', title: 'mean predicted p(anomaly)', ...unit },
          y: { field: 'observedFrequency', type: 'quantitative', title: 'observed anomaly frequency', ...unit },
          color: { field: 'method', type: 'nominal', title: 'method' },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

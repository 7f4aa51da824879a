import { type Dataset, tagOf } from '../data/dataset.js';
import type { Split } from '../data/split.js';
import { heldOutMetrics, histogram, precisionRecallAt, rocCurve, type HeldOutMetrics } from '../eval/metrics.js';
import type { DetectorResult } from '../train/protocol.js';
import { drawHistogram, drawLines, type Series } from './charts.js';
import { byId, download, el, fmt } from './dom.js';
import { drawHeatmap, type Box } from './heatmap.js';

/** One fitted detector and its held-out metrics. */
export interface Outcome {
  result: DetectorResult;
  metrics: HeldOutMetrics;
}

/** The data a fit ran on, for drawing its results. */
export interface ResultContext {
  ds: Dataset;
  split: Split;
  grid: { size: number; box: Box } | null;
}

const COLORS = { normal: '#1f77b4', known: '#ff7f0e', unknown: '#2ca02c', unlabelled: '#555' };

/** Scores a detector's outcome from its result. */
export function outcomeOf(result: DetectorResult, ctx: ResultContext): Outcome {
  return { result, metrics: heldOutMetrics(result.scores, ctx.ds.labels, ctx.ds.unknown, ctx.split.test) };
}

/** The metrics table with download buttons for each detector's `.abc` and `.onnx`. */
export function renderMetricsTable(outcomes: readonly Outcome[]): void {
  const head = el(
    'tr',
    {},
    ['detector', 'AUROC known', 'AUPR known', 'AUROC unknown', 'AUPR unknown', 'fit (s)', 'export'].map((t) =>
      el('th', { scope: 'col', text: t }),
    ),
  );
  const rows = outcomes.map(({ result: r, metrics: m }) => {
    const cell = (key: keyof HeldOutMetrics) =>
      el('td', { 'data-detector': r.detector, 'data-metric': key, text: fmt(m[key] as number | null) });
    const abc = el('button', { type: 'button', 'data-download': `${r.detector}.abc`, text: '.abc' });
    abc.onclick = () => download(r.model, `${r.detector}.abc`);
    const onnx = el('button', {
      type: 'button',
      'data-download': `${r.detector}.onnx`,
      text: '.onnx',
      disabled: r.onnx === null,
      title: r.onnxError ?? undefined,
    });
    onnx.onclick = () => r.onnx && download(r.onnx, `${r.detector}.onnx`);
    return el('tr', {}, [
      el('th', { scope: 'row', text: r.detector }),
      cell('aurocKnown'),
      cell('auprKnown'),
      cell('aurocUnknown'),
      cell('auprUnknown'),
      el('td', { text: r.fitSeconds.toFixed(2) }),
      el('td', {}, [abc, ' ', onnx]),
    ]);
  });
  const m0 = outcomes[0]?.metrics;
  const note = m0
    ? `held-out rows: ${m0.nNormal} normal, ${m0.nKnown} known anomalies, ${m0.nUnknown} unknown anomalies (never trained on)`
    : '';
  byId('metrics').replaceChildren(
    el('table', { 'aria-label': 'AUROC and AUPR per detector' }, [head, ...rows]),
    el('p', { class: 'muted', text: note }),
  );
}

function classOf(ds: Dataset, i: number): keyof typeof COLORS {
  if (!ds.labels) return 'unlabelled';
  return ds.labels[i] === 0 ? 'normal' : ds.unknown[i] ? 'unknown' : 'known';
}

/** ROC curves (known, unknown), per-class histograms, the heatmap and the top rows of one detector. */
export function renderDetector(o: Outcome, ctx: ResultContext): void {
  const { ds, split } = ctx;
  const s = o.result.scores;
  const test = Array.from(split.test);
  const series: Series[] = [];
  if (ds.labels) {
    for (const kind of ['known', 'unknown'] as const) {
      const rows = test.filter((i) => ds.labels![i] === 0 || classOf(ds, i) === kind);
      const y = rows.map((i) => ds.labels![i]);
      if (y.some((v) => v === 1))
        series.push({
          name: `${kind} (AUROC ${fmt(kind === 'known' ? o.metrics.aurocKnown : o.metrics.aurocUnknown)})`,
          color: COLORS[kind],
          points: rocCurve(
            rows.map((i) => s[i]),
            y,
          ).map((p) => [p.fpr, p.tpr] as const),
        });
    }
  }
  drawLines(byId<HTMLCanvasElement>('roc'), series, {
    xLabel: 'false positive rate',
    yLabel: 'true positive rate',
    x: [0, 1],
    y: [0, 1],
    diagonal: true,
  });
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of test) {
    lo = Math.min(lo, s[i]);
    hi = Math.max(hi, s[i]);
  }
  const groups = (['normal', 'known', 'unknown', 'unlabelled'] as const)
    .map((k) => ({ k, rows: test.filter((i) => classOf(ds, i) === k) }))
    .filter((g) => g.rows.length > 0)
    .map((g) => ({
      name: g.k,
      color: COLORS[g.k],
      counts: histogram(
        g.rows.map((i) => s[i]),
        lo,
        hi,
        30,
      ),
    }));
  const sorted = Float64Array.from(test, (i) => s[i]).sort();
  const slider = byId<HTMLInputElement>('threshold');
  const thresholdAt = () => sorted[Math.min(sorted.length - 1, Math.floor((Number(slider.value) / 1000) * sorted.length))];
  if (o.result.threshold !== null && Number.isFinite(o.result.threshold)) {
    let k = 0;
    while (k < sorted.length && sorted[k] <= o.result.threshold) k++;
    slider.value = String(Math.round((k / Math.max(1, sorted.length)) * 1000));
  }
  const update = () => {
    const t = thresholdAt();
    drawHistogram(byId<HTMLCanvasElement>('hist'), groups, lo, hi, t);
    const out = byId('threshold-out');
    if (ds.labels) {
      const pr = precisionRecallAt(
        test.map((i) => s[i]),
        test.map((i) => ds.labels![i]),
        t,
      );
      out.textContent = `score > ${t.toPrecision(4)}: ${pr.flagged} flagged, precision ${fmt(pr.precision)}, recall ${fmt(pr.recall)}`;
    } else {
      out.textContent = `score > ${t.toPrecision(4)}: ${sorted.filter((v) => v > t).length} flagged (no labels: no precision or recall)`;
    }
  };
  slider.oninput = update;
  slider.setAttribute('aria-valuetext', 'quantile of the held-out scores');
  update();
  const heat = byId<HTMLCanvasElement>('heatmap');
  heat.hidden = !(ctx.grid && o.result.gridScores);
  if (ctx.grid && o.result.gridScores) {
    const dots = test.map((i) => ({ x: ds.X.data[2 * i], y: ds.X.data[2 * i + 1], color: COLORS[classOf(ds, i)] }));
    drawHeatmap(heat, ctx.grid.size, ctx.grid.box, o.result.gridScores, dots);
  }
  renderTop(o, ds);
}

function renderTop(o: Outcome, ds: Dataset, count = 15): void {
  const s = o.result.scores;
  const order = Array.from({ length: s.length }, (_, i) => i)
    .sort((a, b) => s[b] - s[a])
    .slice(0, count);
  const names = ds.X.featureNames ?? [];
  const head = el(
    'tr',
    {},
    ['row', ...names, 'kind / label', 'score'].map((t) => el('th', { scope: 'col', text: t })),
  );
  const rows = order.map((i) =>
    el('tr', {}, [
      el('td', { text: String(i + 1) }),
      ...names.map((_, j) => el('td', { text: String(Number(ds.X.data[i * ds.X.cols + j].toPrecision(5))) })),
      el('td', { text: tagOf(ds, i) }),
      el('td', { text: s[i].toPrecision(5) }),
    ]),
  );
  byId('top').replaceChildren(el('table', { 'aria-label': 'the most anomalous rows' }, [head, ...rows]));
}

/** One line of a chart. */
export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
}

/** Axis ranges and labels of {@link drawLines}. */
export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  x?: [number, number];
  y?: [number, number];
  /** Draw the diagonal y = x (ROC charts). */
  diagonal?: boolean;
}

const PAD = { left: 46, right: 10, top: 10, bottom: 34 };

function extent(series: readonly Series[], k: 0 | 1): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (const p of s.points)
      if (Number.isFinite(p[k])) {
        lo = Math.min(lo, p[k]);
        hi = Math.max(hi, p[k]);
      }
  if (!Number.isFinite(lo)) return [0, 1];
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}

function tick(v: number): string {
  return Math.abs(v) >= 100 || v === 0 ? String(Math.round(v)) : v.toPrecision(2);
}

/**
 * Draws line series on a canvas with axes, labels and a legend (the loss chart and the ROC curves).
 *
 * @example
 * drawLines(canvas, [{ name: 'normal', color: '#1f77b4', points: [[1, 0.7], [2, 0.5]] }], { xLabel: 'epoch', yLabel: 'loss' });
 */
export function drawLines(canvas: HTMLCanvasElement, series: readonly Series[], o: LineChartOptions): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const [x0, x1] = o.x ?? extent(series, 0);
  const [y0, y1] = o.y ?? extent(series, 1);
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  ctx.strokeStyle = '#8a94a3';
  ctx.lineWidth = 1;
  ctx.strokeRect(PAD.left, PAD.top, W - PAD.left - PAD.right, H - PAD.top - PAD.bottom);
  ctx.fillStyle = '#333';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (const t of [0, 0.5, 1]) ctx.fillText(tick(x0 + t * (x1 - x0)), px(x0 + t * (x1 - x0)), H - PAD.bottom + 13);
  ctx.fillText(o.xLabel, (PAD.left + W - PAD.right) / 2, H - 4);
  ctx.textAlign = 'right';
  for (const t of [0, 0.5, 1]) ctx.fillText(tick(y0 + t * (y1 - y0)), PAD.left - 4, py(y0 + t * (y1 - y0)) + 4);
  ctx.save();
  ctx.translate(11, (PAD.top + H - PAD.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(o.yLabel, 0, 0);
  ctx.restore();
  if (o.diagonal) {
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(px(x0), py(y0));
    ctx.lineTo(px(x1), py(y1));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => {
      i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y));
    });
    ctx.stroke();
    ctx.fillStyle = s.color;
    ctx.textAlign = 'left';
    ctx.fillRect(PAD.left + 8, PAD.top + 8 + 14 * k, 10, 3);
    ctx.fillStyle = '#333';
    ctx.fillText(s.name, PAD.left + 22, PAD.top + 13 + 14 * k);
  });
}

/** One class of a histogram: its name, colour and counts per bin. */
export interface HistogramGroup {
  name: string;
  color: string;
  counts: readonly number[];
}

/** Draws overlaid per-class histograms of scores (each class scaled to its own maximum) over [lo, hi]. */
export function drawHistogram(
  canvas: HTMLCanvasElement,
  groups: readonly HistogramGroup[],
  lo: number,
  hi: number,
  threshold: number | null,
): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  groups.forEach((g, k) => {
    const max = Math.max(1, ...g.counts);
    const bw = plotW / g.counts.length;
    ctx.globalAlpha = 0.45;
    ctx.fillStyle = g.color;
    g.counts.forEach((c, b) => {
      const h = (c / max) * plotH;
      ctx.fillRect(PAD.left + b * bw, H - PAD.bottom - h, Math.max(1, bw - 1), h);
    });
    ctx.globalAlpha = 1;
    ctx.fillRect(PAD.left + 8, PAD.top + 8 + 14 * k, 10, 8);
    ctx.fillStyle = '#333';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.fillText(g.name, PAD.left + 22, PAD.top + 16 + 14 * k);
  });
  ctx.strokeStyle = '#8a94a3';
  ctx.strokeRect(PAD.left, PAD.top, plotW, plotH);
  ctx.fillStyle = '#333';
  ctx.textAlign = 'center';
  ctx.fillText(tick(lo), PAD.left, H - PAD.bottom + 13);
  ctx.fillText(tick(hi), W - PAD.right, H - PAD.bottom + 13);
  ctx.fillText('score (each class scaled to its peak)', (PAD.left + W - PAD.right) / 2, H - 4);
  if (threshold !== null && hi > lo) {
    const x = PAD.left + ((threshold - lo) / (hi - lo)) * plotW;
    ctx.strokeStyle = '#d62728';
    ctx.beginPath();
    ctx.moveTo(x, PAD.top);
    ctx.lineTo(x, H - PAD.bottom);
    ctx.stroke();
  }
}

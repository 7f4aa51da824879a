/** The box a heatmap covers. */
export interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/**
 * A `size` × `size` grid of points over the box, row-major from the top (high y) down, as float32 `[size², 2]`.
 *
 * @example
 * const data = makeGrid(64, { x0: -2, x1: 3, y0: -1, y1: 2 }); // 64 * 64 * 2 values
 */
export function makeGrid(size: number, box: Box): Float32Array {
  const data = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      data[2 * (r * size + c)] = box.x0 + ((c + 0.5) * (box.x1 - box.x0)) / size;
      data[2 * (r * size + c) + 1] = box.y1 - ((r + 0.5) * (box.y1 - box.y0)) / size;
    }
  }
  return data;
}

/** The data's bounding box with a margin of `pad` of its width and height on each side. */
export function boxAround(X: Float32Array, rows: number, pad = 0.12): Box {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < rows; i++) {
    x0 = Math.min(x0, X[2 * i]);
    x1 = Math.max(x1, X[2 * i]);
    y0 = Math.min(y0, X[2 * i + 1]);
    y1 = Math.max(y1, X[2 * i + 1]);
  }
  const dx = (x1 - x0 || 1) * pad;
  const dy = (y1 - y0 || 1) * pad;
  return { x0: x0 - dx, x1: x1 + dx, y0: y0 - dy, y1: y1 + dy };
}

/** A point drawn over the heatmap. */
export interface Dot {
  x: number;
  y: number;
  color: string;
}

/** White (lowest score) to dark red (highest); probabilities in [0, 1] are drawn as they are, other scores min-max scaled. */
export function drawHeatmap(canvas: HTMLCanvasElement, size: number, box: Box, scores: Float32Array, dots: readonly Dot[]): void {
  const ctx = canvas.getContext('2d')!;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scores) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  const probability = lo >= 0 && hi <= 1;
  const scale = (s: number) => (probability ? s : hi > lo ? (s - lo) / (hi - lo) : 0);
  const cw = canvas.width / size;
  const ch = canvas.height / size;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const u = Math.max(0, Math.min(1, scale(scores[r * size + c])));
      ctx.fillStyle = `rgb(${(255 - 100 * u) | 0},${(255 - 235 * u) | 0},${(255 - 225 * u) | 0})`;
      ctx.fillRect(c * cw, r * ch, Math.ceil(cw), Math.ceil(ch));
    }
  }
  for (const d of dots) {
    ctx.fillStyle = d.color;
    ctx.beginPath();
    ctx.arc(
      ((d.x - box.x0) / (box.x1 - box.x0)) * canvas.width,
      ((box.y1 - d.y) / (box.y1 - box.y0)) * canvas.height,
      2.2,
      0,
      2 * Math.PI,
    );
    ctx.fill();
  }
}

/** The grid the heatmap scores: `size` × `size` points over the box, row-major from the top (high y) down. */
export interface Grid {
  xs: Float64Array;
  ys: Float64Array;
  size: number;
  box: { x0: number; x1: number; y0: number; y1: number };
}

export function makeGrid(size: number, box: Grid['box']): { grid: Grid; data: Float32Array } {
  const xs = new Float64Array(size);
  const ys = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    xs[i] = box.x0 + ((i + 0.5) * (box.x1 - box.x0)) / size;
    ys[i] = box.y1 - ((i + 0.5) * (box.y1 - box.y0)) / size;
  }
  const data = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      data[2 * (r * size + c)] = xs[c];
      data[2 * (r * size + c) + 1] = ys[r];
    }
  }
  return { grid: { xs, ys, size, box }, data };
}

/** White (score 0) to dark red (score 1); scores beyond [0, 1] are clamped after scaling to the data's range. */
function color(t: number): [number, number, number] {
  const u = Math.max(0, Math.min(1, t));
  return [255 - 100 * u, 255 - 235 * u, 255 - 225 * u];
}

export interface Points {
  normal: number[][];
  known: number[][];
  unknown: number[][];
}

/** Draws the scores as cells, then the data points on top. Scores that are not probabilities are min-max scaled. */
export function drawHeatmap(canvas: HTMLCanvasElement, grid: Grid, scores: Float32Array, points: Points | null): void {
  const ctx = canvas.getContext('2d')!;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scores) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  const probability = lo >= 0 && hi <= 1;
  const scale = (s: number) => (probability ? s : hi > lo ? (s - lo) / (hi - lo) : 0);
  const cw = canvas.width / grid.size;
  const ch = canvas.height / grid.size;
  for (let r = 0; r < grid.size; r++) {
    for (let c = 0; c < grid.size; c++) {
      const [R, G, B] = color(scale(scores[r * grid.size + c]));
      ctx.fillStyle = `rgb(${R | 0},${G | 0},${B | 0})`;
      ctx.fillRect(c * cw, r * ch, Math.ceil(cw), Math.ceil(ch));
    }
  }
  if (!points) return;
  const { x0, x1, y0, y1 } = grid.box;
  const px = (x: number) => ((x - x0) / (x1 - x0)) * canvas.width;
  const py = (y: number) => ((y1 - y) / (y1 - y0)) * canvas.height;
  const dots = (list: number[][], fill: string) => {
    ctx.fillStyle = fill;
    for (const [x, y] of list) {
      ctx.beginPath();
      ctx.arc(px(x), py(y), 2.2, 0, 2 * Math.PI);
      ctx.fill();
    }
  };
  dots(points.normal, '#1f77b4');
  dots(points.known, '#ff7f0e');
  dots(points.unknown, '#2ca02c');
}

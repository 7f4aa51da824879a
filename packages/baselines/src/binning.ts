import type { Matrix } from '@abc/core';

/**
 * Quantile binning of features into at most 255 bins, as scikit-learn's `_BinMapper` (HistGradientBoosting):
 * with at most `maxBins` distinct values the thresholds are the midpoints between consecutive distinct values,
 * otherwise the (1 .. maxBins−1)/maxBins percentiles ("midpoint" method), duplicates removed.
 *
 * Thresholds are float32 and each lies in [a, b) for the two data values a < b it separates, so that for
 * float32 inputs `bin(x) <= k` holds exactly when `x <= thresholds[k]`: a split found on bins is the raw-value
 * split `x <= threshold` an exporter writes.
 */
export interface Bins {
  /** Per feature, the ascending float32 bin edges; a feature has `thresholds[f].length + 1` bins. */
  thresholds: Float32Array[];
}

/** Fits bin edges on the given rows of X (all rows when `rows` is omitted). */
export function fitBins(X: Matrix, maxBins: number, rows?: ArrayLike<number>): Bins {
  return binTraining(X, maxBins, rows, false).bins;
}

/**
 * Fits bin edges on the given rows and bins those same rows in one pass per feature (a radix argsort of the
 * column, then a walk of the sorted values): `B[f * n + k]` is the bin of row `rows[k]` (or k) in feature f.
 */
export function binTraining(X: Matrix, maxBins: number, rows?: ArrayLike<number>): { bins: Bins; B: Uint8Array };
export function binTraining(
  X: Matrix,
  maxBins: number,
  rows: ArrayLike<number> | undefined,
  withBins: false,
): { bins: Bins; B: null };
export function binTraining(
  X: Matrix,
  maxBins: number,
  rows?: ArrayLike<number>,
  withBins = true,
): { bins: Bins; B: Uint8Array | null } {
  const n = rows ? rows.length : X.rows;
  const d = X.cols;
  const data = X.data;
  // Columns are gathered CHUNK at a time, so that the row-major matrix is read sequentially.
  const CHUNK = 32;
  const block = new Float32Array(CHUNK * n);
  const sorter = new RadixArgsort(n);
  const sorted = new Float32Array(n);
  const B = withBins ? new Uint8Array(n * d) : null;
  const thresholds: Float32Array[] = [];
  const edges = new Float32Array(Math.max(maxBins, 2));
  for (let f = 0; f < d; f++) {
    const c = f % CHUNK;
    if (c === 0) {
      const width = Math.min(CHUNK, d - f);
      for (let k = 0; k < n; k++) {
        const base = (rows ? rows[k] : k) * d + f;
        for (let j = 0; j < width; j++) block[j * n + k] = data[base + j];
      }
    }
    const col = block.subarray(c * n, (c + 1) * n);
    const keys = new Uint32Array(block.buffer, c * n * 4, n);
    const order = sorter.sort(keys);
    for (let k = 0; k < n; k++) sorted[k] = col[order[k]];
    // Distinct values.
    let nDistinct = 0;
    for (let k = 0; k < n; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) nDistinct++;
    let m = 0;
    const push = (lo: number, hi: number, mid: number) => {
      let t = Math.fround(mid);
      if (t >= hi) t = lo;
      if (t < lo) t = lo;
      if (m === 0 || t > edges[m - 1]) edges[m++] = t;
    };
    if (nDistinct <= maxBins) {
      let prev = sorted[0];
      for (let k = 1; k < n; k++) {
        const v = sorted[k];
        if (v !== prev) {
          push(prev, v, (prev + v) / 2);
          prev = v;
        }
      }
    } else {
      for (let q = 1; q < maxBins; q++) {
        // numpy.percentile(..., method='midpoint'): the mean of the two order statistics around the position.
        const pos = ((n - 1) * q) / maxBins;
        const lo = sorted[Math.floor(pos)];
        const hi = sorted[Math.ceil(pos)];
        if (lo === hi) {
          // The edge sits on a data value: x <= value goes left. Skip the last value (nothing would go right).
          if (lo < sorted[n - 1]) push(lo, Infinity, lo);
        } else push(lo, hi, (lo + hi) / 2);
      }
    }
    const t = edges.slice(0, m);
    thresholds.push(t);
    if (B) {
      const base = f * n;
      let b = 0;
      for (let k = 0; k < n; k++) {
        const v = sorted[k];
        while (b < m && v > t[b]) b++;
        B[base + order[k]] = b;
      }
    }
  }
  return { bins: { thresholds }, B };
}

/** Argsort of float32 values (given as their bit patterns) by an LSD radix sort on 11-bit digits; stable. */
class RadixArgsort {
  private readonly a: Uint32Array;
  private readonly b: Uint32Array;
  private readonly ia: Uint32Array;
  private readonly ib: Uint32Array;
  private readonly count = new Uint32Array(2048 * 3);

  constructor(private readonly n: number) {
    this.a = new Uint32Array(n);
    this.b = new Uint32Array(n);
    this.ia = new Uint32Array(n);
    this.ib = new Uint32Array(n);
  }

  /** Returns the order (a view, valid until the next call) that sorts the floats whose bits are `bits`. */
  sort(bits: Uint32Array): Uint32Array {
    const { n, count } = this;
    let src = this.a;
    let dst = this.b;
    let isrc = this.ia;
    let idst = this.ib;
    count.fill(0);
    for (let k = 0; k < n; k++) {
      const u = bits[k];
      // Order-preserving map of float bits to unsigned: flip all bits of negatives, the sign bit of the rest.
      const key = (u & 0x80000000 ? ~u : u | 0x80000000) >>> 0;
      src[k] = key;
      isrc[k] = k;
      count[key & 2047]++;
      count[2048 + ((key >>> 11) & 2047)]++;
      count[4096 + (key >>> 22)]++;
    }
    for (let pass = 0; pass < 3; pass++) {
      const off = pass * 2048;
      const shift = pass * 11;
      let sum = 0;
      for (let c = 0; c < 2048; c++) {
        const v = count[off + c];
        count[off + c] = sum;
        sum += v;
      }
      for (let k = 0; k < n; k++) {
        const key = src[k];
        const pos = count[off + ((key >>> shift) & 2047)]++;
        dst[pos] = key;
        idst[pos] = isrc[k];
      }
      const t = src;
      src = dst;
      dst = t;
      const ti = isrc;
      isrc = idst;
      idst = ti;
    }
    return isrc;
  }
}

/** The bin of one value: the number of edges below it (the first edge with x <= edge). */
export function binOf(edges: Float32Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Bins the given rows of X, column-major: `out[f * n + k]` is the bin of row `rows[k]` (or k) in feature f.
 */
export function binColumns(X: Matrix, bins: Bins, rows?: ArrayLike<number>): Uint8Array {
  const n = rows ? rows.length : X.rows;
  const d = X.cols;
  const out = new Uint8Array(n * d);
  const data = X.data;
  for (let f = 0; f < d; f++) {
    const edges = bins.thresholds[f];
    const m = edges.length;
    const base = f * n;
    if (m === 0) continue;
    for (let k = 0; k < n; k++) {
      const x = data[(rows ? rows[k] : k) * d + f];
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (x <= edges[mid]) hi = mid;
        else lo = mid + 1;
      }
      out[base + k] = lo;
    }
  }
  return out;
}

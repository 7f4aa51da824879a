import type { Distance } from '@abc/core';
import { arenaOf } from './kernels/arena.js';

export type { Distance };

/** Which per-sample objective a reconstruction network trains on (see {@link sampleLoss}). */
export type ObjectiveKind = 'ae' | 'abc' | 'lrc';

/** The clamp of 1 − exp(−L) in the ABC anomaly term (the contract's `max(·, 1e-12)`). */
export const ABC_CLAMP = 1e-12;
const LOG_CLAMP = -Math.log(ABC_CLAMP);
const LN2 = Math.LN2;

/**
 * Reconstruction error L of one row: `'meanSquared'` = mean over attributes of (r − x)²; `'squaredL2'` =
 * sum of (r − x)²; `'l2'` = sqrt of that sum. Computed in float64.
 */
export function rowDistance(
  distance: Distance,
  x: Float32Array,
  xOff: number,
  r: Float32Array,
  rOff: number,
  cols: number,
): number {
  let s = 0;
  for (let j = 0; j < cols; j++) {
    const d = r[rOff + j] - x[xOff + j];
    s += d * d;
  }
  return fromSquaredSum(distance, s, cols);
}

/** L of one row from its sum of squared differences `s` over `cols` attributes. */
function fromSquaredSum(distance: Distance, s: number, cols: number): number {
  return distance === 'meanSquared' ? s / cols : distance === 'l2' ? Math.sqrt(s) : s;
}

/**
 * L of `rows` rows at once: `output` (rows × cols from offset 0, a network's output) against the target rows
 * `target[tOff...]`, into `out[outOff...]`. When `output` lives in a compute arena the squared differences are
 * summed there (wasm, float64, the order of {@link ReconstructionObjective}'s fast path), else by
 * {@link rowDistance}; both sum in float64 and agree up to summation order.
 *
 * @example
 * const y = net.forward(X, 0, rows);
 * batchDistances('squaredL2', y, X, 0, rows, net.outputSize, scores);
 */
export function batchDistances(
  distance: Distance,
  output: Float32Array,
  target: Float32Array,
  tOff: number,
  rows: number,
  cols: number,
  out: Float64Array,
  outOff = 0,
): void {
  const arena = arenaOf(output);
  if (arena?.squaredDiffRows && output.byteOffset % 16 === 0) {
    const sums = out.subarray(outOff, outOff + rows);
    arena.squaredDiffRows(output, target, tOff, rows, cols, sums);
    for (let i = 0; i < rows; i++) sums[i] = fromSquaredSum(distance, sums[i], cols);
    return;
  }
  for (let i = 0; i < rows; i++) out[outOff + i] = rowDistance(distance, target, tOff + i * cols, output, i * cols, cols);
}

/**
 * Writes `scale · dL/dr` for one row into `out`. For `'l2'` at L = 0 the (sub)gradient 0 is used.
 */
export function rowDistanceGrad(
  distance: Distance,
  x: Float32Array,
  xOff: number,
  r: Float32Array,
  rOff: number,
  cols: number,
  L: number,
  scale: number,
  out: Float32Array,
  outOff: number,
): void {
  const f = distanceGradFactor(distance, cols, L, scale);
  for (let j = 0; j < cols; j++) out[outOff + j] = f * (r[rOff + j] - x[xOff + j]);
}

/** `scale · dL/dr = f · (r − x)`: the factor f of one row for each distance. */
function distanceGradFactor(distance: Distance, cols: number, L: number, scale: number): number {
  if (distance === 'meanSquared') return (2 * scale) / cols;
  if (distance === 'squaredL2') return 2 * scale;
  return L > 0 ? scale / L : 0;
}

/**
 * `−log(1 − exp(−L))`, stably: `−log(−expm1(−L))` for L ≤ ln 2 and `−log1p(−exp(−L))` above (Mächler's
 * log1mexp), with 1 − exp(−L) clamped below at {@link ABC_CLAMP} as in the PyTorch contract. Finite for every
 * L ≥ 0 (at most −log 1e-12 ≈ 27.6).
 */
export function negLog1mExp(L: number): number {
  const q = -Math.expm1(-L);
  if (!(q > ABC_CLAMP)) return LOG_CLAMP;
  return L <= LN2 ? -Math.log(q) : -Math.log1p(-Math.exp(-L));
}

/** d/dL of {@link negLog1mExp}: `−1 / expm1(L)`, and 0 where the clamp is active (as `torch.clamp` gives). */
export function negLog1mExpGrad(L: number): number {
  const q = -Math.expm1(-L);
  if (!(q > ABC_CLAMP)) return 0;
  return -1 / Math.expm1(L);
}

/**
 * The per-sample loss ℓ(L) of a reconstruction objective for a row with label `anomaly` (our convention:
 * true = known anomaly):
 * - `'ae'`: L (labels ignored);
 * - `'abc'`: L for normals, −log(1 − exp(−L)) for anomalies — the paper's `y·L − (1−y)·log(1 − exp(−L))`
 *   with its y = 1 for normal, computed by {@link negLog1mExp};
 * - `'lrc'`: L for normals, −L for anomalies (unbounded below, unstable by design).
 */
export function sampleLoss(kind: ObjectiveKind, L: number, anomaly: boolean): number {
  if (!anomaly || kind === 'ae') return L;
  return kind === 'abc' ? negLog1mExp(L) : -L;
}

/** dℓ/dL of {@link sampleLoss}. */
export function sampleLossGrad(kind: ObjectiveKind, L: number, anomaly: boolean): number {
  if (!anomaly || kind === 'ae') return 1;
  return kind === 'abc' ? negLog1mExpGrad(L) : -1;
}

/**
 * A batch loss for reconstruction networks: the batch mean of ℓ(L(x, r)) over rows. After each
 * {@link compute}, `L` and `loss` hold the per-row reconstruction errors and losses of that batch.
 *
 * @example
 * const obj = new ReconstructionObjective('abc', 'squaredL2', 784);
 * const value = net.trainStep(xb, 0, rows, (out, rows, cols, dOut) => obj.compute(out, xb, 0, labels, rows, dOut), adam);
 */
export class ReconstructionObjective {
  L = new Float64Array(0);
  loss = new Float64Array(0);
  private sq = new Float64Array(0);
  private coef = new Float64Array(0);

  constructor(
    readonly kind: ObjectiveKind,
    readonly distance: Distance,
    readonly cols: number,
  ) {}

  /**
   * Loss of reconstructions `output` (rows × cols) against targets `target[tOff...]`, with `anomaly[i]` = 1 for
   * known anomalies (null: all normal). Writes dLoss/dOutput into `dOutput` and returns the batch mean.
   */
  compute(
    output: Float32Array,
    target: Float32Array,
    tOff: number,
    anomaly: Uint8Array | null,
    rows: number,
    dOutput: Float32Array,
  ): number {
    const cols = this.cols;
    if (this.L.length < rows) {
      this.L = new Float64Array(rows);
      this.loss = new Float64Array(rows);
    }
    let total = 0;
    const inv = 1 / rows;
    const arena = arenaOf(output, dOutput);
    if (arena?.squaredDiffRows && arena.scaleDiffRows && output.byteOffset % 16 === 0) {
      // The same arithmetic with the two passes over rows × cols in wasm (output and dOutput live there).
      if (this.sq.length < rows) {
        this.sq = new Float64Array(rows);
        this.coef = new Float64Array(rows);
      }
      // The target rows come back as an arena view (staged once when they live elsewhere), reused below.
      const resident = arena.squaredDiffRows(output, target, tOff, rows, cols, this.sq);
      for (let i = 0; i < rows; i++) {
        const isAnomaly = anomaly !== null && anomaly[i] === 1;
        const L = fromSquaredSum(this.distance, this.sq[i], cols);
        const l = sampleLoss(this.kind, L, isAnomaly);
        this.L[i] = L;
        this.loss[i] = l;
        total += l;
        const g = sampleLossGrad(this.kind, L, isAnomaly) * inv;
        this.coef[i] = distanceGradFactor(this.distance, cols, L, g);
      }
      arena.scaleDiffRows(output, resident, 0, rows, cols, this.coef, dOutput);
      return total * inv;
    }
    for (let i = 0; i < rows; i++) {
      const isAnomaly = anomaly !== null && anomaly[i] === 1;
      const L = rowDistance(this.distance, target, tOff + i * cols, output, i * cols, cols);
      const l = sampleLoss(this.kind, L, isAnomaly);
      this.L[i] = L;
      this.loss[i] = l;
      total += l;
      const g = sampleLossGrad(this.kind, L, isAnomaly) * inv;
      rowDistanceGrad(this.distance, target, tOff + i * cols, output, i * cols, cols, L, g, dOutput, i * cols);
    }
    return total * inv;
  }
}

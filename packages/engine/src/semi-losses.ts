/**
 * The losses of the semi-supervised detectors: Deep SAD's (Ruff et al., ICLR 2020) and DevNet's deviation loss
 * (Pang et al., KDD 2019), each per sample with its gradient with respect to the network's outputs. They plug into
 * `DenseNetwork.trainStep` through a closure (a {@link LossFn}). Browser-safe.
 */
import type { ReferenceStats } from './sampling.js';

/**
 * Deep SAD's loss on a batch of representations φ (rows × cols): with `dist_i = ||φ_i − c||²`, a row labelled 0
 * (unlabelled) costs `dist_i`, a labelled anomaly (1) costs `eta · (dist_i + eps)⁻¹`; the value is the mean over
 * rows. Writes dLoss/dφ into `dOutput` and returns the value. With no label 1 it is Deep SVDD's one-class loss.
 *
 * @example
 * const loss = (out, rows, cols, dOut) => sadLoss(out, rows, cols, centre, batchLabels, 1, 1e-6, dOut);
 */
export function sadLoss(
  output: Float32Array,
  rows: number,
  cols: number,
  centre: Float32Array,
  labels: ArrayLike<number>,
  eta: number,
  eps: number,
  dOutput: Float32Array,
): number {
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let dist = 0;
    for (let j = 0; j < cols; j++) {
      const d = output[o + j] - centre[j];
      dist += d * d;
    }
    // dℓ/d dist: 1 for unlabelled rows, −eta / (dist + eps)² for labelled anomalies; dist/dφ = 2 (φ − c).
    let dDist: number;
    if (labels[i] === 1) {
      total += eta / (dist + eps);
      dDist = -eta / (dist + eps) ** 2;
    } else {
      total += dist;
      dDist = 1;
    }
    const k = (2 * dDist) / rows;
    for (let j = 0; j < cols; j++) dOutput[o + j] = k * (output[o + j] - centre[j]);
  }
  return total / rows;
}

/** Squared distances `||φ_i − c||²` of `rows` representations (rows × cols) to the centre: Deep SAD's scores. */
export function squaredDistances(
  output: Float32Array,
  rows: number,
  cols: number,
  centre: Float32Array,
  out = new Float32Array(rows),
): Float32Array {
  for (let i = 0; i < rows; i++) {
    let dist = 0;
    for (let j = 0; j < cols; j++) {
      const d = output[i * cols + j] - centre[j];
      dist += d * d;
    }
    out[i] = dist;
  }
  return out;
}

/**
 * DevNet's deviation loss, per sample as in the paper: with `dev_i = (s_i − μ_R) / σ_R` (the reference scores'
 * mean and standard deviation), a row labelled 0 costs `|dev_i|` and a labelled anomaly (1) costs
 * `max(0, margin − dev_i)`; the value is the mean over rows. `scores` holds one output per row. Writes
 * dLoss/dScore into `dOutput` (the subgradient 0 at the kinks, as TensorFlow's) and returns the value.
 *
 * Each row is paired with its own label: DeepOD's version pairs a (B, 1) output with (B,) labels, so it
 * broadcasts to (B, B) and trains every row against the batch's mean label.
 *
 * @example
 * const ref = referenceScores(rng);                        // N(0, 1), 5,000 per batch
 * const loss = (out, rows, _cols, dOut) => deviationLoss(out, rows, batchLabels, ref, 5, dOut);
 */
export function deviationLoss(
  scores: Float32Array,
  rows: number,
  labels: ArrayLike<number>,
  reference: ReferenceStats,
  margin: number,
  dOutput: Float32Array,
): number {
  const { mean, std } = reference;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const dev = (scores[i] - mean) / std;
    let dDev: number;
    if (labels[i] === 1) {
      const gap = margin - dev;
      total += Math.max(gap, 0);
      dDev = gap > 0 ? -1 : 0;
    } else {
      total += Math.abs(dev);
      dDev = Math.sign(dev);
    }
    dOutput[i] = dDev / std / rows;
  }
  return total / rows;
}

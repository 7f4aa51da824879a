/**
 * FeaWAD's end-to-end loss (Zhou et al., "Feature Encoding with Autoencoders for Weakly Supervised Anomaly
 * Detection", IEEE TNNLS 2021): DevNet's deviation loss on the anomaly score plus a reconstruction term that keeps
 * the autoencoder's error small on unlabelled rows and at least the margin on labelled anomalies. Per sample, with
 * its gradients with respect to the scores and the reconstruction errors. Browser-safe.
 */
import { ValidationError } from '@abc/core';
import type { ReferenceStats } from './sampling.js';
import { deviationLoss } from './semi-losses.js';

/** The per-term values of one {@link feawadLoss} call (batch means). */
export interface FeaWADLossParts {
  /** The whole loss: `deviation + reconstruction`. */
  total: number;
  /** The mean deviation-loss term. */
  deviation: number;
  /** The mean reconstruction term. */
  reconstruction: number;
}

/**
 * FeaWAD's loss on a batch, per sample as the paper defines it: with `dev_i = (s_i − μ_R) / σ_R` (the reference
 * scores' mean and standard deviation) and `e_i = ||x_i − x̂_i||₂` the row's reconstruction error, a row labelled
 * 0 (unlabelled) costs `|dev_i| + e_i` and a labelled anomaly (1) costs `max(0, a − dev_i) + max(0, a − e_i)`;
 * the value is the mean over the rows. Each row is paired with its own label (no (B, B) broadcasting).
 *
 * Writes dLoss/ds into `dScores` and dLoss/de into `dErrors` (the subgradient 0 at the kinks, as PyTorch's and
 * TensorFlow's `max` and `abs` give) and returns the value with its two terms.
 *
 * The original Keras code and DeepOD put the norm of the *normalised* residual (1 by construction) where the
 * paper has e, which makes the reconstruction term a constant; this is the paper's term.
 *
 * @example
 * const ref = referenceScores(rng);                                   // N(0, 1), 5,000 per batch
 * const { total } = feawadLoss(scores, errors, rows, batchLabels, ref, 5, dScores, dErrors);
 */
export function feawadLoss(
  scores: Float32Array,
  errors: ArrayLike<number>,
  rows: number,
  labels: ArrayLike<number>,
  reference: ReferenceStats,
  margin: number,
  dScores: Float32Array,
  dErrors: Float64Array,
): FeaWADLossParts {
  if (!Number.isInteger(rows) || rows < 1 || scores.length < rows || errors.length < rows || labels.length < rows) {
    throw new ValidationError(
      'shape',
      `feawadLoss: rows must be a positive integer no larger than the scores, errors and labels (${scores.length}, ${errors.length}, ${labels.length}), got ${rows}`,
    );
  }
  if (dScores.length < rows || dErrors.length < rows) {
    throw new ValidationError(
      'shape',
      `feawadLoss: dScores and dErrors need ${rows} values, got ${dScores.length} and ${dErrors.length}`,
    );
  }
  if (!(margin > 0)) throw new ValidationError('param', `feawadLoss: margin must be > 0, got ${margin}`);
  if (!(reference.std > 0)) throw new ValidationError('param', `feawadLoss: the reference std must be > 0, got ${reference.std}`);
  const deviation = deviationLoss(scores, rows, labels, reference, margin, dScores);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const e = errors[i];
    if (labels[i] === 1) {
      const gap = margin - e;
      total += Math.max(gap, 0);
      dErrors[i] = gap > 0 ? -1 / rows : 0;
    } else {
      total += e;
      dErrors[i] = 1 / rows;
    }
  }
  const reconstruction = total / rows;
  return { total: deviation + reconstruction, deviation, reconstruction };
}

/**
 * Batch sampling for semi-supervised training: class-balanced batches (DevNet's: half labelled anomalies, drawn
 * with replacement) and the N(0, 1) reference scores of DevNet's deviation loss. Every draw comes from the seeded
 * generator passed in. Browser-safe.
 */
import { ValidationError, type Random } from '@abc/core';

/**
 * Class-balanced batches as the original DevNet's `input_batch_generation_sup` (Pang et al., KDD 2019): position
 * k of a batch is an unlabelled (label 0) row when k is even and a labelled anomaly (label 1) when k is odd, each
 * drawn uniformly with replacement from its class. So a batch is half anomalies however few are labelled.
 *
 * @example
 * const sampler = new BalancedBatchSampler(y);            // y: 1 = labelled anomaly
 * const idx = sampler.sample(rng, 512);                  // Uint32Array of row indices
 * const isAnomaly = sampler.labelAt(3);                  // 1: odd positions are anomalies
 */
export class BalancedBatchSampler {
  /** Rows labelled 0 (unlabelled or normal). */
  readonly normals: Uint32Array;
  /** Rows labelled 1 (labelled anomalies). */
  readonly anomalies: Uint32Array;

  constructor(labels: ArrayLike<number>) {
    const normals: number[] = [];
    const anomalies: number[] = [];
    for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? anomalies : normals).push(i);
    if (normals.length === 0 || anomalies.length === 0) {
      throw new ValidationError(
        'labels',
        `BalancedBatchSampler: needs rows of both labels, got ${normals.length} labelled 0 and ${anomalies.length} labelled 1`,
      );
    }
    this.normals = Uint32Array.from(normals);
    this.anomalies = Uint32Array.from(anomalies);
  }

  /** The label of batch position k: 0 for even k, 1 for odd k. */
  labelAt(k: number): 0 | 1 {
    return (k & 1) as 0 | 1;
  }

  /** Fills `out` (default a new array) with `batchSize` row indices, alternating normal and anomaly. */
  sample(rng: Random, batchSize: number, out: Uint32Array = new Uint32Array(batchSize)): Uint32Array {
    if (!Number.isInteger(batchSize) || batchSize < 1 || out.length < batchSize) {
      throw new ValidationError(
        'param',
        `BalancedBatchSampler.sample: batchSize must be a positive integer <= out.length, got ${batchSize}`,
      );
    }
    for (let k = 0; k < batchSize; k++) {
      const pool = k & 1 ? this.anomalies : this.normals;
      out[k] = pool[rng.int(pool.length)];
    }
    return out;
  }
}

/** The mean and the population standard deviation (ddof 0, Keras' `K.std`) of reference scores. */
export interface ReferenceStats {
  mean: number;
  std: number;
}

/**
 * `count` reference scores drawn from N(0, 1) (DevNet's prior; 5,000 per batch in the paper) into `out` (default a
 * new Float64Array), and their mean and population standard deviation.
 *
 * @example
 * const { mean, std } = referenceScores(rng);            // a fresh draw for each batch
 */
export function referenceScores(
  rng: Random,
  count = 5000,
  out: Float64Array = new Float64Array(count),
): ReferenceStats & { scores: Float64Array } {
  if (!Number.isInteger(count) || count < 2 || out.length < count) {
    throw new ValidationError('param', `referenceScores: count must be an integer >= 2 and <= out.length, got ${count}`);
  }
  let sum = 0;
  for (let i = 0; i < count; i++) sum += out[i] = rng.normal(0, 1);
  const mean = sum / count;
  let ss = 0;
  for (let i = 0; i < count; i++) ss += (out[i] - mean) ** 2;
  return { scores: out, mean, std: Math.sqrt(ss / count) };
}

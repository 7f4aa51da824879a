/**
 * PReNet's pair batches (Pang et al., KDD 2023): which rows of the training data form each pair of a batch, and
 * each pair's target relation. Every draw comes from the seeded generator passed in. Browser-safe.
 */
import { ValidationError, type Random } from '@abc/core';

/** The target relation scores of the three kinds of pairs (the paper's c₁ > c₂ > c₃; 8, 4, 0 by default). */
export interface RelationTargets {
  /** anomaly-anomaly */
  aa: number;
  /** anomaly-unlabelled */
  au: number;
  /** unlabelled-unlabelled */
  uu: number;
}

/** How many pairs of each kind a batch of `batchSize` holds, in batch order: uu first, then au, then aa. */
export interface PairLayout {
  uu: number;
  au: number;
  aa: number;
}

/**
 * The batch layout of the authors' `pair_batch_generation`: with b = ⌊B/4⌋, the first 2b pairs are
 * unlabelled-unlabelled, the next b anomaly-unlabelled, and the remaining B − 3b anomaly-anomaly, so half of a batch
 * pairs unlabelled rows and a quarter each involve one or two labelled anomalies, however few are labelled.
 *
 * @example
 * pairLayout(512);   // { uu: 256, au: 128, aa: 128 }
 */
export function pairLayout(batchSize: number): PairLayout {
  if (!Number.isInteger(batchSize) || batchSize < 4) {
    throw new ValidationError('param', `pairLayout: batchSize must be an integer >= 4 (one pair of each kind), got ${batchSize}`);
  }
  const b = Math.floor(batchSize / 4);
  return { uu: 2 * b, au: b, aa: batchSize - 3 * b };
}

/**
 * The target of every position of a batch of `batchSize` pairs ({@link pairLayout}'s order).
 *
 * @example
 * pairTargets(8, { aa: 8, au: 4, uu: 0 });   // Float32Array [0, 0, 0, 0, 4, 4, 8, 8]
 */
export function pairTargets(batchSize: number, targets: RelationTargets): Float32Array {
  const { uu, au } = pairLayout(batchSize);
  const out = new Float32Array(batchSize);
  for (let k = 0; k < batchSize; k++) out[k] = k < uu ? targets.uu : k < uu + au ? targets.au : targets.aa;
  return out;
}

/**
 * Draws PReNet's pairs of training rows. Position k of a batch ({@link pairLayout}) pairs two distinct unlabelled
 * rows (uu), a labelled anomaly with an unlabelled row (au, the anomaly first, as the paper writes (a, u)), or two
 * distinct labelled anomalies (aa); rows are drawn uniformly, independently from pair to pair. With a single
 * labelled anomaly (or a single unlabelled row) its aa (uu) pairs repeat that row.
 *
 * The authors' code draws the uu rows of a batch without replacement (it fails with fewer unlabelled rows than a
 * batch holds) and writes the mixed pairs as (u, a), scoring with (u, x) and (x, a) pairs to match; we follow the
 * paper's (a, u) orientation, which mirrors it.
 *
 * @example
 * const sampler = new PairSampler(y);                     // y: 1 = labelled anomaly, 0 = unlabelled
 * const first = new Uint32Array(512), second = new Uint32Array(512);
 * sampler.sample(rng, 512, first, second);                // row indices of each pair's two inputs
 */
export class PairSampler {
  /** Rows labelled 0 (unlabelled). */
  readonly unlabelled: Uint32Array;
  /** Rows labelled 1 (labelled anomalies). */
  readonly anomalies: Uint32Array;

  constructor(labels: ArrayLike<number>) {
    const u: number[] = [];
    const a: number[] = [];
    for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? a : u).push(i);
    if (u.length === 0 || a.length === 0) {
      throw new ValidationError(
        'labels',
        `PReNet: needs unlabelled rows (0) and at least one labelled anomaly (1), got ${u.length} labelled 0 and ${a.length} labelled 1`,
      );
    }
    this.unlabelled = Uint32Array.from(u);
    this.anomalies = Uint32Array.from(a);
  }

  /** Fills `first[0 .. batchSize)` and `second[0 .. batchSize)` with the row indices of a batch's pairs. */
  sample(rng: Random, batchSize: number, first: Uint32Array, second: Uint32Array): void {
    const { uu, au } = pairLayout(batchSize);
    if (first.length < batchSize || second.length < batchSize) {
      throw new ValidationError('param', `PairSampler.sample: first and second need room for ${batchSize} indices`);
    }
    const U = this.unlabelled;
    const A = this.anomalies;
    for (let k = 0; k < batchSize; k++) {
      if (k < uu) distinctPair(rng, U, first, second, k);
      else if (k < uu + au) {
        first[k] = A[rng.int(A.length)];
        second[k] = U[rng.int(U.length)];
      } else distinctPair(rng, A, first, second, k);
    }
  }

  /**
   * `count` rows drawn uniformly with replacement from the labelled anomalies and `count` from the unlabelled rows:
   * the references a new row is scored against.
   */
  references(rng: Random, count: number): { anomalies: Uint32Array; unlabelled: Uint32Array } {
    const anomalies = new Uint32Array(count);
    const unlabelled = new Uint32Array(count);
    for (let e = 0; e < count; e++) {
      anomalies[e] = this.anomalies[rng.int(this.anomalies.length)];
      unlabelled[e] = this.unlabelled[rng.int(this.unlabelled.length)];
    }
    return { anomalies, unlabelled };
  }
}

/** Two distinct members of `pool` (the same one twice when it has one) into position k. */
function distinctPair(rng: Random, pool: Uint32Array, first: Uint32Array, second: Uint32Array, k: number): void {
  const n = pool.length;
  const i = rng.int(n);
  let j = i;
  if (n > 1) {
    j = rng.int(n - 1);
    if (j >= i) j++;
  }
  first[k] = pool[i];
  second[k] = pool[j];
}

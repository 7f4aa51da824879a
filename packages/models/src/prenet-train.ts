/**
 * PReNet's training loop (Pang et al., KDD 2023, and the authors' Keras code): batches of pairs, the absolute
 * relation loss, RMSprop with a global gradient-norm clip and an L2 penalty on the feature learner's weights.
 * Separate from the detector so that a test can replay a reference's batches through the very same loop.
 */
import type { Matrix } from '@abc/core';
import { type PairNetwork, relationLoss, RMSprop, withL2, type Optimizer, type ParamRange } from '@abc/engine';
import { pairTargets, type RelationTargets } from './prenet-pairs.js';
import { yieldToEventLoop } from './semi-common.js';

/** One epoch of a PReNet fit: the mean relation loss of its batches (without the L2 penalty). */
export interface PReNetEpoch {
  epoch: number;
  loss: number;
}

/** What the loop needs from PReNet's parameters. */
export interface PReNetTrainOptions {
  lr: number;
  clipnorm: number;
  /** Keras' `regularizers.l2` coefficient on the feature learner's weights. */
  l2: number;
  epochs: number;
  batchesPerEpoch: number;
  batchSize: number;
  targets: RelationTargets;
}

/**
 * Fills `first` and `second` (batchSize each) with the row indices of batch number `batch` (0, 1, ... over the
 * whole fit), in {@link pairLayout}'s order.
 */
export type PairSource = (batch: number, first: Uint32Array, second: Uint32Array) => void;

/** Hooks of {@link trainPReNet}: an abort check after every batch and a callback after every epoch. */
export interface PReNetTrainHooks {
  checkAborted?(): void;
  onEpoch?(record: PReNetEpoch, totalEpochs: number): void;
}

/**
 * The authors' optimizer: Keras' `RMSprop(clipnorm=1.)` (lr 0.001, rho 0.9, epsilon 1e-7, the norm over every
 * gradient together) on the gradient of the loss plus `l2 · Σ W²` over the feature learner's weights (its
 * `kernel_regularizer`; none on biases or on the relation head).
 *
 * @example
 * const opt = prenetOptimizer(net, { lr: 1e-3, clipnorm: 1, l2: 0.01 });
 */
export function prenetOptimizer(net: PairNetwork, o: Pick<PReNetTrainOptions, 'lr' | 'clipnorm' | 'l2'>): Optimizer {
  const weights: ParamRange[] = net.feature.layers.map((L) => ({ offset: L.wOffset, length: L.inputSize * L.outputSize }));
  return withL2(new RMSprop(net.size, { lr: o.lr, clipnorm: o.clipnorm }), o.l2, weights);
}

/**
 * Trains `net` for `epochs × batchesPerEpoch` batches of pairs of X's rows given by `source`, each pair against its
 * target ({@link pairTargets}). Returns the per-epoch mean loss; stops early (after recording it) when the loss is
 * not finite.
 *
 * @example
 * const history = await trainPReNet(net, X, (_b, f, s) => sampler.sample(rng, B, f, s), options);
 */
export async function trainPReNet(
  net: PairNetwork,
  X: Matrix,
  source: PairSource,
  o: PReNetTrainOptions,
  hooks: PReNetTrainHooks = {},
): Promise<PReNetEpoch[]> {
  const B = o.batchSize;
  const d = X.cols;
  const targets = pairTargets(B, o.targets);
  const first = new Uint32Array(B);
  const second = new Uint32Array(B);
  const pairs = new Float32Array(2 * B * d);
  const opt = prenetOptimizer(net, o);
  const loss = (out: Float32Array, rows: number, _cols: number, dOut: Float32Array): number =>
    relationLoss(out, rows, targets, dOut);
  const history: PReNetEpoch[] = [];
  let batch = 0;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    let sum = 0;
    for (let b = 0; b < o.batchesPerEpoch; b++) {
      source(batch++, first, second);
      for (let k = 0; k < B; k++) {
        pairs.set(X.data.subarray(first[k] * d, (first[k] + 1) * d), k * d);
        pairs.set(X.data.subarray(second[k] * d, (second[k] + 1) * d), (B + k) * d);
      }
      sum += net.trainStep(pairs, B, loss, opt);
      hooks.checkAborted?.();
    }
    const record = { epoch, loss: sum / o.batchesPerEpoch };
    history.push(record);
    if (!Number.isFinite(record.loss)) break; // diverged: stop rather than train on NaN
    hooks.onEpoch?.(record, o.epochs);
    await yieldToEventLoop();
  }
  return history;
}

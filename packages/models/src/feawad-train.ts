/**
 * FeaWAD's two-stage training (Zhou et al., IEEE TNNLS 2021, and the authors' code): stage 1 pre-trains the
 * autoencoder with the mean squared error on batches of unlabelled rows; stage 2 trains the whole network end to
 * end with FeaWAD's loss on class-balanced batches (half labelled anomalies), fresh Adam optimizers in each stage.
 * Which rows form a batch and which reference scores it gets come from a {@link FeaWADBatches}, so a test can
 * replay another implementation's draws. Internal to this package.
 */
import type { Labels, Matrix, Random } from '@abc/core';
import { BalancedBatchSampler, referenceScores, type ReferenceStats } from '@abc/engine';
import type { FeaWADNetwork } from './feawad-net.js';
import { gatherRows, yieldToEventLoop } from './semi-common.js';

/** Where the batches and reference scores of a FeaWAD fit come from. */
export interface FeaWADBatches {
  /** Fills `out[0 .. size)` with the rows of the next pre-training batch. */
  pretrain(out: Uint32Array, size: number): void;
  /** Fills `out[0 .. size)` with the rows of the next end-to-end batch. */
  train(out: Uint32Array, size: number): void;
  /** The reference statistics (μ_R, σ_R) of the next end-to-end batch. */
  reference(): ReferenceStats;
}

/**
 * The original code's draws, from the seeded generator: pre-training batches uniformly with replacement from the
 * rows labelled 0, end-to-end batches alternating a row labelled 0 (even positions) and a labelled anomaly (odd),
 * each with replacement, and `nReference` fresh N(0, 1) reference scores per end-to-end batch.
 *
 * @example
 * const batches = randomFeaWADBatches(rng, y, 5000);
 */
export function randomFeaWADBatches(rng: Random, y: Labels, nReference: number): FeaWADBatches {
  const sampler = new BalancedBatchSampler(y);
  const pool = sampler.normals;
  const refBuffer = new Float64Array(nReference);
  return {
    pretrain(out, size) {
      for (let k = 0; k < size; k++) out[k] = pool[rng.int(pool.length)];
    },
    train(out, size) {
      sampler.sample(rng, size, out);
    },
    reference() {
      return referenceScores(rng, nReference, refBuffer);
    },
  };
}

/** The schedule and hyper-parameters of a FeaWAD fit. */
export interface FeaWADSchedule {
  aeEpochs: number;
  epochs: number;
  batchesPerEpoch: number;
  batchSize: number;
  aeLr: number;
  lr: number;
  margin: number;
}

/** One epoch of a FeaWAD fit: the mean loss of its batches (stage 2 also its two terms). */
export interface FeaWADEpoch {
  phase: 'pretrain' | 'train';
  epoch: number;
  loss: number;
  /** Stage 2: the mean deviation-loss term. */
  deviation?: number;
  /** Stage 2: the mean reconstruction term. */
  reconstruction?: number;
}

/** What the training loop reports to and asks of its caller (a detector's fit context, or a test). */
export interface FeaWADHooks {
  /** Called after every epoch. */
  onEpoch?(record: FeaWADEpoch, step: number, totalSteps: number): void;
  /** Throws to stop (called after every batch). */
  checkAborted?(): void;
}

/**
 * Trains `net` in place: `aeEpochs` epochs of pre-training, then `epochs` end-to-end epochs, each of
 * `batchesPerEpoch` batches of `batchSize` rows. Returns the per-epoch history. Stops early when an end-to-end
 * epoch's loss is not finite (diverged).
 *
 * @example
 * const history = await trainFeaWAD(net, X, y, schedule, randomFeaWADBatches(rng, y, 5000));
 */
export async function trainFeaWAD(
  net: FeaWADNetwork,
  X: Matrix,
  y: Labels,
  s: FeaWADSchedule,
  batches: FeaWADBatches,
  hooks: FeaWADHooks = {},
): Promise<FeaWADEpoch[]> {
  const B = s.batchSize;
  const idx = new Uint32Array(B);
  const xb = new Float32Array(B * X.cols);
  const yb = new Uint8Array(B);
  const history: FeaWADEpoch[] = [];
  const totalSteps = s.aeEpochs + s.epochs;
  const encOpt = net.encoder.createAdam({ lr: s.aeLr });
  const decOpt = net.decoder.createAdam({ lr: s.aeLr });
  for (let epoch = 1; epoch <= s.aeEpochs; epoch++) {
    let sum = 0;
    for (let b = 0; b < s.batchesPerEpoch; b++) {
      batches.pretrain(idx, B);
      gatherRows(X, idx, B, xb);
      sum += net.pretrainStep(xb, B, encOpt, decOpt);
      hooks.checkAborted?.();
    }
    const record: FeaWADEpoch = { phase: 'pretrain', epoch, loss: sum / s.batchesPerEpoch };
    history.push(record);
    hooks.onEpoch?.(record, epoch, totalSteps);
    await yieldToEventLoop();
  }
  // Stage 2 compiles a new model in the original: fresh Adam moments for every part.
  const opts = net.parts.map((p) => p.createAdam({ lr: s.lr }));
  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    let sum = 0;
    let dev = 0;
    let rec = 0;
    for (let b = 0; b < s.batchesPerEpoch; b++) {
      batches.train(idx, B);
      gatherRows(X, idx, B, xb);
      for (let k = 0; k < B; k++) yb[k] = y[idx[k]];
      const parts = net.trainStep(xb, B, yb, batches.reference(), s.margin, opts);
      sum += parts.total;
      dev += parts.deviation;
      rec += parts.reconstruction;
      hooks.checkAborted?.();
    }
    const n = s.batchesPerEpoch;
    const record: FeaWADEpoch = { phase: 'train', epoch, loss: sum / n, deviation: dev / n, reconstruction: rec / n };
    history.push(record);
    if (!Number.isFinite(record.loss)) break; // diverged: stop rather than train on NaN
    hooks.onEpoch?.(record, s.aeEpochs + epoch, totalSteps);
    await yieldToEventLoop();
  }
  return history;
}

/**
 * RoSAS's training (Xu et al., IP&M 2023, and the authors' code): per batch, the triplet loss on the representations
 * of (unlabelled anchor, unlabelled positive, labelled anomaly), the mass-interpolation score loss on the batch's
 * mixed rows, weighted dynamically against their previous epoch's means, plus the code's penalty on the summed
 * representations; Adam with coupled weight decay. One forward pass per step covers the 3B rows and their 3B mixes
 * (the scores of a permuted batch are the permuted scores). Batches come from a {@link RoSASBatches}, so a test can
 * replay another implementation's draws. Internal to this package.
 */
import type { Matrix } from '@abc/core';
import { dynamicLossWeights, mixupScoreLoss, summedNormPenalty, tripletMarginLoss, withL2, type Optimizer } from '@abc/engine';
import { allocateRoSASBatch, type RoSASBatch, type RoSASBatches } from './rosas-batches.js';
import type { RoSASNetwork } from './rosas-net.js';
import { yieldToEventLoop } from './semi-common.js';

/** The score targets of the original: −1 for an unlabelled row, +1 for a labelled anomaly. */
export const ROSAS_TARGETS = { unlabelled: -1, anomaly: 1 } as const;

/** The hyper-parameters of the loss. */
export interface RoSASLossOptions {
  /** Margin m of the triplet loss. */
  margin: number;
  /** Temperature T of the dynamic weighting. */
  temperature: number;
  /** 'dynamic': the paper's weighting; 'fixed': ½ and ½ (DeepOD's). */
  weighting: 'dynamic' | 'fixed';
  /** Coefficient of `||A + P + N||₂` (the authors' code: 0.01; 0 leaves it out). */
  embeddingPenalty: number;
}

/** The schedule and hyper-parameters of a RoSAS fit. */
export interface RoSASSchedule extends RoSASLossOptions {
  epochs: number;
  batchesPerEpoch: number;
  /** B: triplets per batch. */
  batchSize: number;
  /** k: rows per mixed row. */
  mixSize: number;
  lr: number;
  /** PyTorch Adam's coupled `weight_decay` on every parameter. */
  weightDecay: number;
}

/** The value of one batch's loss and its terms. */
export interface RoSASLossParts {
  /** The whole loss: `w_f · triplet + w_s · score + c · penalty`. */
  loss: number;
  /** The triplet (feature-learning) term. */
  triplet: number;
  /** The score term: `target + consistency`. */
  score: number;
  /** ℓ(s(x̃), ỹ). */
  target: number;
  /** ℓ(s(x̃), Σ λ s(x)). */
  consistency: number;
  /** `||A + P + N||₂` (before its coefficient; reported also when the coefficient is 0). */
  penalty: number;
}

/** One epoch of a RoSAS fit: the mean of every part over its batches. */
export interface RoSASEpoch extends RoSASLossParts {
  epoch: number;
}

/** Hooks of {@link trainRoSAS}: an abort check after every batch and a callback after every epoch. */
export interface RoSASHooks {
  checkAborted?(): void;
  onEpoch?(record: RoSASEpoch, totalEpochs: number): void;
}

/** Buffers for {@link rosasLossAndGradients}, sized for B triplets and k-row mixes of D features. */
export class RoSASWorkspace {
  /** The 3B rows [anchors, positives, negatives] then their 3B mixes (6B × D). */
  readonly rows: Float32Array;
  readonly targets: Float32Array;
  readonly dScores: Float32Array;
  readonly dEmb: Float32Array;
  readonly dSum: Float32Array;

  constructor(
    readonly batchSize: number,
    readonly mixSize: number,
    readonly inputSize: number,
    readonly embeddingSize: number,
  ) {
    const n = 3 * batchSize;
    this.rows = new Float32Array(2 * n * inputSize);
    this.targets = new Float32Array(n);
    for (let r = 0; r < n; r++) this.targets[r] = r < 2 * batchSize ? ROSAS_TARGETS.unlabelled : ROSAS_TARGETS.anomaly;
    this.dScores = new Float32Array(2 * n);
    this.dEmb = new Float32Array(n * embeddingSize);
    this.dSum = new Float32Array(batchSize * embeddingSize);
  }

  /** Copies the batch's 3B rows of X and writes their mixes `x̃_r = Σ_m λ_{m,r} x_{π_m(r)}` after them. */
  assemble(X: Matrix, batch: RoSASBatch): Float32Array {
    const D = this.inputSize;
    const B = this.batchSize;
    const n = 3 * B;
    const xb = this.rows;
    const parts = [batch.anchors, batch.positives, batch.negatives];
    for (let p = 0; p < 3; p++) {
      for (let j = 0; j < B; j++) {
        const i = parts[p][j];
        xb.set(X.data.subarray(i * D, (i + 1) * D), (p * B + j) * D);
      }
    }
    for (let r = 0; r < n; r++) {
      const o = (n + r) * D;
      xb.fill(0, o, o + D);
      for (let m = 0; m < this.mixSize; m++) {
        const l = batch.lambdas[m * n + r];
        const src = batch.partners[m * n + r] * D;
        for (let j = 0; j < D; j++) xb[o + j] += l * xb[src + j];
      }
    }
    return xb;
  }
}

/**
 * The loss of one batch (already assembled in `ws.rows`) and its gradient, left in the `grads` of both parts of
 * `net` (no update). `previous` holds the previous epoch's mean triplet and score terms (1 and 1 in the first epoch).
 *
 * @example
 * ws.assemble(X, batch);
 * const parts = rosasLossAndGradients(net, ws, batch, options, [1, 1]);
 */
export function rosasLossAndGradients(
  net: RoSASNetwork,
  ws: RoSASWorkspace,
  batch: RoSASBatch,
  o: RoSASLossOptions,
  previous: readonly [number, number],
): RoSASLossParts {
  const B = ws.batchSize;
  const n = 3 * B;
  const E = ws.embeddingSize;
  const { embeddings, scores } = net.forward(ws.rows, 0, 2 * n);
  const block = (k: number) => embeddings.subarray(k * B * E, (k + 1) * B * E);
  const dE = ws.dEmb;
  const dBlock = (k: number) => dE.subarray(k * B * E, (k + 1) * B * E);
  const triplet = tripletMarginLoss(block(0), block(1), block(2), B, E, o.margin, dBlock(0), dBlock(1), dBlock(2));
  const penalty = summedNormPenalty(block(0), block(1), block(2), B, E, ws.dSum);
  const dS = ws.dScores;
  const { target, consistency } = mixupScoreLoss(
    scores.subarray(0, n),
    scores.subarray(n, 2 * n),
    n,
    ws.mixSize,
    batch.partners,
    batch.lambdas,
    ws.targets,
    dS.subarray(0, n),
    dS.subarray(n, 2 * n),
  );
  const score = target + consistency;
  const w =
    o.weighting === 'dynamic'
      ? dynamicLossWeights([triplet, score], previous, o.temperature)
      : { total: 0.5 * triplet + 0.5 * score, grads: [0.5, 0.5] };
  const [gT, gS] = w.grads;
  for (let r = 0; r < 2 * n; r++) dS[r] *= gS;
  for (let k = 0; k < n * E; k++) dE[k] *= gT;
  if (o.embeddingPenalty > 0) {
    const c = o.embeddingPenalty;
    for (let p = 0; p < 3; p++) for (let k = 0; k < B * E; k++) dE[p * B * E + k] += c * ws.dSum[k];
  }
  net.backward(dS, dE, n);
  return { loss: w.total + o.embeddingPenalty * penalty, triplet, score, target, consistency, penalty };
}

/**
 * The original's optimizer for each part: PyTorch's Adam (β 0.9, 0.999, ε 1e-8) with coupled `weight_decay`
 * (gradient `wd · p` on every parameter, biases too).
 *
 * @example
 * const opts = rosasOptimizers(net, 0.005, 1e-4);
 */
export function rosasOptimizers(net: RoSASNetwork, lr: number, weightDecay: number): Optimizer[] {
  return net.parts.map((p) => withL2(p.createAdam({ lr }), weightDecay / 2));
}

/**
 * Trains `net` in place for `epochs × batchesPerEpoch` batches from `batches`. Returns the per-epoch means; stops
 * early (after recording it) when an epoch's loss is not finite.
 *
 * @example
 * const history = await trainRoSAS(net, X, schedule, randomRoSASBatches(rng, y, schedule));
 */
export async function trainRoSAS(
  net: RoSASNetwork,
  X: Matrix,
  s: RoSASSchedule,
  batches: RoSASBatches,
  hooks: RoSASHooks = {},
): Promise<RoSASEpoch[]> {
  const ws = new RoSASWorkspace(s.batchSize, s.mixSize, X.cols, net.embeddingSize);
  const batch = allocateRoSASBatch(s.batchSize, s.mixSize);
  const opts = rosasOptimizers(net, s.lr, s.weightDecay);
  const parts = net.parts;
  const history: RoSASEpoch[] = [];
  let previous: [number, number] = [1, 1];
  const keys = ['loss', 'triplet', 'score', 'target', 'consistency', 'penalty'] as const;
  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    const sum = { loss: 0, triplet: 0, score: 0, target: 0, consistency: 0, penalty: 0 };
    for (let b = 0; b < s.batchesPerEpoch; b++) {
      batches.next(batch);
      ws.assemble(X, batch);
      const r = rosasLossAndGradients(net, ws, batch, s, previous);
      for (let k = 0; k < parts.length; k++) opts[k].step(parts[k].params, parts[k].grads);
      for (const key of keys) sum[key] += r[key];
      hooks.checkAborted?.();
    }
    const nb = s.batchesPerEpoch;
    const record: RoSASEpoch = { epoch, ...sum };
    for (const key of keys) record[key] = sum[key] / nb;
    history.push(record);
    if (!Number.isFinite(record.loss)) break; // diverged: stop rather than train on NaN
    previous = [record.triplet, record.score];
    hooks.onEpoch?.(record, s.epochs);
    await yieldToEventLoop();
  }
  return history;
}

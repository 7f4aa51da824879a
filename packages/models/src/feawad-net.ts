/**
 * FeaWAD's network (Zhou et al., IEEE TNNLS 2021): an autoencoder whose hidden representation h, normalised
 * reconstruction residual r / ||r|| and reconstruction error e = ||r|| (r = x − x̂) feed a scoring MLP that also
 * takes e at the input of every later layer. Forward and manual backward through all of it, on the dense engine.
 * Internal to this package (the `feawad` detector uses it).
 */
import { ValidationError, type Activation, type Random } from '@abc/core';
import {
  DenseNetwork,
  feawadLoss,
  ReconstructionObjective,
  type FeaWADLossParts,
  type NetworkSpec,
  type Optimizer,
  type ReferenceStats,
} from '@abc/engine';

/**
 * The floor of ||r|| in the normalisation `r / max(||r||, eps)` (PyTorch's `F.normalize` default), so that a
 * perfectly reconstructed row gives a zero direction rather than NaN.
 */
export const RESIDUAL_EPS = 1e-12;

/** The sizes and activations of a FeaWAD network. */
export interface FeaWADArchitecture {
  /** Number of input features D. */
  inputSize: number;
  /** Start the encoder with a dense layer of D units (the original Keras code's `ain` layer). */
  inputLayer: boolean;
  /** Encoder layers after the input layer; the last one is the hidden representation h. */
  hidden: readonly number[];
  /** Hidden layers of the scoring network (e is appended to the input of each following layer). */
  headHidden: readonly number[];
  /** Activation of every hidden layer (encoder, decoder, scoring network). */
  activation: Activation;
  /** Activation of the decoder's output layer. */
  outputActivation: Activation;
}

/**
 * The three parts' specs: the encoder `[D, (D), ...hidden]`, the decoder `[h, ...hidden without its last, reversed,
 * D]` (the original's decoder mirrors the encoder but not its input layer) and one single-layer network per scoring
 * layer: `[D + h + 1, headHidden[0]]`, then `[headHidden[k − 1] + 1, headHidden[k]]`, and a linear `[· + 1, 1]`.
 *
 * @example
 * feawadSpecs({ inputSize: 6, inputLayer: true, hidden: [128, 64], headHidden: [256, 32], activation: 'relu', outputActivation: 'linear' });
 */
export function feawadSpecs(arch: FeaWADArchitecture): { encoder: NetworkSpec; decoder: NetworkSpec; head: NetworkSpec[] } {
  const { inputSize: D, hidden, headHidden, activation: act } = arch;
  if (hidden.length === 0) throw new ValidationError('param', 'FeaWAD: hidden needs at least one layer (the representation)');
  const encSizes = [D, ...(arch.inputLayer ? [D] : []), ...hidden];
  const encoder: NetworkSpec = { sizes: encSizes, activations: encSizes.slice(1).map(() => act) };
  const H = hidden[hidden.length - 1];
  const back = hidden.slice(0, -1).reverse();
  const decoder: NetworkSpec = {
    sizes: [H, ...back, D],
    activations: [...back.map(() => act), arch.outputActivation],
  };
  const head: NetworkSpec[] = [];
  let width = D + H + 1;
  for (const n of headHidden) {
    head.push({ sizes: [width, n], activations: [act] });
    width = n + 1;
  }
  head.push({ sizes: [width, 1], activations: ['linear'] });
  return { encoder, decoder, head };
}

/**
 * Keras' `glorot_normal` (Keras 2.3, the original code's initializer): a normal truncated at two standard
 * deviations, redrawn beyond, with standard deviation `sqrt(2 / (fanIn + fanOut)) / 0.8796…` (the truncation's
 * correction), drawn from the seeded generator in row-major [fanIn, fanOut] order.
 *
 * @example
 * glorotNormal(net.weights(0), 4, 8, rng);
 */
export function glorotNormal(out: Float32Array, fanIn: number, fanOut: number, rng: Random): Float32Array {
  const sd = Math.sqrt(2 / (fanIn + fanOut)) / 0.8796256610342398;
  for (let i = 0; i < fanIn * fanOut; i++) {
    let z = rng.normal(0, 1);
    while (Math.abs(z) > 2) z = rng.normal(0, 1);
    out[i] = z * sd;
  }
  return out;
}

/** The encoder, decoder and scoring layers of a FeaWAD network, with forward and backward passes. */
export class FeaWADNetwork {
  readonly inputSize: number;
  /** Size of the hidden representation h. */
  readonly repSize: number;
  private capacity = 0;
  /** Per row: e = ||x − x̂|| and the normaliser max(e, eps). */
  private errors = new Float64Array(0);
  private norms = new Float64Array(0);
  /** Inputs of the scoring layers ([r̃, h, e], then [a_k, e]) and their gradients. */
  private headIn: Float32Array[] = [];
  private dHeadIn: Float32Array[] = [];
  private dPrev = new Float32Array(0);
  private dhDec = new Float32Array(0);
  private dh = new Float32Array(0);
  private dScores = new Float32Array(0);
  private dErrors = new Float64Array(0);
  /** dLoss/de in total (the loss's own term and every scoring layer's input e). */
  private deTotal = new Float64Array(0);
  /** Rows of the last forward pass. */
  private rows = 0;
  private readonly mse: ReconstructionObjective;

  /**
   * @param encoder `[D, ..., h]`; @param decoder `[h, ..., D]`; @param head the scoring layers, one
   * single-layer network each (see {@link feawadSpecs}).
   */
  constructor(
    readonly encoder: DenseNetwork,
    readonly decoder: DenseNetwork,
    readonly head: readonly DenseNetwork[],
  ) {
    const D = encoder.inputSize;
    const H = encoder.outputSize;
    if (decoder.inputSize !== H || decoder.outputSize !== D) {
      throw new ValidationError(
        'shape',
        `FeaWAD: the decoder must map ${H} to ${D} values, got ${decoder.inputSize} to ${decoder.outputSize}`,
      );
    }
    let width = D + H + 1;
    for (let k = 0; k < head.length; k++) {
      const L = head[k];
      if (L.layers.length !== 1 || L.inputSize !== width) {
        throw new ValidationError(
          'shape',
          `FeaWAD: scoring layer ${k} must be one layer of ${width} inputs, got ${L.layers.length} layers of ${L.inputSize}`,
        );
      }
      width = L.outputSize + 1;
    }
    if (head.length === 0 || head[head.length - 1].outputSize !== 1) {
      throw new ValidationError('shape', 'FeaWAD: the last scoring layer must have one output (the score)');
    }
    this.inputSize = D;
    this.repSize = H;
    this.mse = new ReconstructionObjective('ae', 'meanSquared', D);
  }

  /** A network of the given architecture with zero parameters (see {@link initGlorotNormal}). */
  static create(arch: FeaWADArchitecture): FeaWADNetwork {
    const s = feawadSpecs(arch);
    return new FeaWADNetwork(
      new DenseNetwork(s.encoder),
      new DenseNetwork(s.decoder),
      s.head.map((h) => new DenseNetwork(h)),
    );
  }

  /** Every part: encoder, decoder, then the scoring layers (the order of saved tensors and optimizers). */
  get parts(): DenseNetwork[] {
    return [this.encoder, this.decoder, ...this.head];
  }

  /** Keras' `glorot_normal` weights ({@link glorotNormal}) and zero biases, part by part, layer by layer. */
  initGlorotNormal(rng: Random): this {
    for (const net of this.parts) {
      for (let l = 0; l < net.layers.length; l++) {
        const L = net.layers[l];
        glorotNormal(net.weights(l), L.inputSize, L.outputSize, rng);
        net.biases(l).fill(0);
      }
    }
    return this;
  }

  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    this.capacity = rows;
    this.errors = new Float64Array(rows);
    this.norms = new Float64Array(rows);
    this.headIn = this.head.map((L) => new Float32Array(rows * L.inputSize));
    this.dHeadIn = this.head.map((L) => new Float32Array(rows * L.inputSize));
    this.dPrev = new Float32Array(rows * Math.max(...this.head.map((L) => L.outputSize)));
    this.dhDec = new Float32Array(rows * this.repSize);
    this.dh = new Float32Array(rows * this.repSize);
    this.dScores = new Float32Array(rows);
    this.dErrors = new Float64Array(rows);
    this.deTotal = new Float64Array(rows);
  }

  /**
   * Forward pass of `rows` rows of X from `X[xOffset]`: the scores (a view, valid until the next call) and the
   * reconstruction errors e (same). Keeps what {@link backward} needs.
   */
  forward(X: Float32Array, xOffset: number, rows: number): { scores: Float32Array; errors: Float64Array } {
    this.reserve(rows);
    this.rows = rows;
    const D = this.inputSize;
    const H = this.repSize;
    const h = this.encoder.forward(X, xOffset, rows);
    const xhat = this.decoder.forward(h, 0, rows);
    const in0 = this.headIn[0];
    const w0 = D + H + 1;
    for (let i = 0; i < rows; i++) {
      const x0 = xOffset + i * D;
      const o = i * w0;
      let ss = 0;
      for (let j = 0; j < D; j++) {
        const r = X[x0 + j] - xhat[i * D + j];
        in0[o + j] = r;
        ss += r * r;
      }
      const e = Math.sqrt(ss);
      const n = Math.max(e, RESIDUAL_EPS);
      this.errors[i] = e;
      this.norms[i] = n;
      for (let j = 0; j < D; j++) in0[o + j] /= n;
      in0.set(h.subarray(i * H, (i + 1) * H), o + D);
      in0[o + D + H] = e;
    }
    let out: Float32Array = new Float32Array(0);
    for (let k = 0; k < this.head.length; k++) {
      out = this.head[k].forward(this.headIn[k], 0, rows);
      if (k + 1 < this.head.length) {
        const n = this.head[k].outputSize;
        const next = this.headIn[k + 1];
        for (let i = 0; i < rows; i++) {
          next.set(out.subarray(i * n, (i + 1) * n), i * (n + 1));
          next[i * (n + 1) + n] = this.errors[i];
        }
      }
    }
    return { scores: out, errors: this.errors };
  }

  /**
   * Backward pass after {@link forward}: from dLoss/ds (`dScores`, one per row) and dLoss/de (`dErrors`, the
   * loss's direct dependence on the reconstruction error) fills the `grads` of every part (overwriting them).
   */
  backward(dScores: Float32Array, dErrors: ArrayLike<number>): void {
    const D = this.inputSize;
    const H = this.repSize;
    const rows = this.rows;
    const de = this.deTotal;
    for (let i = 0; i < rows; i++) de[i] = dErrors[i];
    let g: Float32Array = dScores;
    for (let k = this.head.length - 1; k >= 0; k--) {
      const L = this.head[k];
      const w = L.inputSize;
      const dIn = this.dHeadIn[k];
      L.backward(g, dIn);
      // e is the last input of every scoring layer: its gradient adds to dLoss/de.
      for (let i = 0; i < rows; i++) de[i] += dIn[i * w + w - 1];
      if (k > 0) {
        const n = w - 1;
        for (let i = 0; i < rows; i++) this.dPrev.set(dIn.subarray(i * w, i * w + n), i * n);
        g = this.dPrev;
      }
    }
    // Through r̃ = r / max(e, eps) and e = ||r|| to r = x − x̂, hence dx̂ = −dr.
    const dIn0 = this.dHeadIn[0];
    const in0 = this.headIn[0];
    const dXhat = this.decoder.lossGradBuffer(rows);
    const w0 = D + H + 1;
    for (let i = 0; i < rows; i++) {
      const o = i * w0;
      const e = this.errors[i];
      const n = this.norms[i];
      if (e > RESIDUAL_EPS) {
        let dot = 0;
        for (let j = 0; j < D; j++) dot += in0[o + j] * dIn0[o + j];
        for (let j = 0; j < D; j++) {
          const rt = in0[o + j];
          dXhat[i * D + j] = -((dIn0[o + j] - rt * dot) / e + de[i] * rt);
        }
      } else {
        // Below the floor r̃ = r / eps; e's gradient r / e is taken as 0 at r = 0 (PyTorch's norm).
        for (let j = 0; j < D; j++) {
          const r = in0[o + j] * n;
          dXhat[i * D + j] = -(dIn0[o + j] / n + (e > 0 ? (de[i] * r) / e : 0));
        }
      }
      this.dh.set(dIn0.subarray(o + D, o + D + H), i * H);
    }
    this.decoder.backward(dXhat, this.dhDec);
    for (let k = 0; k < rows * H; k++) this.dh[k] += this.dhDec[k];
    this.encoder.backward(this.dh);
  }

  /**
   * One pre-training step of the autoencoder on `rows` rows of `xb`: the mean over rows and features of
   * (x̂ − x)² (Keras' and PyTorch's MSE), backward, and an update of the encoder and decoder. Returns the loss.
   */
  pretrainStep(xb: Float32Array, rows: number, encoderOpt: Optimizer, decoderOpt: Optimizer): number {
    this.reserve(rows);
    const h = this.encoder.forward(xb, 0, rows);
    const xhat = this.decoder.forward(h, 0, rows);
    const dXhat = this.decoder.lossGradBuffer(rows); // in the decoder's arena when it has one: no copy
    const loss = this.mse.compute(xhat, xb, 0, null, rows, dXhat);
    this.decoder.backward(dXhat, this.dh);
    this.encoder.backward(this.dh);
    encoderOpt.step(this.encoder.params, this.encoder.grads);
    decoderOpt.step(this.decoder.params, this.decoder.grads);
    return loss;
  }

  /**
   * One end-to-end step on `rows` rows of `xb` with their labels (1 = labelled anomaly): {@link feawadLoss}
   * against the batch's reference statistics, backward, and an update of every part (`optimizers` in the order
   * of {@link parts}). Returns the loss and its two terms.
   */
  trainStep(
    xb: Float32Array,
    rows: number,
    labels: ArrayLike<number>,
    reference: ReferenceStats,
    margin: number,
    optimizers: readonly Optimizer[],
  ): FeaWADLossParts {
    const { scores, errors } = this.forward(xb, 0, rows);
    const parts = feawadLoss(scores, errors, rows, labels, reference, margin, this.dScores, this.dErrors);
    this.backward(this.dScores, this.dErrors);
    const nets = this.parts;
    for (let k = 0; k < nets.length; k++) optimizers[k].step(nets[k].params, nets[k].grads);
    return parts;
  }

  /** The scores of all `rows` rows of X, in batches of `batchSize` (a new array). */
  score(X: Float32Array, rows: number, batchSize = 1024): Float32Array {
    const out = new Float32Array(rows);
    for (let start = 0; start < rows; start += batchSize) {
      const r = Math.min(batchSize, rows - start);
      out.set(this.forward(X, start * this.inputSize, r).scores.subarray(0, r), start);
    }
    return out;
  }
}

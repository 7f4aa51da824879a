/**
 * RoSAS's network (Xu et al., Information Processing & Management 2023, and the authors' code): a feature learner ψ
 * (bias-free dense layers with LeakyReLU, then a linear layer to the representation z) and a scoring head η (a
 * bias-free LeakyReLU layer of half the representation's width, then one unit with a bias and tanh), so the anomaly
 * score φ(x) = η(ψ(x)) lies in (−1, 1). Forward and backward through both, the representation's gradient open to
 * the feature-learning loss. Internal to this package (the `rosas` detector uses it).
 */
import { ValidationError, type Activation, type Random } from '@abc/core';
import { DenseNetwork, type NetworkSpec } from '@abc/engine';

/** The sizes and activation of a RoSAS network. */
export interface RoSASArchitecture {
  /** Number of input features D. */
  inputSize: number;
  /** Hidden layer sizes of the feature learner; null: one layer of `D + trunc((E − D) / 2)` units (the original's). */
  hidden: readonly number[] | null;
  /** Size E of the representation z (the feature learner's last, linear layer). */
  embeddingSize: number;
  /** Activation of the hidden layers of both parts (the original: LeakyReLU, slope 0.01). */
  activation: Activation;
}

/**
 * The original's hidden layer: halfway from the input width D to the representation width E,
 * `D + trunc((E − D) / 2)` (Python's `int()` truncates towards zero).
 *
 * @example
 * defaultRoSASHidden(2, 128);   // [65]
 * defaultRoSASHidden(784, 128); // [456]
 */
export function defaultRoSASHidden(inputSize: number, embeddingSize: number): number[] {
  return [inputSize + Math.trunc((embeddingSize - inputSize) / 2)];
}

/**
 * The two parts' specs: the feature learner `[D, ...hidden, E]` (hidden layers `activation`, the last linear, no
 * biases) and the head `[E, trunc(E / 2), 1]` (`activation` without bias, then tanh with a bias).
 *
 * @example
 * rosasSpecs({ inputSize: 6, hidden: null, embeddingSize: 128, activation: 'leakyRelu' });
 */
export function rosasSpecs(arch: RoSASArchitecture): { feature: NetworkSpec; head: NetworkSpec } {
  const { inputSize: D, embeddingSize: E, activation: act } = arch;
  if (!Number.isInteger(E) || E < 2) {
    throw new ValidationError('param', `RoSAS: embeddingSize must be an integer >= 2 (the head has E / 2 units), got ${E}`);
  }
  const hidden = arch.hidden ?? defaultRoSASHidden(D, E);
  const sizes = [D, ...hidden, E];
  return {
    feature: { sizes, activations: [...hidden.map(() => act), 'linear'], bias: false },
    head: { sizes: [E, Math.trunc(E / 2), 1], activations: [act, 'tanh'], bias: [false, true] },
  };
}

/** The feature learner and scoring head of a RoSAS network, with forward and backward passes. */
export class RoSASNetwork {
  readonly inputSize: number;
  /** Size of the representation z. */
  readonly embeddingSize: number;
  private capacity = 0;
  private dEmb = new Float32Array(0);

  /** @param feature `[D, ..., E]`; @param head `[E, ..., 1]` (see {@link rosasSpecs}). */
  constructor(
    readonly feature: DenseNetwork,
    readonly head: DenseNetwork,
  ) {
    if (head.inputSize !== feature.outputSize || head.outputSize !== 1) {
      throw new ValidationError(
        'shape',
        `RoSAS: the head must map the ${feature.outputSize} representation values to one score, got ${head.inputSize} to ${head.outputSize}`,
      );
    }
    this.inputSize = feature.inputSize;
    this.embeddingSize = feature.outputSize;
  }

  /** A network of the given architecture with zero parameters (see {@link initTorch}). */
  static create(arch: RoSASArchitecture): RoSASNetwork {
    const s = rosasSpecs(arch);
    return new RoSASNetwork(new DenseNetwork(s.feature), new DenseNetwork(s.head));
  }

  /** Both parts: the feature learner, then the head (the order of saved tensors and optimizers). */
  get parts(): DenseNetwork[] {
    return [this.feature, this.head];
  }

  /** PyTorch's default `nn.Linear` init (the original's): U(±1/√fan_in) weights and biases, part by part. */
  initTorch(rng: Random): this {
    this.feature.init('torch', rng);
    this.head.init('torch', rng);
    return this;
  }

  /**
   * Forward pass of `rows` rows of X from `X[xOffset]`: the representations (rows × E) and the scores (rows), both
   * views valid until the next call. Keeps what {@link backward} needs.
   */
  forward(X: Float32Array, xOffset: number, rows: number): { embeddings: Float32Array; scores: Float32Array } {
    if (rows > this.capacity) {
      this.capacity = rows;
      this.dEmb = new Float32Array(rows * this.embeddingSize);
    }
    const embeddings = this.feature.forward(X, xOffset, rows);
    const scores = this.head.forward(embeddings, 0, rows);
    return { embeddings, scores };
  }

  /**
   * Backward pass after {@link forward}: from dLoss/dscore (one per row) and, when given, the loss's direct gradient
   * with respect to the representations of the first `embRows` rows (`dEmbeddings`, embRows × E), fills the `grads`
   * of both parts (overwriting them).
   */
  backward(dScores: Float32Array, dEmbeddings?: ArrayLike<number>, embRows = 0): void {
    const d = this.dEmb;
    this.head.backward(dScores, d);
    if (dEmbeddings) for (let k = 0; k < embRows * this.embeddingSize; k++) d[k] += dEmbeddings[k];
    this.feature.backward(d);
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

/**
 * A two-input network for pairwise relation learning (PReNet, Pang et al., KDD 2023): one feature learner ψ shared
 * by both inputs, and a linear relation head on the concatenation, `φ(x₁, x₂) = [ψ(x₁), ψ(x₂)] · w + b`. Built
 * from two {@link DenseNetwork}s, trained as one parameter vector. Browser-safe.
 */
import { ValidationError, type Random } from '@abc/core';
import { DenseNetwork, type LossFn, type NetworkSpec } from './dense.js';
import type { GemmKernel } from './kernels/types.js';
import type { Optimizer } from './optim.js';

/** Options of a {@link PairNetwork}. */
export interface PairNetworkOptions {
  /** The GEMM kernel of both parts (default: the engine's default kernel). */
  kernel?: GemmKernel;
  /** Initial parameters in the layout of {@link PairNetwork.params} (copied); default all zero. */
  params?: Float32Array;
}

/**
 * A siamese relation network: the feature learner `feature` (spec given; its last size is the embedding width h)
 * maps each input of a pair to h values, and `head`, one linear unit with bias on the 2h concatenated values
 * (first input's embedding first), gives the pair's relation score.
 *
 * `params` holds every parameter in one vector, the feature learner's (in its own layout: layer by layer, W then b)
 * followed by the head's (W as 2h rows of one column, then b), and `grads` the gradients in the same layout, so one
 * optimizer (and one global-norm clip) sees both parts. A batch of pairs is one array of 2·rows rows: the rows'
 * first inputs, then their second inputs, so the shared learner runs once on both.
 *
 * @example
 * const net = new PairNetwork({ sizes: [d, 20], activations: ['relu'] }).initGlorot(rng);
 * const opt = new RMSprop(net.size, { lr: 1e-3, clipnorm: 1 });
 * const loss: LossFn = (out, rows, _c, dOut) => relationLoss(out, rows, targets, dOut);
 * net.trainStep(pairs, rows, loss, opt);                 // pairs: [x1 of every row; x2 of every row]
 * const e = net.embed(X, n);                              // n × h embeddings
 */
export class PairNetwork {
  /** The shared feature learner ψ. */
  readonly feature: DenseNetwork;
  /** The relation head: one linear unit on the 2h concatenated embeddings. */
  readonly head: DenseNetwork;
  /** Every parameter: the feature learner's, then the head's. */
  readonly params: Float32Array;
  /** The gradients after {@link backward}, in the layout of {@link params}. */
  readonly grads: Float32Array;
  /** Width of one input. */
  readonly inputSize: number;
  /** Width h of one embedding. */
  readonly embeddingSize: number;

  private concat = new Float32Array(0);
  private dConcat = new Float32Array(0);
  private dEmbed = new Float32Array(0);
  private dScores = new Float32Array(0);
  private rows = 0;

  constructor(featureSpec: NetworkSpec, options: PairNetworkOptions = {}) {
    this.feature = new DenseNetwork(featureSpec, { kernel: options.kernel });
    this.inputSize = this.feature.inputSize;
    this.embeddingSize = this.feature.outputSize;
    this.head = new DenseNetwork(
      { sizes: [2 * this.embeddingSize, 1], activations: ['linear'] },
      { kernel: this.feature.kernel },
    );
    const size = this.feature.size + this.head.size;
    this.params = new Float32Array(size);
    this.grads = new Float32Array(size);
    if (options.params) this.setParams(options.params);
  }

  /** Number of parameters (feature learner and head). */
  get size(): number {
    return this.params.length;
  }

  /** Where the head's parameters start in {@link params}. */
  get headOffset(): number {
    return this.feature.size;
  }

  /** Replaces every parameter (layout of {@link params}). */
  setParams(values: Float32Array): this {
    if (values.length !== this.params.length) {
      throw new ValidationError(
        'shape',
        `PairNetwork: params has ${values.length} values, the network needs ${this.params.length}`,
      );
    }
    this.params.set(values);
    this.spread();
    return this;
  }

  /** Glorot-uniform weights and zero biases (Keras' Dense defaults): the feature learner's layers, then the head. */
  initGlorot(rng: Random): this {
    this.feature.initGlorot(rng);
    this.head.initGlorot(rng);
    this.params.set(this.feature.params, 0);
    this.params.set(this.head.params, this.headOffset);
    return this;
  }

  /**
   * Relation scores of `rows` pairs: `pairs` holds 2·rows rows of `inputSize` values from offset 0, the first
   * inputs then the second ones. Keeps what {@link backward} needs; returns the head's output workspace (rows
   * values, overwritten by the next call).
   */
  forward(pairs: Float32Array, rows: number): Float32Array {
    if (!Number.isInteger(rows) || rows < 1 || pairs.length < 2 * rows * this.inputSize) {
      throw new ValidationError(
        'shape',
        `PairNetwork.forward: pairs must hold 2 × ${rows} rows of ${this.inputSize} values, got ${pairs.length} values`,
      );
    }
    const h = this.embeddingSize;
    const emb = this.feature.forward(pairs, 0, 2 * rows);
    if (this.concat.length < rows * 2 * h) this.concat = new Float32Array(rows * 2 * h);
    joinHalves(emb, rows, h, this.concat);
    this.rows = rows;
    return this.head.forward(this.concat, 0, rows);
  }

  /** After {@link forward}: from dLoss/dScore (rows values) fills {@link grads} (overwriting them). */
  backward(dScores: Float32Array): void {
    const rows = this.rows;
    if (rows === 0) throw new ValidationError('param', 'PairNetwork.backward: call forward first');
    const h = this.embeddingSize;
    if (this.dConcat.length < rows * 2 * h) {
      this.dConcat = new Float32Array(rows * 2 * h);
      this.dEmbed = new Float32Array(rows * 2 * h);
    }
    this.head.backward(dScores, this.dConcat);
    splitHalves(this.dConcat, rows, h, this.dEmbed);
    this.feature.backward(this.dEmbed);
    this.grads.set(this.feature.grads, 0);
    this.grads.set(this.head.grads, this.headOffset);
  }

  /** One optimisation step on a batch of pairs (layout of {@link forward}): forward, loss, backward, update. Returns the loss. */
  trainStep(pairs: Float32Array, rows: number, loss: LossFn, optimizer: Optimizer): number {
    const out = this.forward(pairs, rows);
    if (this.dScores.length < rows) this.dScores = new Float32Array(rows);
    const value = loss(out, rows, 1, this.dScores);
    this.backward(this.dScores);
    optimizer.step(this.params, this.grads);
    this.spread();
    return value;
  }

  /** The embeddings ψ(x) of `rows` rows of X (row-major, from offset 0): a new rows × h array. */
  embed(X: Float32Array, rows: number): Float32Array {
    return this.feature.predict(X, rows);
  }

  /**
   * Relation scores from embeddings: row i pairs `first[i]` with `second[i]` (both rows × h). Returns a new
   * Float32Array of `rows` scores unless `out` is given.
   */
  relate(first: Float32Array, second: Float32Array, rows: number, out: Float32Array = new Float32Array(rows)): Float32Array {
    const h = this.embeddingSize;
    if (this.concat.length < rows * 2 * h) this.concat = new Float32Array(rows * 2 * h);
    const c = this.concat;
    for (let i = 0; i < rows; i++) {
      c.set(first.subarray(i * h, (i + 1) * h), i * 2 * h);
      c.set(second.subarray(i * h, (i + 1) * h), i * 2 * h + h);
    }
    return this.head.predict(c, rows, out);
  }

  /** Copies {@link params} into the two parts. */
  private spread(): void {
    this.feature.params.set(this.params.subarray(0, this.headOffset));
    this.head.params.set(this.params.subarray(this.headOffset));
  }
}

/** Row i of `out` (rows × 2h) = [emb row i, emb row rows + i]. */
function joinHalves(emb: Float32Array, rows: number, h: number, out: Float32Array): void {
  for (let i = 0; i < rows; i++) {
    out.set(emb.subarray(i * h, (i + 1) * h), 2 * h * i);
    out.set(emb.subarray((rows + i) * h, (rows + i + 1) * h), 2 * h * i + h);
  }
}

/** The inverse of {@link joinHalves}: the first h values of row i of `joined` to row i, the last h to row rows + i. */
function splitHalves(joined: Float32Array, rows: number, h: number, out: Float32Array): void {
  for (let i = 0; i < rows; i++) {
    out.set(joined.subarray(2 * h * i, 2 * h * i + h), i * h);
    out.set(joined.subarray(2 * h * i + h, 2 * h * (i + 1)), (rows + i) * h);
  }
}

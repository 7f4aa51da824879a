import { ValidationError } from '@abc/core';
import type { Activation, Random } from '@abc/core';
import { getDefaultKernel } from './kernels/default.js';
import type { ComputeArena, GemmKernel } from './kernels/types.js';
import { glorotUniform, lecunUniform, torchLinearUniform, type WeightInit } from './init.js';
import { Adam, type AdamOptions } from './adam.js';
import type { Optimizer } from './optim.js';

export type { Activation };

/**
 * A dense stack: `sizes[0]` inputs, then one layer per following size, `activations[l]` after layer l
 * (`activations.length === sizes.length − 1`). Layer l computes `y = act(x W + b)` with W row-major
 * `[sizes[l], sizes[l+1]]`, the layout of the export spec and of the PyTorch contract's init.
 */
export interface NetworkSpec {
  sizes: readonly number[];
  activations: readonly Activation[];
  /**
   * Whether layers have a bias: one value for every layer or one per layer (default true). A layer without one
   * computes `act(x W)` and has no b in `params` (Deep SAD's encoder needs this).
   */
  bias?: boolean | readonly boolean[];
  /** The negative slope of `'leakyRelu'` layers (default {@link LEAKY_SLOPE}, PyTorch's 0.01). */
  leakySlope?: number;
}

/** Where one layer's weights and biases sit in the flat parameter vector. */
export interface LayerInfo {
  inputSize: number;
  outputSize: number;
  activation: Activation;
  /** Offset of W ([inputSize, outputSize], row-major) in `params`/`grads`. */
  wOffset: number;
  /** Offset of b ([outputSize]) in `params`/`grads`, or −1 for a layer without bias. */
  bOffset: number;
}

/**
 * A loss on a batch of network outputs: reads `output` (rows × cols, row-major, from offset 0), writes
 * dLoss/dOutput into `dOutput` (same layout) and returns the loss value (for reporting only).
 */
export type LossFn = (output: Float32Array, rows: number, cols: number, dOutput: Float32Array) => number;

export interface DenseNetworkOptions {
  /** The GEMM kernel (default: {@link getDefaultKernel}). */
  kernel?: GemmKernel;
  /**
   * Keep the buffers in the kernel's compute arena when it offers one (default true): the wasm-simd kernel then
   * runs the whole step in its memory with no copies. False keeps ordinary arrays (the copying path).
   */
  arena?: boolean;
  /** Initial parameters (copied); default all zero — call {@link DenseNetwork.initGlorot} to initialise. */
  params?: Float32Array;
}

const ACTIVATIONS: readonly Activation[] = ['tanh', 'sigmoid', 'relu', 'linear', 'leakyRelu'];

/** The default negative slope of `'leakyRelu'` (PyTorch's `nn.LeakyReLU`). */
export const LEAKY_SLOPE = 0.01;

/**
 * A dense feed-forward network with manual backprop, running on one {@link GemmKernel}. Parameters live in one
 * flat `Float32Array` (`params`, layer by layer: W then b), gradients in `grads` with the same layout, so an
 * optimizer sees one vector. Workspaces are sized for the largest batch seen and reused: the forward and
 * backward passes allocate nothing once warm. Runs in Node and the browser (no Node-only module).
 *
 * When the kernel offers a {@link ComputeArena} (wasm-simd with shared memory), `params`, `grads`, the
 * workspaces and the moments of an optimizer made by {@link createAdam} are views of the arena's memory (views
 * on a SharedArrayBuffer that stay valid for the network's life), and the bias, activation, gradient and Adam
 * passes run there too: a training step copies only the input batch in.
 *
 * @example
 * const net = new DenseNetwork({ sizes: [784, 300, 20, 300, 784], activations: ['tanh', 'tanh', 'tanh', 'linear'] });
 * net.initGlorot(new Random(1));
 * const opt = net.createAdam({ lr: 1e-3 });
 * const loss = net.trainStep(batch, 0, 100, (out, rows, cols, dOut) => myLoss(out, rows, cols, dOut), opt);
 * const recon = net.predict(X, rows);   // Float32Array rows × 784
 */
export class DenseNetwork {
  readonly spec: NetworkSpec;
  readonly layers: readonly LayerInfo[];
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly kernel: GemmKernel;
  readonly inputSize: number;
  readonly outputSize: number;
  /** The compute arena holding this network's buffers, or null (ordinary arrays). */
  readonly arena: ComputeArena | null;

  private readonly zeroBias: Float32Array;
  private readonly discardGrad: Float32Array;
  private capacity = 0;
  /** The input batch copied into the arena (arena only), so both passes read it in place. */
  private inputStage: Float32Array = new Float32Array(0);
  /** acts[l] = output of layer l (rows × sizes[l+1]). */
  private acts: Float32Array[] = [];
  private deltaA: Float32Array = new Float32Array(0);
  private deltaB: Float32Array = new Float32Array(0);
  private input: Float32Array | null = null;
  private inputOffset = 0;
  private rows = 0;
  /** The products and element-wise passes of a step: the arena's (wasm, in place), or the kernel and JavaScript. */
  private readonly passes: StepPasses;

  constructor(spec: NetworkSpec, options: DenseNetworkOptions = {}) {
    const { sizes, activations } = spec;
    if (sizes.length < 2) throw new ValidationError('param', 'DenseNetwork: sizes needs at least an input and an output size');
    if (activations.length !== sizes.length - 1) {
      throw new ValidationError(
        'param',
        `DenseNetwork: ${sizes.length - 1} layers need ${sizes.length - 1} activations, got ${activations.length}`,
      );
    }
    for (const s of sizes)
      if (!Number.isInteger(s) || s < 1)
        throw new ValidationError('param', `DenseNetwork: layer size ${s} is not a positive integer`);
    for (const a of activations)
      if (!ACTIVATIONS.includes(a)) throw new ValidationError('param', `DenseNetwork: unknown activation "${a}"`);
    const hasBias = resolveBias(spec.bias, sizes.length - 1);
    const leakySlope = spec.leakySlope ?? LEAKY_SLOPE;
    if (!(leakySlope >= 0) || !Number.isFinite(leakySlope))
      throw new ValidationError('param', `DenseNetwork: leakySlope must be a finite number >= 0, got ${leakySlope}`);
    this.spec = { sizes: [...sizes], activations: [...activations] };
    if (spec.bias !== undefined) this.spec.bias = [...hasBias];
    if (spec.leakySlope !== undefined) this.spec.leakySlope = leakySlope;
    const layers: LayerInfo[] = [];
    let offset = 0;
    for (let l = 0; l < sizes.length - 1; l++) {
      const inputSize = sizes[l];
      const outputSize = sizes[l + 1];
      layers.push({
        inputSize,
        outputSize,
        activation: activations[l],
        wOffset: offset,
        bOffset: hasBias[l] ? offset + inputSize * outputSize : -1,
      });
      offset += inputSize * outputSize + (hasBias[l] ? outputSize : 0);
    }
    this.layers = layers;
    this.inputSize = sizes[0];
    this.outputSize = sizes[sizes.length - 1];
    if (options.params && options.params.length !== offset) {
      throw new ValidationError('shape', `DenseNetwork: params has ${options.params.length} values, the spec needs ${offset}`);
    }
    this.kernel = options.kernel ?? getDefaultKernel();
    // The arena's leakyRelu has the default slope built in: a network with another slope runs on ordinary arrays.
    const offArena = options.arena === false || (activations.includes('leakyRelu') && leakySlope !== LEAKY_SLOPE);
    this.arena = offArena ? null : (this.kernel.createArena?.() ?? null);
    this.params = this.allocate(offset);
    this.grads = this.allocate(offset);
    this.passes = this.arena ?? new JsPasses(this.kernel, Math.max(...sizes), leakySlope);
    // Layers without bias add this zero vector and write their bias gradient here, through the same passes.
    const noBias = layers.some((L) => L.bOffset < 0);
    this.zeroBias = noBias ? this.allocate(Math.max(...sizes)) : new Float32Array(0);
    this.discardGrad = noBias ? this.allocate(Math.max(...sizes)) : new Float32Array(0);
    if (options.params) this.params.set(options.params);
  }

  /** A zero-filled buffer of `length` floats: in the arena when there is one. */
  allocate(length: number): Float32Array {
    return this.arena ? this.arena.alloc(length) : new Float32Array(length);
  }

  /**
   * An Adam optimizer for this network's parameters whose moments live next to them (in the arena when there is
   * one, so the update runs in wasm). Equivalent to `new Adam(net.size, options)` otherwise.
   */
  createAdam(options: Omit<AdamOptions, 'allocate'> = {}): Adam {
    return new Adam(this.size, { ...options, allocate: (n) => this.allocate(n) });
  }

  /** Number of parameters (weights and biases). */
  get size(): number {
    return this.params.length;
  }

  /** Layer l's weights as a view ([inputSize, outputSize], row-major). */
  weights(l: number): Float32Array {
    const L = this.layers[l];
    return this.params.subarray(L.wOffset, L.wOffset + L.inputSize * L.outputSize);
  }

  /** Layer l's biases as a view (a new zero array for a layer without bias). */
  biases(l: number): Float32Array {
    const L = this.layers[l];
    if (L.bOffset < 0) return new Float32Array(L.outputSize);
    return this.params.subarray(L.bOffset, L.bOffset + L.outputSize);
  }

  /** Glorot-uniform weights from the seeded generator, layer by layer; zero biases. */
  initGlorot(rng: Random): this {
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      glorotUniform(this.weights(l), L.inputSize, L.outputSize, rng);
      this.biases(l).fill(0);
    }
    return this;
  }

  /**
   * Initialises every layer by `kind` from the seeded generator, layer by layer: `'glorot'` is
   * {@link DenseNetwork.initGlorot} (zero biases), `'lecun'` LeCun-uniform weights and zero biases, `'torch'`
   * PyTorch's default Linear init (weights, then a layer's biases when it has them).
   */
  init(kind: WeightInit, rng: Random): this {
    if (kind === 'glorot') return this.initGlorot(rng);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      if (kind === 'lecun') {
        lecunUniform(this.weights(l), L.inputSize, rng);
        this.biases(l).fill(0);
      } else if (kind === 'torch') {
        // A bias-free layer draws no biases (its biases() is a throwaway array).
        const b = L.bOffset < 0 ? new Float32Array(0) : this.biases(l);
        torchLinearUniform(this.weights(l), b, L.inputSize, rng);
      } else {
        throw new ValidationError('param', `unknown weight init "${String(kind)}": expected glorot, lecun or torch`);
      }
    }
    return this;
  }

  /** Grows the workspaces to hold `rows` rows (allocates only when the batch is larger than before). */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    this.capacity = rows;
    this.acts = this.layers.map((L) => this.allocate(rows * L.outputSize));
    const maxSize = Math.max(...this.spec.sizes);
    this.deltaA = this.allocate(rows * maxSize);
    this.deltaB = this.allocate(rows * maxSize);
    if (this.arena) this.inputStage = this.allocate(rows * this.inputSize);
  }

  /**
   * Forward pass of `rows` rows of X starting at `X[xOffset]` (row-major, `inputSize` columns). Keeps the
   * activations for {@link backward}. Returns the output workspace (valid for the first rows × outputSize
   * values, overwritten by the next call).
   */
  forward(X: Float32Array, xOffset: number, rows: number): Float32Array {
    this.reserve(rows);
    this.input = X;
    this.inputOffset = xOffset;
    this.rows = rows;
    if (this.arena && !this.arena.owns(X)) {
      // One copy of the batch into the arena, read in place by the first layer's forward and weight-gradient products.
      this.inputStage.set(X.subarray(xOffset, xOffset + rows * this.inputSize));
      this.input = this.inputStage;
      this.inputOffset = 0;
    }
    const passes = this.passes;
    const p = this.params;
    let src = this.input;
    let srcOff = this.inputOffset;
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      const out = this.acts[l];
      const n = L.outputSize;
      // out = act(src · W + b)
      passes.gemm(false, false, rows, n, L.inputSize, 1, src, srcOff, L.inputSize, p, L.wOffset, n, 0, out, 0, n);
      if (L.bOffset < 0) passes.biasActivate(L.activation, out, 0, rows, n, this.zeroBias, 0);
      else passes.biasActivate(L.activation, out, 0, rows, n, p, L.bOffset);
      src = out;
      srcOff = 0;
    }
    return this.acts[this.layers.length - 1];
  }

  /**
   * Backward pass after {@link forward}: from dLoss/dOutput (rows × outputSize) fills `grads` (overwriting
   * them) and, when `dInput` is given, writes dLoss/dInput (rows × inputSize) into it.
   */
  backward(dOutput: Float32Array, dInput?: Float32Array): void {
    const rows = this.rows;
    if (this.input === null) throw new ValidationError('param', 'DenseNetwork.backward: call forward first');
    const passes = this.passes;
    const p = this.params;
    const g = this.grads;
    const last = this.layers.length - 1;
    let dA: Float32Array = dOutput;
    if (this.arena && !this.arena.owns(dOutput)) {
      this.deltaA.set(dOutput.subarray(0, rows * this.outputSize));
      dA = this.deltaA;
    }
    for (let l = last; l >= 0; l--) {
      const L = this.layers[l];
      const n = L.outputSize;
      const k = L.inputSize;
      const dZ = l === last ? this.deltaA : dA; // in place below the output layer
      // dZ = dA ⊙ act'(y) from the layer's output y, and the bias gradient (the column sums of dZ).
      if (L.bOffset < 0) passes.activationGradColSum(L.activation, this.acts[l], dA, dZ, rows, n, this.discardGrad, 0);
      else passes.activationGradColSum(L.activation, this.acts[l], dA, dZ, rows, n, g, L.bOffset);
      const prev = l === 0 ? this.input : this.acts[l - 1];
      const prevOff = l === 0 ? this.inputOffset : 0;
      // gW = prevᵀ · dZ   ([k × rows] · [rows × n])
      passes.gemm(true, false, k, n, rows, 1, prev, prevOff, k, dZ, 0, n, 0, g, L.wOffset, n);
      // dPrev = dZ · Wᵀ   ([rows × n] · [n × k])
      if (l > 0 || dInput) {
        const target = l > 0 ? (dZ === this.deltaA ? this.deltaB : this.deltaA) : dInput!;
        passes.gemm(false, true, rows, k, n, 1, dZ, 0, n, p, L.wOffset, n, 0, target, 0, k);
        dA = target;
      }
    }
  }

  /** One optimisation step on a batch: forward, loss (through `loss`), backward, optimizer update. Returns the loss. */
  trainStep(X: Float32Array, xOffset: number, rows: number, loss: LossFn, optimizer: Optimizer): number {
    const out = this.forward(X, xOffset, rows);
    const dOut = this.lossGradBuffer(rows);
    const value = loss(out, rows, this.outputSize, dOut);
    this.backward(dOut);
    optimizer.step(this.params, this.grads);
    return value;
  }

  private dOutBuf: Float32Array = new Float32Array(0);
  /** A reusable buffer for dLoss/dOutput of `rows` rows. */
  lossGradBuffer(rows: number): Float32Array {
    const need = rows * this.outputSize;
    if (this.dOutBuf.length < need) this.dOutBuf = this.allocate(need);
    return this.dOutBuf;
  }

  /**
   * Inference: the outputs for all `rows` rows of X (from offset 0), computed in batches of `batchSize`
   * (default 1024). Returns a new Float32Array (rows × outputSize) unless `out` is given.
   */
  predict(X: Float32Array, rows: number, out?: Float32Array, batchSize = 1024): Float32Array {
    const d = this.inputSize;
    const o = this.outputSize;
    const result = out ?? new Float32Array(rows * o);
    for (let start = 0; start < rows; start += batchSize) {
      const r = Math.min(batchSize, rows - start);
      const y = this.forward(X, start * d, r);
      result.set(y.subarray(0, r * o), start * o);
    }
    return result;
  }

  /** A copy with the same spec, parameters and kernel (fresh workspaces, zero gradients, its own arena). */
  clone(): DenseNetwork {
    return new DenseNetwork(this.spec, { kernel: this.kernel, params: this.params, arena: this.arena !== null });
  }
}

/** What one training step runs: products, bias + activation, activation gradient + bias sums. */
type StepPasses = Pick<ComputeArena, 'gemm' | 'biasActivate' | 'activationGradColSum'>;

/** {@link StepPasses} on ordinary arrays: the kernel's products, element-wise passes in JavaScript. */
class JsPasses implements StepPasses {
  private readonly colSum: Float64Array;

  constructor(
    private readonly kernel: GemmKernel,
    maxWidth: number,
    private readonly slope: number = LEAKY_SLOPE,
  ) {
    this.colSum = new Float64Array(maxWidth);
  }

  gemm(...args: Parameters<GemmKernel['gemm']>): void {
    this.kernel.gemm(...args);
  }

  biasActivate(
    act: Activation,
    C: Float32Array,
    cOffset: number,
    rows: number,
    n: number,
    bias: Float32Array,
    biasOffset: number,
  ): void {
    for (let i = 0; i < rows; i++) {
      const row = cOffset + i * n;
      for (let j = 0; j < n; j++) C[row + j] += bias[biasOffset + j];
    }
    activate(act, cOffset === 0 ? C : C.subarray(cOffset), rows * n, this.slope);
  }

  activationGradColSum(
    act: Activation,
    y: Float32Array,
    dA: Float32Array,
    dZ: Float32Array,
    rows: number,
    n: number,
    colSum: Float32Array,
    colSumOffset: number,
  ): void {
    activationGrad(act, y, dA, dZ, rows * n, this.slope);
    const cs = this.colSum; // summed in float64, stored once
    cs.fill(0, 0, n);
    for (let i = 0; i < rows; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) cs[j] += dZ[row + j];
    }
    for (let j = 0; j < n; j++) colSum[colSumOffset + j] = cs[j];
  }
}

/** Applies an activation in place to the first `count` values. */
export function activate(act: Activation, v: Float32Array, count: number, slope = LEAKY_SLOPE): void {
  switch (act) {
    case 'tanh':
      for (let i = 0; i < count; i++) v[i] = Math.tanh(v[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < count; i++) v[i] = 1 / (1 + Math.exp(-v[i]));
      return;
    case 'relu':
      for (let i = 0; i < count; i++) if (v[i] < 0) v[i] = 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < count; i++) if (v[i] < 0) v[i] = Math.fround(v[i] * slope);
      return;
    case 'linear':
      return;
  }
}

/**
 * Backward values of smaller magnitude are set to zero by {@link activationGrad} (and by the arena's pass, with the
 * same value): 2^-80 ≈ 8.3e-25. Such values cannot change a float32 result (added to any gradient of normal
 * size they vanish, and their square underflows in Adam's second moment), but multiplied by weights they give
 * denormal products, which x86 computes in microcode: 2.5% of the PyTorch contract's gradients were denormal,
 * and they slowed its weight-gradient products 1.7x. NaN is kept.
 */
export const GRAD_FLUSH = 2 ** -80;

/** dZ = dA ⊙ act'(y) from the activation's output y (dZ may alias dA), with |dZ| < {@link GRAD_FLUSH} set to 0. */
export function activationGrad(
  act: Activation,
  y: Float32Array,
  dA: Float32Array,
  dZ: Float32Array,
  count: number,
  slope = LEAKY_SLOPE,
): void {
  switch (act) {
    case 'tanh':
      for (let i = 0; i < count; i++) {
        const t = y[i];
        const v = dA[i] * (1 - t * t);
        dZ[i] = Math.abs(v) < GRAD_FLUSH ? 0 : v;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < count; i++) {
        const s = y[i];
        const v = dA[i] * s * (1 - s);
        dZ[i] = Math.abs(v) < GRAD_FLUSH ? 0 : v;
      }
      return;
    case 'relu':
      for (let i = 0; i < count; i++) dZ[i] = y[i] > 0 && !(Math.abs(dA[i]) < GRAD_FLUSH) ? dA[i] : 0;
      return;
    case 'leakyRelu':
      // From the output: y > 0 exactly where x > 0 (slope >= 0); at x = 0 the slope, as PyTorch.
      for (let i = 0; i < count; i++) {
        const v = y[i] > 0 ? dA[i] : dA[i] * slope;
        dZ[i] = Math.abs(v) < GRAD_FLUSH ? 0 : v;
      }
      return;
    case 'linear':
      for (let i = 0; i < count; i++) {
        const v = dA[i];
        dZ[i] = Math.abs(v) < GRAD_FLUSH ? 0 : v;
      }
      return;
  }
}

/** One bias flag per layer from {@link NetworkSpec.bias}. */
function resolveBias(bias: boolean | readonly boolean[] | undefined, layers: number): boolean[] {
  if (bias === undefined || typeof bias === 'boolean') return new Array<boolean>(layers).fill(bias ?? true);
  if (bias.length !== layers)
    throw new ValidationError('param', `DenseNetwork: bias gives ${bias.length} flags for ${layers} layers`);
  return [...bias];
}

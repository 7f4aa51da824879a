/** Adam's hyper-parameters (PyTorch's names and defaults). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /**
   * Where the moments are allocated (default `new Float32Array`). {@link DenseNetwork.createAdam} passes its
   * arena's allocator, so the update runs in wasm when parameters, gradients and moments share an arena.
   */
  allocate?: (length: number) => Float32Array;
}

import { arenaOf } from './kernels/arena.js';

/**
 * Adam (Kingma & Ba 2015) over one flat parameter vector, with the same update order and float32 state as
 * PyTorch's `torch.optim.Adam` (single-tensor path): `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`,
 * `p ← p − (lr / (1−β1ᵗ)) · m / (sqrt(v) / sqrt(1−β2ᵗ) + eps)`.
 *
 * When `params`, `grads` and the moments are views of one compute arena (an optimizer made by
 * `net.createAdam()` on the wasm-simd kernel), the update runs there in float32 SIMD; otherwise in this loop.
 *
 * @example
 * const opt = net.createAdam({ lr: 1e-3 });   // or new Adam(net.params.length, { lr: 1e-3 })
 * opt.step(net.params, net.grads);
 */
export class Adam {
  /** Learning rate; may be changed between steps (a schedule such as PyTorch's `MultiStepLR` sets the optimizer's lr). */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Steps taken so far. */
  t = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;

  constructor(size: number, options: AdamOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    const allocate = options.allocate ?? ((n: number) => new Float32Array(n));
    this.m = allocate(size);
    this.v = allocate(size);
  }

  /** One update of `params` in place from `grads` (same length as at construction). */
  step(params: Float32Array, grads: Float32Array): void {
    this.t++;
    const { beta1, beta2, eps, m, v } = this;
    const bc1 = 1 - beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const stepSize = this.lr / bc1;
    const arena = arenaOf(params, grads, m, v);
    if (arena && params.length === m.length && grads.length === m.length) {
      arena.adamStep(params, grads, m, v, { beta1, beta2, stepSize, bc2Sqrt, eps });
      return;
    }
    const f = Math.fround;
    const omb1 = 1 - beta1;
    const omb2 = 1 - beta2;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const mi = f(f(m[i] * beta1) + f(g * omb1));
      m[i] = mi;
      const vi = f(f(v[i] * beta2) + f(f(g * g) * omb2));
      v[i] = vi;
      const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps);
      params[i] = f(params[i] - stepSize * f(mi / denom));
    }
  }

  /** Forgets the moments and the step count. */
  reset(): void {
    this.t = 0;
    this.m.fill(0);
    this.v.fill(0);
  }
}

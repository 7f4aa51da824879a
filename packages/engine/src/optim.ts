/**
 * Optimizers besides {@link Adam}, and gradient transforms that run between the backward pass and the update:
 * RMSprop with gradient-norm clipping (Keras' defaults, for DevNet), L2 penalties on chosen parameter ranges
 * (Keras' `kernel_regularizer`, PyTorch's coupled `weight_decay`), and global-norm clipping. Browser-safe.
 */
import { ValidationError } from '@abc/core';

/**
 * What a training step needs from an optimizer: one update of `params` in place from `grads` (the same length
 * every call). {@link Adam} and {@link RMSprop} are optimizers.
 */
export interface Optimizer {
  step(params: Float32Array, grads: Float32Array): void;
}

/** RMSprop's hyper-parameters (Keras' names and defaults). */
export interface RMSpropOptions {
  /** Learning rate (default 0.001). */
  lr?: number;
  /** Decay of the mean square (default 0.9). */
  rho?: number;
  /** Added to the denominator (default 1e-7, Keras' `epsilon`). */
  eps?: number;
  /**
   * Clip the gradient to this L2 norm before the update, over the whole gradient vector (default: no clipping).
   * Keras 2.2's `clipnorm` (the DevNet code's Keras) takes the norm over all gradients together.
   */
  clipnorm?: number;
}

/**
 * RMSprop as in Keras 2 (the original DevNet's optimizer): `a ← ρ a + (1 − ρ) g²`, `p ← p − lr · g / (√a + ε)`,
 * the mean square starting at zero, after an optional global-norm clip of g. State in float32.
 *
 * @example
 * const opt = new RMSprop(net.size, { lr: 0.001, clipnorm: 1 });
 * net.trainStep(xb, 0, rows, loss, opt);
 */
export class RMSprop implements Optimizer {
  readonly lr: number;
  readonly rho: number;
  readonly eps: number;
  readonly clipnorm: number | null;
  /** The running mean square of the gradients. */
  readonly meanSquare: Float32Array;
  /** Steps taken so far. */
  t = 0;
  /** The gradient norm of the last step, before clipping. */
  lastGradNorm = 0;

  constructor(size: number, options: RMSpropOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.rho = options.rho ?? 0.9;
    this.eps = options.eps ?? 1e-7;
    this.clipnorm = options.clipnorm ?? null;
    if (!(this.lr > 0)) throw new ValidationError('param', `RMSprop: lr must be > 0, got ${this.lr}`);
    if (!(this.rho >= 0 && this.rho < 1)) throw new ValidationError('param', `RMSprop: rho must be in [0, 1), got ${this.rho}`);
    if (!(this.eps >= 0)) throw new ValidationError('param', `RMSprop: eps must be >= 0, got ${this.eps}`);
    if (this.clipnorm !== null && !(this.clipnorm > 0))
      throw new ValidationError('param', `RMSprop: clipnorm must be > 0, got ${this.clipnorm}`);
    this.meanSquare = new Float32Array(size);
  }

  step(params: Float32Array, grads: Float32Array): void {
    this.t++;
    const norm = l2Norm(grads);
    this.lastGradNorm = norm;
    const scale = this.clipnorm !== null && norm > this.clipnorm ? this.clipnorm / norm : 1;
    const { rho, eps, lr, meanSquare: a } = this;
    const f = Math.fround;
    const omr = 1 - rho;
    for (let i = 0; i < params.length; i++) {
      const g = f(grads[i] * scale);
      const ai = f(f(a[i] * rho) + f(f(g * g) * omr));
      a[i] = ai;
      params[i] = f(params[i] - f((lr * g) / f(f(Math.sqrt(ai)) + eps)));
    }
  }

  /** Forgets the mean square and the step count. */
  reset(): void {
    this.t = 0;
    this.meanSquare.fill(0);
  }
}

/** The L2 norm of `v` (summed in float64). */
export function l2Norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/**
 * Scales `grads` in place to L2 norm `maxNorm` when it is larger (the norm over the whole vector). Returns the
 * norm before clipping.
 *
 * @example
 * clipGradNorm(net.grads, 1);
 */
export function clipGradNorm(grads: Float32Array, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new ValidationError('param', `clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const norm = l2Norm(grads);
  if (norm > maxNorm) {
    const s = maxNorm / norm;
    for (let i = 0; i < grads.length; i++) grads[i] *= s;
  }
  return norm;
}

/** A range `[offset, offset + length)` of the flat parameter vector (a layer's W: `{ offset: L.wOffset, length }`). */
export interface ParamRange {
  offset: number;
  length: number;
}

/**
 * The penalty `coefficient · Σ p²` over the given ranges: adds its gradient `2 · coefficient · p` to `grads`
 * and returns its value (Keras' `regularizers.l2(coefficient)`). For PyTorch's coupled `weight_decay = wd`
 * (gradient `wd · p`), pass `coefficient = wd / 2`.
 *
 * @example
 * const penalty = addL2Penalty(net.params, net.grads, 0.01, [{ offset: net.layers[0].wOffset, length: d * 20 }]);
 */
export function addL2Penalty(
  params: Float32Array,
  grads: Float32Array,
  coefficient: number,
  ranges?: readonly ParamRange[],
): number {
  if (coefficient === 0) return 0;
  const all = ranges ?? [{ offset: 0, length: params.length }];
  let value = 0;
  const twice = 2 * coefficient;
  for (const { offset, length } of all) {
    for (let i = offset; i < offset + length; i++) {
      const p = params[i];
      value += p * p;
      grads[i] += twice * p;
    }
  }
  return coefficient * value;
}

/**
 * An optimizer that first adds an L2 penalty's gradient to `grads` and then runs `inner` (PyTorch's coupled
 * `weight_decay` for Adam: `withL2(adam, wd / 2)`).
 *
 * @example
 * const opt = withL2(net.createAdam({ lr: 1e-4 }), 1e-6 / 2);   // torch.optim.Adam(weight_decay=1e-6)
 */
export function withL2(inner: Optimizer, coefficient: number, ranges?: readonly ParamRange[]): Optimizer {
  if (!(coefficient >= 0)) throw new ValidationError('param', `withL2: coefficient must be >= 0, got ${coefficient}`);
  return {
    step(params: Float32Array, grads: Float32Array): void {
      addL2Penalty(params, grads, coefficient, ranges);
      inner.step(params, grads);
    },
  };
}

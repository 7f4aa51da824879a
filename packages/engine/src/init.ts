import type { Random } from '@abc/core';

/**
 * Glorot (Xavier) uniform: each weight ~ U(−a, a) with a = sqrt(6 / (fanIn + fanOut)), drawn from the seeded
 * generator in row-major [fanIn, fanOut] order. Fills `out` (length fanIn · fanOut) and returns it.
 */
export function glorotUniform(out: Float32Array, fanIn: number, fanOut: number, rng: Random): Float32Array {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < fanIn * fanOut; i++) out[i] = (2 * rng.float() - 1) * a;
  return out;
}

/**
 * LeCun uniform (Keras' `lecun_uniform`): each weight ~ U(−a, a) with a = sqrt(3 / fanIn), so the variance is
 * 1 / fanIn whatever the layer's width. Same draw order as {@link glorotUniform}.
 */
export function lecunUniform(out: Float32Array, fanIn: number, rng: Random): Float32Array {
  const a = Math.sqrt(3 / fanIn);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.float() - 1) * a;
  return out;
}

/**
 * PyTorch's default `nn.Linear` initialisation (`kaiming_uniform_(a = sqrt(5))` on the weights, which works out
 * to U(−1/sqrt(fanIn), 1/sqrt(fanIn)), and the same range for the biases), drawn from our seeded generator:
 * the weights row-major [fanIn, fanOut], then the biases. A narrow input gives a wide range (fanIn 2: ±0.71),
 * and the biases are not zero: the two ways it differs from Glorot on tabular data.
 */
export function torchLinearUniform(weights: Float32Array, biases: Float32Array, fanIn: number, rng: Random): void {
  const a = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < weights.length; i++) weights[i] = (2 * rng.float() - 1) * a;
  for (let i = 0; i < biases.length; i++) biases[i] = (2 * rng.float() - 1) * a;
}

/** How a network's weights start: see {@link glorotUniform}, {@link lecunUniform}, {@link torchLinearUniform}. */
export type WeightInit = 'glorot' | 'lecun' | 'torch';

/**
 * The 32-bit linear congruential generator of the PyTorch reference contract
 * (`s = (s · 1664525 + 1013904223) mod 2³²`, value `s / 2³²`), so data and init can be reproduced
 * number for number (the PyTorch reference contract: packages/engine/README.md, "Speed"). Not for anything but that contract.
 */
export class Lcg32 {
  constructor(public state: number = 12345) {
    this.state = state >>> 0;
  }
  /** The next value in [0, 1). */
  next(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state / 4294967296;
  }
  /** Fills `out` with the next `out.length` values (rounded to the array's precision). */
  fill<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.next();
    return out;
  }
}

/** The contract's init: `(2u − 1) · sqrt(6 / (fanIn + fanOut))` with u from the LCG, row-major [fanIn, fanOut]. */
export function lcgUniform(out: Float32Array, fanIn: number, fanOut: number, lcg: Lcg32): Float32Array {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < fanIn * fanOut; i++) out[i] = (lcg.next() * 2 - 1) * a;
  return out;
}

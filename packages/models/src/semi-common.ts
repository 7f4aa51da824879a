/**
 * Shared pieces of the semi-supervised detectors (`deepsad`, `devnet`): the network's spec in a saved model's
 * meta and back, and row gathering. Internal to this package.
 */
import { ModelFormatError, type Activation, type JsonValue, type Matrix } from '@abc/core';
import { DenseNetwork, type NetworkSpec } from '@abc/engine';

/** A network's spec as plain JSON for a model's meta. */
export function specToMeta(spec: NetworkSpec): { [key: string]: JsonValue } {
  const meta: { [key: string]: JsonValue } = { sizes: [...spec.sizes], activations: [...spec.activations] };
  if (spec.bias !== undefined) meta.bias = typeof spec.bias === 'boolean' ? spec.bias : [...spec.bias];
  if (spec.leakySlope !== undefined) meta.leakySlope = spec.leakySlope;
  return meta;
}

/** Rebuilds a network from a model's meta and its f32 `params`; a damaged state is a {@link ModelFormatError}. */
export function networkFromMeta(meta: { [key: string]: JsonValue | undefined }, params: unknown, who: string): DenseNetwork {
  const { sizes, activations, bias, leakySlope } = meta;
  if (!Array.isArray(sizes) || !Array.isArray(activations) || !(params instanceof Float32Array)) {
    throw new ModelFormatError(`${who}.setState: state lacks sizes, activations or the f32 tensor "params"`);
  }
  const spec: NetworkSpec = { sizes: sizes.map(Number), activations: activations.map(String) as Activation[] };
  if (typeof bias === 'boolean') spec.bias = bias;
  else if (Array.isArray(bias)) spec.bias = bias.map(Boolean);
  if (typeof leakySlope === 'number') spec.leakySlope = leakySlope;
  try {
    return new DenseNetwork(spec, { params });
  } catch (e) {
    throw new ModelFormatError(`${who}.setState: ${(e as Error).message}`, { cause: e });
  }
}

/** Copies rows `idx[0 .. count)` of X into `out` (count × cols). */
export function gatherRows(X: Matrix, idx: ArrayLike<number>, count: number, out: Float32Array): Float32Array {
  const d = X.cols;
  for (let k = 0; k < count; k++) {
    const r = idx[k];
    out.set(X.data.subarray(r * d, (r + 1) * d), k * d);
  }
  return out;
}

/** Yields to the event loop (between epochs), so that an abort or a progress listener can run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((ok) => setTimeout(ok, 0));
}

import type { DenseExportSpec } from '@abc/core';
import type { DenseNetwork } from './dense.js';

/**
 * The layers of a network as a dense export spec gives them (weights and biases copied, sizes, activation):
 * one place for every detector that exports a network.
 *
 * @example
 * const spec: DenseExportSpec = { kind: 'dense', layers: denseExportLayers(net), scoreKind: 'sigmoid' };
 */
export function denseExportLayers(net: DenseNetwork): DenseExportSpec['layers'] {
  return net.layers.map((L, l) => ({
    W: Float32Array.from(net.weights(l)),
    b: Float32Array.from(net.biases(l)),
    inputSize: L.inputSize,
    outputSize: L.outputSize,
    activation: L.activation,
  }));
}

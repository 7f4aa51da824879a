/** Export checks shared by the semi-supervised detectors' `toExportSpec()`. Internal to this package. */
import { UnsupportedExportError } from '@abc/core';
import { LEAKY_SLOPE, type DenseNetwork } from '@abc/engine';

/**
 * A dense export spec carries no leaky slope: ONNX's LeakyRelu default alpha, the engine's 0.01, is the only one
 * an exported network can have. Raises `UnsupportedExportError` for a network with another slope.
 */
export function checkExportSlope(net: DenseNetwork, who: string): void {
  const slope = net.spec.leakySlope ?? LEAKY_SLOPE;
  if (slope !== LEAKY_SLOPE && net.spec.activations.includes('leakyRelu')) {
    throw new UnsupportedExportError(`${who}: a leaky slope of ${slope} cannot be exported (only ${LEAKY_SLOPE})`);
  }
}

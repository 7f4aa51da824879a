import { BackendUnavailableError, type Detector } from '@abc/core';

/** Scoring an `.onnx` file needs @abc/onnx-export; until it is wired in, say so clearly. */
export async function loadOnnxModel(path: string): Promise<Detector> {
  throw new BackendUnavailableError('onnx', `${path}: scoring ONNX files needs @abc/onnx-export, which this build of the CLI does not include yet`);
}

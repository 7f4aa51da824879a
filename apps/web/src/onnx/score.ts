import { type BackendUnavailableError, ValidationError, table, tableToMatrix, validateMatrix } from '@abc/core';
import { parseCsv } from '@abc/eval';
import { OnnxDetector, type OnnxBackend } from '@abc/onnx-export';

/** An exported model opened in onnxruntime-web, and which backend it runs on. */
export interface OpenedModel {
  detector: OnnxDetector;
  backend: OnnxBackend;
  /** Why WebGPU was not used, when it was not. */
  fallbackReason: string | null;
}

/**
 * Opens an exported model with `@abc/onnx-export`'s runtime choice: WebGPU alone first, and wasm as the explicit
 * fallback when WebGPU is missing or fails to start (the library raises `BackendUnavailableError` saying why, and
 * reports it through `onFallback`). `prefer: 'wasm'` skips WebGPU.
 *
 * @example
 * const { detector, backend } = await openModel(onnxBytes); // backend 'webgpu' or 'wasm'
 */
export async function openModel(bytes: Uint8Array, prefer: 'webgpu' | 'wasm' = 'webgpu'): Promise<OpenedModel> {
  let fallbackReason: string | null = prefer === 'wasm' ? 'wasm was asked for' : null;
  const detector = await OnnxDetector.load(bytes, {
    backend: prefer,
    fallback: prefer === 'webgpu' ? 'wasm' : null,
    onFallback: (e: BackendUnavailableError) => {
      fallbackReason = e.message;
    },
  });
  return { detector, backend: detector.activeBackend ?? prefer, fallbackReason };
}

/**
 * Scores a CSV with an opened model: its fit-time feature columns are picked by name (others, a label column
 * included, are ignored); a missing one is an error naming it, as for the CLI.
 *
 * @example
 * const scores = await scoreCsv(model.detector, text, 'new.csv');
 */
export async function scoreCsv(detector: OnnxDetector, text: string, name: string): Promise<Float32Array> {
  const { table: t } = parseCsv(text, { name });
  const names = detector.featureNames ?? t.names.slice(0, detector.nFeatures);
  const index = new Map(t.names.map((n, j) => [n, j]));
  const missing = names.find((n) => !index.has(n));
  if (missing !== undefined) {
    throw new ValidationError(
      'feature-names',
      `${name}: column "${missing}" that the model was fitted on is missing; the header has ${t.names.map((h) => `"${h}"`).join(', ')}`,
    );
  }
  const X = validateMatrix(
    tableToMatrix(
      table(
        names,
        names.map((n) => t.columns[index.get(n)!]),
      ),
    ),
  );
  return detector.scoreSamples(X);
}

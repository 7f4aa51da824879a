import type { BackendUnavailableError } from '@abc/core';
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

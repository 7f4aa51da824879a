import { ValidationError, type Detector } from '@abc/core';
import { OnnxDetector, ONNX_BACKENDS, registerOnnxDetector, type OnnxBackend } from '@abc/onnx-export';
import { UsageError } from './errors.js';

/** Backend choice of commands that score: `--backend cpu|wasm|cuda` and the opt-in `--fallback`. */
export interface BackendChoice {
  backend?: string;
  fallback?: string;
}

function backendOf(value: string | undefined, flag: string): OnnxBackend | undefined {
  if (value === undefined) return undefined;
  if (!(ONNX_BACKENDS as readonly string[]).includes(value) || value === 'webgpu') {
    throw new UsageError(`${flag} must be cpu, wasm or cuda (webgpu runs in the browser), got "${value}"`);
  }
  return value as OnnxBackend;
}

/**
 * Opens an `.onnx` file in onnxruntime for scoring. onnxruntime does not fall back by itself: asking for
 * cuda where the CUDA provider is not installed raises BackendUnavailableError (exit 4) with the install hint,
 * unless `--fallback cpu` was given.
 */
export async function loadOnnxModel(path: string, choice: BackendChoice = {}): Promise<Detector> {
  registerOnnxDetector();
  const backend = backendOf(choice.backend, '--backend') ?? 'cpu';
  const fallback = backendOf(choice.fallback, '--fallback') ?? null;
  return OnnxDetector.load(path, {
    backend,
    fallback,
    onFallback: (e) => process.stderr.write(`warning: ${e.message}; scoring on ${fallback} instead (--fallback)\n`),
  });
}

/** Saved `.abc` models run in this process; the backend flags only apply to `.onnx` files. */
export function rejectBackendFlags(path: string, choice: BackendChoice): void {
  if (choice.backend !== undefined || choice.fallback !== undefined) {
    throw new ValidationError(
      'param',
      `${path}: --backend and --fallback apply to .onnx models; a saved .abc model scores in this process (export it with abc export to use onnxruntime)`,
    );
  }
}

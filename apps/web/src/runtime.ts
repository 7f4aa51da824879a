import * as ort from 'onnxruntime-web/webgpu';

/** Which execution provider scored, and what the WebGPU adapter said about itself when there was one. */
export interface Scorer {
  provider: 'webgpu' | 'wasm';
  fallbackReason: string | null;
  adapter: Record<string, unknown> | null;
  inputName: string;
  outputNames: readonly string[];
  /** Scores an [n, d] float32 block; returns the model's `score` output. */
  score(data: Float32Array, rows: number, cols: number): Promise<Float32Array>;
}

/**
 * Opens a model on WebGPU alone (onnxruntime-web silently falls back to wasm when both are listed, which
 * would hide which one ran), and on wasm only when WebGPU is missing or fails, recording why.
 */
export async function openScorer(model: Uint8Array, prefer: 'webgpu' | 'wasm' = 'webgpu'): Promise<Scorer> {
  let provider: 'webgpu' | 'wasm' = prefer;
  let fallbackReason: string | null = null;
  let adapter: Record<string, unknown> | null = null;
  let session: ort.InferenceSession;
  try {
    if (prefer !== 'webgpu') throw new Error('wasm was asked for');
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null> } }).gpu;
    if (!gpu) throw new Error('this browser has no navigator.gpu (WebGPU)');
    const a = await gpu.requestAdapter();
    if (!a) throw new Error('navigator.gpu.requestAdapter() gave no adapter');
    const info = a.info ?? {};
    adapter = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: a.isFallbackAdapter ?? (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null };
    session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
  } catch (e) {
    if (prefer === 'webgpu') fallbackReason = (e as Error).message;
    provider = 'wasm';
    session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  }
  const inputName = session.inputNames[0];
  return {
    provider,
    fallbackReason,
    adapter,
    inputName,
    outputNames: session.outputNames,
    async score(data, rows, cols) {
      const out = await session.run({ [inputName]: new ort.Tensor('float32', data, [rows, cols]) });
      const s = out.score ?? out[session.outputNames[0]];
      return Float32Array.from(s.data as Float32Array);
    },
  };
}

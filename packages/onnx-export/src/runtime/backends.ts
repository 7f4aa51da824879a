import { BackendUnavailableError } from '@abc/core';

/**
 * Where an ONNX model runs: onnxruntime-node's `cpu` and `cuda` execution providers (Node), onnxruntime-web's
 * `wasm` (Node and the browser) and `webgpu` (the browser). All runtime choice lives in this module: a backend
 * resolves to a runtime module and a session, or raises `BackendUnavailableError` saying why and what to do.
 * onnxruntime never falls back by itself (`['cuda', 'cpu']` throws when CUDA is missing; onnxruntime-web
 * silently uses wasm when `['webgpu', 'wasm']` are listed), so each session is given exactly one provider and
 * any fallback is the caller's explicit choice.
 */
export type OnnxBackend = 'cpu' | 'cuda' | 'wasm' | 'webgpu';
export const ONNX_BACKENDS: readonly OnnxBackend[] = ['cpu', 'cuda', 'wasm', 'webgpu'];

/** The part of onnxruntime's JavaScript API (onnxruntime-common, shared by -node and -web) this package uses. */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

/** The install hint of the CUDA provider, part of the `BackendUnavailableError` message for `cuda`. */
export const CUDA_INSTALL_HINT =
  "onnxruntime-node's CUDA execution provider is not installed (the npm package bundles only cpu and webgpu). " +
  'Install it on Linux x64 with CUDA 12 and cuDNN 9: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 and its install ' +
  'script allowed (npm: `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`; pnpm: `allowBuilds: { onnxruntime-node: true }` in ' +
  "pnpm-workspace.yaml, then `ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm install --force`). Or pass { fallback: 'cpu' } to score on the CPU; " +
  'onnxruntime does not fall back by itself.';

export const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** A module name kept out of bundlers' static analysis, so a browser bundle never pulls in onnxruntime-node. */
const NODE_RUNTIME = 'onnxruntime-node';

const cache = new Map<string, Promise<OrtModule>>();

function importOnce(key: string, load: () => Promise<unknown>): Promise<OrtModule> {
  let p = cache.get(key);
  if (!p) {
    p = load().then((m) => {
      const mod = m as Partial<OrtModule> & { default?: OrtModule };
      return (mod.InferenceSession ? mod : mod.default) as OrtModule;
    });
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** The onnxruntime module a backend runs on (imported on first use). */
export async function loadRuntime(backend: OnnxBackend): Promise<OrtModule> {
  switch (backend) {
    case 'cpu':
    case 'cuda':
      if (!isNode)
        throw new BackendUnavailableError(
          backend,
          `backend "${backend}" needs onnxruntime-node, which runs only in Node; in the browser use "wasm" or "webgpu"`,
        );
      try {
        return await importOnce('node', () => import(/* @vite-ignore */ NODE_RUNTIME));
      } catch (e) {
        throw new BackendUnavailableError(backend, `onnxruntime-node could not be loaded: ${(e as Error).message}`, { cause: e });
      }
    case 'wasm':
      try {
        return await importOnce('web', () => import('onnxruntime-web'));
      } catch (e) {
        throw new BackendUnavailableError(backend, `onnxruntime-web could not be loaded: ${(e as Error).message}`, { cause: e });
      }
    case 'webgpu':
      if (isNode || typeof navigator === 'undefined' || !('gpu' in navigator)) {
        throw new BackendUnavailableError(
          'webgpu',
          isNode
            ? 'backend "webgpu" runs in the browser (onnxruntime-web/webgpu); in Node use "cpu", "cuda" or "wasm"'
            : 'this browser has no WebGPU (navigator.gpu is missing); use "wasm", or start Chromium with --enable-unsafe-webgpu',
        );
      }
      try {
        return await importOnce('webgpu', () => import('onnxruntime-web/webgpu'));
      } catch (e) {
        throw new BackendUnavailableError('webgpu', `onnxruntime-web/webgpu could not be loaded: ${(e as Error).message}`, {
          cause: e,
        });
      }
    default:
      throw new BackendUnavailableError(
        String(backend),
        `unknown backend "${String(backend)}"; use one of ${ONNX_BACKENDS.join(', ')}`,
      );
  }
}

/**
 * Whether onnxruntime-node's CUDA provider library sits beside its binding (what ONNXRUNTIME_NODE_INSTALL=cuda12
 * downloads). Undefined where that cannot be told (another layout): then only a session start can tell.
 */
export async function cudaProviderInstalled(): Promise<boolean | undefined> {
  if (!isNode) return false;
  try {
    const { createRequire } = await import('node:module');
    const { dirname, join } = await import('node:path');
    const { existsSync, readdirSync } = await import('node:fs');
    const require = createRequire(import.meta.url);
    const root = dirname(dirname(require.resolve(NODE_RUNTIME)));
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    const binRoot = join(root, 'bin');
    if (!existsSync(binRoot)) return undefined;
    for (const napi of readdirSync(binRoot)) {
      const dir = join(binRoot, napi, process.platform, process.arch);
      if (existsSync(join(dir, lib))) return true;
    }
    return false;
  } catch {
    return undefined;
  }
}

export interface OpenedSession {
  ort: OrtModule;
  session: OrtSession;
  backend: OnnxBackend;
}

/**
 * Starts a session on exactly one backend, or raises `BackendUnavailableError` (with the install hint for
 * `cuda`). `runtime` replaces the imported onnxruntime module (a browser page that loaded its own build).
 */
export async function openSession(
  model: Uint8Array,
  backend: OnnxBackend,
  options: { runtime?: OrtModule; sessionOptions?: Record<string, unknown> } = {},
): Promise<OpenedSession> {
  if (!ONNX_BACKENDS.includes(backend)) {
    throw new BackendUnavailableError(
      String(backend),
      `unknown backend "${String(backend)}"; use one of ${ONNX_BACKENDS.join(', ')}`,
    );
  }
  if (backend === 'cuda' && !options.runtime) {
    const installed = await cudaProviderInstalled();
    if (installed === false) throw new BackendUnavailableError('cuda', CUDA_INSTALL_HINT);
  }
  const ort = options.runtime ?? (await loadRuntime(backend));
  try {
    const session = await ort.InferenceSession.create(model, {
      graphOptimizationLevel: 'all',
      ...options.sessionOptions,
      executionProviders: [backend],
    });
    return { ort, session, backend };
  } catch (e) {
    const message = (e as Error)?.message ?? String(e);
    if (backend === 'cuda') {
      throw new BackendUnavailableError('cuda', `the CUDA execution provider could not start: ${message}. ${CUDA_INSTALL_HINT}`, {
        cause: e,
      });
    }
    if (backend === 'webgpu') {
      throw new BackendUnavailableError('webgpu', `the WebGPU execution provider could not start: ${message}`, { cause: e });
    }
    throw e;
  }
}

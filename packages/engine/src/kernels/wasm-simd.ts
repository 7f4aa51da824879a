/**
 * The WebAssembly SIMD GEMM kernel: {@link GemmKernel} on the module built from `wasm/gemm.c` (packing into
 * 4-row / 8-column panels, a 4×8 register tile of f32x4 accumulators, float32 accumulation), embedded as
 * base64 in `wasm-bytes.generated.ts` so it loads in Node and the browser with neither `fs` nor `fetch`.
 *
 * Each kernel owns one `WebAssembly.Memory`: the packing scratch is allocated once, A, B and C are copied in
 * per call into one staging region that grows only when a larger product arrives (growing detaches the
 * Float32Array view, which is then re-created), by the same code as an arena's foreign operands
 * ({@link gemmInWasm}). At the contract's shapes the copies cost about 2-4% of the GEMM time; networks avoid them
 * altogether by keeping their buffers in the arena this kernel offers ({@link WasmSimdGemmKernel.createArena}).
 */
import { BackendUnavailableError } from '@abc/core';
import type { ComputeArena, GemmKernel } from './types.js';
import { align16, decodeBase64, gemmInWasm, type WasmGemmExport, type WasmGemmHost } from './wasm-util.js';
import { createWasmArena, precompileWasmArena } from './wasm-arena.js';

export { decodeBase64 };
import { WASM_GEMM_BASE64, WASM_GEMM_SHA256, WASM_GEMM_SIZE } from './wasm-bytes.generated.js';

export { WASM_GEMM_SHA256, WASM_GEMM_SIZE };

interface GemmExports {
  gemm: WasmGemmExport;
  gemm_scratch_bytes(): number;
  __heap_base: WebAssembly.Global;
}

const PAGE = 65536;

/** The embedded module's bytes (a fresh copy). */
export function wasmGemmBytes(): Uint8Array<ArrayBuffer> {
  return decodeBase64(WASM_GEMM_BASE64);
}

// The smallest module using a v128 value: validates only where WebAssembly SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x16,
  0x01, 0x14, 0x00, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b,
]);

/**
 * Why the WebAssembly SIMD kernel cannot run here, or null when it can (WebAssembly present, SIMD supported,
 * the embedded module valid).
 */
export function wasmSimdUnavailableReason(): string | null {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    return 'WebAssembly is not available in this runtime';
  }
  try {
    if (!WebAssembly.validate(SIMD_PROBE)) return 'WebAssembly SIMD (simd128) is not supported by this runtime';
    if (!WebAssembly.validate(wasmGemmBytes())) return 'the embedded wasm GEMM module does not validate in this runtime';
  } catch (e) {
    return `WebAssembly validation failed: ${(e as Error).message}`;
  }
  return null;
}

let compiled: WebAssembly.Module | null = null;
let compiling: Promise<WebAssembly.Module> | null = null;

function compileSync(): WebAssembly.Module {
  if (!compiled) compiled = new WebAssembly.Module(wasmGemmBytes());
  return compiled;
}

async function compileAsync(): Promise<WebAssembly.Module> {
  if (compiled) return compiled;
  compiling ??= WebAssembly.compile(wasmGemmBytes()).then((m) => (compiled = m));
  return compiling;
}

/**
 * The WebAssembly SIMD kernel. Create it with {@link createWasmSimdKernel} (synchronous: Node, workers, Deno;
 * a browser's main thread refuses to compile modules over 4 KB synchronously) or
 * {@link createWasmSimdKernelAsync} (everywhere). Single-threaded and not re-entrant, like the rest of the
 * engine; one instance may serve many networks.
 */
export class WasmSimdGemmKernel implements GemmKernel {
  readonly name = 'wasm-simd';
  private readonly memory: WebAssembly.Memory;
  private readonly exports: GemmExports;
  private readonly scratch: number;
  /** First byte of the A/B/C region (after stack, data and packing scratch). */
  private readonly base: number;
  private f32: Float32Array;
  /** Operands are staged from `base` on (nothing else lives in this memory, so every call reuses the region). */
  private readonly host: WasmGemmHost;

  /** Use {@link createWasmSimdKernel} or {@link createWasmSimdKernelAsync}. */
  constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory) {
    this.exports = instance.exports as unknown as GemmExports;
    this.memory = memory;
    const heap = align16(Number(this.exports.__heap_base.value));
    this.scratch = heap;
    this.base = align16(heap + this.exports.gemm_scratch_bytes());
    this.f32 = new Float32Array(memory.buffer);
    this.ensure(this.base);
    this.host = {
      gemmExport: this.exports.gemm,
      scratch: this.scratch,
      staging: (bytes) => {
        this.ensure(this.base + bytes);
        return this.base;
      },
      memoryView: () => this.f32,
      owns: () => false, // the memory is private: callers' arrays are never views of it
    };
  }

  /**
   * A resident-buffer arena on a shared memory (see wasm-arena.ts), or null where shared memory is off (a
   * browser page that is not cross-origin isolated): the network then stays on this copying kernel.
   */
  createArena(): ComputeArena | null {
    return createWasmArena();
  }

  /** Bytes of linear memory now held (grows with the largest product seen). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    }
    // Growing (by us) detaches the old buffer: re-create the view whenever it no longer matches.
    if (this.f32.buffer !== this.memory.buffer) this.f32 = new Float32Array(this.memory.buffer);
  }

  gemm(...args: Parameters<GemmKernel['gemm']>): void {
    gemmInWasm(this.host, ...args);
  }
}

/** A WebAssembly SIMD kernel, compiled synchronously (throws with the reason where it cannot run). */
export function createWasmSimdKernel(): WasmSimdGemmKernel {
  const reason = wasmSimdUnavailableReason();
  if (reason) throw new BackendUnavailableError('wasm-simd', `wasm-simd kernel unavailable: ${reason}`);
  const memory = newMemory();
  return new WasmSimdGemmKernel(new WebAssembly.Instance(compileSync(), { env: { memory } }), memory);
}

function newMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 32 });
}

/** A WebAssembly SIMD kernel, compiled asynchronously (works on a browser's main thread too). */
export async function createWasmSimdKernelAsync(): Promise<WasmSimdGemmKernel> {
  const reason = wasmSimdUnavailableReason();
  if (reason) throw new BackendUnavailableError('wasm-simd', `wasm-simd kernel unavailable: ${reason}`);
  const memory = newMemory();
  // Compile the arena's module too, so networks can create arenas synchronously on a browser's main thread.
  await precompileWasmArena().catch(() => undefined);
  const instance = await WebAssembly.instantiate(await compileAsync(), { env: { memory } });
  return new WasmSimdGemmKernel(instance, memory);
}

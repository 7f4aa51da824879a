/**
 * The WebAssembly SIMD GEMM kernel: {@link GemmKernel} on the module built from `wasm/gemm.c` (packing into
 * 4-row / 8-column panels, a 4×8 register tile of f32x4 accumulators, float32 accumulation), embedded as
 * base64 in `wasm-bytes.generated.ts` so it loads in Node and the browser with neither `fs` nor `fetch`.
 *
 * Each kernel owns one `WebAssembly.Memory`: the packing scratch is allocated once, A, B and C are copied in
 * per call into regions that grow only when a larger product arrives (growing detaches the Float32Array view,
 * which is then re-created). At the contract's shapes the copies cost about 2-4% of the GEMM time (about 1-2% of a
 * training step, measured by bench/kernels.ts); keeping the network's buffers in wasm memory would remove them.
 */
import type { ComputeArena } from './arena.js';
import type { GemmKernel } from './gemm.js';
import { align16, copyIn, copyOut, decodeBase64 } from './wasm-util.js';
import { createWasmArena, precompileWasmArena } from './wasm-arena.js';

export { decodeBase64 };
import { WASM_GEMM_BASE64, WASM_GEMM_SHA256, WASM_GEMM_SIZE } from './wasm-bytes.generated.js';

export { WASM_GEMM_SHA256, WASM_GEMM_SIZE };

interface GemmExports {
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
    scratch: number,
  ): void;
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
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b,
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

  /** Use {@link createWasmSimdKernel} or {@link createWasmSimdKernelAsync}. */
  constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory) {
    this.exports = instance.exports as unknown as GemmExports;
    this.memory = memory;
    const heap = align16(Number(this.exports.__heap_base.value));
    this.scratch = heap;
    this.base = align16(heap + this.exports.gemm_scratch_bytes());
    this.f32 = new Float32Array(memory.buffer);
    this.ensure(this.base);
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

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    A: Float32Array,
    aOffset: number,
    lda: number,
    B: Float32Array,
    bOffset: number,
    ldb: number,
    beta: number,
    C: Float32Array,
    cOffset: number,
    ldc: number,
  ): void {
    if (m <= 0 || n <= 0) return;
    const useAB = k > 0 && alpha !== 0;
    // Stored shapes (rows × cols) of A and B as the caller laid them out.
    const aRows = transA ? k : m;
    const aCols = transA ? m : k;
    const bRows = transB ? n : k;
    const bCols = transB ? k : n;
    const aBytes = useAB ? align16(aRows * aCols * 4) : 0;
    const bBytes = useAB ? align16(bRows * bCols * 4) : 0;
    const aPtr = this.base;
    const bPtr = aPtr + aBytes;
    const cPtr = bPtr + bBytes;
    this.ensure(cPtr + m * n * 4);
    const f32 = this.f32;
    if (useAB) {
      copyIn(f32, aPtr >> 2, A, aOffset, aRows, aCols, lda);
      copyIn(f32, bPtr >> 2, B, bOffset, bRows, bCols, ldb);
    }
    // beta = 0: C is write-only (the kernel zeroes its copy), so nothing needs copying in.
    if (beta !== 0) copyIn(f32, cPtr >> 2, C, cOffset, m, n, ldc);
    if (useAB) {
      this.exports.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, aPtr, aCols, bPtr, bCols, beta, cPtr, n, this.scratch);
    } else if (beta !== 1) {
      this.exports.gemm(0, 0, m, n, 0, alpha, 0, 1, 0, 1, beta, cPtr, n, this.scratch);
    } else {
      return; // C unchanged
    }
    copyOut(f32, cPtr >> 2, C, cOffset, m, n, ldc);
  }
}

/** A WebAssembly SIMD kernel, compiled synchronously (throws with the reason where it cannot run). */
export function createWasmSimdKernel(): WasmSimdGemmKernel {
  const reason = wasmSimdUnavailableReason();
  if (reason) throw new Error(`wasm-simd kernel unavailable: ${reason}`);
  const memory = newMemory();
  return new WasmSimdGemmKernel(new WebAssembly.Instance(compileSync(), { env: { memory } }), memory);
}

function newMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 32 });
}

/** A WebAssembly SIMD kernel, compiled asynchronously (works on a browser's main thread too). */
export async function createWasmSimdKernelAsync(): Promise<WasmSimdGemmKernel> {
  const reason = wasmSimdUnavailableReason();
  if (reason) throw new Error(`wasm-simd kernel unavailable: ${reason}`);
  const memory = newMemory();
  // Compile the arena's module too, so networks can create arenas synchronously on a browser's main thread.
  await precompileWasmArena().catch(() => undefined);
  const instance = await WebAssembly.instantiate(await compileAsync(), { env: { memory } });
  return new WasmSimdGemmKernel(instance, memory);
}

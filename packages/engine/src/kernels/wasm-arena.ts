/**
 * The WebAssembly SIMD compute arena: the module built from `wasm/gemm.c` + `wasm/ops.c` instantiated on its own
 * shared `WebAssembly.Memory`, with a bump allocator for the network's buffers. A shared memory grows in place
 * and never detaches the views already handed out, which is what lets a network keep `params`, `grads`, Adam's
 * moments and its workspaces there for its whole life. Products and element-wise passes on those views run with
 * no copy; foreign arrays passed to `gemm` go through a staging area.
 *
 * Where a shared memory cannot be made (a browser page that is not cross-origin isolated, where
 * SharedArrayBuffer is off), {@link createWasmArena} returns null with the reason in
 * {@link wasmArenaUnavailableReason}, and the network stays on ordinary arrays with the copying kernel.
 *
 * One arena per network: its memory is released with the network (garbage collected), and nothing is freed
 * inside it (workspaces grow rarely: only when a larger batch arrives).
 */
import { ValidationError } from '@abc/core';
import type { Activation } from '@abc/core';
import { arenaOf, registerArenaBuffer } from './arena.js';
import type { ComputeArena } from './types.js';
import { align16, decodeBase64, gemmInWasm, type WasmGemmExport, type WasmGemmHost } from './wasm-util.js';
import { WASM_GEMM_SHARED_BASE64 } from './wasm-bytes-shared.generated.js';

interface ArenaExports {
  gemm: WasmGemmExport;
  gemm_scratch_bytes(): number;
  bias_act(act: number, c: number, rows: number, n: number, bias: number): void;
  act_grad_colsum(act: number, y: number, dA: number, dZ: number, rows: number, n: number, colsum: number): void;
  activate(act: number, v: number, count: number): void;
  row_sqdiff(r: number, x: number, rows: number, cols: number, sums: number): void;
  scale_diff(r: number, x: number, rows: number, cols: number, coef: number, d: number): void;
  adam_step(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    b2: number,
    omb1: number,
    omb2: number,
    step: number,
    bc2: number,
    eps: number,
  ): void;
  __heap_base: WebAssembly.Global;
}

/**
 * Runs part of a product on another thread over the arena's memory (see src/node/threads.ts). Pointers are
 * byte addresses in the arena; the helper uses its own packing scratch.
 */
export interface GemmSplitter {
  /** Products under this many floating-point operations (2·m·n·k) stay on the calling thread. */
  readonly minFlops: number;
  /** Starts `gemm(...)` on the helper thread; false when it cannot now (the caller then computes all of it). */
  start(
    ta: number,
    tb: number,
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
  ): boolean;
  /** Starts Adam on `n` parameters (byte addresses) on the helper thread; false when it cannot now. */
  startAdam?(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    b2: number,
    omb1: number,
    omb2: number,
    step: number,
    bc2: number,
    eps: number,
  ): boolean;
  /** Waits until the started part is done. */
  join(): void;
}

const PAGE = 65536;
/** The module's declared maximum (build.sh: --max-memory=1 GiB). */
const MAX_PAGES = 16384;
// The codes of wasm/ops.c. Its leakyRelu has the engine's default slope (LEAKY_SLOPE) built in: a network with
// another slope stays off the arena (DenseNetwork).
const ACT_CODE: Record<Activation, number> = { linear: 0, tanh: 1, sigmoid: 2, relu: 3, leakyRelu: 4 };

function actCode(act: Activation): number {
  const code = ACT_CODE[act];
  if (!(code >= 0))
    throw new ValidationError('param', `WasmArena: no wasm pass for activation "${act}" (run it on ordinary arrays)`);
  return code;
}

let compiled: WebAssembly.Module | null = null;
let compiling: Promise<WebAssembly.Module> | null = null;
let unavailable: string | null | undefined;

/** Why no arena can be made here (no SharedArrayBuffer, no shared wasm memory, no SIMD), or null when it can. */
export function wasmArenaUnavailableReason(): string | null {
  if (unavailable !== undefined) return unavailable;
  unavailable = probe();
  return unavailable;
}

function probe(): string | null {
  if (typeof WebAssembly !== 'object') return 'WebAssembly is not available in this runtime';
  if (typeof SharedArrayBuffer !== 'function')
    return 'SharedArrayBuffer is not available (a browser page must be cross-origin isolated)';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (e) {
    return `a shared WebAssembly.Memory cannot be created here: ${(e as Error).message}`;
  }
  try {
    if (!WebAssembly.validate(decodeBase64(WASM_GEMM_SHARED_BASE64)))
      return 'the embedded shared-memory wasm module does not validate here (SIMD or threads unsupported)';
  } catch (e) {
    return `WebAssembly validation failed: ${(e as Error).message}`;
  }
  return null;
}

/** Compiles the shared-memory module ahead of time (lets a browser's main thread create arenas synchronously). */
export async function precompileWasmArena(): Promise<void> {
  if (compiled || wasmArenaUnavailableReason()) return;
  compiling ??= WebAssembly.compile(decodeBase64(WASM_GEMM_SHARED_BASE64)).then((m) => (compiled = m));
  await compiling;
}

/**
 * A new arena, or null where none can be made here (the reason: {@link wasmArenaUnavailableReason}, or a
 * synchronous compile refused on a browser's main thread before {@link precompileWasmArena} ran).
 */
export function createWasmArena(): WasmArena | null {
  if (wasmArenaUnavailableReason()) return null;
  try {
    compiled ??= new WebAssembly.Module(decodeBase64(WASM_GEMM_SHARED_BASE64));
    const memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
    return new WasmArena(new WebAssembly.Instance(compiled, { env: { memory } }), memory, compiled);
  } catch {
    return null;
  }
}

/** See the module comment. Create with {@link createWasmArena}. Single-threaded, not re-entrant. */
export class WasmArena implements ComputeArena {
  readonly name = 'wasm-simd';
  private readonly x: ArenaExports;
  private readonly memory: WebAssembly.Memory;
  private readonly scratch: number;
  private top: number;
  private f32: Float32Array;
  private stagePtr = 0;
  private stageBytes = 0;
  private splitter: GemmSplitter | null = null;
  private lossStage: Float32Array | null = null;
  private rowScratch: Float64Array | null = null;
  private readonly host: WasmGemmHost;
  /** The compiled module (a helper thread instantiates it on {@link wasmMemory}). */
  readonly wasmModule: WebAssembly.Module;

  constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory, module: WebAssembly.Module) {
    this.wasmModule = module;
    this.x = instance.exports as unknown as ArenaExports;
    this.memory = memory;
    this.scratch = align16(Number(this.x.__heap_base.value));
    this.top = align16(this.scratch + this.x.gemm_scratch_bytes());
    this.f32 = this.view();
    this.ensure(this.top);
    this.host = {
      gemmExport: this.x.gemm,
      scratch: this.scratch,
      staging: (bytes) => this.staging(bytes),
      memoryView: () => this.f32,
      owns: (a) => this.owns(a),
    };
  }

  /** The arena's shared memory (for a helper thread). */
  get wasmMemory(): WebAssembly.Memory {
    return this.memory;
  }

  /** Bytes of packing scratch one thread's products need. */
  get scratchBytes(): number {
    return this.x.gemm_scratch_bytes();
  }

  /** Reserves `bytes` raw bytes (16-byte aligned) and returns their address (a helper's scratch, a control block). */
  allocBytes(bytes: number): number {
    return this.reserveBytes(bytes);
  }

  /** Lets large products be split across a helper thread (null: one thread). Results stay bit-identical. */
  setSplitter(splitter: GemmSplitter | null): void {
    this.splitter = splitter;
  }

  /** Bytes of memory the arena holds now. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes handed out so far (allocations and staging, with alignment). */
  get allocatedBytes(): number {
    return this.top;
  }

  private view(): Float32Array {
    const buffer = this.memory.buffer;
    registerArenaBuffer(buffer, this);
    return new Float32Array(buffer);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) {
        throw new ValidationError(
          'range',
          `wasm arena: ${bytes} bytes needed, above its ${MAX_PAGES * PAGE} byte limit (use a smaller batch)`,
        );
      }
      this.memory.grow(pages);
    }
    // A grown shared memory gives a new, longer buffer object; earlier views stay valid on the old one.
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) this.f32 = this.view();
  }

  private reserveBytes(bytes: number): number {
    const ptr = align16(this.top);
    this.ensure(ptr + bytes);
    this.top = ptr + bytes;
    return ptr;
  }

  alloc(length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0)
      throw new ValidationError('param', `wasm arena: cannot allocate ${length} floats`);
    const ptr = this.reserveBytes(length * 4);
    // Fresh pages are zero and nothing is reused, so the view starts zero-filled.
    // On the registered buffer object (see view()), so owns() and arenaOf() recognise the view.
    return new Float32Array(this.f32.buffer, ptr, length);
  }

  owns(a: Float32Array): boolean {
    // Views made before a growth sit on an earlier buffer object of the same memory: all are registered.
    return a.buffer === this.f32.buffer || arenaOf(a) === this;
  }

  /** Byte address of a[offset] in the arena. */
  private ptr(a: Float32Array, offset: number): number {
    return a.byteOffset + offset * 4;
  }

  private staging(bytes: number): number {
    if (bytes > this.stageBytes) {
      this.stageBytes = Math.max(bytes, this.stageBytes * 2);
      this.stagePtr = this.reserveBytes(this.stageBytes);
    }
    return this.stagePtr;
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
    if ((!useAB || (this.owns(A) && this.owns(B))) && this.owns(C)) {
      const ta = transA ? 1 : 0;
      const tb = transB ? 1 : 0;
      const a = useAB ? this.ptr(A, aOffset) : 0;
      const b = useAB ? this.ptr(B, bOffset) : 0;
      const c = this.ptr(C, cOffset);
      const sp = this.splitter;
      if (sp && useAB && 2 * m * n * k >= sp.minFlops && this.split(sp, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
        return;
      this.x.gemm(ta, tb, m, n, useAB ? k : 0, alpha, a, lda, b, ldb, beta, c, ldc, this.scratch);
      return;
    }
    // Foreign operands: copied densely into the staging area (one region, grown on demand).
    gemmInWasm(this.host, transA, transB, m, n, k, alpha, A, aOffset, lda, B, bOffset, ldb, beta, C, cOffset, ldc);
  }

  /**
   * Splits C in two (by columns when n ≥ m, else by rows, on tile boundaries): the helper takes the second part.
   * The depth blocking depends on k alone, so every element sums in the one-thread order (bit-identical).
   */
  private split(
    sp: GemmSplitter,
    ta: number,
    tb: number,
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
  ): boolean {
    if (n >= m && n >= 16) {
      const n0 = Math.ceil(n / 2 / 8) * 8;
      if (!sp.start(ta, tb, m, n - n0, k, alpha, a, lda, b + (tb ? n0 * ldb : n0) * 4, ldb, beta, c + n0 * 4, ldc)) return false;
      this.x.gemm(ta, tb, m, n0, k, alpha, a, lda, b, ldb, beta, c, ldc, this.scratch);
    } else if (m >= 8) {
      const m0 = Math.ceil(m / 2 / 4) * 4;
      if (!sp.start(ta, tb, m - m0, n, k, alpha, a + (ta ? m0 : m0 * lda) * 4, lda, b, ldb, beta, c + m0 * ldc * 4, ldc))
        return false;
      this.x.gemm(ta, tb, m0, n, k, alpha, a, lda, b, ldb, beta, c, ldc, this.scratch);
    } else return false;
    sp.join();
    return true;
  }

  biasActivate(
    act: Activation,
    C: Float32Array,
    cOffset: number,
    rows: number,
    n: number,
    bias: Float32Array,
    biasOffset: number,
  ): void {
    this.check(C, bias);
    this.x.bias_act(actCode(act), this.ptr(C, cOffset), rows, n, this.ptr(bias, biasOffset));
  }

  /** `v[offset .. offset+count) = act(v)` in place (a view of this arena). */
  activate(act: Activation, v: Float32Array, offset: number, count: number): void {
    this.check(v);
    this.x.activate(actCode(act), this.ptr(v, offset), count);
  }

  activationGradColSum(
    act: Activation,
    y: Float32Array,
    dA: Float32Array,
    dZ: Float32Array,
    rows: number,
    n: number,
    colSum: Float32Array,
    colSumOffset: number,
  ): void {
    this.check(y, dA, dZ, colSum);
    this.x.act_grad_colsum(actCode(act), y.byteOffset, dA.byteOffset, dZ.byteOffset, rows, n, this.ptr(colSum, colSumOffset));
  }

  /** `x` as an arena view: itself when it is one, else its rows copied into a staging view kept for reuse. */
  private resident(x: Float32Array, xOffset: number, length: number): Float32Array {
    if (this.owns(x)) return x.subarray(xOffset, xOffset + length);
    if (!this.lossStage || this.lossStage.length < length) this.lossStage = this.alloc(length);
    const stage = this.lossStage.subarray(0, length);
    stage.set(x.subarray(xOffset, xOffset + length));
    return stage;
  }

  private rows64(rows: number): Float64Array {
    if (!this.rowScratch || this.rowScratch.length < rows) {
      const f = this.alloc(rows * 2); // 16-byte aligned, so a valid Float64Array
      this.rowScratch = new Float64Array(f.buffer, f.byteOffset, rows);
    }
    return this.rowScratch;
  }

  squaredDiffRows(
    r: Float32Array,
    x: Float32Array,
    xOffset: number,
    rows: number,
    cols: number,
    sums: Float64Array,
  ): Float32Array {
    this.check(r);
    const xs = this.resident(x, xOffset, rows * cols);
    const out = this.rows64(rows);
    this.x.row_sqdiff(r.byteOffset, xs.byteOffset, rows, cols, out.byteOffset);
    sums.set(out.subarray(0, rows));
    return xs;
  }

  scaleDiffRows(
    r: Float32Array,
    x: Float32Array,
    xOffset: number,
    rows: number,
    cols: number,
    coef: Float64Array,
    d: Float32Array,
  ): void {
    this.check(r, d);
    const xs = this.resident(x, xOffset, rows * cols);
    const c = this.rows64(rows);
    c.set(coef.subarray(0, rows));
    this.x.scale_diff(r.byteOffset, xs.byteOffset, rows, cols, c.byteOffset, d.byteOffset);
  }

  adamStep(
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    c: { beta1: number; beta2: number; stepSize: number; bc2Sqrt: number; eps: number },
  ): void {
    this.check(params, grads, m, v);
    const n = params.length;
    if (grads.length !== n || m.length !== n || v.length !== n)
      throw new ValidationError('shape', 'wasm arena: adamStep needs four arrays of one length');
    // Coefficients enter as float32, as in PyTorch's float kernels. Element-wise, so a split changes no bit.
    const [p, g, mp, vp] = [params.byteOffset, grads.byteOffset, m.byteOffset, v.byteOffset];
    const k = [c.beta1, c.beta2, 1 - c.beta1, 1 - c.beta2, c.stepSize, c.bc2Sqrt, c.eps] as const;
    const sp = this.splitter;
    const half = (n >> 3) << 2; // a multiple of 4 near n / 2: both parts stay on whole vectors
    if (
      sp?.startAdam &&
      half >= 32768 &&
      sp.startAdam(p + half * 4, g + half * 4, mp + half * 4, vp + half * 4, n - half, ...k)
    ) {
      this.x.adam_step(p, g, mp, vp, half, ...k);
      sp.join();
      return;
    }
    this.x.adam_step(p, g, mp, vp, n, ...k);
  }

  private check(...arrays: Float32Array[]): void {
    for (const a of arrays)
      if (!this.owns(a))
        throw new ValidationError('param', 'wasm arena: an element-wise pass got an array that does not live in this arena');
  }
}

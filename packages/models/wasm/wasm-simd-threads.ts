/**
 * A two-thread variant of the WebAssembly SIMD GEMM (Node only: `node:worker_threads` and a
 * SharedArrayBuffer-backed `WebAssembly.Memory`). It lives outside `src/` because `src/` is browser-safe
 * (test/detectors.test.ts checks it); import it from this file (tests and bench/kernels.ts do).
 *
 * The main thread and one worker run the same module (`wasm/gemm-shared.wasm`, built from the same gemm.c)
 * on one shared memory: C is split into two halves (by columns when n ≥ m, else by rows, on tile boundaries),
 * each thread packs and multiplies its half with its own scratch. The depth blocking depends on k alone, so
 * every element is summed in the same order as on one thread: results are bit-identical to
 * {@link WasmSimdGemmKernel}. Dispatch and join go through `Atomics` on a control block in the shared memory
 * (the worker spins briefly, then sleeps in `Atomics.wait`).
 *
 * "Never slower than one thread by default": with `mode: 'auto'` (the default) the kernel times one and two
 * threads at the contract's largest product when created and uses the second thread only if it is at least
 * 10% faster; small products (under `minFlops`) always run on the calling thread.
 */
import { Worker } from 'node:worker_threads';
import type { GemmKernel } from '../src/engine/kernels/gemm.js';
import { align16, copyIn, copyOut, decodeBase64 } from '../src/engine/kernels/wasm-util.js';
import { WASM_GEMM_SHARED_BASE64 } from '../src/engine/kernels/wasm-bytes-shared.generated.js';

interface GemmExports {
  gemm(...args: number[]): void;
  gemm_scratch_bytes(): number;
  __heap_base: WebAssembly.Global;
}

export interface WasmSimdThreadsOptions {
  /** 'auto' (default): calibrate at creation, use the worker only when it is faster; 'always'; 'never'. */
  mode?: 'auto' | 'always' | 'never';
  /** Products under this many floating-point operations (2·m·n·k) run on the calling thread (default 2e6). */
  minFlops?: number;
  /** Iterations the worker spins on the control block before sleeping in Atomics.wait (default 20,000). */
  spin?: number;
}

export interface ThreadsCalibration {
  /** Seconds per product on one thread and on two (best of the timed repetitions). */
  oneThread: number;
  twoThreads: number;
  useWorker: boolean;
}

const PAGE = 65536;
const MAX_PAGES = 16384; // the module's declared maximum (1 GiB)
// Control block (Int32 slots): 0 job sequence (main), 1 done sequence (worker), 2 quit, 3.. job arguments.
const CTRL_SLOTS = 32;
const ARG = 3;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl: at, spin } = workerData;
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
const ctrl = new Int32Array(memory.buffer, at, ${CTRL_SLOTS});
const f32 = new Float32Array(memory.buffer, at, ${CTRL_SLOTS});
let seen = 0;
for (;;) {
  let n = 0;
  while (Atomics.load(ctrl, 0) === seen) {
    if (++n > spin) { Atomics.wait(ctrl, 0, seen); n = 0; }
  }
  seen = Atomics.load(ctrl, 0);
  if (Atomics.load(ctrl, 2) !== 0) break;
  const a = ${ARG};
  gemm(ctrl[a], ctrl[a + 1], ctrl[a + 2], ctrl[a + 3], ctrl[a + 4], f32[a + 5], ctrl[a + 6], ctrl[a + 7],
       ctrl[a + 8], ctrl[a + 9], f32[a + 10], ctrl[a + 11], ctrl[a + 12], ctrl[a + 13]);
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}
`;


/** The two-thread kernel. Create with {@link createWasmSimdThreadsKernel}; call {@link dispose} when done. */
export class WasmSimdThreadsGemmKernel implements GemmKernel {
  readonly name = 'wasm-simd-2t';
  readonly calibration: ThreadsCalibration | null;
  private readonly memory: WebAssembly.Memory;
  private readonly exports: GemmExports;
  private readonly worker: Worker;
  private readonly scratchMain: number;
  private readonly scratchWorker: number;
  private readonly ctrlAt: number;
  private readonly base: number;
  private readonly minFlops: number;
  private ctrl: Int32Array;
  private ctrlF32: Float32Array;
  private f32: Float32Array;
  private seq = 0;
  private useWorker: boolean;
  private disposed = false;

  constructor(options: WasmSimdThreadsOptions = {}) {
    const module = new WebAssembly.Module(decodeBase64(WASM_GEMM_SHARED_BASE64));
    this.memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as GemmExports;
    const heap = align16(Number(this.exports.__heap_base.value));
    const scratchBytes = align16(this.exports.gemm_scratch_bytes());
    this.scratchMain = heap;
    this.scratchWorker = heap + scratchBytes;
    this.ctrlAt = this.scratchWorker + scratchBytes;
    this.base = align16(this.ctrlAt + CTRL_SLOTS * 4);
    this.minFlops = options.minFlops ?? 2e6;
    this.f32 = new Float32Array(this.memory.buffer);
    this.ensure(this.base);
    this.ctrl = new Int32Array(this.memory.buffer, this.ctrlAt, CTRL_SLOTS);
    this.ctrlF32 = new Float32Array(this.memory.buffer, this.ctrlAt, CTRL_SLOTS);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory: this.memory, ctrl: this.ctrlAt, spin: options.spin ?? 20_000 },
    });
    this.worker.unref();
    const mode = options.mode ?? 'auto';
    this.useWorker = mode !== 'never';
    this.calibration = mode === 'auto' ? this.calibrate() : null;
    if (this.calibration) this.useWorker = this.calibration.useWorker;
  }

  /** Whether products over `minFlops` are split across the worker (false after a calibration that found no gain). */
  get threaded(): boolean {
    return this.useWorker;
  }

  /** Stops the worker; the kernel then runs on the calling thread only. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.useWorker = false;
    Atomics.store(this.ctrl, 2, 1);
    Atomics.add(this.ctrl, 0, 1);
    Atomics.notify(this.ctrl, 0);
    void this.worker.terminate();
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`wasm-simd-2t: a product needs ${bytes} bytes, over the 1 GiB maximum`);
      this.memory.grow(pages);
    }
    // A shared memory's buffer is replaced (not detached) on growth: re-create the view to see the new pages.
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) this.f32 = new Float32Array(this.memory.buffer);
  }

  private calibrate(): ThreadsCalibration {
    const [m, n, k] = [100, 300, 784];
    const A = new Float32Array(m * k).fill(0.5);
    const B = new Float32Array(k * n).fill(0.25);
    const C = new Float32Array(m * n);
    const time = (two: boolean) => {
      this.useWorker = two;
      let best = Infinity;
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        this.gemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, C, 0, n);
        best = Math.min(best, performance.now() - t0);
      }
      return best / 1000;
    };
    time(true); // wakes the worker, warms both instances
    let oneThread = Infinity;
    let twoThreads = Infinity;
    for (let round = 0; round < 3; round++) {
      oneThread = Math.min(oneThread, time(false));
      twoThreads = Math.min(twoThreads, time(true));
    }
    return { oneThread, twoThreads, useWorker: twoThreads <= 0.9 * oneThread };
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
    if (!useAB && beta === 1) return;
    const aRows = transA ? k : m;
    const aCols = transA ? m : k;
    const bRows = transB ? n : k;
    const bCols = transB ? k : n;
    const aPtr = this.base;
    const bPtr = aPtr + (useAB ? align16(aRows * aCols * 4) : 0);
    const cPtr = bPtr + (useAB ? align16(bRows * bCols * 4) : 0);
    this.ensure(cPtr + m * n * 4);
    const f32 = this.f32;
    if (useAB) {
      copyIn(f32, aPtr >> 2, A, aOffset, aRows, aCols, lda);
      copyIn(f32, bPtr >> 2, B, bOffset, bRows, bCols, ldb);
    }
    if (beta !== 0) copyIn(f32, cPtr >> 2, C, cOffset, m, n, ldc);
    const ta = transA ? 1 : 0;
    const tb = transB ? 1 : 0;
    const split = useAB && this.useWorker && 2 * m * n * k >= this.minFlops && (m >= 8 || n >= 16);
    if (!split) {
      this.exports.gemm(ta, tb, m, n, useAB ? k : 0, alpha, aPtr, aCols, bPtr, bCols, beta, cPtr, n, this.scratchMain);
    } else if (n >= m && n >= 16) {
      // Columns: the worker takes [n0, n).
      const n0 = Math.ceil(n / 2 / 8) * 8;
      const bOff = transB ? n0 * bCols : n0;
      this.post(ta, tb, m, n - n0, k, alpha, aPtr, aCols, bPtr + bOff * 4, bCols, beta, cPtr + n0 * 4, n);
      this.exports.gemm(ta, tb, m, n0, k, alpha, aPtr, aCols, bPtr, bCols, beta, cPtr, n, this.scratchMain);
      this.join();
    } else {
      // Rows: the worker takes [m0, m).
      const m0 = Math.ceil(m / 2 / 4) * 4;
      const aOff = transA ? m0 : m0 * aCols;
      this.post(ta, tb, m - m0, n, k, alpha, aPtr + aOff * 4, aCols, bPtr, bCols, beta, cPtr + m0 * n * 4, n);
      this.exports.gemm(ta, tb, m0, n, k, alpha, aPtr, aCols, bPtr, bCols, beta, cPtr, n, this.scratchMain);
      this.join();
    }
    copyOut(this.f32, cPtr >> 2, C, cOffset, m, n, ldc);
  }

  private post(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void {
    const ctrl = this.ctrl;
    const f = this.ctrlF32;
    ctrl[ARG] = ta;
    ctrl[ARG + 1] = tb;
    ctrl[ARG + 2] = m;
    ctrl[ARG + 3] = n;
    ctrl[ARG + 4] = k;
    f[ARG + 5] = alpha;
    ctrl[ARG + 6] = a;
    ctrl[ARG + 7] = lda;
    ctrl[ARG + 8] = b;
    ctrl[ARG + 9] = ldb;
    f[ARG + 10] = beta;
    ctrl[ARG + 11] = c;
    ctrl[ARG + 12] = ldc;
    ctrl[ARG + 13] = this.scratchWorker;
    this.seq = (this.seq + 1) | 0;
    Atomics.store(ctrl, 0, this.seq);
    Atomics.notify(ctrl, 0);
  }

  private join(): void {
    const ctrl = this.ctrl;
    let n = 0;
    while (Atomics.load(ctrl, 1) !== this.seq) {
      if (++n > 1000) {
        Atomics.wait(ctrl, 1, Atomics.load(ctrl, 1), 1000);
        n = 0;
      }
    }
  }
}


/** Creates the two-thread kernel (Node only). See the module comment for `mode`. */
export function createWasmSimdThreadsKernel(options: WasmSimdThreadsOptions = {}): WasmSimdThreadsGemmKernel {
  return new WasmSimdThreadsGemmKernel(options);
}

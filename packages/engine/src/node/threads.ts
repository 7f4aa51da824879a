/**
 * Two threads for the WebAssembly engine (Node only: `node:worker_threads`). The kernel `wasm-simd-2t` gives
 * each network a compute arena (src/engine/kernels/wasm-arena.ts) with a helper worker attached: products of at
 * least `minFlops` are split in two, the worker computing one part in the arena's shared memory while the
 * calling thread computes the other, so nothing is copied and results are bit-identical to one thread; the
 * Adam update of a large network is split the same way.
 *
 * "Never slower than one thread by default": in `mode: 'auto'` (the default) one product of the contract's
 * largest shape is timed on one and on two threads, once per process, and the worker is used only if two
 * threads were at least 10% faster. A worker starts on the first large product of an arena (that product and
 * the ones until the worker is up run on one thread) and ends after `idleMs` without work, so fitted models
 * that are only scored now and then hold no thread. Dispatch and join use `Atomics` on a control block in the
 * arena's memory; the worker spins briefly, then sleeps in `Atomics.wait`.
 *
 * @example
 * import { registerThreadedWasmKernel } from '@abc/engine/node';
 * registerThreadedWasmKernel();        // candidate 'wasm-simd-2t' ahead of wasm-simd (ABC_KERNEL=wasm-simd-2t works too)
 */
import { BackendUnavailableError } from '@abc/core';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ComputeArena, GemmKernel } from '../kernels/types.js';
import { registerKernel, type KernelCandidate } from '../kernels/select.js';
import { createWasmArena, wasmArenaUnavailableReason, type GemmSplitter, type WasmArena } from '../kernels/wasm-arena.js';
import { createWasmSimdKernel, type WasmSimdGemmKernel } from '../kernels/wasm-simd.js';

export interface ThreadedWasmOptions {
  /** 'auto' (default): use the worker only if a timed product was faster on two threads; 'always'; 'never'. */
  mode?: 'auto' | 'always' | 'never';
  /** Products under this many floating-point operations (2·m·n·k) stay on the calling thread (default 4e6). */
  minFlops?: number;
  /** A worker with no product for this long is stopped (default 2,000 ms); the next large product restarts it. */
  idleMs?: number;
  /** Iterations the worker spins on the control block before sleeping in Atomics.wait (default 20,000). */
  spin?: number;
}

export interface ThreadsCalibration {
  /** Seconds per product (100 × 300 × 784) on one thread and on two (best of the timed repetitions). */
  oneThread: number;
  twoThreads: number;
  useWorker: boolean;
}

// Control block (Int32 slots): 0 job sequence (main), 1 done sequence (worker), 2 quit, 3 ready, 4 job kind
// (0 gemm, 1 adam), 5.. arguments.
const CTRL_SLOTS = 32;
const KIND = 4;
const ARG = 5;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl: at, scratch, spin } = workerData;
const { gemm, adam_step: adam } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, at, ${CTRL_SLOTS});
const f32 = new Float32Array(memory.buffer, at, ${CTRL_SLOTS});
let seen = Atomics.load(ctrl, 0);
Atomics.store(ctrl, 3, 1);
for (;;) {
  let n = 0;
  while (Atomics.load(ctrl, 0) === seen) {
    if (++n > spin) { Atomics.wait(ctrl, 0, seen); n = 0; }
  }
  seen = Atomics.load(ctrl, 0);
  if (Atomics.load(ctrl, 2) !== 0) break;
  const a = ${ARG};
  if (ctrl[${KIND}] === 1) {
    adam(ctrl[a], ctrl[a + 1], ctrl[a + 2], ctrl[a + 3], ctrl[a + 4], f32[a + 5], f32[a + 6], f32[a + 7], f32[a + 8],
         f32[a + 9], f32[a + 10], f32[a + 11]);
  } else {
    gemm(ctrl[a], ctrl[a + 1], ctrl[a + 2], ctrl[a + 3], ctrl[a + 4], f32[a + 5], ctrl[a + 6], ctrl[a + 7],
         ctrl[a + 8], ctrl[a + 9], f32[a + 10], ctrl[a + 11], ctrl[a + 12], scratch);
  }
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}
`;

/** One arena's helper worker: started on demand, stopped when idle. */
export class WorkerSplitter implements GemmSplitter {
  readonly minFlops: number;
  private readonly arena: WasmArena;
  private readonly ctrlAt: number;
  private readonly scratch: number;
  private readonly ctrl: Int32Array;
  private readonly ctrlF32: Float32Array;
  private readonly idleMs: number;
  private readonly spin: number;
  private worker: Worker | null = null;
  private seq = 0;
  private lastUse = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(arena: WasmArena, options: ThreadedWasmOptions = {}) {
    this.arena = arena;
    this.minFlops = options.minFlops ?? 4e6;
    this.idleMs = options.idleMs ?? 2000;
    this.spin = options.spin ?? 20_000;
    this.ctrlAt = arena.allocBytes(CTRL_SLOTS * 4);
    this.scratch = arena.allocBytes(arena.scratchBytes);
    const buffer = arena.wasmMemory.buffer;
    this.ctrl = new Int32Array(buffer, this.ctrlAt, CTRL_SLOTS);
    this.ctrlF32 = new Float32Array(buffer, this.ctrlAt, CTRL_SLOTS);
  }

  /** Whether a worker is running now. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker if it is not running and waits (up to `timeoutMs`) until it takes work. */
  warmUp(timeoutMs = 5000): boolean {
    if (!this.worker) this.spawn();
    const until = performance.now() + timeoutMs;
    while (Atomics.load(this.ctrl, 3) !== 1) {
      if (performance.now() > until) return false;
      Atomics.wait(this.ctrl, 3, 0, 1);
    }
    return true;
  }

  private spawn(): void {
    Atomics.store(this.ctrl, 2, 0);
    Atomics.store(this.ctrl, 3, 0);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module: this.arena.wasmModule,
        memory: this.arena.wasmMemory,
        ctrl: this.ctrlAt,
        scratch: this.scratch,
        spin: this.spin,
      },
    });
    this.worker.unref();
    this.worker.on('error', () => this.release());
    this.lastUse = performance.now();
    this.timer ??= setInterval(() => {
      if (performance.now() - this.lastUse > this.idleMs) this.release();
    }, this.idleMs);
    this.timer.unref();
  }

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
  ): boolean {
    if (!this.worker) {
      this.spawn();
      return false; // this product on one thread; the worker takes the next ones once it is up
    }
    const ctrl = this.ctrl;
    if (Atomics.load(ctrl, 3) !== 1) return false;
    const f = this.ctrlF32;
    ctrl[KIND] = 0;
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
    this.dispatch();
    return true;
  }

  startAdam(
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
  ): boolean {
    if (!this.worker || Atomics.load(this.ctrl, 3) !== 1) return false;
    const ctrl = this.ctrl;
    const f = this.ctrlF32;
    ctrl[KIND] = 1;
    ctrl[ARG] = p;
    ctrl[ARG + 1] = g;
    ctrl[ARG + 2] = m;
    ctrl[ARG + 3] = v;
    ctrl[ARG + 4] = n;
    [b1, b2, omb1, omb2, step, bc2, eps].forEach((x, i) => {
      f[ARG + 5 + i] = x;
    });
    this.dispatch();
    return true;
  }

  private dispatch(): void {
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.ctrl, 0, this.seq);
    Atomics.notify(this.ctrl, 0);
    this.lastUse = performance.now();
  }

  join(): void {
    const ctrl = this.ctrl;
    let n = 0;
    while (Atomics.load(ctrl, 1) !== this.seq) {
      if (++n > 1000) {
        Atomics.wait(ctrl, 1, Atomics.load(ctrl, 1), 1);
        n = 0;
      }
    }
  }

  /** Stops the worker (a later large product starts a new one). */
  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    Atomics.store(this.ctrl, 3, 0);
    Atomics.store(this.ctrl, 2, 1);
    Atomics.add(this.ctrl, 0, 1);
    this.seq = Atomics.load(this.ctrl, 0);
    Atomics.store(this.ctrl, 1, this.seq);
    Atomics.notify(this.ctrl, 0);
    void w.terminate();
  }
}

let calibration: ThreadsCalibration | null = null;

/** Times one 100 × 300 × 784 product on one and on two threads (once per process; later calls return the same). */
export function calibrateThreads(): ThreadsCalibration {
  if (calibration) return calibration;
  const arena = createWasmArena();
  if (!arena) {
    calibration = { oneThread: NaN, twoThreads: NaN, useWorker: false };
    return calibration;
  }
  const splitter = new WorkerSplitter(arena, { minFlops: 0 });
  const [m, n, k] = [100, 300, 784];
  const A = arena.alloc(m * k).fill(0.5);
  const B = arena.alloc(k * n).fill(0.25);
  const C = arena.alloc(m * n);
  // Ten back-to-back products per sample (the worker stays awake, as within a training step), best of 5
  // alternating rounds after a warm-up of both paths: one slow sample on a shared machine decides nothing.
  const time = (two: boolean) => {
    arena.setSplitter(two ? splitter : null);
    const t0 = performance.now();
    for (let r = 0; r < 10; r++) arena.gemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, C, 0, n);
    return (performance.now() - t0) / 10 / 1000;
  };
  let oneThread = Infinity;
  let twoThreads = Infinity;
  if (splitter.warmUp()) {
    time(false);
    time(true);
    for (let round = 0; round < 5; round++) {
      oneThread = Math.min(oneThread, time(false));
      twoThreads = Math.min(twoThreads, time(true));
    }
  }
  splitter.release();
  calibration = { oneThread, twoThreads, useWorker: twoThreads <= 0.9 * oneThread };
  return calibration;
}

/**
 * The `wasm-simd-2t` kernel: products on its own copying path run on one thread (like wasm-simd); networks get
 * arenas whose large products are split across a worker (when the mode allows it).
 */
export class ThreadedWasmKernel implements GemmKernel {
  readonly name = 'wasm-simd-2t';
  /** The timing behind 'auto' (null in 'always' / 'never'). */
  readonly calibration: ThreadsCalibration | null;
  /** Whether arenas made now get a worker. */
  readonly threaded: boolean;
  private readonly inner: WasmSimdGemmKernel;
  private readonly options: ThreadedWasmOptions;

  constructor(options: ThreadedWasmOptions = {}) {
    this.options = options;
    this.inner = createWasmSimdKernel();
    const mode = options.mode ?? 'auto';
    this.calibration = mode === 'auto' ? calibrateThreads() : null;
    this.threaded = mode === 'always' || (mode === 'auto' && this.calibration!.useWorker);
  }

  gemm(...args: Parameters<GemmKernel['gemm']>): void {
    this.inner.gemm(...args);
  }

  createArena(): ComputeArena | null {
    const arena = createWasmArena();
    if (arena && this.threaded) arena.setSplitter(new WorkerSplitter(arena, this.options));
    return arena;
  }
}

/** Why two threads cannot run here, or null. */
export function threadedWasmUnavailableReason(): string | null {
  const arena = wasmArenaUnavailableReason();
  if (arena) return arena;
  if (availableParallelism() < 2) return 'only one CPU core is available';
  return null;
}

/** Creates the two-thread kernel (throws with the reason where it cannot run). */
export function createThreadedWasmKernel(options: ThreadedWasmOptions = {}): ThreadedWasmKernel {
  const why = threadedWasmUnavailableReason();
  if (why) throw new BackendUnavailableError('wasm-simd-2t', `wasm-simd-2t kernel unavailable: ${why}`);
  return new ThreadedWasmKernel(options);
}

/** The selection candidate `wasm-simd-2t` (default priority 15: ahead of wasm-simd's 10). */
export function threadedWasmKernelCandidate(options: ThreadedWasmOptions & { priority?: number } = {}): KernelCandidate {
  return {
    id: 'wasm-simd-2t',
    priority: options.priority ?? 15,
    unavailableReason: threadedWasmUnavailableReason,
    create: () => createThreadedWasmKernel(options),
    createAsync: async () => createThreadedWasmKernel(options),
  };
}

/**
 * Registers `wasm-simd-2t` for kernel selection (see the module comment). In 'auto' mode it still runs on one
 * thread where two were not faster here, so registering it never makes training slower.
 */
export function registerThreadedWasmKernel(options: ThreadedWasmOptions & { priority?: number } = {}): void {
  registerKernel(threadedWasmKernelCandidate(options));
}

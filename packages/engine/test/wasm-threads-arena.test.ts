import { Random } from '@abc/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runReferenceContract } from '../bench/contract.js';
import { DenseNetwork } from '../src/dense.js';
import { selectKernel, unregisterKernel } from '../src/kernels/select.js';
import { createWasmArena, type WasmArena } from '../src/kernels/wasm-arena.js';
import { createWasmSimdKernel } from '../src/kernels/wasm-simd.js';
import { WorkerSplitter, calibrateThreads, createThreadedWasmKernel, registerThreadedWasmKernel } from '../src/node/threads.js';

const splitters: WorkerSplitter[] = [];
afterAll(() => {
  for (const s of splitters) s.release();
  unregisterKernel('wasm-simd-2t');
});

function threadedArena(minFlops = 0): { arena: WasmArena; splitter: WorkerSplitter } {
  const arena = createWasmArena()!;
  const splitter = new WorkerSplitter(arena, { minFlops });
  splitters.push(splitter);
  expect(splitter.warmUp()).toBe(true);
  arena.setSplitter(splitter);
  return { arena, splitter };
}

const fill = (a: Float32Array, rng: Random) => {
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-1, 1);
  return a;
};

describe('wasm-simd-2t: the arena with a worker thread (Node only)', () => {
  it('splits products by columns or rows and gives bit-identical results to one thread, in every form', () => {
    const { arena } = threadedArena();
    const single = createWasmArena()!;
    const rng = new Random(5);
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      for (const [m, n, k] of [
        [100, 300, 784],
        [784, 300, 100],
        [100, 784, 300],
        [37, 45, 300],
        [301, 17, 200],
        [9, 530, 6],
        [3, 5, 7],
      ]) {
        const lda = (ta ? m : k) + 1;
        const ldb = (tb ? k : n) + 2;
        const ldc = n + 3;
        const A0 = fill(new Float32Array(1 + lda * (ta ? k : m)), rng);
        const B0 = fill(new Float32Array(2 + ldb * (tb ? n : k)), rng);
        const C0 = fill(new Float32Array(4 + ldc * m), rng);
        for (const beta of [0, 1, 0.5]) {
          const run = (ar: WasmArena) => {
            const A = ar.alloc(A0.length);
            A.set(A0);
            const B = ar.alloc(B0.length);
            B.set(B0);
            const C = ar.alloc(C0.length);
            C.set(C0);
            ar.gemm(ta, tb, m, n, k, 0.75, A, 1, lda, B, 2, ldb, beta, C, 4, ldc);
            return C;
          };
          const two = run(arena);
          const one = run(single);
          expect(
            Buffer.from(two.slice().buffer).equals(Buffer.from(one.slice().buffer)),
            `${ta}${tb} ${m}x${n}x${k} beta ${beta}`,
          ).toBe(true);
        }
      }
    }
  });

  it('trains the PyTorch contract bit for bit like one thread (N = 300)', () => {
    const one = runReferenceContract({ n: 300, warm: 2, inferBatches: [100], kernel: createWasmSimdKernel() });
    const kernel = createThreadedWasmKernel({ mode: 'always', minFlops: 0 });
    // The worker starts on the first large product; warm it up through a throwaway network first.
    const probe = new DenseNetwork({ sizes: [784, 300, 784], activations: ['tanh', 'linear'] }, { kernel });
    probe.predict(new Float32Array(100 * 784), 100);
    const two = runReferenceContract({ n: 300, warm: 2, inferBatches: [100], kernel });
    expect([two.firstLoss, two.lastLoss, two.score0]).toEqual([one.firstLoss, one.lastLoss, one.score0]);
  });

  it('a worker that has been idle stops, and the next large product brings one back', async () => {
    const arena = createWasmArena()!;
    const splitter = new WorkerSplitter(arena, { minFlops: 0, idleMs: 50 });
    splitters.push(splitter);
    arena.setSplitter(splitter);
    expect(splitter.warmUp()).toBe(true);
    expect(splitter.running).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    expect(splitter.running).toBe(false);
    const A = arena.alloc(64 * 64).fill(1);
    const C = arena.alloc(64 * 64);
    arena.gemm(false, false, 64, 64, 64, 1, A, 0, 64, A, 0, 64, 0, C, 0, 64); // on one thread, starts the worker
    expect(C[0]).toBe(64);
    expect(splitter.running).toBe(true);
    expect(splitter.warmUp()).toBe(true);
    arena.gemm(false, false, 64, 64, 64, 2, A, 0, 64, A, 0, 64, 0, C, 0, 64); // split
    expect(C[64 * 64 - 1]).toBe(128);
  });

  it("calibrates once in 'auto' mode and only threads when two threads were faster; registers as a candidate", () => {
    const c = calibrateThreads();
    expect(c.oneThread).toBeGreaterThan(0);
    expect(c.twoThreads).toBeGreaterThan(0);
    expect(c.useWorker).toBe(c.twoThreads <= 0.9 * c.oneThread);
    expect(calibrateThreads()).toBe(c);
    const auto = createThreadedWasmKernel();
    expect(auto.threaded).toBe(c.useWorker);
    expect(createThreadedWasmKernel({ mode: 'never' }).threaded).toBe(false);
    registerThreadedWasmKernel();
    const s = selectKernel();
    expect(s.id).toBe('wasm-simd-2t');
    expect(s.kernel.name).toBe('wasm-simd-2t');
    expect(selectKernel({ prefer: 'wasm-simd' }).id).toBe('wasm-simd');
  });
});

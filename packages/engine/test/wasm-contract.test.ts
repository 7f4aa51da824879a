import { describe, expect, it } from 'vitest';
import { runReferenceContract } from '../bench/contract.js';
import { DenseNetwork } from '../src/dense.js';
import { TsGemmKernel } from '../src/kernels/ts-gemm.js';
import { createWasmSimdKernel } from '../src/kernels/wasm-simd.js';
import { createThreadedWasmKernel } from '../src/node/threads.js';
import { Random } from '@abc/core';

describe('PyTorch reference contract on the wasm-simd kernel (shared/bench/README.md)', () => {
  // Every configuration of the kernel: the arena (the default), the copying path, and two threads.
  for (const [label, run] of [
    ['in its arena', () => runReferenceContract({ n: 2000, inferBatches: [1000], kernel: createWasmSimdKernel() })],
    [
      'on the copying path (arena: false)',
      () => runReferenceContract({ n: 2000, inferBatches: [1000], kernel: createWasmSimdKernel(), arena: false }),
    ],
    [
      'on two threads (wasm-simd-2t)',
      () =>
        runReferenceContract({
          n: 2000,
          inferBatches: [1000],
          kernel: createThreadedWasmKernel({ mode: 'always', minFlops: 0 }),
        }),
    ],
  ] as const) {
    it(`reproduces first/last batch loss and the score of row 0 at N = 2,000 to the printed digits, ${label}`, () => {
      const r = run();
      expect(r.firstLoss.toFixed(2)).toBe('46.79');
      expect(r.lastLoss.toFixed(2)).toBe('33.66');
      expect(r.score0.toFixed(3)).toBe('62.188');
    });
  }

  it('is repeatable: two runs give bit-identical losses and scores', () => {
    const a = runReferenceContract({ n: 300, warm: 2, inferBatches: [100], kernel: createWasmSimdKernel() });
    const b = runReferenceContract({ n: 300, warm: 2, inferBatches: [100], kernel: createWasmSimdKernel() });
    expect([a.firstLoss, a.lastLoss, a.score0]).toEqual([b.firstLoss, b.lastLoss, b.score0]);
  });

  it('gives the same gradients as the TypeScript kernel to float32 rounding', () => {
    const spec = { sizes: [13, 9, 3, 9, 13], activations: ['tanh', 'tanh', 'tanh', 'linear'] as const };
    const ts = new DenseNetwork(spec, { kernel: new TsGemmKernel() }).initGlorot(new Random(3));
    const w = new DenseNetwork(spec, { kernel: createWasmSimdKernel(), params: ts.params });
    const rng = new Random(4);
    const X = new Float32Array(21 * 13).map(() => rng.uniform(-1, 1));
    const dOut = new Float32Array(21 * 13).map(() => rng.uniform(-1, 1));
    const yt = ts.forward(X, 0, 21).slice();
    const yw = w.forward(X, 0, 21).slice();
    ts.backward(dOut);
    w.backward(dOut);
    for (let i = 0; i < yt.length; i++) expect(yw[i]).toBeCloseTo(yt[i], 5);
    for (let i = 0; i < ts.grads.length; i++) expect(w.grads[i]).toBeCloseTo(ts.grads[i], 4);
  });
});

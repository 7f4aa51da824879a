/**
 * GFLOP/s of the GEMM kernel at the shapes of one training step of the contract network
 * (784-300-100-20-100-300-784, batch 100): forward (NN), weight gradients (TN) and input gradients (NT).
 * Run: pnpm exec tsx --conditions=@abc/source bench/gemm-speed.ts
 */
import { getDefaultKernel, type GemmKernel } from '../src/index.js';

export interface GemmFigure {
  shape: string;
  gflops: number;
}

export function measureGemm(kernel: GemmKernel = getDefaultKernel(), seconds = 0.3): GemmFigure[] {
  const cases: [boolean, boolean, number, number, number][] = [
    [false, false, 100, 300, 784],
    [false, false, 100, 784, 300],
    [true, false, 784, 300, 100],
    [true, false, 300, 784, 100],
    [false, true, 100, 784, 300],
    [false, true, 100, 300, 100],
  ];
  const out: GemmFigure[] = [];
  for (const [ta, tb, m, n, k] of cases) {
    const A = new Float32Array(m * k).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    const B = new Float32Array(k * n).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
    const C = new Float32Array(m * n);
    const lda = ta ? m : k;
    const ldb = tb ? k : n;
    const run = () => kernel.gemm(ta, tb, m, n, k, 1, A, 0, lda, B, 0, ldb, 0, C, 0, n);
    for (let i = 0; i < 3; i++) run();
    let reps = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < seconds * 1000) {
      run();
      reps++;
      t = performance.now();
    }
    out.push({
      shape: `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}x${n}x${k}`,
      gflops: (2 * m * n * k * reps) / ((t - t0) / 1000) / 1e9,
    });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of measureGemm()) console.log(`${f.shape.padEnd(20)} ${f.gflops.toFixed(2)} GFLOP/s`);
}

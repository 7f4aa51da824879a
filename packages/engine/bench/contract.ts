import { DenseNetwork } from '../src/dense.js';
import { Lcg32, lcgUniform } from '../src/init.js';
import type { GemmKernel } from '../src/kernels/types.js';
import { ReconstructionObjective, batchDistances } from '../src/losses.js';

/** What {@link runReferenceContract} measures and prints (see shared/bench/README.md). */
export interface ContractResult {
  n: number;
  /** Loss of the first timed batch (after the warm-up batches). */
  firstLoss: number;
  /** Loss of the last timed batch. */
  lastLoss: number;
  /** L (sum of squared differences) of row 0 after training. */
  score0: number;
  /** Seconds of the timed epoch. */
  trainSeconds: number;
  /** CPU seconds of the timed epoch (NaN without `cpuNow`). */
  trainCpuSeconds: number;
  /** Seconds (and CPU seconds, NaN without `cpuNow`) of one timed inference pass over all rows, per batch size. */
  infer: { batch: number; seconds: number; cpuSeconds: number }[];
}

export interface ContractOptions {
  /** Rows (default 20,000). */
  n?: number;
  /** Warm-up batches before the timed epoch (default 10). */
  warm?: number;
  /** Rows per inference call, one timed pass each (default [100, 1000], as the reference). */
  inferBatches?: number[];
  kernel?: GemmKernel;
  /** Keep the network in the kernel's compute arena when it has one (default true; false: the copying path). */
  arena?: boolean;
  /** A clock in milliseconds (default `performance.now`). */
  now?: () => number;
  /** A CPU-time clock in milliseconds (in Node, from the process's cpuUsage); optional. */
  cpuNow?: () => number;
}

/** The contract's network: 784-300-100-20-100-300-784, tanh hidden layers, linear output. */
export const CONTRACT_SIZES = [784, 300, 100, 20, 100, 300, 784] as const;

/**
 * Runs the PyTorch reference contract of shared/bench/README.md on the engine: LCG data and init, ABC loss
 * with L = squared l2 and the contract's label 1 = normal, Adam lr 1e-3, batch 100 in order, `warm` warm-up
 * batches then one timed epoch, then an inference pass. Drives the engine directly (no detector, no shuffling,
 * no validation split).
 */
export function runReferenceContract(options: ContractOptions = {}): ContractResult {
  const n = options.n ?? 20_000;
  const warm = options.warm ?? 10;
  const inferBatches = options.inferBatches ?? [100, 1000];
  const now = options.now ?? (() => performance.now());
  const cpuNow = options.cpuNow ?? (() => NaN);
  const D = 784;
  const B = 100;
  const lcg = new Lcg32(12345);
  const X = lcg.fill(new Float32Array(n * D));
  // Contract label 1 = normal (u < 0.5); our objectives take 1 = anomaly.
  const anomaly = new Uint8Array(n);
  for (let i = 0; i < n; i++) anomaly[i] = lcg.next() < 0.5 ? 0 : 1;
  const sizes = [...CONTRACT_SIZES];
  const net = new DenseNetwork(
    { sizes, activations: ['tanh', 'tanh', 'tanh', 'tanh', 'tanh', 'linear'] },
    { kernel: options.kernel, arena: options.arena },
  );
  for (let l = 0; l < net.layers.length; l++) lcgUniform(net.weights(l), sizes[l], sizes[l + 1], lcg);
  const adam = net.createAdam({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const obj = new ReconstructionObjective('abc', 'squaredL2', D);
  const step = (b: number): number => {
    const off = b * B * D;
    const labels = anomaly.subarray(b * B, (b + 1) * B);
    return net.trainStep(X, off, B, (out, rows, _cols, dOut) => obj.compute(out, X, off, labels, rows, dOut), adam);
  };
  for (let b = 0; b < warm; b++) step(b);
  const batches = Math.floor(n / B);
  let first = 0;
  let last = 0;
  const t0 = now();
  const c0 = cpuNow();
  for (let b = 0; b < batches; b++) {
    const v = step(b);
    if (b === 0) first = v;
    last = v;
  }
  const trainSeconds = (now() - t0) / 1000;
  const trainCpuSeconds = (cpuNow() - c0) / 1000;
  // Inference: per batch size one warm pass, then one timed pass (as the reference does).
  const scores = new Float64Array(n);
  const infer: { batch: number; seconds: number; cpuSeconds: number }[] = [];
  for (const inferBatch of inferBatches) {
    const pass = () => {
      for (let s = 0; s + inferBatch <= n; s += inferBatch) {
        batchDistances('squaredL2', net.forward(X, s * D, inferBatch), X, s * D, inferBatch, D, scores, s);
      }
    };
    pass();
    const t1 = now();
    const c1 = cpuNow();
    pass();
    infer.push({ batch: inferBatch, seconds: (now() - t1) / 1000, cpuSeconds: (cpuNow() - c1) / 1000 });
  }
  if (inferBatches.length === 0) {
    batchDistances('squaredL2', net.forward(X, 0, 1), X, 0, 1, D, scores);
  }
  return { n, firstLoss: first, lastLoss: last, score0: scores[0], trainSeconds, trainCpuSeconds, infer };
}

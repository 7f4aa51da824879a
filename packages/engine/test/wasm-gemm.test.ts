import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Random } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { TsGemmKernel } from '../src/kernels/ts-gemm.js';
import {
  WASM_GEMM_SHARED_BASE64,
  WASM_GEMM_SHARED_SHA256,
  WASM_GEMM_SHARED_SIZE,
} from '../src/kernels/wasm-bytes-shared.generated.js';
import {
  WASM_GEMM_SHA256,
  WASM_GEMM_SIZE,
  WasmSimdGemmKernel,
  createWasmSimdKernel,
  createWasmSimdKernelAsync,
  decodeBase64,
  wasmGemmBytes,
  wasmSimdUnavailableReason,
} from '../src/kernels/wasm-simd.js';

type Form = [boolean, boolean];
const FORMS: Form[] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
const formName = ([a, b]: Form) => `${a ? 'T' : 'N'}${b ? 'T' : 'N'}`;

function randomArray(rng: Random, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

interface Problem {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  A: Float32Array;
  aOff: number;
  lda: number;
  B: Float32Array;
  bOff: number;
  ldb: number;
  beta: number;
  C: Float32Array;
  cOff: number;
  ldc: number;
}

function problem(
  rng: Random,
  [transA, transB]: Form,
  m: number,
  n: number,
  k: number,
  alpha: number,
  beta: number,
  pad = [3, 2, 1],
): Problem {
  const lda = (transA ? m : k) + pad[0];
  const ldb = (transB ? k : n) + pad[1];
  const ldc = n + pad[2];
  const aOff = 5;
  const bOff = 7;
  const cOff = 3;
  return {
    transA,
    transB,
    m,
    n,
    k,
    alpha,
    beta,
    lda,
    ldb,
    ldc,
    aOff,
    bOff,
    cOff,
    A: randomArray(rng, aOff + (transA ? k : m) * lda + 4),
    B: randomArray(rng, bOff + (transB ? n : k) * ldb + 4),
    C: randomArray(rng, cOff + m * ldc + 4),
  };
}

function run(kernel: { gemm: TsGemmKernel['gemm'] }, p: Problem, C = p.C.slice()): Float32Array {
  kernel.gemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.A, p.aOff, p.lda, p.B, p.bOff, p.ldb, p.beta, C, p.cOff, p.ldc);
  return C;
}

/**
 * Float64 reference with a per-element float32 error bound: |err| <= (k + 2) * 2^-24 * 4 * (|alpha| Σ|a||b| + |beta c|),
 * a loose multiple of the worst case for recursive float32 summation (Higham, Accuracy and Stability, §3.1).
 */
function expectMatchesReference(p: Problem, got: Float32Array): void {
  const { transA, transB, m, n, k, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc } = p;
  const u = 2 ** -24;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let q = 0; q < k; q++) {
        const a = transA ? A[aOff + q * lda + i] : A[aOff + i * lda + q];
        const b = transB ? B[bOff + j * ldb + q] : B[bOff + q * ldb + j];
        s += a * b;
        abs += Math.abs(a * b);
      }
      const c = C[cOff + i * ldc + j];
      const ref = alpha * s + (beta === 0 ? 0 : beta * c);
      const bound = (k + 2) * u * 4 * (Math.abs(alpha) * abs + (beta === 0 ? 0 : Math.abs(beta * c))) + 1e-30;
      const v = got[cOff + i * ldc + j];
      const err = Math.abs(v - ref);
      if (!(err <= bound)) throw new Error(`C[${i},${j}] = ${v}, reference ${ref}, error ${err} > bound ${bound}`);
      worst = Math.max(worst, err / bound);
    }
  }
  // Everything outside the m × n window (offset, row padding, tail) is untouched.
  for (let x = 0; x < C.length; x++) {
    const r = Math.floor((x - cOff) / ldc);
    const col = (x - cOff) % ldc;
    const inside = x >= cOff && r < m && col < n;
    if (!inside) expect(Object.is(got[x], C[x]), `C[${x}] outside the window changed`).toBe(true);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

describe('wasm-simd kernel: availability and embedded module', () => {
  it('is available on this runtime (Node 20 has WebAssembly SIMD)', () => {
    expect(wasmSimdUnavailableReason()).toBeNull();
    expect(createWasmSimdKernel().name).toBe('wasm-simd');
  });

  it('embeds exactly wasm/gemm.wasm (size and SHA-256 agree with the committed file)', () => {
    const bytes = wasmGemmBytes();
    const file = readFileSync(new URL('../wasm/gemm.wasm', import.meta.url));
    expect(bytes.length).toBe(WASM_GEMM_SIZE);
    expect(Buffer.from(bytes).equals(file)).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(WASM_GEMM_SHA256);
    expect(bytes.length).toBeLessThan(24 * 1024);
  });

  it('embeds exactly wasm/gemm-shared.wasm (the shared-memory build for the two-thread kernel)', () => {
    const bytes = decodeBase64(WASM_GEMM_SHARED_BASE64);
    const file = readFileSync(new URL('../wasm/gemm-shared.wasm', import.meta.url));
    expect(bytes.length).toBe(WASM_GEMM_SHARED_SIZE);
    expect(Buffer.from(bytes).equals(file)).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(WASM_GEMM_SHARED_SHA256);
  });

  it('decodes base64 like Buffer does (all paddings)', () => {
    for (const len of [0, 1, 2, 3, 4, 5, 31, 32, 33]) {
      const raw = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + 11) & 255));
      expect(Buffer.from(decodeBase64(raw.toString('base64'))).equals(raw)).toBe(true);
    }
  });

  it('exports only what the loader needs and imports only its memory', () => {
    const mod = new WebAssembly.Module(wasmGemmBytes());
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(
      WebAssembly.Module.exports(mod)
        .map((e) => e.name)
        .sort(),
    ).toEqual([
      '__heap_base',
      'act_grad_colsum',
      'activate',
      'adam_step',
      'bias_act',
      'gemm',
      'gemm_scratch_bytes',
      'row_sqdiff',
      'scale_diff',
    ]);
  });

  it('loads asynchronously too', async () => {
    const k = await createWasmSimdKernelAsync();
    expect(k).toBeInstanceOf(WasmSimdGemmKernel);
    const C = new Float32Array(1);
    k.gemm(false, false, 1, 1, 1, 1, new Float32Array([3]), 0, 1, new Float32Array([4]), 0, 1, 0, C, 0, 1);
    expect(C[0]).toBe(12);
  });
});

describe('wasm-simd kernel: agreement with a float64 reference', () => {
  const kernel = createWasmSimdKernel();
  // Ragged shapes around the 4 x 8 tile, the depth block (256) and the row block (128), plus the network's.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 8, 4],
    [5, 9, 3],
    [17, 13, 31],
    [33, 70, 257],
    [129, 17, 513],
    [7, 1030, 9],
    [100, 20, 100],
  ];
  for (const form of FORMS) {
    for (const [m, n, k] of shapes) {
      it(`${formName(form)} ${m}x${n}x${k} with offsets, padded leading dimensions, several alpha/beta`, () => {
        const rng = new Random(m * 7919 + n * 31 + k + (form[0] ? 1 : 0) * 2 + (form[1] ? 1 : 0));
        for (const [alpha, beta] of [
          [1, 0],
          [1, 1],
          [0.5, 1],
          [-2, 0.25],
          [1.5, -1],
        ]) {
          const p = problem(rng, form, m, n, k, alpha, beta);
          expectMatchesReference(p, run(kernel, p));
        }
      });
    }
  }

  it('handles the network shapes (batch 100, 784-300-100-20) in all forms', () => {
    const rng = new Random(42);
    for (const [m, n, k] of [
      [100, 300, 784],
      [784, 300, 100],
      [100, 784, 300],
    ] as const) {
      for (const form of FORMS) {
        const p = problem(rng, form, m, n, k, 1, 0, [0, 0, 0]);
        expectMatchesReference(p, run(kernel, p));
      }
    }
  });

  it('beta = 0 overwrites C: NaN and Infinity in C do not propagate', () => {
    const rng = new Random(7);
    for (const form of FORMS) {
      const p = problem(rng, form, 13, 11, 9, 1, 0);
      const C = p.C.slice();
      for (let i = 0; i < C.length; i++) C[i] = i % 2 ? NaN : Infinity;
      p.C = C;
      const got = run(kernel, p);
      for (let i = 0; i < p.m; i++) for (let j = 0; j < p.n; j++) expect(Number.isFinite(got[p.cOff + i * p.ldc + j])).toBe(true);
      expectMatchesReference(p, got);
    }
  });

  it('beta = 1 accumulates into C (repeated calls add up)', () => {
    const rng = new Random(8);
    for (const form of FORMS) {
      const p = problem(rng, form, 9, 17, 21, 1, 1);
      const once = run(kernel, p);
      const twice = run(kernel, p, once.slice());
      const p2 = { ...p, C: once };
      expectMatchesReference(p2, twice);
    }
  });

  it('alpha = 0 or k = 0 scales C by beta and reads neither A nor B', () => {
    const rng = new Random(9);
    const p = problem(rng, [false, false], 6, 10, 5, 0, 0.5);
    p.A.fill(NaN);
    p.B.fill(NaN);
    const got = run(kernel, p);
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 10; j++) expect(got[p.cOff + i * p.ldc + j]).toBe(Math.fround(0.5 * p.C[p.cOff + i * p.ldc + j]));
    const p0 = { ...problem(rng, [true, true], 6, 10, 0, 1, 0), beta: 0 };
    const z = run(kernel, p0);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 10; j++) expect(z[p0.cOff + i * p0.ldc + j]).toBe(0);
    const p1 = { ...problem(rng, [true, false], 6, 10, 0, 1, 1) };
    expect(run(kernel, p1)).toEqual(p1.C);
  });

  it('m = 0 or n = 0 leaves C untouched', () => {
    const C = new Float32Array([1, 2, 3]);
    kernel.gemm(false, false, 0, 3, 2, 1, new Float32Array(6), 0, 2, new Float32Array(6), 0, 3, 0, C, 0, 3);
    kernel.gemm(false, false, 1, 0, 2, 1, new Float32Array(6), 0, 2, new Float32Array(6), 0, 3, 0, C, 0, 3);
    expect([...C]).toEqual([1, 2, 3]);
  });
});

describe('wasm-simd kernel: determinism and memory growth', () => {
  it('gives bit-identical outputs for the same inputs (repeated calls, fresh instances)', () => {
    const rng = new Random(10);
    const a = createWasmSimdKernel();
    const b = createWasmSimdKernel();
    for (const form of FORMS) {
      const p = problem(rng, form, 100, 300, 784, 1, 0.5);
      const r1 = run(a, p);
      const r2 = run(a, p);
      const r3 = run(b, p);
      expect(Buffer.from(r1.buffer).equals(Buffer.from(r2.buffer))).toBe(true);
      expect(Buffer.from(r1.buffer).equals(Buffer.from(r3.buffer))).toBe(true);
    }
  });

  it('grows its memory for a larger product and stays correct before and after (views re-created)', () => {
    const k = createWasmSimdKernel();
    const rng = new Random(11);
    const small = problem(rng, [false, true], 8, 8, 8, 1, 1);
    expectMatchesReference(small, run(k, small));
    const before = k.memoryBytes;
    const big = problem(rng, [true, false], 200, 600, 300, 1, 1, [0, 0, 0]);
    expectMatchesReference(big, run(k, big));
    expect(k.memoryBytes).toBeGreaterThan(before);
    expectMatchesReference(small, run(k, small));
  });

  it('agrees with the TypeScript kernel to float32 rounding', () => {
    const rng = new Random(12);
    const ts = new TsGemmKernel();
    const w = createWasmSimdKernel();
    for (const form of FORMS) {
      const p = problem(rng, form, 37, 45, 300, 1, 0);
      const x = run(ts, p);
      const y = run(w, p);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
      expect(worst).toBeLessThan(1e-4);
    }
  });
});

import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Random, ValidationError } from '@abc/core';
import { runReferenceContract } from '../bench/contract.js';
import { TsGemmKernel } from '../src/kernels/ts-gemm.js';
import type { GemmKernel } from '../src/kernels/types.js';
import {
  describeSelection,
  listKernelCandidates,
  parseKernelPreference,
  registerKernel,
  selectKernel,
  selectKernelAsync,
  unregisterKernel,
  type KernelCandidate,
} from '../src/kernels/select.js';
import {
  TfjsGemmKernel,
  createTfjsKernel,
  registerTfjsKernel,
  tfjsKernelCandidate,
  tfjsUnavailableReason,
  type TfjsModule,
} from '../src/kernels/tfjs.js';
import { WasmSimdGemmKernel } from '../src/kernels/wasm-simd.js';
import * as engine from '../src/index.js';

const savedEnv = process.env.ABC_KERNEL;

beforeAll(async () => {
  tf.enableProdMode(); // silences tfjs's "install tfjs-node" notice; changes no numerics
  await tf.setBackend('cpu');
  await tf.ready();
});

afterEach(() => {
  unregisterKernel('tfjs');
  unregisterKernel('fake-blas');
  if (savedEnv === undefined) delete process.env.ABC_KERNEL;
  else process.env.ABC_KERNEL = savedEnv;
});

const tensors = () => tf.memory().numTensors;

type GemmArgs = Parameters<GemmKernel['gemm']>;

/** One GEMM case with padded strides and offsets; returns the arguments (C is a fresh copy each call). */
function makeCase(
  rng: Random,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  beta: number,
  pad: number,
  offset: number,
) {
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = aCols + pad;
  const ldb = bCols + pad;
  const ldc = n + pad;
  const fill = (len: number) => new Float32Array(len).map(() => rng.uniform(-1, 1));
  const A = fill(offset + Math.max(0, aRows * lda));
  const B = fill(offset + 1 + Math.max(0, bRows * ldb));
  const C0 = fill(offset + 2 + Math.max(0, m * ldc));
  return (C: Float32Array = C0.slice()): GemmArgs => [
    transA,
    transB,
    m,
    n,
    k,
    alpha,
    A,
    offset,
    lda,
    B,
    offset + 1,
    ldb,
    beta,
    C,
    offset + 2,
    ldc,
  ];
}

function maxAbs(x: Float32Array): number {
  let s = 0;
  for (const v of x) s = Math.max(s, Math.abs(v));
  return s;
}

describe('TfjsGemmKernel (tfjs cpu backend) against the TypeScript kernel', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 2],
    [7, 13, 9],
    [17, 33, 65],
    [64, 1, 300],
    [1, 49, 70],
    [100, 20, 100],
  ];
  const scalars: [number, number][] = [
    [1, 0],
    [1, 1],
    [-0.5, 0.25],
    [2, -1],
  ];

  it('matches for every transpose form, shape, stride, offset, alpha and beta', () => {
    const tfk = createTfjsKernel(tf);
    const ts = new TsGemmKernel();
    const rng = new Random(7);
    let cases = 0;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [m, n, k] of shapes) {
          for (const [alpha, beta] of scalars) {
            for (const [pad, offset] of [
              [0, 0],
              [3, 5],
            ]) {
              const args = makeCase(rng, transA, transB, m, n, k, alpha, beta, pad, offset);
              const want = args();
              const got = args();
              ts.gemm(...want);
              tfk.gemm(...got);
              const w = want[13];
              const g = got[13];
              const tol = 1e-5 * (1 + maxAbs(w)) * Math.max(1, Math.sqrt(k));
              for (let i = 0; i < w.length; i++) {
                // Every element: inside the m×n window within float tolerance, outside it (padding, offset) untouched.
                if (Math.abs(g[i] - w[i]) > tol) {
                  throw new Error(
                    `transA=${transA} transB=${transB} ${m}×${n}×${k} alpha=${alpha} beta=${beta} pad=${pad}: C[${i}] = ${g[i]}, want ${w[i]}`,
                  );
                }
              }
              cases++;
            }
          }
        }
      }
    }
    expect(cases).toBe(4 * shapes.length * scalars.length * 2);
  });

  it('leaves C outside the m×n window untouched, bit for bit', () => {
    const tfk = createTfjsKernel(tf);
    const args = makeCase(new Random(8), true, false, 5, 6, 7, 1, 0, 4, 3)();
    const before = args[13].slice();
    tfk.gemm(...args);
    const C = args[13];
    const ldc = args[15];
    for (let i = 0; i < C.length; i++) {
      const inside = i >= 3 + 2 && (i - 5) % ldc < 6 && i - 5 < 5 * ldc;
      if (!inside) expect(C[i]).toBe(before[i]);
    }
  });

  it('beta = 0 overwrites NaN in C; alpha = 0 reads neither A nor B; k = 0 scales C by beta; m or n = 0 does nothing', () => {
    const tfk = createTfjsKernel(tf);
    const A = new Float32Array([1, 2, 3, 4, 5, 6]); // 2×3
    const B = new Float32Array([1, 0, 0, 1, 1, 1]); // 3×2
    const C = new Float32Array(4).fill(NaN);
    tfk.gemm(false, false, 2, 2, 3, 1, A, 0, 3, B, 0, 2, 0, C, 0, 2);
    expect([...C]).toEqual([4, 5, 10, 11]);

    const nanA = new Float32Array(6).fill(NaN);
    const C2 = new Float32Array([1, 2, 3, 4]);
    tfk.gemm(false, false, 2, 2, 3, 0, nanA, 0, 3, nanA, 0, 2, 0.5, C2, 0, 2);
    expect([...C2]).toEqual([0.5, 1, 1.5, 2]);

    const C3 = new Float32Array([1, NaN, 3, 4]);
    tfk.gemm(false, false, 2, 2, 0, 1, A, 0, 0, B, 0, 2, 0, C3, 0, 2);
    expect([...C3]).toEqual([0, 0, 0, 0]);
    const C4 = new Float32Array([1, 2, 3, 4]);
    tfk.gemm(true, true, 2, 2, 0, 1, A, 0, 2, B, 0, 0, 2, C4, 0, 2);
    expect([...C4]).toEqual([2, 4, 6, 8]);

    const C5 = new Float32Array([NaN, 1]);
    const n0 = tensors();
    tfk.gemm(false, false, 0, 2, 3, 1, A, 0, 3, B, 0, 2, 0, C5, 0, 2);
    tfk.gemm(false, false, 2, 0, 3, 1, A, 0, 3, B, 0, 2, 0, C5, 0, 2);
    expect(C5[0]).toBeNaN();
    expect(C5[1]).toBe(1);
    expect(tensors()).toBe(n0);
  });

  it('is deterministic (bit-identical on repeated calls) and names its backend', () => {
    const tfk = createTfjsKernel(tf);
    expect(tfk).toBeInstanceOf(TfjsGemmKernel);
    expect(tfk.name).toBe('tfjs-cpu');
    expect(new TfjsGemmKernel(tf).name).toBe('tfjs-cpu');
    const args = makeCase(new Random(9), false, true, 100, 300, 784, 1, 0, 0, 0);
    const a = args();
    const b = args();
    tfk.gemm(...a);
    tfk.gemm(...b);
    expect(a[13]).toEqual(b[13]);
  });

  it('rejects a matrix that overruns its buffer', () => {
    const tfk = createTfjsKernel(tf);
    const n0 = tensors();
    const short = new Float32Array(5);
    expect(() =>
      tfk.gemm(false, false, 2, 2, 3, 1, short, 0, 3, new Float32Array(6), 0, 2, 0, new Float32Array(4), 0, 2),
    ).toThrow(/overruns its buffer/);
    // 2×3 with row stride 4 needs 4 + 3 = 7 values (the last row's padding may be missing).
    expect(() =>
      tfk.gemm(false, false, 2, 2, 3, 1, new Float32Array(7), 0, 4, new Float32Array(6), 0, 2, 0, new Float32Array(4), 0, 2),
    ).not.toThrow();
    expect(() =>
      tfk.gemm(false, false, 2, 2, 3, 1, new Float32Array(6), 0, 4, new Float32Array(6), 0, 2, 0, new Float32Array(4), 0, 2),
    ).toThrow(/stride 4 overruns/);
    expect(() =>
      tfk.gemm(false, false, 2, 2, 3, 1, new Float32Array(6), 0, 2, new Float32Array(6), 0, 2, 0, new Float32Array(4), 0, 2),
    ).toThrow(/row stride 2 is smaller than the row length 3/);
    expect(tensors()).toBe(n0);
  });
});

describe('TfjsGemmKernel leaks no tensors', () => {
  it('over many calls of every form', () => {
    const tfk = createTfjsKernel(tf);
    const n0 = tensors();
    const rng = new Random(10);
    for (let r = 0; r < 5; r++) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          tfk.gemm(...makeCase(rng, transA, transB, 11, 9, 13, 1.5, 0.5, r % 2 ? 2 : 0, r)());
        }
      }
    }
    expect(tensors()).toBe(n0);
  });

  it('when matMul throws, and when creating the kernel fails its probe', () => {
    const n0 = tensors();
    const throwing: TfjsModule = {
      ...tf,
      matMul: () => {
        throw new Error('boom');
      },
    };
    const k = new TfjsGemmKernel(throwing);
    expect(() =>
      k.gemm(false, false, 2, 2, 2, 1, new Float32Array(4), 0, 2, new Float32Array(4), 0, 2, 0, new Float32Array(4), 0, 2),
    ).toThrow('boom');
    expect(() => createTfjsKernel(throwing)).toThrow(/tfjs \(tfjs-cpu\) cannot run a matMul: boom/);
    expect(tensors()).toBe(n0);
  });

  it('over a training run (N = 300)', () => {
    const n0 = tensors();
    runReferenceContract({ n: 300, warm: 2, inferBatches: [100], kernel: createTfjsKernel(tf) });
    expect(tensors()).toBe(n0);
  });
});

/** A tfjs module with no backend: what `import '@tensorflow/tfjs-core'` without a backend package looks like. */
function noBackendTf(): TfjsModule {
  return {
    ...tf,
    getBackend: () => undefined,
    backend: () => {
      throw new Error('Could not initialize any backends, all backend initializations failed.');
    },
  } as TfjsModule;
}

describe('the kernel registry with tfjs', () => {
  it('exports the tfjs kernel from the engine entry point', () => {
    expect(engine.registerTfjsKernel).toBe(registerTfjsKernel);
    expect(engine.createTfjsKernel).toBe(createTfjsKernel);
    expect(engine.registerKernel).toBe(registerKernel);
  });

  it('a registered tfjs kernel wins by priority and every candidate is named in the reasons', () => {
    delete process.env.ABC_KERNEL;
    expect(selectKernel().id).toBe('wasm-simd');
    registerTfjsKernel(tf);
    expect(listKernelCandidates().map((c) => [c.id, c.priority])).toEqual([
      ['tfjs', 20],
      ['wasm-simd', 10],
      ['ts', 0],
    ]);
    const s = selectKernel();
    expect(s.id).toBe('tfjs');
    expect(s.kernel).toBeInstanceOf(TfjsGemmKernel);
    expect(s.kernel.name).toBe('tfjs-cpu');
    expect(s.source).toBe('default');
    expect(s.reasons).toEqual([
      { id: 'tfjs', selected: true },
      { id: 'wasm-simd', selected: false, reason: 'not needed: tfjs was selected first' },
      { id: 'ts', selected: false, reason: 'not needed: tfjs was selected first' },
    ]);
    expect(describeSelection(s)).toBe('gemm kernel tfjs (auto)');
    // Built-ins stay reachable by preference.
    expect(selectKernel('ts').id).toBe('ts');
    expect(selectKernel({ prefer: 'wasm' }).kernel).toBeInstanceOf(WasmSimdGemmKernel);
  });

  it("prefer: 'tfjs' (option or ABC_KERNEL) picks it even at a lower priority", async () => {
    delete process.env.ABC_KERNEL;
    registerTfjsKernel(tf, { priority: -5 });
    expect(listKernelCandidates().map((c) => c.id)).toEqual(['wasm-simd', 'ts', 'tfjs']);
    expect(selectKernel().id).toBe('wasm-simd');
    const s = selectKernel({ prefer: 'tfjs' });
    expect(s.id).toBe('tfjs');
    expect(s.source).toBe('option');
    expect(s.reasons.map((r) => r.id)).toEqual(['tfjs', 'wasm-simd', 'ts']);
    expect((await selectKernelAsync('tfjs')).kernel.name).toBe('tfjs-cpu');
    process.env.ABC_KERNEL = 'TFJS';
    const e = selectKernel();
    expect(e.id).toBe('tfjs');
    expect(describeSelection(e)).toBe('gemm kernel tfjs (ABC_KERNEL)');
  });

  it('parseKernelPreference knows registered ids and names them when rejecting an unknown one', () => {
    expect(() => parseKernelPreference('tfjs')).toThrow(/unknown GEMM kernel "tfjs": use one of auto, wasm-simd, ts \(or wasm\)/);
    registerTfjsKernel(tf);
    expect(parseKernelPreference(' TFJS ')).toBe('tfjs');
    expect(() => parseKernelPreference('cuda')).toThrow(/unknown GEMM kernel "cuda": use one of auto, tfjs, wasm-simd, ts/);
    expect(unregisterKernel('tfjs')).toBe(true);
    expect(unregisterKernel('tfjs')).toBe(false);
    expect(unregisterKernel('wasm-simd')).toBe(false);
    process.env.ABC_KERNEL = 'tfjs';
    expect(() => selectKernel()).toThrow(/unknown GEMM kernel "tfjs"/);
  });

  it('falls back with a clear reason when tfjs has no backend; strict names the reason', () => {
    delete process.env.ABC_KERNEL;
    const fake = noBackendTf();
    expect(tfjsUnavailableReason(fake)).toBe(
      'the tfjs backend is not ready: Could not initialize any backends, all backend initializations failed.',
    );
    registerTfjsKernel(fake);
    const s = selectKernel();
    expect(s.id).toBe('wasm-simd');
    expect(s.reasons).toEqual([
      {
        id: 'tfjs',
        selected: false,
        reason: 'the tfjs backend is not ready: Could not initialize any backends, all backend initializations failed.',
      },
      { id: 'wasm-simd', selected: true },
      { id: 'ts', selected: false, reason: 'not needed: wasm-simd was selected first' },
    ]);
    expect(describeSelection(s)).toBe(
      'gemm kernel wasm-simd (auto); skipped: tfjs: the tfjs backend is not ready: Could not initialize any backends, all backend initializations failed.',
    );
    // Preferred but unavailable: falls back, unless strict.
    expect(selectKernel('tfjs').id).toBe('wasm-simd');
    expect(() => selectKernel({ prefer: 'tfjs', strict: true })).toThrow(
      'GEMM kernel tfjs (requested by the preference) is unavailable: the tfjs backend is not ready: Could not initialize any backends',
    );
    process.env.ABC_KERNEL = 'tfjs';
    expect(() => selectKernel({ strict: true })).toThrow(/GEMM kernel tfjs \(requested by ABC_KERNEL\) is unavailable/);
  });

  it('reports a module that is not tfjs, and a backend that does not compute in float32', () => {
    delete process.env.ABC_KERNEL;
    const partial = { tensor2d: tf.tensor2d, tidy: tf.tidy, getBackend: tf.getBackend } as unknown as TfjsModule;
    expect(tfjsUnavailableReason(partial)).toMatch(/^the given tfjs module has no matMul \(pass the module itself/);
    expect(tfjsUnavailableReason(undefined)).toMatch(/^no tfjs module was given/);
    expect(tfjsUnavailableReason({ default: tf })).toMatch(/has no tensor2d, matMul, tidy, getBackend/);
    registerTfjsKernel(partial);
    expect(selectKernel().reasons[0]).toMatchObject({
      id: 'tfjs',
      selected: false,
      reason: expect.stringMatching(/has no matMul/),
    });

    // A half-precision backend (as WebGL without float32 textures): create() refuses it, selection falls back.
    const n0 = tensors();
    const half: TfjsModule = { ...tf, matMul: (a, b, ta, tb) => tf.round(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb)) };
    registerTfjsKernel(half);
    const s = selectKernel();
    expect(s.id).toBe('wasm-simd');
    expect(s.reasons[0]).toEqual({
      id: 'tfjs',
      selected: false,
      reason: 'tfjs-cpu computed a probe product as 1 instead of 1.000244140625: the backend does not compute in float32',
    });
    expect(tensors()).toBe(n0);
  });

  it('selectKernelAsync awaits tf.ready() for a backend that starts asynchronously', async () => {
    delete process.env.ABC_KERNEL;
    let started = false;
    const slow: TfjsModule<tf.Tensor2D> = {
      ...tf,
      getBackend: () => (started ? tf.getBackend() : undefined),
      backend: () => {
        if (!started) throw new Error("The highest priority backend 'wasm' has not yet been initialized.");
        return tf.backend();
      },
      ready: async () => {
        started = true;
      },
    };
    registerTfjsKernel(slow);
    const sync = selectKernel();
    expect(sync.id).toBe('wasm-simd');
    expect(sync.reasons[0].reason).toMatch(
      /^the tfjs backend is not ready: The highest priority backend 'wasm' has not yet been initialized/,
    );
    const s = await selectKernelAsync();
    expect(s.id).toBe('tfjs');
    expect(s.kernel.name).toBe('tfjs-cpu');
  });

  it('registerKernel validates candidates, replaces a re-registered id, and survives a throwing probe', () => {
    delete process.env.ABC_KERNEL;
    const base: KernelCandidate = {
      id: 'fake-blas',
      priority: 30,
      unavailableReason: () => {
        throw new Error('libblas.so not found');
      },
      create: () => new TsGemmKernel(),
      createAsync: async () => new TsGemmKernel(),
    };
    for (const id of ['auto', 'js', 'wasm', 'ts-blocked', 'Fake', 'has space', '', 'wasm-simd', 'ts']) {
      expect(() => registerKernel({ ...base, id })).toThrow(ValidationError);
    }
    expect(() => registerKernel({ ...base, priority: NaN })).toThrow(/priority must be a finite number/);
    expect(() => registerKernel({ ...base, create: undefined as unknown as KernelCandidate['create'] })).toThrow(
      /create must be a function/,
    );
    registerKernel(base);
    registerTfjsKernel(tf);
    const s = selectKernel();
    expect(s.id).toBe('tfjs');
    expect(s.reasons[0]).toEqual({
      id: 'fake-blas',
      selected: false,
      reason: 'its availability probe threw: libblas.so not found',
    });
    registerKernel({ ...base, priority: -3, unavailableReason: () => null });
    expect(listKernelCandidates().map((c) => c.id)).toEqual(['tfjs', 'wasm-simd', 'ts', 'fake-blas']);
    expect(tfjsKernelCandidate(tf).priority).toBe(20);
    expect(tfjsKernelCandidate(tf, { priority: 2 }).priority).toBe(2);
  });
});

describe('PyTorch reference contract on the tfjs kernel (cpu backend)', () => {
  it('reproduces first/last batch loss and the score of row 0 at N = 2,000 to the printed digits', () => {
    // About 11-14 s on the plain cpu backend (2 shared cores): ~5 s the 30 training steps, ~6 s the inference passes.
    const n0 = tensors();
    const kernel = createTfjsKernel(tf);
    const r = runReferenceContract({ n: 2000, inferBatches: [1000], kernel });
    expect(r.firstLoss.toFixed(2)).toBe('46.79');
    expect(r.lastLoss.toFixed(2)).toBe('33.66');
    expect(r.score0.toFixed(3)).toBe('62.188');
    expect(tensors()).toBe(n0);
  }, 120_000);
});

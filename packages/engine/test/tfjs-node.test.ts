import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { runReferenceContract } from '../bench/contract.js';
import { listKernelCandidates, parseKernelPreference, selectKernel, unregisterKernel } from '../src/kernels/select.js';
import { TfjsGemmKernel } from '../src/kernels/tfjs.js';
import { TFJS_NODE_PACKAGES, installedTfjsCandidate, registerInstalledTfjsKernels } from '../src/node/tfjs-node.js';

// @tensorflow/tfjs-node cannot be installed on this project's machines (its install downloads libtensorflow), and
// CUDA is absent: @tensorflow/tfjs (same API, cpu backend) stands in for both packages, through the real
// resolve → require → createTfjsKernel path.
const require = createRequire(import.meta.url);
const tfjsPath = require.resolve('@tensorflow/tfjs');
const notInstalled = (name: string): string => {
  throw new Error(`Cannot find module '${name}'`);
};
const standIn = (which: string) => (name: string) => (name === which ? tfjsPath : notInstalled(name));
const savedEnv = process.env.ABC_KERNEL;

afterEach(() => {
  for (const p of TFJS_NODE_PACKAGES) unregisterKernel(p.id);
  if (savedEnv === undefined) delete process.env.ABC_KERNEL;
  else process.env.ABC_KERNEL = savedEnv;
});

describe('tfjs-node and tfjs-node-gpu: registered only where installed', () => {
  it('here neither package is installed: nothing is registered and asking for one says how to get it', () => {
    expect(registerInstalledTfjsKernels()).toEqual([]);
    expect(listKernelCandidates().map((c) => c.id)).not.toContain('tfjs-node');
    for (const pkg of TFJS_NODE_PACKAGES) {
      expect(installedTfjsCandidate(pkg).unavailableReason()).toBe(`${pkg.name} is not installed (npm i ${pkg.name} to use it)`);
    }
    expect(() => parseKernelPreference('tfjs-node')).toThrow(
      /unknown GEMM kernel "tfjs-node".*installing @tensorflow\/tfjs-node/,
    );
  });

  it('an installed tfjs-node comes after the wasm kernels, is used when asked for, and trains as the built-in kernel does', () => {
    expect(registerInstalledTfjsKernels({ resolve: standIn('@tensorflow/tfjs-node') })).toEqual(['tfjs-node']);
    const order = listKernelCandidates().map((c) => c.id);
    expect(order.indexOf('tfjs-node')).toBeGreaterThan(order.indexOf('wasm-simd'));
    expect(order.indexOf('tfjs-node')).toBeLessThan(order.indexOf('ts'));
    expect(selectKernel().id).not.toBe('tfjs-node');

    process.env.ABC_KERNEL = 'tfjs-node';
    const s = selectKernel({ strict: true });
    expect(s.id).toBe('tfjs-node');
    expect(s.source).toBe('env');
    expect(s.kernel).toBeInstanceOf(TfjsGemmKernel);
    expect(s.kernel.name).toBe('tfjs-cpu');
    // A short run against the built-in kernel (the full contract on tfjs: test/tfjs-kernel.test.ts).
    const run = (kernel = s.kernel) => runReferenceContract({ n: 500, warm: 2, inferBatches: [100], kernel });
    const [viaTfjs, viaWasm] = [run(), run(selectKernel('wasm-simd').kernel)];
    expect(viaTfjs.lastLoss).toBeCloseTo(viaWasm.lastLoss, 3);
    expect(viaTfjs.score0).toBeCloseTo(viaWasm.score0, 2);
  }, 60_000);

  it('an installed tfjs-node-gpu is tried first in auto selection', () => {
    expect(registerInstalledTfjsKernels({ resolve: standIn('@tensorflow/tfjs-node-gpu') })).toEqual(['tfjs-node-gpu']);
    const s = selectKernel();
    expect(s.id).toBe('tfjs-node-gpu');
    expect(s.kernel).toBeInstanceOf(TfjsGemmKernel);
  });

  it('a package that is installed but does not load is passed over with the reason (the fallback runs)', () => {
    const broken = registerInstalledTfjsKernels({
      resolve: standIn('@tensorflow/tfjs-node-gpu'),
      load: () => {
        throw new Error('libtensorflow.so.2: cannot open shared object file');
      },
    });
    expect(broken).toEqual(['tfjs-node-gpu']);
    const s = selectKernel();
    expect(s.id).not.toBe('tfjs-node-gpu');
    expect(s.reasons[0]).toEqual({
      id: 'tfjs-node-gpu',
      selected: false,
      reason: '@tensorflow/tfjs-node-gpu is installed but does not load: libtensorflow.so.2: cannot open shared object file',
    });
    expect(() => selectKernel({ prefer: 'tfjs-node-gpu', strict: true })).toThrow(
      /tfjs-node-gpu \(requested by the preference\) is unavailable: .*does not load/,
    );
  });
});

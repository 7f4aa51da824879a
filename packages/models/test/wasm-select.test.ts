import { afterEach, describe, expect, it, vi } from 'vitest';
import { TsGemmKernel } from '../src/engine/kernels/gemm.js';
import {
  KERNEL_CANDIDATES,
  describeSelection,
  parseKernelPreference,
  selectKernel,
  selectKernelAsync,
} from '../src/engine/kernels/select.js';
import { WasmSimdGemmKernel } from '../src/engine/kernels/wasm-simd.js';

const savedEnv = process.env.ABC_KERNEL;
afterEach(() => {
  vi.restoreAllMocks();
  if (savedEnv === undefined) delete process.env.ABC_KERNEL;
  else process.env.ABC_KERNEL = savedEnv;
});

describe('selectKernel', () => {
  it('lists wasm-simd before ts-blocked', () => {
    expect([...KERNEL_CANDIDATES].sort((a, b) => a.priority - b.priority).map((c) => c.id)).toEqual(['wasm-simd', 'ts-blocked']);
  });

  it('picks wasm-simd by default on Node 20 and reports why ts-blocked was not used', () => {
    delete process.env.ABC_KERNEL;
    const s = selectKernel();
    expect(s.id).toBe('wasm-simd');
    expect(s.kernel).toBeInstanceOf(WasmSimdGemmKernel);
    expect(s.source).toBe('default');
    expect(s.reasons).toEqual([
      { id: 'wasm-simd', selected: true },
      { id: 'ts-blocked', selected: false, reason: 'not needed: wasm-simd was selected first' },
    ]);
    expect(describeSelection(s)).toBe('gemm kernel wasm-simd (auto)');
  });

  it('honours an explicit preference (ts, ts-blocked, wasm, wasm-simd, auto)', () => {
    delete process.env.ABC_KERNEL;
    expect(selectKernel({ prefer: 'ts' }).kernel).toBeInstanceOf(TsGemmKernel);
    expect(selectKernel('ts-blocked').id).toBe('ts-blocked');
    expect(selectKernel('wasm').id).toBe('wasm-simd');
    expect(selectKernel({ prefer: 'wasm-simd' }).source).toBe('option');
    expect(selectKernel('auto').id).toBe('wasm-simd');
  });

  it('reads ABC_KERNEL from the environment; an option wins over it', () => {
    process.env.ABC_KERNEL = 'ts';
    const s = selectKernel();
    expect(s.id).toBe('ts-blocked');
    expect(s.source).toBe('env');
    expect(describeSelection(s)).toBe('gemm kernel ts-blocked (ABC_KERNEL)');
    expect(selectKernel({ prefer: 'wasm-simd' }).id).toBe('wasm-simd');
    process.env.ABC_KERNEL = 'WASM-SIMD';
    expect(selectKernel().id).toBe('wasm-simd');
  });

  it('rejects an unknown kernel name with the valid ones', () => {
    expect(() => parseKernelPreference('cuda')).toThrow(/unknown GEMM kernel "cuda".*wasm-simd, ts-blocked/);
    process.env.ABC_KERNEL = 'blas';
    expect(() => selectKernel()).toThrow(/unknown GEMM kernel "blas"/);
  });

  it('falls back to ts-blocked with a clear reason when WebAssembly SIMD is not supported', () => {
    delete process.env.ABC_KERNEL;
    // A runtime without SIMD rejects every module that uses v128.
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    const s = selectKernel();
    expect(s.id).toBe('ts-blocked');
    expect(s.reasons[0]).toEqual({ id: 'wasm-simd', selected: false, reason: 'WebAssembly SIMD (simd128) is not supported by this runtime' });
    expect(s.reasons[1]).toEqual({ id: 'ts-blocked', selected: true });
    expect(describeSelection(s)).toMatch(/ts-blocked \(auto\); skipped: wasm-simd: WebAssembly SIMD \(simd128\) is not supported/);
    // Preferred but unavailable: falls back, unless strict.
    expect(selectKernel('wasm-simd').id).toBe('ts-blocked');
    expect(() => selectKernel({ prefer: 'wasm-simd', strict: true })).toThrow(/wasm-simd \(requested by the preference\) is unavailable: WebAssembly SIMD/);
    process.env.ABC_KERNEL = 'wasm';
    expect(() => selectKernel({ strict: true })).toThrow(/requested by ABC_KERNEL/);
  });

  it('falls back when compiling the module fails (e.g. a browser main thread refusing a sync compile over 4 KB)', async () => {
    delete process.env.ABC_KERNEL;
    const Real = WebAssembly.Module;
    vi.spyOn(WebAssembly, 'Module').mockImplementation(function (bytes: BufferSource) {
      if ((bytes as Uint8Array).length > 4096) {
        throw new RangeError('WebAssembly.Compile is disallowed on the main thread, if the buffer size is larger than 4KB');
      }
      return new Real(bytes);
    } as unknown as typeof WebAssembly.Module);
    // Fresh module instances, so no compiled module is cached from the tests above.
    vi.resetModules();
    const fresh = await import('../src/engine/kernels/select.js');
    const s = fresh.selectKernel();
    expect(s.id).toBe('ts-blocked');
    expect(s.reasons[0].id).toBe('wasm-simd');
    expect(s.reasons[0].reason).toMatch(/disallowed on the main thread/);
    // The async path compiles asynchronously and is not affected.
    expect((await fresh.selectKernelAsync()).id).toBe('wasm-simd');
  });

  it('has an async variant', async () => {
    delete process.env.ABC_KERNEL;
    const s = await selectKernelAsync();
    expect(s.id).toBe('wasm-simd');
    expect((await selectKernelAsync({ prefer: 'ts' })).id).toBe('ts-blocked');
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError, ValidationError } from '@abc/core';
import { TsGemmKernel } from '../src/kernels/ts-gemm.js';
import {
  KERNEL_CANDIDATES,
  listKernelCandidates,
  describeSelection,
  parseKernelPreference,
  selectKernel,
  selectKernelAsync,
} from '../src/kernels/select.js';
import { WasmSimdGemmKernel } from '../src/kernels/wasm-simd.js';

const savedEnv = process.env.ABC_KERNEL;
afterEach(() => {
  vi.restoreAllMocks();
  if (savedEnv === undefined) delete process.env.ABC_KERNEL;
  else process.env.ABC_KERNEL = savedEnv;
});

describe('selectKernel', () => {
  it('lists wasm-simd before ts: the higher priority first, as onnxruntime', () => {
    expect(KERNEL_CANDIDATES.map((c) => [c.id, c.priority])).toEqual([
      ['wasm-simd', 10],
      ['ts', 0],
    ]);
    expect(
      listKernelCandidates()
        .map((c) => c.id)
        .slice(-2),
    ).toEqual(['wasm-simd', 'ts']);
  });

  it('picks wasm-simd by default on Node 20 and reports why ts was not used', () => {
    delete process.env.ABC_KERNEL;
    const s = selectKernel();
    expect(s.id).toBe('wasm-simd');
    expect(s.kernel).toBeInstanceOf(WasmSimdGemmKernel);
    expect(s.source).toBe('default');
    expect(s.reasons).toEqual([
      { id: 'wasm-simd', selected: true },
      { id: 'ts', selected: false, reason: 'not needed: wasm-simd was selected first' },
    ]);
    expect(describeSelection(s)).toBe('gemm kernel wasm-simd (auto)');
  });

  it("honours an explicit preference (ts, wasm, wasm-simd, auto; 0.1's ts-blocked and js read as ts)", () => {
    delete process.env.ABC_KERNEL;
    expect(selectKernel({ prefer: 'ts' }).kernel).toBeInstanceOf(TsGemmKernel);
    expect(selectKernel('ts').id).toBe('ts');
    expect(selectKernel('ts-blocked').id).toBe('ts');
    expect(selectKernel('js').kernel.name).toBe('ts');
    expect(selectKernel('wasm').id).toBe('wasm-simd');
    expect(selectKernel({ prefer: 'wasm-simd' }).source).toBe('option');
    expect(selectKernel('auto').id).toBe('wasm-simd');
  });

  it('reads ABC_KERNEL from the environment; an option wins over it', () => {
    process.env.ABC_KERNEL = 'ts';
    const s = selectKernel();
    expect(s.id).toBe('ts');
    expect(s.source).toBe('env');
    expect(describeSelection(s)).toBe('gemm kernel ts (ABC_KERNEL)');
    expect(selectKernel({ prefer: 'wasm-simd' }).id).toBe('wasm-simd');
    process.env.ABC_KERNEL = 'WASM-SIMD';
    expect(selectKernel().id).toBe('wasm-simd');
  });

  it('rejects an unknown kernel name with the valid ones', () => {
    expect(() => parseKernelPreference('cuda')).toThrow(ValidationError);
    expect(() => parseKernelPreference('cuda')).toThrow(/unknown GEMM kernel "cuda".*wasm-simd, ts/);
    process.env.ABC_KERNEL = 'blas';
    expect(() => selectKernel()).toThrow(/unknown GEMM kernel "blas"/);
  });

  it('falls back to ts with a clear reason when WebAssembly SIMD is not supported', () => {
    delete process.env.ABC_KERNEL;
    // A runtime without SIMD rejects every module that uses v128.
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    const s = selectKernel();
    expect(s.id).toBe('ts');
    expect(s.reasons[0]).toEqual({
      id: 'wasm-simd',
      selected: false,
      reason: 'WebAssembly SIMD (simd128) is not supported by this runtime',
    });
    expect(s.reasons[1]).toEqual({ id: 'ts', selected: true });
    expect(describeSelection(s)).toMatch(/ts \(auto\); skipped: wasm-simd: WebAssembly SIMD \(simd128\) is not supported/);
    // Preferred but unavailable: falls back, unless strict.
    expect(selectKernel('wasm-simd').id).toBe('ts');
    expect(() => selectKernel({ prefer: 'wasm-simd', strict: true })).toThrow(
      /wasm-simd \(requested by the preference\) is unavailable: WebAssembly SIMD/,
    );
    expect(() => selectKernel({ prefer: 'wasm-simd', strict: true })).toThrow(BackendUnavailableError);
    process.env.ABC_KERNEL = 'wasm';
    expect(() => selectKernel({ strict: true })).toThrow(/requested by ABC_KERNEL/);
  });

  it('falls back when compiling the module fails (e.g. a browser main thread refusing a sync compile over 4 KB)', async () => {
    delete process.env.ABC_KERNEL;
    const Real = WebAssembly.Module;
    // biome-ignore lint/complexity/useArrowFunction: WebAssembly.Module is called with `new`, which an arrow cannot serve
    vi.spyOn(WebAssembly, 'Module').mockImplementation(function (bytes: BufferSource) {
      if ((bytes as Uint8Array).length > 4096) {
        throw new RangeError('WebAssembly.Compile is disallowed on the main thread, if the buffer size is larger than 4KB');
      }
      return new Real(bytes);
    } as unknown as typeof WebAssembly.Module);
    // Fresh module instances, so no compiled module is cached from the tests above.
    vi.resetModules();
    const fresh = await import('../src/kernels/select.js');
    const s = fresh.selectKernel();
    expect(s.id).toBe('ts');
    expect(s.reasons[0].id).toBe('wasm-simd');
    expect(s.reasons[0].reason).toMatch(/disallowed on the main thread/);
    // The async path compiles asynchronously and is not affected.
    expect((await fresh.selectKernelAsync()).id).toBe('wasm-simd');
  });

  it('has an async variant', async () => {
    delete process.env.ABC_KERNEL;
    const s = await selectKernelAsync();
    expect(s.id).toBe('wasm-simd');
    expect((await selectKernelAsync({ prefer: 'ts' })).id).toBe('ts');
  });
});

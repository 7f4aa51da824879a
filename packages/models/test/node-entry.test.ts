import { describe, expect, it } from 'vitest';
import { listKernelCandidates } from '@abc/engine';

describe('the Node entry of @abc/models', () => {
  it('registers the two-thread kernel (wasm-simd-2t) and exports the detectors', async () => {
    const models = await import('@abc/models');
    expect(typeof models.ABC).toBe('function');
    const c = listKernelCandidates().find((k) => k.id === 'wasm-simd-2t');
    expect(c).toBeDefined();
    expect(c!.priority).toBeGreaterThan(10); // ahead of wasm-simd (10): used where its calibration says two threads pay
  });
});

import { describe, expect, it } from 'vitest';
import { runReferenceContract } from '../bench/contract.js';

describe('PyTorch reference contract (shared/bench/README.md)', () => {
  it('reproduces first/last batch loss and the score of row 0 at N = 2,000', () => {
    const r = runReferenceContract({ n: 2000, inferBatches: [1000] });
    // PyTorch prints 46.79, 33.66 and 62.188: within one unit of the last printed digit.
    expect(Math.abs(r.firstLoss - 46.79)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(r.lastLoss - 33.66)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(r.score0 - 62.188)).toBeLessThanOrEqual(0.001);
    expect(r.firstLoss.toFixed(2)).toBe('46.79');
    expect(r.lastLoss.toFixed(2)).toBe('33.66');
  });
});

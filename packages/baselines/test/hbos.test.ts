import { describe, expect, it } from 'vitest';
import { createDetector, ValidationError } from '@abc/core';
import { HBOS } from '../src/index.js';
import { pyodDetectorTests } from './fixtures/pyod/pyod-detector-tests.js';

describe('HBOS', () => {
  pyodDetectorTests({
    name: 'HBOS',
    key: 'hbos',
    Detector: HBOS,
    registered: {
      params: { seed: 0, threshold: null, contamination: null, nBins: 10, alpha: 0.1, tol: 0.5 },
      note: ' with PyOD defaults',
    },
    pyod: {
      title: 'matches PyOD 3.6.5 HBOS (training decision_scores_, decision_function, threshold_) within 1e-6',
      references: (set) =>
        set.hbos.map((ref) => ({
          params: ref.params,
          label: ` nBins=${ref.params.nBins} alpha=${ref.params.alpha} tol=${ref.params.tol}`,
          ref,
        })),
    },
    batchIndependent: false,
    roundTrip: {
      params: { nBins: 7, alpha: 0.2, tol: 0.3, contamination: 0.05 },
      state(state) {
        // The state holds PyOD's bin_edges_ and hist_ as float64 tensors.
        expect(state.tensors.edges.shape).toEqual([8, 8]);
        expect(state.tensors.density.shape).toEqual([8, 7]);
      },
    },
    badParams: {
      cases: [
        [{ nBins: 1 }, 'nBins'],
        [{ nBins: 2.5 }, 'nBins'],
        [{ alpha: 0 }, 'alpha'],
        [{ alpha: 1 }, 'alpha'],
        [{ tol: 0 }, 'tol'],
        [{ tol: 1.5 }, 'tol'],
        [{ contamination: 0.7 }, 'contamination'],
        [{ bins: 10 }, 'bins'],
      ],
      also: () => expect(() => createDetector('hbos', { alpha: -1 })).toThrow(ValidationError),
    },
    toyAuroc: 0.99,
  });

  it('a hand-computed case: bins, the right-closed lookup, tol', async () => {
    // x = 0, 1, 1, 2, 4 in 2 bins: edges 0, 2, 4; counts [0, 2): 3, [2, 4]: 2; densities 3/(2·5) = 0.3, 0.2.
    const det = await new HBOS({ nBins: 2, alpha: 0.1, tol: 0.5 }).fit([[0], [1], [1], [2], [4]]);
    const s = await det.scoreSamples([[1], [2], [3], [4], [-0.5], [-1.5], [5], [5.5]]);
    const first = -Math.log2(0.3 + 0.1);
    const second = -Math.log2(0.2 + 0.1);
    // x = 2 was counted in the second bin but reads the first (np.digitize(..., right=True)), as in PyOD.
    // -0.5 and 5 are within tol · width = 1 of the range: edge bins; -1.5 and 5.5 are beyond: the emptiest bin.
    const expected = [first, first, second, second, first, second, second, second];
    expected.forEach((v, i) => {
      expect(s[i]).toBeCloseTo(v, 6);
    });
  });

  it('a constant column adds one constant to every training row, as in PyOD', async () => {
    // Bins over [-0.5, 0.5]; 0 lies exactly on the middle edge, so the training rows read the empty bin left of it.
    const det = await new HBOS().fit([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
    ]);
    const alone = await new HBOS().fit([[1], [2], [3], [4]]);
    const s = await det.scoreSamples([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
    ]);
    const t = await alone.scoreSamples([[1], [2], [3], [4]]);
    for (let i = 0; i < 4; i++) expect(s[i] - t[i]).toBeCloseTo(-Math.log2(0.1), 5);
    // Off the constant: an empty bin inside [-0.5, 0.5] or within tol, the emptiest bin beyond: log2(alpha) either way.
    const off = await det.scoreSamples([
      [0.3, 1],
      [9, 1],
    ]);
    expect(off[0] - t[0]).toBeCloseTo(-Math.log2(0.1), 5);
    expect(off[1] - t[0]).toBeCloseTo(-Math.log2(0.1), 5);
  });
});

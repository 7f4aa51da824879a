import { describe, expect, it } from 'vitest';
import { MinMaxScaler, Random, validateLabels, validateMatrix } from '@abc/core';
import { makeToyData, toyTrainingSet } from '@abc/eval';
import '@abc/models';
import '@abc/baselines';
import {
  evaluateCandidate,
  searchDetectors,
  searchParts,
  type Trial,
  type TrialExecutor,
  type TrialRequest,
} from '../src/index.js';

const train = makeToyData({ nPerClass: 200, seed: 5 });
const { X, y } = toyTrainingSet(train);
const transformers = () => [new MinMaxScaler()];
const options = {
  detectors: ['iforest', 'ae'],
  strategy: 'halving' as const,
  trialsPerDetector: 3,
  fixed: { ae: { hidden: [8], latent: 1, maxEpochs: 9 } },
  transformers,
  seed: 4,
};
const withoutTimes = (ts: readonly Trial[]) =>
  ts.map(({ fitSeconds: _f, scoreSeconds: _s, ...rest }) => JSON.stringify(rest)).sort();

/** An executor that evaluates elsewhere as a worker would: from the data, the seed and the options alone. */
function remoteLike(batches: TrialRequest[][]): TrialExecutor {
  const parts = searchParts(validateMatrix(X), validateLabels(y, validateMatrix(X).rows), new Random(options.seed));
  return async (requests, onOutcome) => {
    batches.push([...requests]);
    // Finish in reverse order, as workers may.
    for (const r of [...requests].reverse()) {
      const outcome = await evaluateCandidate(parts, r.detector, r.params, 'known-and-synthetic', transformers);
      await onOutcome(r, JSON.parse(JSON.stringify(outcome)));
    }
  };
}

describe('a search through an executor', () => {
  it('gives the trials and the best of a local search, one rung per call', async () => {
    const local = await searchDetectors(X, y, options);
    const batches: TrialRequest[][] = [];
    const recorded: Trial[] = [];
    const remote = await searchDetectors(X, y, { ...options, executor: remoteLike(batches), onTrial: (t) => recorded.push(t) });
    expect(withoutTimes(remote.trials)).toEqual(withoutTimes(local.trials));
    expect(withoutTimes(recorded)).toEqual(withoutTimes(local.trials));
    expect(remote.best.key).toBe(local.best.key);
    expect(batches.length).toBe(3); // three rungs, each after the previous
    expect(batches[0].length).toBe(6);
  });

  it('does not hand over trials recorded by an earlier run', async () => {
    const local = await searchDetectors(X, y, options);
    const batches: TrialRequest[][] = [];
    const remote = await searchDetectors(X, y, { ...options, resume: local.trials, executor: remoteLike(batches) });
    expect(batches.flat()).toEqual([]);
    expect(remote.best.key).toBe(local.best.key);
  });
});

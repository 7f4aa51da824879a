/**
 * Reliability, "nothing lost": a search interrupted (AbortSignal, as Ctrl-C does) after some trials resumes
 * from the trials recorded through onTrial (here written to and read back from a JSON-lines file), runs only
 * the missing ones, and ends with the same result as an uninterrupted search.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortError } from '@abc/core';
import { makeToyData, toyTrainingSet } from '@abc/eval';
import '@abc/models';
import { searchDetectors, type Trial } from '../src/index.js';

const { X, y } = toyTrainingSet(makeToyData({ nPerClass: 80, seed: 5 }));
const opts = {
  detectors: ['abc', 'ae'],
  trialsPerDetector: 2,
  fixed: { abc: { hidden: [6], latent: 1, maxEpochs: 3 }, ae: { hidden: [6], latent: 1, maxEpochs: 3 } },
  seed: 9,
};
let dir = '';
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe('reliability: an interrupted search resumes from what was recorded', () => {
  it('aborted after two trials, it resumes from the recorded file and matches an uninterrupted run', async () => {
    const full = await searchDetectors(X, y, opts);
    expect(full.trials.length).toBe(4);

    dir = await mkdtemp(join(tmpdir(), 'abc-search-rel-'));
    const log = join(dir, 'trials.jsonl');
    const ctrl = new AbortController();
    let seen = 0;
    const interrupted = searchDetectors(X, y, {
      ...opts,
      signal: ctrl.signal,
      onTrial: (t) => {
        void appendFile(log, `${JSON.stringify(t)}\n`);
        if (++seen === 2) ctrl.abort(new Error('Ctrl-C'));
      },
    });
    await expect(interrupted).rejects.toBeInstanceOf(AbortError);
    await new Promise((r) => setTimeout(r, 50)); // let the appends land
    const recorded = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Trial);
    expect(recorded.length).toBe(2);

    const rerun: Trial[] = [];
    const resumed = await searchDetectors(X, y, { ...opts, resume: recorded, onTrial: (t) => rerun.push(t) });
    expect(rerun.length).toBe(2); // only the trials that had not finished
    expect(new Set(rerun.map((t) => t.key))).toEqual(
      new Set(full.trials.map((t) => t.key).filter((k) => !recorded.some((r) => r.key === k))),
    );
    // Recorded + re-run trials are exactly the uninterrupted run's, with the same objectives, and the resumed
    // result lists all of them (the recorded ones too), in the uninterrupted run's order.
    const union = [...recorded, ...rerun].map((t) => [t.key, t.objective]).sort();
    expect(union).toEqual(full.trials.map((t) => [t.key, t.objective]).sort());
    expect(resumed.trials.map((t) => [t.key, t.objective])).toEqual(full.trials.map((t) => [t.key, t.objective]));
    expect(resumed.best.key).toBe(full.best.key);
    expect(await resumed.bestPipeline.scoreSamples(X)).toEqual(await full.bestPipeline.scoreSamples(X));
  }, 120_000);

  it('bad inputs to searchDetectors are typed errors', async () => {
    const { ValidationError } = await import('@abc/core');
    await expect(searchDetectors([], [], opts)).rejects.toBeInstanceOf(ValidationError);
    await expect(searchDetectors(X, y.subarray(1), opts)).rejects.toBeInstanceOf(ValidationError);
    await expect(searchDetectors(X, new Uint8Array(X.rows).fill(1), opts)).rejects.toBeInstanceOf(ValidationError);
    await expect(searchDetectors([[0, NaN]], [0], opts)).rejects.toBeInstanceOf(ValidationError);
  });
});

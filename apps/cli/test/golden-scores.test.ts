/**
 * Golden scores: a SHA-256 of every built-in detector's float32 scores on fixed data, seeds and small params,
 * recorded before the architecture refactoring (one engine package, declare-once detectors, shared helpers),
 * which must leave every one unchanged. The networks train on one fixed kernel (single-thread WebAssembly
 * SIMD), so the hashes do not depend on which kernel a timing calibration picks.
 *
 * To re-record after a deliberate change of results: ABC_UPDATE_GOLDEN=1 pnpm vitest run apps/cli/test/golden-scores.test.ts
 * (and say why in the commit).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDetector, matrix, Random, type Matrix, type Params } from '@abc/core';
import '@abc/models';
import '@abc/baselines';
import { selectKernel, setDefaultKernel } from '@abc/engine';

const FIXTURE = new URL('./fixtures/golden-scores.json', import.meta.url);

/** Each built-in detector with small params (a few seconds in all); the hashes are of these exact settings. */
const CASES: readonly [label: string, name: string, params: Params][] = [
  ['abc-ae', 'abc', { variant: 'ae', hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32, seed: 1 }],
  ['abc-dae', 'abc', { variant: 'dae', hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32, seed: 2 }],
  ['ae', 'ae', { hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32, seed: 3 }],
  ['dae', 'dae', { hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32, seed: 4 }],
  ['lrc', 'lrc', { hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32, seed: 5 }],
  ['dnn', 'dnn', { hidden: [8, 4], maxEpochs: 4, batchSize: 32, seed: 6 }],
  ['iforest', 'iforest', { nEstimators: 25, maxSamples: 64, seed: 7 }],
  ['gtb', 'gtb', { maxIter: 15, seed: 8 }],
  ['rusboost', 'rusboost', { nEstimators: 10, seed: 9 }],
  ['svm', 'svm', { seed: 10 }],
  ['ocsvm', 'ocsvm', { seed: 11 }],
];

/** 240 training rows of 5 features: Gaussian normals and two clusters of labelled anomalies; 120 test rows. */
function data(seed: number): { train: Matrix; y: Uint8Array; test: Matrix } {
  const rng = new Random(seed);
  const rows = (n: number, centre: number, spread: number) =>
    Array.from({ length: n }, () => Array.from({ length: 5 }, () => centre + spread * rng.normal()));
  const normal = rows(200, 0, 1);
  const anomalies = [...rows(20, 3, 0.5), ...rows(20, -3, 0.5)];
  const train = [...normal, ...anomalies];
  const test = [...rows(100, 0, 1), ...rows(10, 3, 0.5), ...rows(10, 0, 4)];
  const m = (r: number[][]) => matrix(Float32Array.from(r.flat()), r.length, 5);
  return { train: m(train), y: Uint8Array.from(train, (_, i) => (i < 200 ? 0 : 1)), test: m(test) };
}

const sha256 = (scores: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength))
    .digest('hex');

describe('golden scores of every built-in detector (unchanged by refactoring)', () => {
  const recorded: Record<string, string> = JSON.parse(readFileSync(FIXTURE, { encoding: 'utf8', flag: 'a+' }) || '{}');
  const found: Record<string, string> = {};
  const { train, y, test } = data(42);

  beforeAll(() => {
    setDefaultKernel(selectKernel({ prefer: 'wasm-simd', strict: true }).kernel);
  });

  it.each(CASES)(
    '%s',
    async (label, name, params) => {
      const d = createDetector(name, params);
      const supervised = d.supervision === 'supervised';
      await d.fit(train, supervised ? y : undefined);
      const scores = await d.scoreSamples(test);
      expect(scores).toHaveLength(120);
      found[label] = sha256(scores);
      if (process.env.ABC_UPDATE_GOLDEN === '1') {
        writeFileSync(FIXTURE, `${JSON.stringify({ ...recorded, ...found }, null, 2)}\n`);
        return;
      }
      expect(recorded[label], `no golden hash for ${label}: record one with ABC_UPDATE_GOLDEN=1`).toBeDefined();
      expect(found[label], `${label}: the scores changed`).toBe(recorded[label]);
    },
    60_000,
  );
});

import { matrix } from '@abc/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxDetector, toOnnx } from '../src/index.js';
import { buildCases, maxRel, type Case } from './helpers.js';
import { checkParity, report, type ParityRow } from './parity.js';

let cases: Case[];
beforeAll(async () => {
  cases = await buildCases(300);
});

describe('onnxruntime-node cpu matches the TypeScript models', () => {
  it('score, reconstruction_error and label for every exported kind', async () => {
    const rows: ParityRow[] = [];
    for (const c of cases) rows.push(await checkParity(c, 'cpu'));
    report('onnxruntime-node cpu', rows);
    expect(rows.map((r) => r.id)).toEqual([
      'abc-ae',
      'abc-dae',
      'ae',
      'dae',
      'lrc',
      'plugin-sigmoid-mlp',
      'dnn',
      'impute-standard-abc',
      'iforest',
      'gtb',
      'rusboost',
    ]);
  });

  it('has a dynamic batch axis: 1 row, odd batches and all rows agree', async () => {
    for (const c of cases) {
      const bytes = toOnnx(c.model);
      const all = await (await OnnxDetector.load(bytes)).scoreSamples(c.X);
      const odd = await (await OnnxDetector.load(bytes, { batchSize: 7 })).scoreSamples(c.X);
      expect(maxRel(odd, all), c.id).toBeLessThanOrEqual(1e-5);
      const one = await (await OnnxDetector.load(bytes, { batchSize: 1 })).scoreSamples(
        matrix(c.X.data.subarray(0, 3 * c.X.cols), 3, c.X.cols),
      );
      expect(maxRel(one, all.subarray(0, 3)), c.id).toBeLessThanOrEqual(1e-5);
    }
  });
});

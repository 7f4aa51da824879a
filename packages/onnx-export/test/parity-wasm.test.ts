import { Pipeline, StandardScaler, type Params } from '@abc/core';
import { checkDetector, makeCheckData } from '@abc/core/testing';
import { ABC } from '@abc/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxDetector, registerOnnxDetector, toOnnx, type OnnxDetectorParams } from '../src/index.js';
import { buildCases, maxAbs, type Case } from './helpers.js';
import { checkParity, report, type ParityRow } from './parity.js';

// onnxruntime-web in Node (its wasm build): the same checks as the cpu file, and the conformance suite.
let cases: Case[];
beforeAll(async () => {
  registerOnnxDetector();
  cases = await buildCases(300);
});

describe('onnxruntime-web wasm matches the TypeScript models', () => {
  it('score, reconstruction_error and label for every exported kind', async () => {
    const rows: ParityRow[] = [];
    for (const c of cases) rows.push(await checkParity(c, 'wasm'));
    report('onnxruntime-web wasm', rows);
    expect(rows).toHaveLength(cases.length);
  });

  it('agrees with onnxruntime-node cpu', async () => {
    for (const c of cases) {
      const bytes = toOnnx(c.model);
      const w = await (await OnnxDetector.load(bytes, { backend: 'wasm' })).scoreSamples(c.X);
      const n = await (await OnnxDetector.load(bytes, { backend: 'cpu' })).scoreSamples(c.X);
      expect(maxAbs(w, n), c.id).toBeLessThanOrEqual(1e-4);
    }
  });

  it('passes checkDetector({ scoringOnly: true }) on wasm', async () => {
    const data = makeCheckData();
    const p = await new Pipeline([new StandardScaler(), new ABC({ hidden: [8, 4], latent: 1, maxEpochs: 60, seed: 3 })]).fit(
      data.X,
      data.y,
    );
    const bytes = toOnnx(p);
    const factory = (params?: Params) =>
      new OnnxDetector({ backend: 'wasm', ...(params as Partial<OnnxDetectorParams>) }).setModel(bytes);
    await checkDetector(factory, { scoringOnly: true });
    const det = factory();
    await det.ready();
    expect(det.activeBackend).toBe('wasm');
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MinMaxScaler, Pipeline, toRows } from '@abc/core';
import { ABC } from '@abc/models';
import { afterAll, describe, expect, it } from 'vitest';
import { toOnnx } from '../src/index.js';
import { makeData, maxAbs, maxRel } from './helpers.js';

// The README's other-language examples (Python onnxruntime, C#, Java) cannot run here; this Node program holds
// the same contract (names, types, shapes) and is run as a separate process, as a consumer would.
const dir = mkdtempSync(join(tmpdir(), 'abc-onnx-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/score-node.mjs', () => {
  it('scores an exported pipeline through the X -> score / reconstruction_error / label contract', async () => {
    const { X, y } = makeData(200, 5, 21, 0.15);
    const model = await new Pipeline([new MinMaxScaler(), new ABC({ hidden: [6], latent: 2, maxEpochs: 20, seed: 2 })]).fit(X, y);
    writeFileSync(join(dir, 'model.onnx'), toOnnx(model));
    writeFileSync(join(dir, 'rows.json'), JSON.stringify(toRows(X)));
    const script = fileURLToPath(new URL('../examples/score-node.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, join(dir, 'model.onnx'), join(dir, 'rows.json')], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.inputs).toEqual([{ name: 'X', type: 'float32', shape: ['N', 5] }]);
    expect(out.outputs).toEqual([
      { name: 'score', type: 'float32', shape: ['N'] },
      { name: 'reconstruction_error', type: 'float32', shape: ['N'] },
      { name: 'label', type: 'int64', shape: ['N'] },
    ]);
    expect(maxAbs(out.score, await model.scoreSamples(X))).toBeLessThanOrEqual(1e-4);
    expect(
      maxRel(out.reconstruction_error, await (model.detector as ABC).reconstructionError(model.transform(X))),
    ).toBeLessThanOrEqual(1e-4);
    const ts = await model.scoreSamples(X);
    const labels = await model.predict(X);
    for (let i = 0; i < ts.length; i++) if (Math.abs(ts[i] - model.threshold!) > 1e-4) expect(out.label[i]).toBe(labels[i]);
  });
});

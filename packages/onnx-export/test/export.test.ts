import { readFileSync } from 'node:fs';
import { MinMaxScaler, NotFittedError, Pipeline, UnsupportedExportError, ValidationError, type DenseExportSpec } from '@abc/core';
import { MeanDistance } from '@abc/core/testing';
import { ABC } from '@abc/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { ElemType, METADATA_KEYS, ONNX_TARGET, VERSION, inspectOnnx, specsToOnnx, toOnnx } from '../src/index.js';
import { buildCases, D, FEATURES, makeData, type Case } from './helpers.js';

let cases: Case[];
beforeAll(async () => {
  cases = await buildCases(50);
});

describe('toOnnx: the contract', () => {
  it('writes IR 8, opset 17, ai.onnx.ml 3, input X float32 [N, D] and the named outputs, for every kind', () => {
    for (const c of cases) {
      const info = inspectOnnx(toOnnx(c.model));
      expect(info.irVersion, c.id).toBe(8);
      expect(info.opsets, c.id).toEqual({ '': 17, 'ai.onnx.ml': 3 });
      expect(info.inputs, c.id).toEqual([{ name: 'X', elemType: ElemType.float, dims: ['N', D] }]);
      const outputs = Object.fromEntries(info.outputs.map((o) => [o.name, o]));
      expect(outputs.score, c.id).toEqual({ name: 'score', elemType: ElemType.float, dims: ['N'] });
      expect(outputs.label, c.id).toEqual({ name: 'label', elemType: ElemType.int64, dims: ['N'] });
      if (c.error)
        expect(outputs.reconstruction_error, c.id).toEqual({
          name: 'reconstruction_error',
          elemType: ElemType.float,
          dims: ['N'],
        });
      else expect(outputs.reconstruction_error, c.id).toBeUndefined();
      expect(info.producerName).toBe('@abc/onnx-export');
    }
  });

  it('keeps the scaler inside the graph and uses the ML domain only for trees', () => {
    const byId = Object.fromEntries(cases.map((c) => [c.id, inspectOnnx(toOnnx(c.model)).ops]));
    expect(byId['abc-ae']).toEqual(expect.arrayContaining(['Sub', 'Mul', 'MatMul', 'Add', 'Tanh', 'ReduceMean', 'Exp']));
    expect(byId['abc-dae']).toEqual(expect.arrayContaining(['Div', 'Relu', 'ReduceSumSquare', 'Sqrt']));
    expect(byId['impute-standard-abc']).toEqual(expect.arrayContaining(['IsNaN', 'Where']));
    expect(byId.iforest).toContain('ai.onnx.ml.TreeEnsembleRegressor');
    expect(byId['abc-ae'].some((op) => op.startsWith('ai.onnx.ml'))).toBe(false);
  });

  it('records detector, params, versions, feature count and names in the metadata', () => {
    const c = cases.find((k) => k.id === 'abc-ae')!;
    const m = inspectOnnx(toOnnx(c.model)).metadata;
    expect(m[METADATA_KEYS.detector]).toBe('abc');
    expect(JSON.parse(m[METADATA_KEYS.steps])).toEqual(['minmax', 'abc']);
    expect(JSON.parse(m[METADATA_KEYS.params])).toMatchObject({ abc__variant: 'ae', minmax__min: 0 });
    expect(m[METADATA_KEYS.packageVersion]).toBe(VERSION);
    expect(m[METADATA_KEYS.nFeatures]).toBe(String(D));
    expect(JSON.parse(m[METADATA_KEYS.featureNames])).toEqual(FEATURES);
    expect(Number(m[METADATA_KEYS.threshold])).toBe(c.model.threshold);
    expect(m[METADATA_KEYS.hasProbability]).toBe('true');
    expect(m[METADATA_KEYS.scoreKind]).toBe('abc');
    const ae = inspectOnnx(toOnnx(cases.find((k) => k.id === 'ae')!.model)).metadata;
    expect(ae[METADATA_KEYS.featureNames]).toBeUndefined();
    expect(ae[METADATA_KEYS.hasProbability]).toBe('false');
    // Dense networks and tree ensembles have small per-row intermediates: no working-memory estimate (full batches).
    for (const k of cases) {
      expect(inspectOnnx(toOnnx(k.model)).metadata[METADATA_KEYS.workBytesPerRow], k.id).toBeUndefined();
    }
  });

  it('leaves out label when asked, and takes a threshold override', () => {
    const c = cases.find((k) => k.id === 'abc-ae')!;
    expect(inspectOnnx(toOnnx(c.model, { label: false })).outputs.map((o) => o.name)).toEqual(['score', 'reconstruction_error']);
    expect(inspectOnnx(toOnnx(c.model, { threshold: 0.25 })).metadata[METADATA_KEYS.threshold]).toBe('0.25');
  });

  it('keeps the version equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(ONNX_TARGET).toMatchObject({ irVersion: 8, opset: 17, mlOpset: 3, inputName: 'X' });
  });
});

describe('toOnnx: what cannot be exported raises UnsupportedExportError', () => {
  const { X, y } = makeData(60, 3, 3);
  const base: DenseExportSpec = {
    kind: 'dense',
    layers: [{ W: new Float32Array(9), b: new Float32Array(3), inputSize: 3, outputSize: 3, activation: 'tanh' }],
    distance: 'meanSquared',
    scoreKind: 'abc',
  };
  const exportSpec = (detector: DenseExportSpec | Record<string, unknown>) =>
    specsToOnnx({ transformers: [], detector: detector as DenseExportSpec, nFeatures: 3 });

  it('a detector without toExportSpec, a one-hot step, a clipping scaler', async () => {
    const md = await new MeanDistance().fit(X);
    expect(() => toOnnx(md)).toThrow(UnsupportedExportError);
    expect(() => toOnnx(md)).toThrow(/ref-meandist.*no export spec/);
    const clip = await new Pipeline([new MinMaxScaler({ clip: true }), new ABC({ hidden: [2], latent: 1, maxEpochs: 1 })]).fit(
      X,
      y,
    );
    expect(() => toOnnx(clip)).toThrow(UnsupportedExportError);
    expect(() => specsToOnnx({ transformers: [{ kind: 'onehot' }], detector: base, nFeatures: 3 })).toThrow(
      /onehot.*no ONNX converter/,
    );
  });

  it('unknown kinds, score kinds, distances, activations and aggregates', () => {
    expect(() => exportSpec({ kind: 'gaussian-process' })).toThrow(/"gaussian-process" has no ONNX converter/);
    expect(() => exportSpec({ ...base, scoreKind: 'energy' })).toThrow(/scoreKind "energy"/);
    expect(() => exportSpec({ ...base, distance: 'cosine' })).toThrow(/distance "cosine"/);
    expect(() => exportSpec({ ...base, layers: [{ ...base.layers[0], activation: 'gelu' }] })).toThrow(/activation "gelu"/);
    expect(() => exportSpec({ kind: 'trees', aggregate: 'mean' })).toThrow(/aggregate "mean"/);
  });

  it('malformed shapes and values never give a graph', () => {
    const L = base.layers[0];
    expect(() => exportSpec({ ...base, layers: [] })).toThrow(UnsupportedExportError);
    expect(() => exportSpec({ ...base, layers: [{ ...L, W: new Float32Array(8) }] })).toThrow(/W must be/);
    expect(() => exportSpec({ ...base, layers: [{ ...L, inputSize: 4, W: new Float32Array(12) }] })).toThrow(
      /takes 4 inputs but receives 3/,
    );
    expect(() =>
      exportSpec({ ...base, layers: [{ ...L, outputSize: 2, W: new Float32Array(6), b: new Float32Array(2) }] }),
    ).toThrow(/reconstruct its 3 inputs/);
    expect(() => exportSpec({ ...base, scoreKind: 'sigmoid' })).toThrow(/1 output unit/);
    expect(() => exportSpec({ ...base, layers: [{ ...L, b: Float32Array.of(0, NaN, 0) }] })).toThrow(/b\[1\] is NaN/);
    expect(() =>
      specsToOnnx({
        transformers: [{ kind: 'standard', mean: new Float32Array(3), std: Float32Array.of(1, 0, 1) }],
        detector: base,
        nFeatures: 3,
      }),
    ).toThrow(/divide by zero/);
    expect(() =>
      specsToOnnx({
        transformers: [{ kind: 'minmax', min: new Float32Array(2), scale: new Float32Array(2) }],
        detector: base,
        nFeatures: 3,
      }),
    ).toThrow(/has 2 values, expected 3/);
    for (const e of [() => exportSpec({ kind: 'gaussian-process' }), () => exportSpec({ ...base, layers: [] })]) {
      try {
        e();
      } catch (err) {
        expect((err as UnsupportedExportError).code).toBe('UNSUPPORTED_EXPORT');
      }
    }
  });

  it('a malformed tree spec', () => {
    const good = {
      kind: 'trees',
      aggregate: 'isolation',
      nFeatures: 3,
      nTrees: 1,
      nodes: {
        feature: Int32Array.of(0, -1, -1),
        threshold: Float32Array.of(0.5, 0, 0),
        left: Int32Array.of(1, -1, -1),
        right: Int32Array.of(2, -1, -1),
        value: Float32Array.of(0, 1, 2),
      },
      treeOffsets: Int32Array.of(0, 3),
      treeWeights: Float32Array.of(1),
      baseScore: 0,
      normalizer: 1,
    };
    expect(() => exportSpec(good)).not.toThrow();
    expect(() => exportSpec({ ...good, nodes: { ...good.nodes, feature: Int32Array.of(5, -1, -1) } })).toThrow(
      /splits on feature 5/,
    );
    expect(() => exportSpec({ ...good, nodes: { ...good.nodes, left: Int32Array.of(7, -1, -1) } })).toThrow(/children 7, 2/);
    expect(() => exportSpec({ ...good, treeOffsets: Int32Array.of(0, 2) })).toThrow(/treeOffsets/);
    expect(() => exportSpec({ ...good, nFeatures: 4 })).toThrow(/4 features but the model input has 3/);
    expect(() => exportSpec({ ...good, normalizer: undefined })).toThrow(/normalizer/);
  });

  it('an unfitted detector raises NotFittedError; wrong feature names a ValidationError', async () => {
    expect(() => toOnnx(new ABC())).toThrow(NotFittedError);
    expect(() => toOnnx(new Pipeline([new MinMaxScaler(), new ABC()]))).toThrow(NotFittedError);
    const abc = await new ABC({ hidden: [2], latent: 1, maxEpochs: 1 }).fit(X, y);
    expect(() => toOnnx(abc, { featureNames: ['a'] })).toThrow(ValidationError);
  });
});

describe('the label threshold', () => {
  it('is stored as the largest float32 <= t, so float32 score > it exactly when score > t in float64', async () => {
    const { lowerFloat32 } = await import('../src/convert/checks.js');
    const next = (f: number, dir: 1 | -1) => {
      const b = new Float32Array([f]);
      const i = new Int32Array(b.buffer);
      i[0] += (f >= 0 ? 1 : -1) * dir;
      return b[0];
    };
    for (const t of [0.5, 0.1, 1 / 3, -0.7, 1e-9, 123.456789, 0, -1e-30, 0.9000000000000001]) {
      const low = lowerFloat32(t);
      expect(Math.fround(low)).toBe(low);
      expect(low).toBeLessThanOrEqual(t);
      const f = Math.fround(t);
      for (const s of [f, next(f, 1), next(f, -1), low, next(low, 1), next(low, -1)])
        expect(s > low, `t ${t}, s ${s}`).toBe(s > t);
    }
  });
});

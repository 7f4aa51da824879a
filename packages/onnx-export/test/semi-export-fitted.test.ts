import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deserialize,
  matrix,
  MinMaxScaler,
  Pipeline,
  serialize,
  StandardScaler,
  UnsupportedExportError,
  type Detector,
  type FeatureResidualExportSpec,
  type PairMeanExportSpec,
} from '@abc/core';
import { FeaWAD, PReNet, RoSAS } from '@abc/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectOnnx, METADATA_KEYS, OnnxDetector, specsToOnnx, toOnnx, type OnnxBackend } from '../src/index.js';
import { D, hasPythonOnnx, makeData, maxAbs, PYTHON, tool, type Case } from './helpers.js';
import { checkParity, report, type ParityRow } from './parity.js';

// Fitted PReNet ('pairMean' with its two pair orders), FeaWAD ('featureResidual' with the r / max(||r||, 1e-12)
// floor) and RoSAS (a 'linear' dense spec) exported and scored by onnxruntime-node (cpu) and onnxruntime-web (wasm):
// scores within 1e-4 of scoreSamples and labels equal away from the threshold (the other parity tests' tolerances),
// the same graph after save/load, and every graph accepted by Debian's onnx checker.

const BACKENDS: OnnxBackend[] = ['cpu', 'wasm'];

/** The detector of a case (the last step of a pipeline). */
function detectorOf(model: Detector): Detector {
  const p = model as unknown as { detector?: Detector };
  return p.detector ?? model;
}

let fitted: Case[];
const testX = makeData(300, D, 12, 0.3).X;
const plainX = matrix(testX.data, testX.rows, testX.cols);
beforeAll(async () => {
  const train = makeData(400, D, 11, 0.1);
  const trainX = matrix(train.X.data, train.X.rows, train.X.cols);
  const feaQuick = { batchSize: 32, batchesPerEpoch: 5, epochs: 8, aeEpochs: 3, nReference: 500, lr: 1e-3, aeLr: 1e-3 };
  const models: [string, Detector][] = [
    [
      'prenet-minmax-leaky',
      new Pipeline([
        new MinMaxScaler(),
        new PReNet({
          hidden: [16, 8],
          activation: 'leakyRelu',
          epochs: 5,
          batchesPerEpoch: 5,
          batchSize: 64,
          ensembleSize: 8,
          seed: 1,
        }),
      ]),
    ],
    ['prenet-default-width', new PReNet({ epochs: 4, batchesPerEpoch: 5, batchSize: 64, seed: 2 })],
    [
      'feawad-standard',
      new Pipeline([new StandardScaler(), new FeaWAD({ ...feaQuick, hidden: [8, 4], headHidden: [8, 4], seed: 3 })]),
    ],
    [
      'feawad-noinput-reluout',
      new Pipeline([
        new MinMaxScaler(),
        new FeaWAD({
          ...feaQuick,
          hidden: [8, 3],
          headHidden: [6],
          inputLayer: false,
          activation: 'leakyRelu',
          outputActivation: 'relu',
          seed: 4,
        }),
      ]),
    ],
    [
      'rosas-minmax',
      new Pipeline([
        new MinMaxScaler(),
        new RoSAS({ hidden: [16], embeddingSize: 16, epochs: 5, batchesPerEpoch: 8, batchSize: 16, seed: 5 }),
      ]),
    ],
    [
      'rosas-default-hidden',
      new RoSAS({ embeddingSize: 12, activation: 'relu', epochs: 4, batchesPerEpoch: 8, batchSize: 16, seed: 6 }),
    ],
  ];
  fitted = [];
  for (const [id, model] of models) {
    await model.fit(trainX, train.y);
    fitted.push({ id, model, X: plainX });
  }
}, 120_000);

const byId = (id: string): Case => fitted.find((c) => c.id === id)!;

describe('export specs of fitted PReNet, FeaWAD and RoSAS', () => {
  it("PReNet: 'pairMean' with E anomaly references (a, x) then E unlabelled ones (x, u)", () => {
    const pre = detectorOf(byId('prenet-minmax-leaky').model) as PReNet;
    const spec = pre.toExportSpec();
    expect(spec).toMatchObject({ kind: 'pairMean', nReferences: 16, threshold: pre.threshold });
    expect(Array.from(spec.xFirst!)).toEqual([...Array(8).fill(0), ...Array(8).fill(1)]);
    expect(spec.encoder.map((L) => [L.inputSize, L.outputSize, L.activation])).toEqual([
      [D, 16, 'leakyRelu'],
      [16, 8, 'leakyRelu'],
    ]);
    expect(spec.head.map((L) => [L.inputSize, L.outputSize, L.activation])).toEqual([[16, 1, 'linear']]);
    expect(spec.references.length).toBe(16 * D);
  });

  it("FeaWAD: 'featureResidual' on [r / max(||r||, 1e-12), h, ||r||], ||r|| after every hidden scoring layer", () => {
    const fea = detectorOf(byId('feawad-standard').model) as FeaWAD;
    const spec = fea.toExportSpec();
    expect(spec).toMatchObject({
      kind: 'featureResidual',
      headInput: ['normalizedResidual', 'features', 'residualNorm'],
      residualNormToEveryLayer: true,
      normFloor: 1e-12,
      threshold: fea.threshold,
    });
    expect(spec.normEps ?? 0).toBe(0);
    expect(spec.encoder.map((L) => L.outputSize)).toEqual([D, 8, 4]);
    expect(spec.decoder.map((L) => L.outputSize)).toEqual([8, D]);
    expect(spec.head.map((L) => [L.inputSize, L.outputSize])).toEqual([
      [D + 4 + 1, 8],
      [9, 4],
      [5, 1],
    ]);
  });

  it("RoSAS: a 'linear' dense spec, bias-free feature learner and head layer, then one tanh unit", () => {
    const ro = detectorOf(byId('rosas-default-hidden').model) as RoSAS;
    const spec = ro.toExportSpec();
    expect(spec).toMatchObject({ kind: 'dense', scoreKind: 'linear', threshold: ro.threshold });
    // the original's hidden width D + trunc((E − D) / 2) = 6 + 3, the representation 12, the head 6 then 1
    expect(spec.layers.map((L) => [L.outputSize, L.activation])).toEqual([
      [9, 'relu'],
      [12, 'linear'],
      [6, 'relu'],
      [1, 'tanh'],
    ]);
    expect(spec.layers.slice(0, 3).every((L) => L.b.every((v) => v === 0))).toBe(true);
    expect(spec.layers[3].b[0]).not.toBe(0);
  });
});

describe('parity with scoreSamples', () => {
  for (const backend of BACKENDS) {
    it(`on ${backend}: score within 1e-4, labels identical away from the threshold`, async () => {
      const rows: ParityRow[] = [];
      for (const c of fitted) {
        rows.push(await checkParity(c, backend));
        // a graph that ignored x would pass a constant model: these scores spread
        const s = await c.model.scoreSamples(c.X);
        expect(Math.max(...s) - Math.min(...s), c.id).toBeGreaterThan(1e-2);
      }
      report(`onnxruntime ${backend} (fitted PReNet, FeaWAD, RoSAS)`, rows);
    });
  }

  it('records the score kind, no probability and no reconstruction_error', () => {
    const kinds: Record<string, string> = { prenet: 'pairMean', feawad: 'featureResidual', rosas: 'linear' };
    for (const c of fitted) {
      const info = inspectOnnx(toOnnx(c.model));
      expect(info.metadata[METADATA_KEYS.scoreKind], c.id).toBe(kinds[c.id.split('-')[0]]);
      expect(info.metadata[METADATA_KEYS.hasProbability], c.id).toBe('false');
      expect(info.outputs.map((o) => o.name)).toEqual(['score', 'label']);
    }
  });
});

describe('what the spec additions express', () => {
  it("PReNet's pair orders matter: the same spec with every pair (x, r) scores differently", async () => {
    const pre = detectorOf(byId('prenet-default-width').model) as PReNet;
    const spec = pre.toExportSpec();
    const ts = await pre.scoreSamples(plainX);
    const score = async (s: PairMeanExportSpec) => {
      const det = await OnnxDetector.load(specsToOnnx({ transformers: [], detector: s, nFeatures: D, detectorName: 'prenet' }));
      const out = (await det.run(plainX)).score;
      await det.close();
      return out;
    };
    const exact = maxAbs(await score(spec), ts);
    const { xFirst: _, ...allXFirst } = spec;
    const wrong = maxAbs(await score(allXFirst), ts);
    console.log(
      `[onnx-export] PReNet with its pair orders max|Δ| ${exact.toExponential(2)}, all (x, r) ${wrong.toExponential(2)}`,
    );
    expect(exact).toBeLessThanOrEqual(1e-4);
    expect(wrong).toBeGreaterThan(1e-2);
  });

  it("FeaWAD's floor: a row its autoencoder reconstructs exactly scores as scoreSamples (r̃ = 0), not NaN", async () => {
    // the fitted model with its decoder's output layer replaced by the constant c = the first test row
    const fea = detectorOf(byId('feawad-standard').model) as FeaWAD;
    const state = fea.getState();
    const dec = state.tensors.decoder.data as Float32Array;
    const c = plainX.data.subarray(0, D);
    const wLast = 8 * D;
    const decoder = Float32Array.from(dec);
    decoder.fill(0, dec.length - wLast - D, dec.length - D);
    decoder.set(c, dec.length - D);
    const patched = new FeaWAD(fea.getParams());
    patched.setState({ ...state, tensors: { ...state.tensors, decoder: { ...state.tensors.decoder, data: decoder } } });
    const rows = matrix(Float32Array.from([...c, ...plainX.data.subarray(D, 4 * D)]), 4, D);
    const ts = await patched.scoreSamples(rows);
    expect(ts.every(Number.isFinite)).toBe(true);
    const spec = patched.toExportSpec();
    const run = async (s: FeatureResidualExportSpec) => {
      const det = await OnnxDetector.load(specsToOnnx({ transformers: [], detector: s, nFeatures: D, detectorName: 'feawad' }));
      const out = (await det.run(rows)).score;
      await det.close();
      return out;
    };
    const floored = await run(spec);
    expect(maxAbs(floored, ts)).toBeLessThanOrEqual(1e-4);
    // without the floor, r / ||r|| is 0 / 0 on that row
    const { normFloor: _, ...unfloored } = spec;
    const raw = await run(unfloored);
    expect(Number.isNaN(raw[0])).toBe(true);
    expect(maxAbs(raw.subarray(1), ts.subarray(1))).toBeLessThanOrEqual(1e-4);
  });
});

describe('malformed additions raise UnsupportedExportError naming the field', () => {
  it('xFirst of the wrong length or with values other than 0 and 1; a negative normFloor', () => {
    const pre = (detectorOf(byId('prenet-minmax-leaky').model) as PReNet).toExportSpec();
    const fea = (detectorOf(byId('feawad-standard').model) as FeaWAD).toExportSpec();
    const bytes = (spec: PairMeanExportSpec | FeatureResidualExportSpec) =>
      specsToOnnx({ transformers: [], detector: spec, nFeatures: D });
    expect(() => bytes({ ...pre, xFirst: new Uint8Array(15) })).toThrow(UnsupportedExportError);
    expect(() => bytes({ ...pre, xFirst: new Uint8Array(15) })).toThrow(/xFirst must be a Uint8Array of 16 values 0 or 1/);
    expect(() => bytes({ ...pre, xFirst: new Uint8Array(16).fill(2) })).toThrow(/xFirst must be/);
    expect(() => bytes({ ...pre, xFirst: Array(16).fill(1) as unknown as Uint8Array })).toThrow(/xFirst must be/);
    expect(() => bytes({ ...fea, normFloor: -1 })).toThrow(/normFloor must be a finite number >= 0/);
    expect(() => bytes({ ...fea, normFloor: Number.NaN })).toThrow(UnsupportedExportError);
  });
});

describe('save and load', () => {
  it('a saved and loaded model exports the same graph bytes and scores', async () => {
    for (const c of fitted) {
      const loaded = (await deserialize(await serialize(c.model))) as Detector;
      const before = toOnnx(c.model);
      const after = toOnnx(loaded);
      expect(Buffer.from(after).equals(Buffer.from(before)), c.id).toBe(true);
      const det = await OnnxDetector.load(after);
      expect(maxAbs((await det.run(plainX)).score, await c.model.scoreSamples(plainX)), c.id).toBeLessThanOrEqual(1e-4);
      await det.close();
    }
  });
});

// ---- Debian's onnx checker ---------------------------------------------------------------------------------------

const CHECK = String.raw`
import json, sys, onnx
from onnx import shape_inference, TensorProto
out = {}
for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    inferred = shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    out[path] = {o.name: [TensorProto.DataType.Name(o.type.tensor_type.elem_type), [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]] for o in inferred.graph.output}
print(json.dumps(out))
`;
const checker = tool('python3-onnx (/usr/bin/python3 with onnx)', hasPythonOnnx(), 'apt-get install -y python3-onnx');
const dir = mkdtempSync(join(tmpdir(), 'abc-onnx-semi-fitted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Debian's ONNX checker", () => {
  it.skipIf(checker.skip)(
    'accepts every fitted PReNet, FeaWAD and RoSAS graph with full_check and strict shape inference',
    () => {
      checker.require();
      const files = fitted.map((c) => {
        const path = join(dir, `${c.id}.onnx`);
        writeFileSync(path, toOnnx(c.model));
        return { id: c.id, path };
      });
      const r = spawnSync(PYTHON, ['-c', CHECK, ...files.map((f) => f.path)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const outputs = JSON.parse(r.stdout) as Record<string, Record<string, [string, (string | number)[]]>>;
      for (const f of files) {
        expect(outputs[f.path], f.id).toEqual({ score: ['FLOAT', ['N']], label: ['INT64', ['N']] });
      }
      console.log(
        `[onnx-export] onnx checker: ${files.length} fitted PReNet/FeaWAD/RoSAS graphs pass full_check and strict shape inference`,
      );
    },
  );
});

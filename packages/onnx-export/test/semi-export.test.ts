import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  matrix,
  MinMaxScaler,
  Pipeline,
  Random,
  StandardScaler,
  UnsupportedExportError,
  type DenseExportSpec,
  type DenseLayerSpec,
  type DetectorExportSpec,
  type FeatureResidualExportSpec,
  type Matrix,
  type PairMeanExportSpec,
} from '@abc/core';
import { DeepSAD, DevNet } from '@abc/models';
// @abc/engine is not a dependency of this package; @abc/models re-exports it (the engine's forward pass).
import { DenseNetwork } from '@abc/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectOnnx, METADATA_KEYS, OnnxDetector, specsToOnnx, toOnnx, type OnnxBackend } from '../src/index.js';
import { D, hasPythonOnnx, makeData, maxAbs, PYTHON, tool, type Case } from './helpers.js';
import { checkParity, report, type ParityRow } from './parity.js';

// The semi-supervised export kinds (core's export-spec.ts): 'linear' and 'centreDistance' dense specs from fitted
// DevNet and DeepSAD models (parity with scoreSamples as the other exports), and 'pairMean' (PReNet) and
// 'featureResidual' (FeaWAD) from hand-built specs with random weights, against the same formula evaluated here on
// the engine's forward pass. Every graph passes Debian's onnx checker.

const BACKENDS: OnnxBackend[] = ['cpu', 'wasm'];

// ---- hand-built specs --------------------------------------------------------------------------------------------

function randomLayer(
  rng: Random,
  inputSize: number,
  outputSize: number,
  activation: DenseLayerSpec['activation'],
): DenseLayerSpec {
  return {
    W: Float32Array.from({ length: inputSize * outputSize }, () => rng.normal(0, 1.2 / Math.sqrt(inputSize))),
    b: Float32Array.from({ length: outputSize }, () => rng.normal(0, 0.3)),
    inputSize,
    outputSize,
    activation,
  };
}

/** The layers run by the engine's DenseNetwork (forward pass); an empty stack is the identity. */
function forward(layers: readonly DenseLayerSpec[], X: Float32Array, rows: number): Float32Array {
  if (layers.length === 0) return Float32Array.from(X);
  const params = new Float32Array(layers.reduce((s, L) => s + L.W.length + L.b.length, 0));
  let off = 0;
  for (const L of layers) {
    params.set(L.W, off);
    params.set(L.b, off + L.W.length);
    off += L.W.length + L.b.length;
  }
  const net = new DenseNetwork(
    { sizes: [layers[0].inputSize, ...layers.map((L) => L.outputSize)], activations: layers.map((L) => L.activation) },
    { params },
  );
  return net.predict(X, rows);
}

/** PReNet's score, mean_e g([φ(x), φ(r_e)]), in TypeScript. */
function pairMeanByEngine(spec: PairMeanExportSpec, X: Matrix): Float32Array {
  const E = spec.nReferences;
  const phiX = forward(spec.encoder, X.data, X.rows);
  const phiR = forward(spec.encoder, spec.references, E);
  const k = phiX.length / X.rows;
  const pairs = new Float32Array(X.rows * E * 2 * k);
  for (let i = 0; i < X.rows; i++) {
    for (let e = 0; e < E; e++) {
      const o = (i * E + e) * 2 * k;
      pairs.set(phiX.subarray(i * k, (i + 1) * k), o);
      pairs.set(phiR.subarray(e * k, (e + 1) * k), o + k);
    }
  }
  const g = forward(spec.head, pairs, X.rows * E);
  return Float32Array.from({ length: X.rows }, (_, i) => {
    let s = 0;
    for (let e = 0; e < E; e++) s += g[i * E + e];
    return s / E;
  });
}

/** FeaWAD's score in TypeScript: the head on [blocks of h, r, r / (||r|| + eps), ||r||], ||r|| after hidden layers. */
function featureResidualByEngine(spec: FeatureResidualExportSpec, X: Matrix): Float32Array {
  const n = X.rows;
  const d = X.cols;
  const h = forward(spec.encoder, X.data, n);
  const hw = h.length / n;
  const xHat = forward(spec.decoder, h, n);
  const r = Float32Array.from(X.data, (v, k) => v - xHat[k]);
  const e = Float32Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += r[i * d + j] ** 2;
    return Math.sqrt(s);
  });
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    const ri = Array.from(r.subarray(i * d, (i + 1) * d));
    for (const block of spec.headInput) {
      if (block === 'features') row.push(...h.subarray(i * hw, (i + 1) * hw));
      else if (block === 'residual') row.push(...ri);
      else if (block === 'normalizedResidual') row.push(...ri.map((v) => v / (e[i] + (spec.normEps ?? 0))));
      else row.push(e[i]);
    }
    rows.push(row);
  }
  let z: Float32Array = Float32Array.from(rows.flat());
  spec.head.forEach((layer, l) => {
    z = forward([layer], z, n);
    if (spec.residualNormToEveryLayer && l < spec.head.length - 1) {
      const w = layer.outputSize;
      const next = new Float32Array(n * (w + 1));
      for (let i = 0; i < n; i++) {
        next.set(z.subarray(i * w, (i + 1) * w), i * (w + 1));
        next[i * (w + 1) + w] = e[i];
      }
      z = next;
    }
  });
  return z;
}

function pairMeanSpec(seed: number, withEncoder: boolean): PairMeanExportSpec {
  const rng = new Random(seed);
  const E = 12; // e.g. 6 anomaly and 6 unlabelled references
  const encoder = withEncoder ? [randomLayer(rng, D, 7, 'leakyRelu'), randomLayer(rng, 7, 4, 'linear')] : [];
  const k = withEncoder ? 4 : D;
  return {
    kind: 'pairMean',
    encoder,
    head: [randomLayer(rng, 2 * k, 6, withEncoder ? 'relu' : 'tanh'), randomLayer(rng, 6, 1, 'linear')],
    references: Float32Array.from({ length: E * D }, () => rng.normal(0, 1.5)),
    nReferences: E,
  };
}

function featureResidualSpec(seed: number, original: boolean): FeatureResidualExportSpec {
  const rng = new Random(seed);
  const encoder = [randomLayer(rng, D, 8, 'relu'), randomLayer(rng, 8, 3, 'relu')];
  const decoder = [randomLayer(rng, 3, 8, 'relu'), randomLayer(rng, 8, D, 'linear')];
  if (original) {
    // the authors' code: [r̂, h, e] into the head, e appended after each hidden layer
    return {
      kind: 'featureResidual',
      encoder,
      decoder,
      headInput: ['normalizedResidual', 'features', 'residualNorm'],
      residualNormToEveryLayer: true,
      head: [randomLayer(rng, D + 3 + 1, 7, 'relu'), randomLayer(rng, 8, 4, 'relu'), randomLayer(rng, 5, 1, 'linear')],
    };
  }
  return {
    kind: 'featureResidual',
    encoder,
    decoder,
    headInput: ['features', 'residual', 'normalizedResidual'],
    normEps: 1e-3,
    head: [randomLayer(rng, 3 + 2 * D, 5, 'tanh'), randomLayer(rng, 5, 1, 'linear')],
  };
}

interface HandBuilt {
  id: string;
  spec: DetectorExportSpec;
  byEngine: (X: Matrix) => Float32Array;
}

const handBuilt: HandBuilt[] = [
  ['pairMean-encoder', pairMeanSpec(1, true)] as const,
  ['pairMean-raw-pairs', pairMeanSpec(2, false)] as const,
].map(([id, spec]) => ({ id, spec, byEngine: (X: Matrix) => pairMeanByEngine(spec, X) }));
handBuilt.push(
  ...(
    [
      ['featureResidual-original', featureResidualSpec(3, true)],
      ['featureResidual-variant', featureResidualSpec(4, false)],
    ] as const
  ).map(([id, spec]) => ({ id, spec, byEngine: (X: Matrix) => featureResidualByEngine(spec, X) })),
);

const bytesOf = (spec: DetectorExportSpec, threshold?: number): Uint8Array =>
  specsToOnnx({ transformers: [], detector: spec, nFeatures: D, threshold, detectorName: 'handbuilt' });

// ---- fitted DeepSAD and DevNet -----------------------------------------------------------------------------------

let fitted: Case[];
const testX = makeData(300, D, 2, 0.3).X;
const plainX = matrix(testX.data, testX.rows, testX.cols);
beforeAll(async () => {
  const train = makeData(400, D, 1, 0.1);
  const trainX = matrix(train.X.data, train.X.rows, train.X.cols);
  const quick = { batchSize: 32, lr: 1e-3, aeLr: 1e-3, epochs: 8, aeEpochs: 5 };
  const models: [string, Case['model']][] = [
    ['deepsad-pretrain', new Pipeline([new StandardScaler(), new DeepSAD({ ...quick, hidden: [16, 8], repDim: 4, seed: 1 })])],
    ['deepsad-nopretrain-relu', new DeepSAD({ ...quick, hidden: [16], repDim: 6, pretrain: false, activation: 'relu', seed: 2 })],
    [
      'devnet',
      new Pipeline([new MinMaxScaler(), new DevNet({ epochs: 5, batchesPerEpoch: 5, batchSize: 64, nReference: 1000, seed: 3 })]),
    ],
    [
      'devnet-leaky-deep',
      new DevNet({ hidden: [16, 8], activation: 'leakyRelu', epochs: 5, batchesPerEpoch: 5, batchSize: 64, seed: 4 }),
    ],
  ];
  fitted = [];
  for (const [id, model] of models) {
    await model.fit(trainX, train.y);
    fitted.push({ id, model, X: plainX });
  }
});

describe('export of fitted DeepSAD and DevNet', () => {
  it("gives 'centreDistance' and 'linear' dense specs with the fitted weights", () => {
    const sad = (fitted[1].model as DeepSAD).toExportSpec();
    expect(sad).toMatchObject({ kind: 'dense', scoreKind: 'centreDistance' });
    expect(sad.centre).toEqual((fitted[1].model as DeepSAD).centre);
    expect(sad.layers.every((L) => L.b.every((v) => v === 0))).toBe(true); // bias-free
    const dev = (fitted[3].model as DevNet).toExportSpec();
    expect(dev).toMatchObject({ kind: 'dense', scoreKind: 'linear', threshold: fitted[3].model.threshold });
    expect(dev.layers.map((L) => L.activation)).toEqual(['leakyRelu', 'leakyRelu', 'linear']);
  });

  for (const backend of BACKENDS) {
    it(`scores as scoreSamples on ${backend} (score within 1e-4, labels identical away from the threshold)`, async () => {
      const rows: ParityRow[] = [];
      for (const c of fitted) rows.push(await checkParity(c, backend));
      report(`onnxruntime ${backend} (semi-supervised)`, rows);
    });
  }

  it('records the score kind, no probability and no reconstruction_error', () => {
    for (const c of fitted) {
      const info = inspectOnnx(toOnnx(c.model));
      expect(info.metadata[METADATA_KEYS.scoreKind], c.id).toBe(c.id.startsWith('deepsad') ? 'centreDistance' : 'linear');
      expect(info.metadata[METADATA_KEYS.hasProbability], c.id).toBe('false');
      expect(info.outputs.map((o) => o.name)).toEqual(['score', 'label']);
      expect(info.metadata[METADATA_KEYS.workBytesPerRow], `${c.id}: a dense network, small per row`).toBeUndefined();
    }
  });
});

describe('pairMean and featureResidual from hand-built specs', () => {
  for (const backend of BACKENDS) {
    it(`equal the formula on the engine's forward pass on ${backend}`, async () => {
      const lines: string[] = [];
      for (const c of handBuilt) {
        const expected = c.byEngine(plainX);
        const det = await OnnxDetector.load(bytesOf(c.spec), { backend });
        const out = await det.run(plainX);
        await det.close();
        const err = maxAbs(out.score, expected);
        lines.push(
          `  ${c.id.padEnd(26)} max|Δ| ${err.toExponential(2)}  (scores ${Math.min(...expected).toFixed(2)} .. ${Math.max(...expected).toFixed(2)})`,
        );
        expect(err, `${c.id} on ${backend}`).toBeLessThanOrEqual(1e-4);
        // not a constant: the test would catch a graph that ignores x
        expect(Math.max(...expected) - Math.min(...expected), c.id).toBeGreaterThan(0.1);
      }
      console.log(`[onnx-export] hand-built specs on ${backend} vs the engine:\n${lines.join('\n')}`);
    });
  }

  it("record pairMean's working bytes per row (its [N, E, H] pair layer), none for featureResidual", async () => {
    for (const c of handBuilt) {
      const work = inspectOnnx(bytesOf(c.spec)).metadata[METADATA_KEYS.workBytesPerRow];
      if (c.spec.kind !== 'pairMean') {
        expect(work, c.id).toBeUndefined();
        continue;
      }
      const spec = c.spec as PairMeanExportSpec;
      // by hand: the first head layer's float32 pre-activations for every stored reference, [N, E, H]
      const largest = 4 * spec.nReferences * spec.head[0].outputSize;
      expect(largest, c.id).toBe(4 * 12 * 6);
      expect(Number(work), c.id).toBeGreaterThanOrEqual(largest);
      expect(Number(work), c.id).toBeLessThan(10 * largest);
    }
    // E = 5,000 references: 5,000 · 6 · 4 = 120,000 bytes of pre-activations per row, a batch of at most 2,236 rows
    const rng = new Random(5);
    const many = {
      ...pairMeanSpec(1, true),
      nReferences: 5000,
      references: Float32Array.from({ length: 5000 * D }, () => rng.normal(0, 1)),
    };
    const det = await OnnxDetector.load(bytesOf(many));
    expect(det.workBytesPerRow).toBeGreaterThanOrEqual(120_000);
    expect(det.effectiveBatchSize).toBeLessThanOrEqual(Math.floor((256 * 1024 * 1024) / 120_000));
    const X = matrix(plainX.data.subarray(0, 50 * D), 50, D);
    expect(maxAbs(await det.scoreSamples(X), pairMeanByEngine(many, X))).toBeLessThanOrEqual(1e-4);
  });

  it('give a label output at a threshold and the kind in the metadata', async () => {
    const c = handBuilt[2];
    const expected = c.byEngine(plainX);
    const t = [...expected].sort((a, b) => a - b)[Math.floor(expected.length / 2)];
    const bytes = bytesOf(c.spec, t);
    expect(inspectOnnx(bytes).metadata[METADATA_KEYS.scoreKind]).toBe('featureResidual');
    const out = await (await OnnxDetector.load(bytes)).run(plainX);
    for (let i = 0; i < expected.length; i++) {
      if (Math.abs(expected[i] - t) > 1e-4) expect(Number(out.label![i])).toBe(expected[i] > t ? 1 : 0);
    }
  });
});

describe('malformed specs raise UnsupportedExportError naming the field', () => {
  const rng = new Random(9);
  const phi = [randomLayer(rng, D, 3, 'leakyRelu')];
  const bad: [string, unknown, RegExp][] = [
    [
      'centre of the wrong length',
      { kind: 'dense', layers: phi, scoreKind: 'centreDistance', centre: new Float32Array(2) },
      /centre has 2 values, expected 3/,
    ],
    ['no centre', { kind: 'dense', layers: phi, scoreKind: 'centreDistance' }, /centre must be a Float32Array/],
    [
      'linear with 3 outputs',
      { kind: 'dense', layers: phi, scoreKind: 'linear' },
      /'linear' dense spec must end in 1 output unit, not 3/,
    ],
    [
      'a non-finite centre',
      { kind: 'dense', layers: phi, scoreKind: 'centreDistance', centre: Float32Array.of(0, NaN, 0) },
      /centre\[1\] is NaN/,
    ],
    ['too few references', { ...pairMeanSpec(1, true), nReferences: 13 }, /references .* has 72 values, expected 78/],
    [
      'a head for the wrong pair width',
      { ...pairMeanSpec(1, true), head: [randomLayer(rng, 6, 1, 'linear')] },
      /head .* layer 0 takes 6 inputs but receives 8/,
    ],
    [
      'a pair head with 2 outputs',
      { ...pairMeanSpec(1, true), head: [randomLayer(rng, 8, 2, 'linear')] },
      /must end in 1 output unit, not 2/,
    ],
    [
      'an unknown head block',
      { ...featureResidualSpec(3, true), headInput: ['features', 'gradient'] },
      /headInput block "gradient"/,
    ],
    [
      'a decoder of the wrong width',
      { ...featureResidualSpec(3, true), decoder: [randomLayer(rng, 3, 4, 'linear')] },
      /must reconstruct the 6 inputs, but ends in 4/,
    ],
    [
      'a head missing the appended norm',
      { ...featureResidualSpec(3, true), residualNormToEveryLayer: false },
      /head layer 1 takes 8 inputs but receives 7/,
    ],
    ['a negative normEps', { ...featureResidualSpec(4, false), normEps: -1 }, /normEps must be a finite number >= 0/],
    [
      'an unknown activation',
      { ...pairMeanSpec(1, true), encoder: [{ ...phi[0], activation: 'gelu' }] },
      /encoder layer 0 activation "gelu"/,
    ],
  ];
  it.each(bad)('%s', (_name, spec, message) => {
    expect(() => bytesOf(spec as DetectorExportSpec)).toThrow(UnsupportedExportError);
    expect(() => bytesOf(spec as DetectorExportSpec)).toThrow(message);
  });

  it('an unknown kind names the supported ones', () => {
    expect(() => bytesOf({ kind: 'pairs' } as unknown as DenseExportSpec)).toThrow(
      /supported: dense, trees, pairMean, featureResidual/,
    );
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
const dir = mkdtempSync(join(tmpdir(), 'abc-onnx-semi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Debian's ONNX checker", () => {
  it.skipIf(checker.skip)('accepts every semi-supervised graph with full_check and strict shape inference', () => {
    checker.require();
    const files = [
      ...fitted.map((c) => ({ id: c.id, bytes: toOnnx(c.model), label: true })),
      ...handBuilt.map((c) => ({ id: c.id, bytes: bytesOf(c.spec, 0.5), label: true })),
      ...handBuilt.map((c) => ({ id: `${c.id}-nolabel`, bytes: bytesOf(c.spec), label: false })),
    ].map((f) => {
      const path = join(dir, `${f.id}.onnx`);
      writeFileSync(path, f.bytes);
      return { ...f, path };
    });
    const r = spawnSync(PYTHON, ['-c', CHECK, ...files.map((f) => f.path)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const outputs = JSON.parse(r.stdout) as Record<string, Record<string, [string, (string | number)[]]>>;
    for (const f of files) {
      expect(outputs[f.path], f.id).toEqual({
        score: ['FLOAT', ['N']],
        ...(f.label ? { label: ['INT64', ['N']] } : {}),
      });
    }
    console.log(`[onnx-export] onnx checker: ${files.length} semi-supervised graphs pass full_check and strict shape inference`);
  });
});

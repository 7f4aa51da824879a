import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFittedError, type KernelSvmExportSpec, type Matrix, type NeighboursExportSpec } from '@abc/core';
import { XGBOD } from '@abc/baselines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectOnnx, METADATA_KEYS, OnnxDetector, specsToOnnx, toOnnx, type OnnxBackend } from '../src/index.js';
import { hasPythonOnnx, makeData, maxAbs, PYTHON, tool } from './helpers.js';

// XGBOD's export (issue 18): the augmented spec from a fitted XGBOD (KNN/LOF members from its shared neighbour
// search, HBOS, OCSVM and forest members, the boosting as head) scores new rows as scoreSamples on onnxruntime-node
// cpu and onnxruntime-web wasm, and passes Debian's onnx checker.

/** The hand-assembled augmentation's bound in the classical parity tests (scores are probabilities). */
const ABS_TOL = 1e-6;

interface XgbodCase {
  id: string;
  model: XGBOD;
  X: Matrix;
}

let cases: XgbodCase[];
beforeAll(async () => {
  const train = makeData(160, 4, 21, 0.15);
  const test = makeData(200, 4, 22, 0.15);
  const lists = await new XGBOD({
    knnNeighbors: [1, 5],
    lofNeighbors: [3, 10],
    hbosBins: [5, 10],
    ocsvmNuPercent: [10, 50],
    iforestTrees: [10, 20],
    maxIter: 20,
    seed: 3,
  }).fit(train.X, train.y);
  const fast = await new XGBOD({ members: 'fast', maxIter: 15, seed: 4 }).fit(train.X, train.y);
  const small = makeData(70, 3, 23, 0.2);
  const standard = await new XGBOD({ seed: 5 }).fit(small.X, small.y);
  cases = [
    { id: 'xgbod (two of each member)', model: lists, X: test.X },
    { id: "xgbod (members 'fast')", model: fast, X: test.X },
    { id: "xgbod (members 'standard', 70 rows)", model: standard, X: makeData(150, 3, 24, 0.2).X },
  ];
  expect(standard.memberNames.length).toBe(41);
});

async function parity(backend: OnnxBackend): Promise<void> {
  for (const c of cases) {
    const bytes = toOnnx(c.model);
    const det = await OnnxDetector.load(bytes, { backend });
    expect(det.activeBackend).toBe(backend);
    const out = await det.run(c.X);
    await det.close();
    const ts = await c.model.scoreSamples(c.X);
    const labels = await c.model.predict(c.X);
    const abs = maxAbs(out.score, ts);
    expect(abs, `${c.id} on ${backend}: max |Δ score|`).toBeLessThanOrEqual(ABS_TOL);
    for (let i = 0; i < ts.length; i++) expect(Number(out.label![i]), `${c.id} label ${i}`).toBe(labels[i]);
    console.log(
      `[onnx-export] ${backend} ${c.id}: ${c.model.memberNames.length} members, ${bytes.length} bytes, max |Δ score| ${abs.toExponential(2)} over ${ts.length} rows`,
    );
  }
}

describe('XGBOD: ONNX scores equal scoreSamples', () => {
  it('gives the augmented spec of its members, scaler and boosting', () => {
    const spec = cases[0].model.toExportSpec();
    expect(spec.kind).toBe('augmented');
    expect(spec.members.map((m) => m.kind)).toEqual([
      'neighbours',
      'neighbours',
      'neighbours',
      'neighbours',
      'feature-steps',
      'feature-steps',
      'svm',
      'svm',
      'trees',
      'trees',
    ]);
    expect(Array.from(spec.scaled!)).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 0, 0]);
    expect(Array.from(spec.mean)).toEqual(new Array(10).fill(0));
    expect(Array.from(spec.std)).toEqual(new Array(10).fill(1));
    expect(spec.head.kind).toBe('trees');
    expect(spec.threshold).toBe(cases[0].model.threshold);
    expect(() => new XGBOD().toExportSpec()).toThrow(NotFittedError);
  });

  it('records working bytes per row of at least its members together, and bounds the batch by them', async () => {
    const workOf = (bytes: Uint8Array) => inspectOnnx(bytes).metadata[METADATA_KEYS.workBytesPerRow];
    for (const c of cases) {
      const spec = c.model.toExportSpec();
      const work = Number(workOf(toOnnx(c.model)));
      // by hand: the float64 distances to each neighbours member's reference rows, two float64 kernel tensors of
      // each svm member
      let largest = 0;
      for (const m of spec.members) {
        if (m.kind === 'neighbours') largest += 8 * (m as NeighboursExportSpec).nReference;
        if (m.kind === 'svm') largest += 2 * 8 * (m as KernelSvmExportSpec).dualCoef.length;
      }
      expect(largest, c.id).toBeGreaterThan(0);
      expect(work, c.id).toBeGreaterThanOrEqual(largest);
      // each member exported alone: the augmented graph's estimate is at least their sum
      let alone = 0;
      for (const m of spec.members) {
        const w = workOf(specsToOnnx({ transformers: [], detector: m, nFeatures: spec.nFeatures }));
        if (m.kind === 'neighbours' || m.kind === 'svm') expect(w, `${c.id} ${m.kind} member`).toBeDefined();
        else expect(w, `${c.id} ${m.kind} member`).toBeUndefined();
        alone += Number(w ?? 0);
      }
      expect(work, c.id).toBeGreaterThanOrEqual(alone);
    }
    const det = await OnnxDetector.load(toOnnx(cases[2].model));
    expect(det.effectiveBatchSize).toBe(Math.min(65536, Math.floor((256 * 1024 * 1024) / det.workBytesPerRow!)));
  });

  it('on onnxruntime-node cpu', async () => {
    await parity('cpu');
  });

  it('on onnxruntime-web wasm', async () => {
    await parity('wasm');
  });
});

const checker = tool('python3-onnx (/usr/bin/python3 with onnx)', hasPythonOnnx(), 'apt-get install -y python3-onnx');
const dir = mkdtempSync(join(tmpdir(), 'abc-onnx-xgbod-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe("Debian's ONNX checker on the XGBOD exports", () => {
  it.skipIf(checker.skip)('accepts them with full_check and strict shape inference', () => {
    checker.require();
    const files = cases.map((c, i) => {
      const path = join(dir, `xgbod${i}.onnx`);
      writeFileSync(path, toOnnx(c.model));
      return path;
    });
    const r = spawnSync(PYTHON, ['-c', CHECK, ...files], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status, r.stderr).toBe(0);
    const outputs = JSON.parse(r.stdout) as Record<string, Record<string, [string, (string | number)[]]>>;
    for (const path of files) {
      expect(outputs[path].score, path).toEqual(['FLOAT', ['N']]);
      expect(outputs[path].label, path).toEqual(['INT64', ['N']]);
    }
  });
});

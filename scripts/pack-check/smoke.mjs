// Runs inside the pack-check's scratch project, against the INSTALLED tarballs (no workspace, no TypeScript
// sources): every public entry point imports, ABC fits on tiny data, the pipeline exports to ONNX, onnxruntime-node
// (cpu) scores the file like the JavaScript model, and the missing optional peer onnxruntime-web gives a
// BackendUnavailableError rather than a crash. Prints one line per check; exits non-zero on the first failure.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  BackendUnavailableError,
  MinMaxScaler,
  Pipeline,
  createDetector,
  listDetectors,
  serialize,
  deserialize,
} from '@abc/core';
import { saveFile, loadFile } from '@abc/core/node';
import { checkDetector } from '@abc/core/testing';
import { ABC } from '@abc/models';
import { Adam } from '@abc/engine';
import { createThreadedWasmKernel } from '@abc/engine/node';
// The deprecated re-exports of one minor version still resolve to the same objects.
import { Adam as DeprecatedAdam } from '@abc/models/engine';
import { createThreadedWasmKernel as deprecatedThreaded } from '@abc/models/node';
import { DNN, DNN as DeprecatedDNN } from '@abc/models';
import { DNN as BaselinesDNN } from '@abc/baselines';
import '@abc/baselines';
import { OnnxDetector, inspectOnnx, loadRuntime, toOnnx } from '@abc/onnx-export';
import { auroc, makeToyData } from '@abc/eval';
import { readCsvFile } from '@abc/eval/node';
import { searchDetectors } from '@abc/search';

const require = createRequire(import.meta.url);
const ok = (what) => console.log(`ok  ${what}`);

for (const [name, fn] of Object.entries({
  saveFile,
  loadFile,
  checkDetector,
  readCsvFile,
  searchDetectors,
  createThreadedWasmKernel,
})) {
  assert.equal(typeof fn, 'function', name);
}
assert.equal(typeof Adam, 'function', 'Adam');
assert.equal(DeprecatedAdam, Adam, '@abc/models/engine re-exports @abc/engine');
assert.equal(deprecatedThreaded, createThreadedWasmKernel, '@abc/models/node re-exports @abc/engine/node');
assert.equal(BaselinesDNN, DNN, "@abc/baselines' DNN re-exports @abc/models'");
assert.equal(DeprecatedDNN, DNN);
for (const pkg of ['@abc/core', '@abc/engine', '@abc/models', '@abc/baselines', '@abc/onnx-export', '@abc/eval', '@abc/search']) {
  const resolved = import.meta.resolve(pkg);
  // (@abc/models has a Node entry, dist/index.node.js, that also registers the two-thread kernel)
  assert.match(resolved, /\/node_modules\/@abc\/[^/]+\/dist\/index(\.node)?\.js$/, `${pkg} resolves to dist: ${resolved}`);
}
ok(
  'every entry point imports from dist (core, core/node, core/testing, engine, engine/node, models, models/engine and models/node (deprecated), baselines, onnx-export, eval, eval/node, search)',
);

const names = listDetectors().map((d) => d.name);
for (const n of ['abc', 'ae', 'dae', 'lrc', 'dnn', 'iforest', 'gtb', 'rusboost'])
  assert.ok(names.includes(n), `registry has ${n}: ${names}`);
ok(`registry: ${names.join(', ')}`);

// tiny data: 2-D normal cloud near the origin, a few known anomalies far away
const normal = [];
for (let i = 0; i < 60; i++) normal.push([Math.cos(i) * 0.3, Math.sin(i * 1.3) * 0.3]);
const anomalies = [
  [3, 3],
  [-3, 3],
  [3, -3],
  [-3, -3],
];
const X = [...normal, ...anomalies];
const y = [...normal.map(() => 0), ...anomalies.map(() => 1)];
const model = new Pipeline([new MinMaxScaler(), new ABC({ hidden: [8], latent: 1, maxEpochs: 20, seed: 1 })]);
await model.fit(X, y);
const test = [
  [0.1, 0.1],
  [2.5, -2.8],
];
const js = await model.scoreSamples(test);
assert.ok(js[1] > js[0], `the far point scores higher: ${js}`);
ok(`ABC fitted (scores ${Array.from(js, (v) => v.toFixed(4)).join(', ')})`);

const again = await deserialize(await serialize(model));
assert.deepEqual(Array.from(await again.scoreSamples(test)), Array.from(js));
ok('serialize/deserialize round trip');

const bytes = toOnnx(model);
const info = inspectOnnx(bytes);
assert.deepEqual(
  info.inputs.map((i) => i.name),
  ['X'],
);
assert.ok(info.outputs.map((o) => o.name).includes('score'));
const onnx = await OnnxDetector.load(bytes, { backend: 'cpu' });
const ort = await onnx.scoreSamples(test);
for (let i = 0; i < js.length; i++) assert.ok(Math.abs(ort[i] - js[i]) < 1e-4, `onnx ${ort[i]} vs js ${js[i]}`);
ok(
  `ONNX export (${bytes.length} bytes; outputs ${info.outputs.map((o) => o.name).join(', ')}) scored by onnxruntime-node ${require('onnxruntime-node/package.json').version} cpu, max |diff| ${Math.max(...Array.from(ort, (v, i) => Math.abs(v - js[i]))).toExponential(1)}`,
);

// onnxruntime-web is an optional peer and is not installed here: asking for it must give a typed error
assert.throws(() => require.resolve('onnxruntime-web'), 'onnxruntime-web should not be installed in the scratch project');
await assert.rejects(loadRuntime('wasm'), (e) => e instanceof BackendUnavailableError && /onnxruntime-web/.test(e.message));
await assert.rejects(OnnxDetector.load(bytes, { backend: 'wasm' }), (e) => e instanceof BackendUnavailableError);
ok('missing optional peer onnxruntime-web -> BackendUnavailableError');

const toy = makeToyData({ nPerClass: 10, seed: 3 });
assert.ok(toy && typeof auroc === 'function');
const iforest = createDetector('iforest', { seed: 1 });
await iforest.fit(X);
const auc = auroc(await iforest.scoreSamples(X), Uint8Array.from(y));
assert.ok(auc > 0.9, `iforest AUROC ${auc}`);
ok(`iforest from @abc/baselines, AUROC on the tiny data ${auc.toFixed(3)}`);
console.log('smoke: all checks passed');

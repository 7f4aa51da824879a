/**
 * Example (c): swap a trained detector for its ONNX twin. `toOnnx` turns the fitted pipeline (scaler included) into
 * an ONNX file; `OnnxDetector` scores that file in onnxruntime and is a `Detector` like any other, so code written
 * against the contract takes either one.
 *
 *   pnpm --filter @abc-examples/basics onnx-twin
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StandardScaler, Pipeline, type DataLike, type Detector } from '@abc/core';
import { ABC } from '@abc/models';
import { OnnxDetector, inspectOnnx, toOnnx } from '@abc/onnx-export';
import { readCsvFile } from '@abc/eval/node';

const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));
const train = await readCsvFile(data('train.csv'), { label: 'label' });
const test = await readCsvFile(data('test.csv'), { label: 'label' });

/** Code written against the Detector contract: it cannot tell the two apart. */
async function alerts(detector: Detector, X: DataLike): Promise<{ scores: Float32Array; flagged: number[] }> {
  const scores = await detector.scoreSamples(X);
  const flags = await detector.predict(X);
  return { scores, flagged: [...flags.keys()].filter((i) => flags[i] === 1) };
}

const trained = await new Pipeline([new StandardScaler(), new ABC({ hidden: [8, 8], latent: 1, maxEpochs: 150, seed: 2 })]).fit(
  train.table,
  train.labels,
);
const bytes = toOnnx(trained); // Uint8Array: input X float32 [N, 2]; outputs score, reconstruction_error, label
const info = inspectOnnx(bytes);
console.log(
  `onnx: ${bytes.length} bytes, inputs ${info.inputs.map((v) => v.name)}, outputs ${info.outputs.map((v) => v.name).join(', ')}`,
);

const dir = await mkdtemp(join(tmpdir(), 'abc-example-'));
try {
  await writeFile(join(dir, 'model.onnx'), bytes);
  const twin = await OnnxDetector.load(join(dir, 'model.onnx'), { backend: 'cpu' }); // onnxruntime-node
  const a = await alerts(trained, test.table);
  const b = await alerts(twin, test.table); // columns are matched by the feature names stored in the file
  const maxDiff = Math.max(...a.scores.map((v, i) => Math.abs(v - b.scores[i])));
  console.log(`trained flags rows ${a.flagged.join(',')}`);
  console.log(`onnx    flags rows ${b.flagged.join(',')}`);
  console.log(`max |score difference| ${maxDiff.toExponential(2)}; same flags: ${a.flagged.join() === b.flagged.join()}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

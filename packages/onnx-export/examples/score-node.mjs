// Scores an exported model with onnxruntime-node alone, as any other program would: no @abc package, only the
// file's contract. Input `X` float32 [N, D]; outputs `score` float32 [N], `reconstruction_error` float32 [N]
// (autoencoders), `label` int64 [N] (when a threshold was set).
//
//   node examples/score-node.mjs model.onnx rows.json     (rows.json: [[x11, x12, ...], ...], columns in fit order)
//
// Prints one JSON object: the input and output names, types and dims, and the outputs per row.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const [modelPath, rowsPath] = process.argv.slice(2);
if (!modelPath || !rowsPath) {
  console.error('usage: node score-node.mjs model.onnx rows.json');
  process.exit(2);
}
const rows = JSON.parse(readFileSync(rowsPath, 'utf8'));
const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
const d = rows[0].length;
const X = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, d]);
const out = await session.run({ X });
const describe = (m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name });
console.log(
  JSON.stringify({
    inputs: session.inputMetadata.map(describe),
    outputs: session.outputMetadata.map(describe),
    score: Array.from(out.score.data),
    reconstruction_error: out.reconstruction_error ? Array.from(out.reconstruction_error.data) : null,
    label: out.label ? Array.from(out.label.data, Number) : null,
  }),
);

/**
 * Makes the web demo's bundled model: ABC (the paper's 2-D network, 10-10-1) trained on the 2-D toy data,
 * exported to ONNX, plus a sample of the data points to draw. Run with `pnpm --filter @abc/web make-model`;
 * the outputs in public/ are committed so the demo needs no training step.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDetector, matrix, toRows, takeRows } from '@abc/core';
import { makeToyData, toyTrainingSet } from '@abc/eval';
import '@abc/models';
import { toOnnx } from '@abc/onnx-export';

const out = join(import.meta.dirname, '..', 'public');
const data = makeToyData({ nPerClass: 2000, seed: 0 });
const { X, y } = toyTrainingSet(data);
const abc = createDetector('abc', { variant: 'ae', hidden: [10, 10], latent: 1, maxEpochs: 300, seed: 0 });
await abc.fit(matrix(X.data, X.rows, X.cols, ['x', 'y']), y);
await writeFile(join(out, 'toy-abc.onnx'), toOnnx(abc));
const every = (m: typeof X, k: number) => toRows(takeRows(m, Array.from({ length: Math.floor(m.rows / k) }, (_, i) => i * k))).map((r) => r.map((v) => Number(v.toFixed(3))));
const test = makeToyData({ nPerClass: 300, seed: 1 });
await writeFile(join(out, 'toy-points.json'), JSON.stringify({ normal: every(test.normal, 1), known: every(test.known, 1), unknown: every(test.unknown, 3) }));
console.log(`wrote ${join(out, 'toy-abc.onnx')} and toy-points.json`);

/**
 * Example (a): fit a detector on a labelled CSV file and score another one.
 *
 *   pnpm --filter @abc-examples/basics csv [train.csv] [test.csv] [detector]
 *
 * Columns are picked by header name; the `label` column (1 = anomaly, 0 = normal) is taken out of the features.
 * Prints the AUROC on the test file and the five most anomalous test rows.
 */
import { fileURLToPath } from 'node:url';
import { createDetector } from '@abc/core';
import '@abc/models'; // registers abc, ae, dae, lrc
import '@abc/baselines'; // registers iforest, gtb, rusboost, dnn, ...
import { auroc } from '@abc/eval';
import { readCsvFile } from '@abc/eval/node';

const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));
const [trainPath = data('train.csv'), testPath = data('test.csv'), name = 'iforest'] = process.argv.slice(2);

const train = await readCsvFile(trainPath, { label: 'label' });
const test = await readCsvFile(testPath, { label: 'label' });
const detector = createDetector(name, { seed: 1 });
await detector.fit(train.table, train.labels); // unsupervised detectors check the labels and ignore them

const scores = await detector.scoreSamples(test.table); // Float32Array, higher = more anomalous
const flags = await detector.predict(test.table); // Uint8Array, 1 = score > the detector's threshold
console.log(`detector ${name}: fitted on ${train.table.rows} rows of ${train.table.names.join(', ')}`);
console.log(`auroc ${auroc(scores, test.labels!).toFixed(4)} on ${test.table.rows} test rows`);
console.log(`flagged ${flags.reduce((a, b) => a + b, 0)} rows`);
const top = [...scores.keys()].sort((a, b) => scores[b] - scores[a]).slice(0, 5);
for (const i of top) console.log(`row ${i}: score ${scores[i].toFixed(4)} label ${test.labels![i]}`);

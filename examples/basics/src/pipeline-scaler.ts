/**
 * Example (b): a pipeline with a scaler. The scaler's min/max are learnt at fit time and applied at score time,
 * the whole pipeline saves to one model file and loads back through the registry.
 *
 *   pnpm --filter @abc-examples/basics pipeline
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MinMaxScaler, Pipeline } from '@abc/core';
import { loadFile, saveFile } from '@abc/core/node';
import { ABC } from '@abc/models';
import { auroc } from '@abc/eval';
import { readCsvFile } from '@abc/eval/node';

const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));
const train = await readCsvFile(data('train.csv'), { label: 'label' });
const test = await readCsvFile(data('test.csv'), { label: 'label' });

// ABC learns to reconstruct the normal rows and to fail on the known anomalies (label 1) it is shown.
const pipeline = new Pipeline([
  new MinMaxScaler(),
  new ABC({ variant: 'dae', hidden: [8, 8], latent: 1, maxEpochs: 150, seed: 1 }),
]);
await pipeline.fit(train.table, train.labels);
const scores = await pipeline.scoreSamples(test.table); // p(anomaly | x) = 1 - exp(-L)
console.log(`pipeline: ${pipeline.transformers.map((t) => t.name).join(' -> ')} -> ${pipeline.detector.name}`);
console.log(`auroc ${auroc(scores, test.labels!).toFixed(4)}`);

// The known anomalies (test rows 40-44) look like the labelled ones; rows 45-49 are anomalies never seen.
const mean = (from: number, to: number) => scores.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);
console.log(
  `mean score: normal ${mean(0, 40).toFixed(4)}, known anomalies ${mean(40, 45).toFixed(4)}, unknown anomalies ${mean(45, 50).toFixed(4)}`,
);

const dir = await mkdtemp(join(tmpdir(), 'abc-example-'));
try {
  await saveFile(pipeline, join(dir, 'model.abc'));
  const again = await loadFile(join(dir, 'model.abc'));
  const same = (await again.scoreSamples(test.table)).every((v, i) => v === scores[i]);
  console.log(`saved and loaded: ${same ? 'identical scores' : 'DIFFERENT scores'}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

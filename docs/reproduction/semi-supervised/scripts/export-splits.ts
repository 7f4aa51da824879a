/**
 * Writes the rows of `abc reproduce`'s setting-1 splits to files that `deepod_runs.py` reads, so DeepOD's
 * detectors train and test on exactly the rows ours did.
 *
 * For each dataset and seed (run r has seed r, as `abc reproduce --runs N`), a folder OUT/DATASET/seed-R/ with
 * float32 little-endian row-major files and a meta.json giving their shapes:
 *   train.f32 (normals, then known anomalies), train_y.u8 (0 = normal, 1 = known anomaly),
 *   test.f32 (test normals, then known, then unknown anomalies), test_part.u8 (0 normal, 1 known, 2 unknown).
 * MNIST rows are min-max scaled on the training rows by the project's MinMaxScaler, as `abc reproduce` does
 * for that dataset (the toy data is not scaled, as there).
 *
 * Run from the repository root:
 *   pnpm exec tsx --conditions=@abc/source docs/reproduction/semi-supervised/scripts/export-splits.ts \
 *     --out out/ss-splits --datasets toy2d,mnist --runs 3 --data-dir ../shared/datasets
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MinMaxScaler, vstack, type Matrix } from '../../../../packages/core/src/index.js';
import { settingData } from '../../../../packages/eval/src/index.js';
import { datasetSource, parseDatasets } from '../../../../packages/eval/src/node/index.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    datasets: { type: 'string', default: 'toy2d' },
    runs: { type: 'string', default: '3' },
    'data-dir': { type: 'string' },
  },
});
if (!values.out) throw new Error('give --out DIR');
const runs = Number(values.runs);

function bytes(m: Matrix): Uint8Array {
  return new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
}

for (const name of parseDatasets(values.datasets ?? 'toy2d')) {
  const source = datasetSource(name, { dataDir: values['data-dir'] });
  const opened = await source.open();
  for (let seed = 0; seed < runs; seed++) {
    const data = settingData(opened.split(seed), 1, { seed });
    let train = vstack([data.trainNormal, data.trainKnown]);
    let test = vstack([data.test.normal, data.test.known, data.test.unknown]);
    if (source.scale) {
      const scaler = new MinMaxScaler().fit(train);
      train = scaler.transform(train);
      test = scaler.transform(test);
    }
    const y = new Uint8Array(train.rows);
    y.fill(1, data.trainNormal.rows);
    const part = new Uint8Array(test.rows);
    part.fill(1, data.test.normal.rows);
    part.fill(2, data.test.normal.rows + data.test.known.rows);
    const dir = join(values.out, name, `seed-${seed}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'train.f32'), bytes(train));
    await writeFile(join(dir, 'train_y.u8'), y);
    await writeFile(join(dir, 'test.f32'), bytes(test));
    await writeFile(join(dir, 'test_part.u8'), part);
    const meta = {
      dataset: name,
      setting: 1,
      seed,
      scaled: source.scale,
      cols: train.cols,
      trainNormal: data.trainNormal.rows,
      trainKnown: data.trainKnown.rows,
      testNormal: data.test.normal.rows,
      testKnown: data.test.known.rows,
      testUnknown: data.test.unknown.rows,
    };
    await writeFile(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    console.log(`${dir}: ${JSON.stringify(meta)}`);
  }
}

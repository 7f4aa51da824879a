/**
 * Large-data benchmark (not a test): (1) `abc score` streams a 1,000,000 x 38 CSV in chunks with bounded
 * memory — peak RSS of the scoring process is measured with /usr/bin/time and compared with the file's size;
 * (2) fitting on KDD Cup '99's full '10 percent' training file (494,021 rows, duplicates kept) works.
 *
 *   pnpm --filter @abc/cli bench:large [--rows 1000000] [--epochs 2] [--data-dir ../shared/datasets]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDetector, matrix, MinMaxScaler, Pipeline, Random } from '@abc/core';
import { saveFile } from '@abc/core/node';
import { loadKdd } from '@abc/eval/node';
import '@abc/models';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const rows = Number(opt('rows', '1000000'));
const epochs = Number(opt('epochs', '2'));
const dataDir = resolve(opt('data-dir', resolve(import.meta.dirname, '../../../../shared/datasets')));
const root = resolve(import.meta.dirname, '../../..');
const D = 38;

const dir = await mkdtemp(join(tmpdir(), 'abc-large-'));
try {
  // A model for 38 features, fitted on a small sample of the same distribution.
  const rng = new Random(1);
  const sample = matrix(
    Float32Array.from({ length: 2000 * D }, () => rng.normal(0, 1)),
    2000,
    D,
    Array.from({ length: D }, (_, j) => `f${j}`),
  );
  const model = new Pipeline([new MinMaxScaler(), createDetector('ae', { hidden: [30, 20], latent: 10, maxEpochs: 5, seed: 1 })]);
  await model.fit(sample);
  const modelPath = join(dir, 'model.abc');
  await saveFile(model, modelPath);

  // The CSVs, written in a stream: a tenth of the rows and all of them, so the peak RSS of scoring can be
  // compared across sizes (bounded memory: it does not grow with the file).
  const writeCsv = async (path: string, n: number): Promise<number> => {
    const out = createWriteStream(path);
    const write = async (s: string) => {
      if (!out.write(s)) await once(out, 'drain');
    };
    await write(`${Array.from({ length: D }, (_, j) => `f${j}`).join(',')}\n`);
    let block = '';
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < D; j++) block += rng.normal(0, 1).toFixed(4) + (j < D - 1 ? ',' : '\n');
      if (block.length > 1 << 20) {
        await write(block);
        block = '';
      }
    }
    await write(block);
    out.end();
    await once(out, 'finish');
    return (await stat(path)).size;
  };
  for (const n of [Math.round(rows / 10), rows]) {
    const csv = join(dir, `rows-${n}.csv`);
    const t0 = performance.now();
    const size = await writeCsv(csv, n);
    console.log(
      `wrote ${n.toLocaleString()} x ${D} CSV (${(size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const t1 = performance.now();
    const r = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        'peakRSS %M KiB',
        process.execPath,
        '--import',
        'tsx',
        '--conditions=@abc/source',
        join(root, 'apps/cli/src/main.ts'),
        'score',
        '--model',
        modelPath,
        '--data',
        csv,
        '--out',
        join(dir, 'scores.csv'),
        '--chunk-rows',
        '20000',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`abc score failed: ${r.stderr}`);
    const seconds = (performance.now() - t1) / 1000;
    const rss = Number(/peakRSS (\d+)/.exec(r.stderr)![1]) * 1024;
    console.log(
      `abc score: ${n.toLocaleString()} rows in ${seconds.toFixed(1)} s (${Math.round(n / seconds).toLocaleString()} rows/s), peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB for a ${(size / 2 ** 20).toFixed(0)} MiB file`,
    );
    await rm(csv);
  }

  // Fit on KDD'99's full 10% file.
  const t2 = performance.now();
  const kdd = await loadKdd(dataDir, { dedup: false });
  const loaded = (performance.now() - t2) / 1000;
  const X = kdd.train.X;
  const abc = new Pipeline([new MinMaxScaler(), createDetector('abc', { maxEpochs: epochs, validationFraction: 0, seed: 1 })]);
  const y = Uint8Array.from(kdd.train.labels, (l) => (l === 'normal' ? 0 : 1));
  const t3 = performance.now();
  await abc.fit(X, y);
  const fitSeconds = (performance.now() - t3) / 1000;
  console.log(
    `KDD'99 10% file: ${X.rows.toLocaleString()} rows x ${X.cols} loaded in ${loaded.toFixed(1)} s; ABC (300-100-20) fitted ${epochs} epochs in ${fitSeconds.toFixed(1)} s (${Math.round((X.rows * epochs) / fitSeconds).toLocaleString()} samples/s); peak RSS of this process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

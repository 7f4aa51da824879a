/**
 * Training speed of `feawad` next to DeepOD 0.5.0's FeaWAD, one thread each, in one side-by-side run (not a test).
 *
 *     npx tsx --conditions=@abc/source packages/models/scripts/feawad-speed.ts [--rows 10000] [--cols 32]
 *       [--repeat 3] [--reference DIR]
 *
 * Data: `rows` × `cols` N(0, 1) values with 1% of the rows labelled anomalies (shifted by 2), the same float32 values
 * on both sides. DeepOD's default sizes on both: an autoencoder cols → 100 → 50 → 128 → 50 → 100 → cols and a scoring
 * network of 256 and 32 units (ours: `inputLayer: false, hidden: [100, 50, 128], headHidden: [256, 32]`; its input
 * is one wider and e is appended to each later layer's input; ours has biases, DeepOD's layers none). Two batch
 * sizes: 64 (DeepOD's default) and 512 (the paper's). DeepOD has no pre-training stage, so the end-to-end stage is
 * compared: ours runs `trainFeaWAD` with no pre-training epoch (what `fit` runs in stage 2); DeepOD its
 * `training_prepare` and `_training` in a child /usr/bin/python3 with torch.set_num_threads(1). Each side: the
 * smallest CPU seconds (user + system here, process_time there) of `repeat` runs; printed as training rows per second
 * and the ratio ours / DeepOD (above 1 = we are faster). Our pre-training speed is printed too (no DeepOD counterpart).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, Random } from '@abc/core';
import { getDefaultKernel } from '@abc/engine';
import { FeaWADNetwork } from '../src/feawad-net.js';
import { randomFeaWADBatches, trainFeaWAD } from '../src/feawad-train.js';

function arg(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && k + 1 < process.argv.length ? process.argv[k + 1] : fallback;
}

const rows = Number(arg('rows', '10000'));
const cols = Number(arg('cols', '32'));
const repeat = Number(arg('repeat', '3'));
const reference = arg('reference', join(import.meta.dirname, '../../../../shared/reference'));

const rng = new Random(1);
const X = matrix(
  new Float32Array(rows * cols).map(() => rng.normal(0, 1)),
  rows,
  cols,
);
const y = new Uint8Array(rows);
for (let i = 0; i < rows; i += 100) {
  y[i] = 1;
  for (let j = 0; j < cols; j++) X.data[i * cols + j] += 2;
}

const sizes = [
  { batchSize: 64, batches: 300 },
  { batchSize: 512, batches: 60 },
];

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Best CPU seconds of `repeat` runs of one stage (pre-training or end to end) for `batches` batches. */
async function ours(batchSize: number, batches: number, stage: 'pretrain' | 'train'): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const fitRng = new Random(r);
    const t0 = cpuSeconds();
    const net = FeaWADNetwork.create({
      inputSize: cols,
      inputLayer: false,
      hidden: [100, 50, 128],
      headHidden: [256, 32],
      activation: 'relu',
      outputActivation: 'linear',
    }).initGlorotNormal(fitRng);
    await trainFeaWAD(
      net,
      X,
      y,
      {
        aeEpochs: stage === 'pretrain' ? 1 : 0,
        epochs: stage === 'train' ? 1 : 0,
        batchesPerEpoch: batches,
        batchSize,
        aeLr: 1e-3,
        lr: 1e-3,
        margin: 5,
      },
      randomFeaWADBatches(fitRng, y, 5000),
    );
    best = Math.min(best, cpuSeconds() - t0);
  }
  return best;
}

const dir = mkdtempSync(join(tmpdir(), 'feawad-speed-'));
try {
  writeFileSync(join(dir, 'x.f32'), X.data);
  writeFileSync(join(dir, 'y.u8'), y);
  console.log(`FeaWAD training speed, ${rows} × ${cols}, one thread each, kernel ${getDefaultKernel().name}, best of ${repeat}`);
  for (const { batchSize, batches } of sizes) {
    const samples = batchSize * batches;
    const pre = await ours(batchSize, batches, 'pretrain');
    const a = await ours(batchSize, batches, 'train');
    const job = join(dir, `b${batchSize}.json`);
    writeFileSync(
      job,
      JSON.stringify({
        x: join(dir, 'x.f32'),
        y: join(dir, 'y.u8'),
        rows,
        cols,
        batches,
        batchSize,
        repeat,
        hiddenDims: [100, 50],
        repDim: 128,
      }),
    );
    const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'feawad_speed_deepod.py'), job], {
      env: {
        ...process.env,
        PYTHONPATH: `${reference}:${join(reference, 'stubs')}`,
        OMP_NUM_THREADS: '1',
        OPENBLAS_NUM_THREADS: '1',
        MKL_NUM_THREADS: '1',
      },
      encoding: 'utf8',
    });
    if (py.status !== 0) throw new Error(`DeepOD side failed: ${py.stderr}`);
    const b = JSON.parse(py.stdout.trim().split('\n').pop()!) as { seconds: number; samples: number; torch: string };
    const oursRate = samples / a;
    const theirRate = b.samples / b.seconds;
    console.log(
      `batch ${String(batchSize).padStart(3)}: end to end ours ${oursRate.toFixed(0).padStart(7)} rows/s (${samples} in ${a.toFixed(2)} s)   ` +
        `DeepOD (torch ${b.torch}) ${theirRate.toFixed(0).padStart(7)} rows/s (${b.samples} in ${b.seconds.toFixed(2)} s)   ` +
        `ratio ${(oursRate / theirRate).toFixed(2)}x;   our pre-training ${(samples / pre).toFixed(0)} rows/s`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Training speed of `rosas` next to DeepOD 0.5.0's RoSAS, one thread each, in one side-by-side run (not a test).
 *
 *     npx tsx --conditions=@abc/source packages/models/scripts/rosas-speed.ts [--rows 10000] [--cols 32]
 *       [--repeat 3] [--reference DIR]
 *
 * Data: `rows` × `cols` N(0, 1) values with 1% of the rows labelled anomalies (shifted by 2), the same float32 values
 * on both sides. Two sizes, the same network on both sides (a bias-free LeakyReLU feature learner cols → h → E, a
 * head E → E/2 → 1 tanh), each side running int(rows / B) batches of B triplets per epoch (DeepOD's steps):
 * - "deepod": DeepOD's defaults, h = 32, E = 32, B = 128, 10 epochs (ours with DeepOD's loss: margin 5, fixed ½ ½
 *   weighting, no penalty, no weight decay);
 * - "paper": the original's sizes, h = cols + ⌊(128 − cols)/2⌋, E = 128, B = 32, 4 epochs (ours with the paper's
 *   loss: dynamic weighting, the code's penalty and weight decay; DeepOD keeps its own loss).
 * Ours runs `trainRoSAS` (what `fit` runs, without the scoring of the training rows that follows); DeepOD its
 * `training_prepare` and `_training` in a child /usr/bin/python3 with torch.set_num_threads(1). Each side: the
 * smallest CPU seconds (user + system here, process_time there) of `repeat` runs; printed as training rows per second
 * (3B rows per batch: anchors, positives, negatives) and the ratio ours / DeepOD (above 1 = we are faster). DeepOD's
 * own batch drawing (two O(rows) draws without replacement and a Python loop per batch) is timed alone too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, Random } from '@abc/core';
import { getDefaultKernel } from '@abc/engine';
import { randomRoSASBatches } from '../src/rosas-batches.js';
import { RoSASNetwork } from '../src/rosas-net.js';
import { trainRoSAS, type RoSASLossOptions } from '../src/rosas-train.js';

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

interface Size {
  name: string;
  hidden: number;
  embeddingSize: number;
  batchSize: number;
  epochs: number;
  loss: RoSASLossOptions & { weightDecay: number };
}
const sizes: Size[] = [
  {
    name: 'deepod',
    hidden: 32,
    embeddingSize: 32,
    batchSize: 128,
    epochs: 10,
    loss: { margin: 5, temperature: 2, weighting: 'fixed', embeddingPenalty: 0, weightDecay: 0 },
  },
  {
    name: 'paper',
    hidden: cols + Math.trunc((128 - cols) / 2),
    embeddingSize: 128,
    batchSize: 32,
    epochs: 4,
    loss: { margin: 1, temperature: 2, weighting: 'dynamic', embeddingPenalty: 0.01, weightDecay: 1e-4 },
  },
];

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function ours(size: Size): Promise<{ seconds: number; samples: number }> {
  const batchesPerEpoch = Math.floor(rows / size.batchSize);
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const fitRng = new Random(r);
    const t0 = cpuSeconds();
    const net = RoSASNetwork.create({
      inputSize: cols,
      hidden: [size.hidden],
      embeddingSize: size.embeddingSize,
      activation: 'leakyRelu',
    }).initTorch(fitRng);
    const batches = randomRoSASBatches(fitRng, y, { batchSize: size.batchSize, mixSize: 2, alpha: 0.5 });
    await trainRoSAS(
      net,
      X,
      { ...size.loss, epochs: size.epochs, batchesPerEpoch, batchSize: size.batchSize, mixSize: 2, lr: 0.005 },
      batches,
    );
    best = Math.min(best, cpuSeconds() - t0);
  }
  return { seconds: best, samples: size.epochs * batchesPerEpoch * 3 * size.batchSize };
}

const dir = mkdtempSync(join(tmpdir(), 'rosas-speed-'));
try {
  writeFileSync(join(dir, 'x.f32'), X.data);
  writeFileSync(join(dir, 'y.u8'), y);
  console.log(`RoSAS training speed, ${rows} × ${cols}, one thread each, kernel ${getDefaultKernel().name}, best of ${repeat}`);
  for (const size of sizes) {
    const a = await ours(size);
    const job = join(dir, `${size.name}.json`);
    writeFileSync(
      job,
      JSON.stringify({
        x: join(dir, 'x.f32'),
        y: join(dir, 'y.u8'),
        rows,
        cols,
        epochs: size.epochs,
        batchSize: size.batchSize,
        hidden: size.hidden,
        repDim: size.embeddingSize,
        repeat,
      }),
    );
    const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'rosas_speed_deepod.py'), job], {
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
    const b = JSON.parse(py.stdout.trim().split('\n').pop()!) as {
      seconds: number;
      loaderSeconds: number;
      samples: number;
      torch: string;
    };
    const oursRate = a.samples / a.seconds;
    const theirRate = b.samples / b.seconds;
    console.log(
      `${size.name.padEnd(7)} ours ${oursRate.toFixed(0).padStart(8)} rows/s (${a.samples} in ${a.seconds.toFixed(2)} s)   ` +
        `DeepOD (torch ${b.torch}) ${theirRate.toFixed(0).padStart(8)} rows/s (${b.samples} in ${b.seconds.toFixed(2)} s)   ` +
        `ratio ${(oursRate / theirRate).toFixed(2)}x (DeepOD's batch drawing alone: ${b.loaderSeconds.toFixed(2)} s)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

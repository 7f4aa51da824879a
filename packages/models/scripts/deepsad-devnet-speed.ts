/**
 * Training speed of `deepsad` and `devnet` next to DeepOD 0.5.0's DeepSAD and DevNet, one thread each, in one
 * side-by-side run (not a test).
 *
 *     npx tsx --conditions=@abc/source packages/models/scripts/deepsad-devnet-speed.ts [--rows 10000] [--cols 32]
 *       [--repeat 3] [--reference DIR]
 *
 * Data: `rows` × `cols` N(0, 1) values with 1% of the rows labelled anomalies (shifted by 2), the same float32 values
 * on both sides. Each method at two sizes, both sides the same network, batch size and number of rows trained on:
 * - DeepSAD "deepod": DeepOD's defaults, a bias-free encoder cols → 100 → 50 → 128 with ReLU, batches of 64, Adam lr
 *   1e-3, 5 epochs over all rows; "paper": the authors' tabular MLP cols → 128 → 64 → 32 with leaky ReLU, batches of
 *   128, lr 1e-4, 10 epochs (DeepOD with `hidden_dims='128,64', rep_dim=32, act='LeakyReLU'`). DeepOD has no
 *   autoencoder pre-training, so the Deep SAD phase is compared (ours `pretrain: false`, centre pass included on both
 *   sides; no weight decay and no lr milestone on ours, as DeepOD); our pre-training speed at the paper's sizes is
 *   printed too (no DeepOD counterpart: the time of a fit with pre-training less that of one without, each with one
 *   Deep SAD epoch).
 * - DevNet "deepod": cols → 100 → 50 → 1 with ReLU, batches of 64, ceil(rows / 64) batches per epoch, 5 epochs;
 *   "paper": the original's one hidden layer of 20 units, batches of 512, 20 batches per epoch, 10 epochs (DeepOD
 *   with `hidden_dims='20'`, its epoch is ceil(rows / 512) = 20 batches). Each side keeps its own optimizer and loss
 *   (ours RMSprop with clipping and L2 and the per-sample loss; DeepOD Adam and its broadcasting (B, B) loss) and
 *   layers (ours with biases, DeepOD's without).
 * Ours runs `trainDeepSAD` / `trainDevNet` (what `fit` runs, without the scoring of the training rows that follows);
 * DeepOD its `training_prepare` and `_training` in a child /usr/bin/python3 with torch.set_num_threads(1). Each side:
 * the smallest CPU seconds (user + system here, process_time there) of `repeat` runs; printed as training rows per
 * second and the ratio ours / DeepOD (above 1 = we are faster).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, Random, type FitContext } from '@abc/core';
import { getDefaultKernel } from '@abc/engine';
import { DeepSAD, DevNet, randomDeepSADPlan, randomDevNetPlan, trainDeepSAD, trainDevNet } from '../src/index.js';

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
  method: 'deepsad' | 'devnet';
  name: string;
  hidden: number[];
  repDim: number;
  activation: 'relu' | 'leakyRelu';
  batchSize: number;
  epochs: number;
  lr: number;
  act: string;
}
const sizes: Size[] = [
  {
    method: 'deepsad',
    name: 'deepod',
    hidden: [100, 50],
    repDim: 128,
    activation: 'relu',
    batchSize: 64,
    epochs: 5,
    lr: 1e-3,
    act: 'ReLU',
  },
  {
    method: 'deepsad',
    name: 'paper',
    hidden: [128, 64],
    repDim: 32,
    activation: 'leakyRelu',
    batchSize: 128,
    epochs: 10,
    lr: 1e-4,
    act: 'LeakyReLU',
  },
  {
    method: 'devnet',
    name: 'deepod',
    hidden: [100, 50],
    repDim: 1,
    activation: 'relu',
    batchSize: 64,
    epochs: 5,
    lr: 1e-3,
    act: 'ReLU',
  },
  {
    method: 'devnet',
    name: 'paper',
    hidden: [20],
    repDim: 1,
    activation: 'relu',
    batchSize: 512,
    epochs: 10,
    lr: 1e-3,
    act: 'ReLU',
  },
];

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const context = (seed: number): FitContext => ({ rng: new Random(seed), signal: undefined, progress() {}, checkAborted() {} });

/** Best CPU seconds of `repeat` trainings at `size` (pretrain: our Deep SAD's autoencoder phase alone instead). */
async function ours(size: Size, pretrain = false): Promise<{ seconds: number; samples: number }> {
  let best = Infinity;
  let samples = 0;
  for (let r = 0; r < repeat; r++) {
    const ctx = context(r);
    const t0 = cpuSeconds();
    if (size.method === 'deepsad') {
      const p = new DeepSAD({
        hidden: size.hidden,
        repDim: size.repDim,
        activation: size.activation,
        batchSize: size.batchSize,
        lr: size.lr,
        aeLr: size.lr,
        weightDecay: 0,
        lrMilestones: [],
        pretrain,
        aeEpochs: size.epochs,
      }).getParams();
      // with pre-training, one Deep SAD epoch follows; its time is taken off below
      const epochs = pretrain ? 1 : size.epochs;
      const model = await trainDeepSAD(X, y, { ...p, epochs }, ctx, randomDeepSADPlan(ctx.rng));
      samples = (pretrain ? model.history.filter((h) => h.phase === 'pretrain').length : epochs) * rows;
    } else {
      const batchesPerEpoch = size.name === 'paper' ? 20 : Math.ceil(rows / size.batchSize);
      const p = new DevNet({
        hidden: size.hidden,
        batchSize: size.batchSize,
        epochs: size.epochs,
        batchesPerEpoch,
        lr: size.lr,
      }).getParams();
      await trainDevNet(X, y, p, ctx, randomDevNetPlan(ctx.rng, y, p.nReference));
      samples = size.epochs * batchesPerEpoch * size.batchSize;
    }
    best = Math.min(best, cpuSeconds() - t0);
  }
  return { seconds: best, samples };
}

const dir = mkdtempSync(join(tmpdir(), 'deepsad-devnet-speed-'));
try {
  writeFileSync(join(dir, 'x.f32'), X.data);
  writeFileSync(join(dir, 'y.u8'), y);
  console.log(
    `DeepSAD / DevNet training speed, ${rows} × ${cols}, one thread each, kernel ${getDefaultKernel().name}, best of ${repeat}`,
  );
  for (const size of sizes) {
    const a = await ours(size);
    const job = join(dir, `${size.method}-${size.name}.json`);
    writeFileSync(
      job,
      JSON.stringify({
        method: size.method,
        x: join(dir, 'x.f32'),
        y: join(dir, 'y.u8'),
        rows,
        cols,
        epochs: size.epochs,
        batchSize: size.batchSize,
        lr: size.lr,
        hiddenDims: size.hidden,
        repDim: size.repDim,
        act: size.act,
        repeat,
      }),
    );
    const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'deepsad_devnet_speed_deepod.py'), job], {
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
    const oursRate = a.samples / a.seconds;
    const theirRate = b.samples / b.seconds;
    let extra = '';
    if (size.method === 'deepsad' && size.name === 'paper') {
      const pre = await ours(size, true);
      const one = await ours({ ...size, epochs: 1 });
      extra = `;   our pre-training ${(pre.samples / Math.max(pre.seconds - one.seconds, 1e-9)).toFixed(0)} rows/s`;
    }
    console.log(
      `${size.method} ${size.name.padEnd(6)} batch ${String(size.batchSize).padStart(3)}: ours ${oursRate.toFixed(0).padStart(7)} rows/s ` +
        `(${a.samples} in ${a.seconds.toFixed(2)} s)   DeepOD (torch ${b.torch}) ${theirRate.toFixed(0).padStart(7)} rows/s ` +
        `(${b.samples} in ${b.seconds.toFixed(2)} s)   ratio ${(oursRate / theirRate).toFixed(2)}x${extra}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

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
import { Random, type FitContext } from '@abc/core';
import { DeepSAD, DevNet, randomDeepSADPlan, randomDevNetPlan, trainDeepSAD, trainDevNet } from '../src/index.js';
import { bestCpuSeconds, sideBySide, speedRun, versus } from './speed-common.js';

const run = speedRun();
const { rows, repeat, X, y } = run;

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

const context = (seed: number): FitContext => ({ rng: new Random(seed), signal: undefined, progress() {}, checkAborted() {} });

/** Best CPU seconds of `repeat` trainings at `size` (pretrain: our Deep SAD's autoencoder phase alone instead). */
async function ours(size: Size, pretrain = false): Promise<{ seconds: number; samples: number }> {
  let samples = 0;
  const seconds = await bestCpuSeconds(repeat, context, async (ctx) => {
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
  });
  return { seconds, samples };
}

await sideBySide(run, 'deepsad-devnet', 'DeepSAD / DevNet', async (deepod) => {
  for (const size of sizes) {
    const a = await ours(size);
    const b = deepod<{ seconds: number; samples: number; torch: string }>(
      'deepsad_devnet_speed_deepod.py',
      `${size.method}-${size.name}`,
      {
        method: size.method,
        epochs: size.epochs,
        batchSize: size.batchSize,
        lr: size.lr,
        hiddenDims: size.hidden,
        repDim: size.repDim,
        act: size.act,
      },
    );
    let extra = '';
    if (size.method === 'deepsad' && size.name === 'paper') {
      const pre = await ours(size, true);
      const one = await ours({ ...size, epochs: 1 });
      extra = `;   our pre-training ${(pre.samples / Math.max(pre.seconds - one.seconds, 1e-9)).toFixed(0)} rows/s`;
    }
    console.log(
      `${size.method} ${size.name.padEnd(6)} batch ${String(size.batchSize).padStart(3)}: ` +
        `${versus({ count: a.samples, seconds: a.seconds }, { ...b, count: b.samples }, 'rows', 7)}${extra}`,
    );
  }
});

/**
 * Training speed of `prenet` next to DeepOD 0.5.0's PReNet, one thread each, in one side-by-side run (not a test).
 *
 *     npx tsx --conditions=@abc/source packages/models/scripts/prenet-speed.ts [--rows 10000] [--cols 32]
 *       [--repeat 3] [--reference DIR]
 *
 * Data: `rows` × `cols` N(0, 1) values with 1% of the rows labelled anomalies (shifted by 2), the same float32 values
 * on both sides. Two sizes:
 * - "deepod": DeepOD's defaults, a feature learner cols → 100 → 50 → 128 with LeakyReLU and a head on 256 values,
 *   batches of 64 pairs, int(rows / 64) batches per epoch, 2 epochs (DeepOD's last feature layer is linear and its
 *   layers have no bias; ours has LeakyReLU and biases throughout);
 * - "paper": the paper's feature learner of 20 units (DeepOD: `hidden_dims=[]`, `rep_dim=20`, one linear layer) and
 *   batches of 512 pairs, int(rows / 512) batches per epoch, 10 epochs.
 * Ours runs `trainPReNet` (what `fit` runs, without the scoring of the training rows that follows); DeepOD its
 * `training_prepare` and `_training` in a child /usr/bin/python3 with torch.set_num_threads(1). Each side: the
 * smallest CPU seconds (user + system here, process_time there) of `repeat` runs; printed as training pairs per second
 * and the ratio ours / DeepOD (above 1 = we are faster). The optimizers differ (RMSprop with clipping and L2 against
 * Adam), each side's own. DeepOD's own pair sampling (a Python loop over each batch's pairs) is timed alone too.
 */
import { Random, type Activation } from '@abc/core';
import { PairNetwork } from '@abc/engine';
import { PairSampler } from '../src/prenet-pairs.js';
import { trainPReNet } from '../src/prenet-train.js';
import { bestCpuSeconds, sideBySide, speedRun, versus } from './speed-common.js';

const run = speedRun();
const { rows, cols, repeat, X, y } = run;

interface Size {
  name: string;
  hidden: number[];
  activation: Activation;
  batchSize: number;
  epochs: number;
  deepod: { hiddenDims: number[]; repDim: number; act: string };
}
const sizes: Size[] = [
  {
    name: 'deepod',
    hidden: [100, 50, 128],
    activation: 'leakyRelu',
    batchSize: 64,
    epochs: 2,
    deepod: { hiddenDims: [100, 50], repDim: 128, act: 'LeakyReLU' },
  },
  {
    name: 'paper',
    hidden: [20],
    activation: 'relu',
    batchSize: 512,
    epochs: 10,
    deepod: { hiddenDims: [], repDim: 20, act: 'ReLU' },
  },
];

async function ours(size: Size): Promise<{ seconds: number; pairs: number }> {
  const batchesPerEpoch = Math.floor(rows / size.batchSize);
  const seconds = await bestCpuSeconds(
    repeat,
    (r) => new Random(r),
    async (fitRng) => {
      const net = new PairNetwork({ sizes: [cols, ...size.hidden], activations: size.hidden.map(() => size.activation) });
      net.initGlorot(fitRng);
      const sampler = new PairSampler(y);
      await trainPReNet(net, X, (_b, f, s) => sampler.sample(fitRng, size.batchSize, f, s), {
        lr: 1e-3,
        clipnorm: 1,
        l2: 0.01,
        epochs: size.epochs,
        batchesPerEpoch,
        batchSize: size.batchSize,
        targets: { aa: 8, au: 4, uu: 0 },
      });
    },
  );
  return { seconds, pairs: size.epochs * batchesPerEpoch * size.batchSize };
}

await sideBySide(run, 'prenet', 'PReNet', async (deepod) => {
  for (const size of sizes) {
    const a = await ours(size);
    const b = deepod<{ seconds: number; loaderSeconds: number; pairs: number; torch: string }>(
      'prenet_speed_deepod.py',
      size.name,
      { epochs: size.epochs, batchSize: size.batchSize, ...size.deepod },
    );
    console.log(
      `${size.name.padEnd(7)} ${versus({ count: a.pairs, seconds: a.seconds }, { ...b, count: b.pairs }, 'pairs', 8)} ` +
        `(DeepOD's pair sampling alone: ${b.loaderSeconds.toFixed(2)} s)`,
    );
  }
});

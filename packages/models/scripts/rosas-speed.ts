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
import { Random } from '@abc/core';
import { randomRoSASBatches } from '../src/rosas-batches.js';
import { RoSASNetwork } from '../src/rosas-net.js';
import { trainRoSAS, type RoSASLossOptions } from '../src/rosas-train.js';
import { bestCpuSeconds, sideBySide, speedRun, versus } from './speed-common.js';

const run = speedRun();
const { rows, cols, repeat, X, y } = run;

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

async function ours(size: Size): Promise<{ seconds: number; samples: number }> {
  const batchesPerEpoch = Math.floor(rows / size.batchSize);
  const seconds = await bestCpuSeconds(
    repeat,
    (r) => new Random(r),
    async (fitRng) => {
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
    },
  );
  return { seconds, samples: size.epochs * batchesPerEpoch * 3 * size.batchSize };
}

await sideBySide(run, 'rosas', 'RoSAS', async (deepod) => {
  for (const size of sizes) {
    const a = await ours(size);
    const b = deepod<{ seconds: number; loaderSeconds: number; samples: number; torch: string }>(
      'rosas_speed_deepod.py',
      size.name,
      { epochs: size.epochs, batchSize: size.batchSize, hidden: size.hidden, repDim: size.embeddingSize },
    );
    console.log(
      `${size.name.padEnd(7)} ${versus({ count: a.samples, seconds: a.seconds }, { ...b, count: b.samples }, 'rows', 8)} ` +
        `(DeepOD's batch drawing alone: ${b.loaderSeconds.toFixed(2)} s)`,
    );
  }
});

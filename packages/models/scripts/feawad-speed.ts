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
import { Random } from '@abc/core';
import { FeaWADNetwork } from '../src/feawad-net.js';
import { randomFeaWADBatches, trainFeaWAD } from '../src/feawad-train.js';
import { bestCpuSeconds, sideBySide, speedRun, versus } from './speed-common.js';

const run = speedRun();
const { cols, repeat, X, y } = run;

const sizes = [
  { batchSize: 64, batches: 300 },
  { batchSize: 512, batches: 60 },
];

/** Best CPU seconds of `repeat` runs of one stage (pre-training or end to end) for `batches` batches. */
function ours(batchSize: number, batches: number, stage: 'pretrain' | 'train'): Promise<number> {
  return bestCpuSeconds(
    repeat,
    (r) => new Random(r),
    async (fitRng) => {
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
    },
  );
}

await sideBySide(run, 'feawad', 'FeaWAD', async (deepod) => {
  for (const { batchSize, batches } of sizes) {
    const samples = batchSize * batches;
    const pre = await ours(batchSize, batches, 'pretrain');
    const a = await ours(batchSize, batches, 'train');
    const b = deepod<{ seconds: number; samples: number; torch: string }>('feawad_speed_deepod.py', `b${batchSize}`, {
      batches,
      batchSize,
      hiddenDims: [100, 50],
      repDim: 128,
    });
    console.log(
      `batch ${String(batchSize).padStart(3)}: end to end ${versus({ count: samples, seconds: a }, { ...b, count: b.samples }, 'rows', 7)};   ` +
        `our pre-training ${(samples / pre).toFixed(0)} rows/s`,
    );
  }
});

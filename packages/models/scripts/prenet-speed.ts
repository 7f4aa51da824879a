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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, Random, type Activation } from '@abc/core';
import { getDefaultKernel, PairNetwork } from '@abc/engine';
import { PairSampler } from '../src/prenet-pairs.js';
import { trainPReNet } from '../src/prenet-train.js';

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

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function ours(size: Size): Promise<{ seconds: number; pairs: number }> {
  const batchesPerEpoch = Math.floor(rows / size.batchSize);
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const fitRng = new Random(r);
    const t0 = cpuSeconds();
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
    best = Math.min(best, cpuSeconds() - t0);
  }
  return { seconds: best, pairs: size.epochs * batchesPerEpoch * size.batchSize };
}

const dir = mkdtempSync(join(tmpdir(), 'prenet-speed-'));
try {
  writeFileSync(join(dir, 'x.f32'), X.data);
  writeFileSync(join(dir, 'y.u8'), y);
  console.log(`PReNet training speed, ${rows} × ${cols}, one thread each, kernel ${getDefaultKernel().name}, best of ${repeat}`);
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
        repeat,
        ...size.deepod,
      }),
    );
    const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'prenet_speed_deepod.py'), job], {
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
      pairs: number;
      torch: string;
    };
    const oursRate = a.pairs / a.seconds;
    const theirRate = b.pairs / b.seconds;
    console.log(
      `${size.name.padEnd(7)} ours ${oursRate.toFixed(0).padStart(8)} pairs/s (${a.pairs} in ${a.seconds.toFixed(2)} s)   ` +
        `DeepOD (torch ${b.torch}) ${theirRate.toFixed(0).padStart(8)} pairs/s (${b.pairs} in ${b.seconds.toFixed(2)} s)   ` +
        `ratio ${(oursRate / theirRate).toFixed(2)}x (DeepOD's pair sampling alone: ${b.loaderSeconds.toFixed(2)} s)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

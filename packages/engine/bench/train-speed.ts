/**
 * Training and inference speed of the engine on the PyTorch reference contract (shared/bench/README.md),
 * side by side with PyTorch when Debian's python3-torch is installed. Not a test: `pnpm bench`.
 *
 * Env: N (rows, default 20,000), TORCH=0 to skip PyTorch, TORCH_REFERENCE (path of torch_reference.py),
 * PYTHON (default /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDefaultKernel } from '../src/index.js';
import { runReferenceContract } from './contract.js';
import { measureGemm } from './gemm-speed.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.N ?? 20_000);

interface Figures {
  train: number;
  trainCpu: number;
  infer100: number;
  infer1000: number;
  first: number;
  last: number;
  score0: number;
}

function ours(): Figures {
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const r = runReferenceContract({ n: N, inferBatches: [100, 1000], cpuNow });
  const at = (b: number) => N / r.infer.find((f) => f.batch === b)!.seconds;
  return {
    train: N / r.trainSeconds,
    trainCpu: N / r.trainCpuSeconds,
    infer100: at(100),
    infer1000: at(1000),
    first: r.firstLoss,
    last: r.lastLoss,
    score0: r.score0,
  };
}

function torch(): Figures | string {
  if (process.env.TORCH === '0') return 'skipped (TORCH=0)';
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const script =
    process.env.TORCH_REFERENCE ??
    [
      resolve(here, '../../../../shared/bench/torch_reference.py'),
      resolve(here, '../../../shared/bench/torch_reference.py'),
    ].find(existsSync);
  if (!script || !existsSync(script)) return 'torch_reference.py not found (set TORCH_REFERENCE)';
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3-torch is not installed (apt-get install -y python3-torch)';
  const run = spawnSync(python, [script, '1'], { encoding: 'utf8', env: { ...process.env, N: String(N) }, maxBuffer: 1 << 20 });
  if (run.status !== 0) return `torch_reference.py failed: ${run.stderr.slice(-500)}`;
  const out = run.stdout;
  process.stdout.write(`${out.trimEnd().replace(/^/gm, '  torch> ')}\n`);
  const num = (re: RegExp) => Number(re.exec(out)?.[1]);
  return {
    train: num(/-> (\d+) samples\/s wall/),
    trainCpu: num(/wall, (\d+) samples\/cpu-s \(loss/),
    infer100: num(/infer batch 100: (\d+) samples\/s wall/),
    infer1000: num(/infer batch 1000: (\d+) samples\/s wall/),
    first: num(/loss first ([\d.]+)/),
    last: num(/last ([\d.]+)\)/),
    score0: num(/score\[0\]=([\d.]+)/),
  };
}

const date = new Date().toISOString().slice(0, 10);
console.log(`@abc/models bench, ${date}, N = ${N}, kernel ${getDefaultKernel().name}, Node ${process.versions.node}`);
console.log('GEMM at the network shapes:');
for (const f of measureGemm()) console.log(`  ${f.shape.padEnd(20)} ${f.gflops.toFixed(2)} GFLOP/s`);
const a = ours();
console.log(
  `engine: train ${a.train.toFixed(0)} samples/s wall (${a.trainCpu.toFixed(0)} per cpu-s), infer ${a.infer100.toFixed(0)} samples/s (batch 100), ${a.infer1000.toFixed(0)} (batch 1000); ` +
    `loss first ${a.first.toFixed(2)} last ${a.last.toFixed(2)}, score[0] ${a.score0.toFixed(3)}`,
);
// About 3 × the forward multiply-adds per sample for a training step.
const flopsPerSample =
  2 * 3 * [784, 300, 100, 20, 100, 300, 784].slice(1).reduce((s, v, i) => s + v * [784, 300, 100, 20, 100, 300][i], 0);
console.log(`engine: about ${((a.train * flopsPerSample) / 1e9).toFixed(2)} GFLOP/s over a whole training step`);
const t = torch();
if (typeof t === 'string') {
  console.log(`PyTorch: ${t}`);
} else {
  console.log(
    `PyTorch (1 thread): train ${t.train} samples/s wall (${t.trainCpu} per cpu-s), infer ${t.infer100} (batch 100), ${t.infer1000} (batch 1000); loss first ${t.first} last ${t.last}, score[0] ${t.score0}`,
  );
  console.log(
    `ratio engine / PyTorch: train ${(a.train / t.train).toFixed(3)} wall, ${(a.trainCpu / t.trainCpu).toFixed(3)} per cpu-s; infer batch 100 ${(a.infer100 / t.infer100).toFixed(3)}, batch 1000 ${(a.infer1000 / t.infer1000).toFixed(3)}`,
  );
  const same =
    a.first.toFixed(2) === t.first.toFixed(2) &&
    a.last.toFixed(2) === t.last.toFixed(2) &&
    a.score0.toFixed(3) === t.score0.toFixed(3);
  console.log(`contract numbers ${same ? 'agree' : 'DIFFER'} to the printed digits`);
}

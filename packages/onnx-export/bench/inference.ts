/**
 * Inference throughput of the paper's MNIST-size ABC network (784-300-100-20-100-300-784, tanh, linear output,
 * squared-L2 error; weights and data from the LCG of ../shared/bench/README.md): onnxruntime-node cpu (through
 * OnnxDetector, and a raw session) vs the TypeScript forward pass (ABC.scoreSamples) vs PyTorch (1.13, Debian),
 * at batch 1, 100 and 10,000, one thread each (ORT intra-op threads 1, torch.set_num_threads(1); the TS engine
 * is single-threaded).
 *
 *   pnpm --filter @abc/onnx-export bench            (env N = rows, default 10000; BUDGET = seconds per cell)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matrix, tensor, type Matrix } from '@abc/core';
import { ABC } from '@abc/models';
import * as ort from 'onnxruntime-node';
import { OnnxDetector, toOnnx } from '../src/index.js';

const SIZES = [784, 300, 100, 20, 100, 300, 784];
const N = Number(process.env.N ?? 10000);
const BUDGET = Number(process.env.BUDGET ?? 2);
const BATCHES = [1, 100, 10000];

let s = 12345;
const lcg = (n: number) => {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
};
const X = matrix(lcg(N * 784), N, 784);
const tensors: Record<string, ReturnType<typeof tensor>> = {};
for (let l = 0; l < SIZES.length - 1; l++) {
  const fin = SIZES[l];
  const fout = SIZES[l + 1];
  const a = Math.sqrt(6 / (fin + fout));
  tensors[`W${l}`] = tensor(
    Float32Array.from(lcg(fin * fout), (u) => (2 * u - 1) * a),
    [fin, fout],
  );
  tensors[`b${l}`] = tensor(new Float32Array(fout), [fout]);
}
const abc = new ABC({ hidden: [300, 100], latent: 20, distance: 'squaredL2' });
abc.setState({
  meta: {
    sizes: SIZES,
    activations: ['tanh', 'tanh', 'tanh', 'tanh', 'tanh', 'linear'],
    distance: 'squaredL2',
    bestEpoch: 0,
    diverged: false,
    history: [],
    nFeatures: 784,
    featureNames: null,
    threshold: 0.5,
  },
  tensors,
});
const bytes = toOnnx(abc);

/** Samples per second of `run(batch)` over the rows, repeated for about BUDGET seconds. */
async function measure(batch: number, run: (rows: Matrix) => Promise<unknown>): Promise<number> {
  const slices: Matrix[] = [];
  for (let i = 0; i + batch <= N && slices.length < 1000; i += batch)
    slices.push(matrix(X.data.subarray(i * 784, (i + batch) * 784), batch, 784));
  await run(slices[0]); // warm-up
  let rows = 0;
  let k = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < BUDGET * 1000 || k < 3) {
    await run(slices[k++ % slices.length]);
    rows += batch;
  }
  return rows / ((performance.now() - t0) / 1000);
}

const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const det = await OnnxDetector.load(bytes, { backend: 'cpu', sessionOptions });
const raw = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], ...sessionOptions });
const results: Record<string, Record<number, number>> = {
  'onnxruntime-node cpu (OnnxDetector)': {},
  'onnxruntime-node cpu (raw session)': {},
  'TypeScript forward (ABC.scoreSamples)': {},
};
for (const b of BATCHES) {
  results['onnxruntime-node cpu (OnnxDetector)'][b] = await measure(b, (m) => det.scoreSamples(m));
  results['onnxruntime-node cpu (raw session)'][b] = await measure(b, (m) =>
    raw.run({ X: new ort.Tensor('float32', m.data, [m.rows, 784]) }),
  );
  results['TypeScript forward (ABC.scoreSamples)'][b] = await measure(b, (m) => abc.scoreSamples(m));
}

// PyTorch on the same weights and rows (written to a temporary folder), when Debian's python3-torch is there.
const dir = mkdtempSync(join(tmpdir(), 'abc-bench-'));
try {
  writeFileSync(join(dir, 'X.bin'), X.data);
  for (let l = 0; l < SIZES.length - 1; l++) writeFileSync(join(dir, `W${l}.bin`), tensors[`W${l}`].data);
  const script = fileURLToPath(new URL('./torch_inference.py', import.meta.url));
  const r = spawnSync('/usr/bin/python3', [script, dir, String(N), String(BUDGET), ...BATCHES.map(String)], { encoding: 'utf8' });
  if (r.status === 0) {
    const torch = JSON.parse(r.stdout.trim().split('\n').pop()!);
    results[`PyTorch ${torch.version} (1 thread)`] = torch.samplesPerSecond;
    const head = matrix(X.data.subarray(0, 784 * 4), 4, 784);
    const ts = await abc.reconstructionError(head);
    const onnx = await det.reconstructionError(head);
    const f = (v: ArrayLike<number>) => Array.from(v, (x) => x.toPrecision(7)).join(', ');
    console.log(`check, L of rows 0-3: TS ${f(ts)}; ONNX ${f(onnx)}; torch ${f(torch.first)}`);
  } else {
    console.log(`PyTorch skipped: ${r.stderr.trim().split('\n').pop()}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const base = results['onnxruntime-node cpu (raw session)'];
console.log(
  `\ninference samples/s, ${new Date().toISOString().slice(0, 10)}, N = ${N}, one thread each (ratio to the raw onnxruntime-node session)\n`,
);
console.log(`| implementation | ${BATCHES.map((b) => `batch ${b}`).join(' | ')} |`);
console.log(`|---|${BATCHES.map(() => '---').join('|')}|`);
for (const [name, row] of Object.entries(results)) {
  console.log(
    `| ${name} | ${BATCHES.map((b) => `${Math.round(row[b]).toLocaleString('en-US')} (${(row[b] / base[b]).toFixed(2)}x)`).join(' | ')} |`,
  );
}
console.log(`\n${JSON.stringify(results)}`);

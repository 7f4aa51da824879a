/**
 * Speed of the SVM baselines on an MNIST-size problem, to compare with scikit-learn (bench/svm_sklearn.py).
 *
 *     npx tsx --conditions=@abc/source bench/svm.ts [--n 10000] [--out /tmp/svm-bench]
 *
 * Data: the first n rows of MNIST's t10k set (784 pixels scaled to [0, 1]) from $ABC_DATA_DIR/mnist, the
 * project's ../shared/datasets/mnist beside the repository, or the cache `abc data fetch mnist` fills; label 1 (known anomaly) for digits 0, 2, 6, 8 as in the paper. SVM fits on all n
 * rows with labels, OCSVM on all n rows (nu = 0.5, gamma 'scale'); each scores the same n rows. With --out the
 * float64 decision values are written there (svm.f64, ocsvm.f64) for the comparison in svm_sklearn.py.
 * Reports wall and CPU seconds (on a shared machine compare CPU seconds: both sides are single-threaded).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { matrix, type Matrix } from '@abc/core';
import { OCSVM, SVM } from '../src/svm/index.js';

function arg(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && k + 1 < process.argv.length ? process.argv[k + 1] : fallback;
}

function loadMnist(n: number): { X: Matrix; y: Uint8Array } {
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'abc');
  const dirs = [process.env.ABC_DATA_DIR ?? '', join(import.meta.dirname, '../../../../shared/datasets'), cache].map(
    (d) => d && join(d, 'mnist'),
  );
  const dir = dirs.find((d) => d && existsSync(join(d, 't10k-images-idx3-ubyte.gz')));
  if (!dir)
    throw new Error(
      `MNIST t10k files not found in ${dirs.filter(Boolean).join(', ')}: run \`pnpm abc data fetch mnist\` or set ABC_DATA_DIR`,
    );
  const img = gunzipSync(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')));
  const lab = gunzipSync(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')));
  const d = 784;
  const X = new Float32Array(n * d);
  for (let k = 0; k < n * d; k++) X[k] = img[16 + k] / 255;
  const y = Uint8Array.from({ length: n }, (_, i) => ([0, 2, 6, 8].includes(lab[8 + i]) ? 1 : 0));
  return { X: matrix(X, n, d), y };
}

async function main(): Promise<void> {
  const n = Number(arg('n', '10000'));
  const out = arg('out', '');
  const which = arg('which', 'svm,ocsvm').split(',');
  const { X, y } = loadMnist(n);
  if (out) mkdirSync(out, { recursive: true });
  const results: Record<string, unknown> = { n, d: X.cols };
  for (const name of which) {
    const det = name === 'svm' ? new SVM() : new OCSVM();
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    const t0 = performance.now();
    const c0 = cpu();
    let iters = 0;
    await det.fit(X, name === 'svm' ? y : null, { onProgress: (e) => (iters = e.step) });
    const t1 = performance.now();
    const c1 = cpu();
    const dec = await det.decisionFunction(X);
    const t2 = performance.now();
    const c2 = cpu();
    const info = det.modelInfo;
    results[name] = {
      fitSeconds: (t1 - t0) / 1000,
      scoreSeconds: (t2 - t1) / 1000,
      fitCpuSeconds: c1 - c0,
      scoreCpuSeconds: c2 - c1,
      iterations: iters,
      ...info,
    };
    console.log(name, JSON.stringify(results[name]));
    if (out) writeFileSync(join(out, `${name}.f64`), new Uint8Array(dec.buffer));
  }
  if (out) writeFileSync(join(out, 'ts.json'), JSON.stringify(results, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

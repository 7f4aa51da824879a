/**
 * Speed of the neighbour detectors (`knn`, `lof`) next to PyOD 3.6.5, one thread each (not a test).
 *
 *     npx tsx --conditions=@abc/source bench/neighbours.ts [--adbench DIR] [--http-rows 100000] [--score-rows 10000]
 *       [--repeat 3] [--only magic|http] [--skip-pyod]
 *
 * Data, from ADBench's .npz files (DIR defaults to ../shared/datasets/adbench beside the repository, or
 * $ABC_DATA_DIR/adbench): 22_magic.gamma (19,020 × 10, all rows) and 100,000 rows of 16_http (567,498 × 3; rows
 * ⌊i · N / 100,000⌋, so both sides take the same ones). Each detector is fitted on those rows (training scores
 * left out, as PyOD's decision_scores_) and then scores the first `score-rows` of them as new rows
 * (decision_function). PyOD runs in a child python3 with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1 and n_jobs=1 on
 * the same float32 values, default algorithm ('auto': scikit-learn's KD-tree at these dimensions). Printed:
 * CPU seconds for each side, the smallest of `repeat` runs (user + system: steadier than wall time on a shared
 * machine; both run one thread)
 * and the ratio ours / PyOD (above 1 = we are slower), and the largest relative difference
 * of the scores (a parity check at scale: KNN's scores never depend on ties; LOF's do where several rows tie for
 * the k-th place, as on 16_http's many duplicate and grid values, and scikit-learn's KD-tree takes another of them
 * there than our lower-index rule).
 *
 * The npz reader is @abc/eval's (`loadAdbenchDataset`), imported from its source file: @abc/baselines does not list
 * @abc/eval as a dependency, and this script is not part of the package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, type Matrix } from '@abc/core';
import { getDefaultKernel } from '@abc/engine';
import { loadAdbenchDataset } from '../../eval/src/node/npz.js';
import { KNN } from '../src/knn.js';
import { LOF } from '../src/lof.js';

function arg(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && k + 1 < process.argv.length ? process.argv[k + 1] : fallback;
}

const adbench = [
  arg('adbench', ''),
  process.env.ABC_DATA_DIR ? join(process.env.ABC_DATA_DIR, 'adbench') : '',
  join(import.meta.dirname, '../../../../shared/datasets/adbench'),
].find((d) => d && existsSync(join(d, '16_http.npz')));
if (!adbench) throw new Error('ADBench files not found: pass --adbench DIR');
const httpRows = Number(arg('http-rows', '100000'));
const scoreRows = Number(arg('score-rows', '10000'));
const skipPyod = process.argv.includes('--skip-pyod');
const only = arg('only', '');
const repeat = Number(arg('repeat', '3'));

function strided(X: Matrix, n: number): { X: Matrix; index: Int32Array } {
  if (n >= X.rows) return { X, index: Int32Array.from({ length: X.rows }, (_, i) => i) };
  const index = Int32Array.from({ length: n }, (_, i) => Math.floor((i * X.rows) / n));
  const data = new Float32Array(n * X.cols);
  for (let i = 0; i < n; i++) data.set(X.data.subarray(index[i] * X.cols, (index[i] + 1) * X.cols), i * X.cols);
  return { X: matrix(data, n, X.cols), index };
}

/** CPU seconds of this process (user + system): steadier than wall time on a shared machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Timing {
  fit: number;
  score: number;
  train: Float64Array;
  test: Float32Array;
}

async function ours(name: 'knn' | 'lof', X: Matrix, Q: Matrix): Promise<Timing> {
  let best: Timing | null = null;
  for (let r = 0; r < repeat; r++) {
    const t = await oursOnce(name, X, Q);
    best = best === null ? t : { ...t, fit: Math.min(best.fit, t.fit), score: Math.min(best.score, t.score) };
  }
  return best as Timing;
}

async function oursOnce(name: 'knn' | 'lof', X: Matrix, Q: Matrix): Promise<Timing> {
  const det = name === 'knn' ? new KNN() : new LOF();
  let t = cpuSeconds();
  await det.fit(X);
  const fit = cpuSeconds() - t;
  t = cpuSeconds();
  const test = await det.scoreSamples(Q);
  const score = cpuSeconds() - t;
  return { fit, score, train: det.trainingScores, test };
}

const PY = String.raw`
import json, os, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from pyod.models.knn import KNN
from pyod.models.lof import LOF
X = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, int(sys.argv[3])).astype(np.float64)
m = int(sys.argv[4]); out = sys.argv[5]; repeat = int(sys.argv[7])
res = {}
for name in sys.argv[6].split(','):
    fit = score = float('inf')
    for _ in range(repeat):
        det = KNN(n_jobs=1) if name == 'knn' else LOF(n_jobs=1)
        t = time.process_time(); det.fit(X); fit = min(fit, time.process_time() - t)
        t = time.process_time(); s = det.decision_function(X[:m]); score = min(score, time.process_time() - t)
    det.decision_scores_.astype(np.float64).tofile(os.path.join(out, name + '.train'))
    s.astype(np.float64).tofile(os.path.join(out, name + '.test'))
    res[name] = dict(fit=fit, score=score)
print(json.dumps(res))
`;

function pyod(
  X: Matrix,
  m: number,
  names: string[],
): Record<string, { fit: number; score: number; train: Float64Array; test: Float64Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'abc-nb-'));
  try {
    writeFileSync(join(dir, 'X.f32'), X.data);
    const reference = join(import.meta.dirname, '../../../../shared/reference');
    const r = spawnSync(
      '/usr/bin/python3',
      ['-c', PY, reference, join(dir, 'X.f32'), String(X.cols), String(m), dir, names.join(','), String(repeat)],
      {
        env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1', NUMBA_NUM_THREADS: '1' },
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    if (r.status !== 0) throw new Error(`PyOD failed: ${r.stderr}`);
    const times = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, { fit: number; score: number }>;
    const read = (f: string) => {
      const b = readFileSync(join(dir, f));
      return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    return Object.fromEntries(names.map((n) => [n, { ...times[n], train: read(`${n}.train`), test: read(`${n}.test`) }]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < b.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (b[i] === 0 ? 1 : Math.abs(b[i])));
  return w;
}

const sets: [string, string, number][] = [
  ['22_magic.gamma', '22_magic.gamma.npz', Infinity],
  ['16_http', '16_http.npz', httpRows],
];
console.log(`gemm kernel: ${getDefaultKernel().name}; node ${process.version}; one thread each`);
console.log(
  '| data | rows × cols | detector | fit CPU s (ours / PyOD) | score CPU s (ours / PyOD) | fit ratio | score ratio | max rel. diff train, test |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [label, file, rows] of sets) {
  if (only && !label.includes(only)) continue;
  const full = (await loadAdbenchDataset(join(adbench, file))).X;
  const { X } = strided(full, rows);
  const m = Math.min(scoreRows, X.rows);
  const Q = matrix(X.data.slice(0, m * X.cols), m, X.cols);
  const names = ['knn', 'lof'] as const;
  const ref = skipPyod ? null : pyod(X, m, [...names]);
  for (const name of names) {
    const o = await ours(name, X, Q);
    const p = ref?.[name];
    const f = (v: number) => v.toFixed(2);
    const cells = p
      ? [
          `${f(o.fit)} / ${f(p.fit)}`,
          `${f(o.score)} / ${f(p.score)}`,
          (o.fit / p.fit).toFixed(2),
          (o.score / p.score).toFixed(2),
          `${maxRel(o.train, p.train).toExponential(1)}, ${maxRel(o.test, p.test).toExponential(1)}`,
        ]
      : [f(o.fit), f(o.score), '', '', ''];
    console.log(`| ${label} | ${X.rows.toLocaleString('en')} × ${X.cols} | ${name} | ${cells.join(' | ')} |`);
  }
}

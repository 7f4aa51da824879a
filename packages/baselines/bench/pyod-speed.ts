/**
 * Fit + score CPU time of our knn, lof, hbos, ecod, copod, iforest, ocsvm and xgbod next to PyOD 3.6.5's, one
 * thread each, in one side-by-side run (not a test). The table in BENCHMARK.md comes from it.
 *
 *     pnpm --filter @abc/baselines bench:pyod            # from the repository root
 *     pnpm bench:pyod -- [--adbench DIR] [--only magic|http] [--detectors knn,lof,...] [--http-rows 100000]
 *       [--small-rows 10000] [--score-rows 10000] [--repeat 3] [--repeat-slow 1] [--skip-pyod]
 *
 * Data, from ADBench's .npz files (DIR defaults to ../shared/datasets/adbench beside the repository, or
 * $ABC_DATA_DIR/adbench): 22_magic.gamma (19,020 × 10, all rows) and `http-rows` rows of 16_http (567,498 × 3;
 * rows ⌊i · N / http-rows⌋). OCSVM and XGBOD (whose 11 one-class SVMs dominate it) run on the first `small-rows`
 * (10,000) of those rows only (rows ⌊i · N / small-rows⌋ again): a one-class SVM's fit grows with the square of the
 * rows. Each detector is fitted on the rows (XGBOD with all their labels) and then scores `score-rows` of them
 * (picked the same way) as new rows. Both sides
 * fit once on 200 rows first, untimed, so that neither Python's numba compilation nor V8's first optimisation is
 * counted.
 *
 * Each side with its defaults (PyOD's: KNN k = 5, LOF k = 20, HBOS 10 bins, IForest 100 trees, XGBOD's 41
 * members and XGBoost; ours are the same by design), except that both OCSVMs get γ = 1 / features (PyOD's 'auto'
 * default; ours defaults to scikit-learn's 'scale'). PyOD runs in a child /usr/bin/python3 (bench/pyod_speed.py)
 * with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=NUMBA_NUM_THREADS=1 and n_jobs=1; ours in this
 * process on the engine's single-threaded GEMM. Times are CPU seconds (user + system), the smallest of `repeat`
 * runs (`repeat-slow` for OCSVM and XGBOD): steadier than wall time on a shared machine, and past V8's tier-up of the
 * hot loops (a first fit of HBOS on 100,000 rows measured 0.08 s, the next ones 0.015 s). The ratio is ours / PyOD (below 1: we are faster). The AUROC
 * of each side's new-row scores against the labels is a sanity check that both computed the same thing (ECOD
 * and COPOD differ by definition for new rows: PyOD refits its ECDFs on training + scored rows, see the README).
 *
 * The npz reader is @abc/eval's (`loadAdbenchDataset`), imported from its source file: @abc/baselines does not list
 * @abc/eval as a dependency, and this script is not part of the package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, type Detector, type Matrix } from '@abc/core';
import { getDefaultKernel } from '@abc/engine';
import { loadAdbenchDataset } from '../../eval/src/node/npz.js';
import { COPOD, ECOD, HBOS, IsolationForest, KNN, LOF, OCSVM, XGBOD } from '../src/index.js';

const DETECTORS = ['knn', 'lof', 'hbos', 'ecod', 'copod', 'iforest', 'ocsvm', 'xgbod'] as const;
type Name = (typeof DETECTORS)[number];

function arg(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && k + 1 < process.argv.length ? process.argv[k + 1] : fallback;
}

const adbench = [
  arg('adbench', ''),
  process.env.ABC_DATA_DIR ? join(process.env.ABC_DATA_DIR, 'adbench') : '',
  join(import.meta.dirname, '../../../../shared/datasets/adbench'),
].find((d) => d && existsSync(join(d, '16_http.npz')) && existsSync(join(d, '22_magic.gamma.npz')));
if (!adbench) throw new Error('ADBench files 16_http.npz and 22_magic.gamma.npz not found: pass --adbench DIR');
const httpRows = Number(arg('http-rows', '100000'));
const smallRows = Number(arg('small-rows', '10000'));
const scoreRows = Number(arg('score-rows', '10000'));
const repeat = Number(arg('repeat', '3'));
/** Runs of OCSVM and XGBOD (minutes each at 10,000 rows), of which the best counts. */
const repeatSlow = Number(arg('repeat-slow', '1'));
const skipPyod = process.argv.includes('--skip-pyod');
const only = arg('only', '');
const chosen = arg('detectors', DETECTORS.join(','))
  .split(',')
  .map((s) => s.trim()) as Name[];
for (const name of chosen)
  if (!DETECTORS.includes(name)) throw new Error(`unknown detector "${name}"; known: ${DETECTORS.join(', ')}`);
/** Detectors that run on the first `small-rows` rows only. */
const SMALL = new Set<Name>(['ocsvm', 'xgbod']);

function create(name: Name, d: number): Detector {
  switch (name) {
    case 'knn':
      return new KNN();
    case 'lof':
      return new LOF();
    case 'hbos':
      return new HBOS();
    case 'ecod':
      return new ECOD();
    case 'copod':
      return new COPOD();
    case 'iforest':
      return new IsolationForest({ seed: 0 });
    case 'ocsvm':
      return new OCSVM({ gamma: 1 / d });
    case 'xgbod':
      return new XGBOD({ seed: 0 });
  }
}

function rowsOf(X: Matrix, y: Uint8Array, index: ArrayLike<number>): { X: Matrix; y: Uint8Array } {
  const n = index.length;
  const data = new Float32Array(n * X.cols);
  for (let i = 0; i < n; i++) data.set(X.data.subarray(index[i] * X.cols, (index[i] + 1) * X.cols), i * X.cols);
  return { X: matrix(data, n, X.cols), y: Uint8Array.from(index, (i) => y[i]) };
}

/** Rows ⌊i · X.rows / n⌋, i < n (all rows when n ≥ X.rows): a subset that keeps the data's mix of classes. */
function strided(X: Matrix, y: Uint8Array, n: number): { X: Matrix; y: Uint8Array } {
  if (n >= X.rows) return { X, y };
  return rowsOf(
    X,
    y,
    Int32Array.from({ length: n }, (_, i) => Math.floor((i * X.rows) / n)),
  );
}

/** Every ⌊n / 200⌋-th row: the untimed warm-up set, with anomalies in it wherever the data has some. */
function warmUpRows(X: Matrix, y: Uint8Array): { X: Matrix; y: Uint8Array } {
  const pos = Array.from(y.keys())
    .filter((i) => y[i] === 1)
    .slice(0, 20);
  const idx = [...new Set([...Array.from({ length: 180 }, (_, i) => Math.floor((i * X.rows) / 180)), ...pos])];
  return rowsOf(X, y, idx);
}

/** CPU seconds of this process (user + system). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Exact AUROC (ties count half). */
function auroc(scores: ArrayLike<number>, labels: Uint8Array): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rank = 0;
  let pos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]]) {
        rank += (i + j) / 2 + 1;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = labels.length - pos;
  return pos === 0 || neg === 0 ? Number.NaN : (rank - (pos * (pos + 1)) / 2) / (pos * neg);
}

interface Timing {
  fit: number;
  score: number;
  scores: ArrayLike<number>;
}

async function ours(name: Name, X: Matrix, y: Uint8Array, Q: Matrix, warm: { X: Matrix; y: Uint8Array }): Promise<Timing> {
  const supervised = name === 'xgbod';
  await create(name, X.cols).fit(warm.X, supervised ? warm.y : null);
  let best: Timing | null = null;
  for (let r = 0; r < (SMALL.has(name) ? repeatSlow : repeat); r++) {
    const det = create(name, X.cols);
    let t = cpuSeconds();
    await det.fit(X, supervised ? y : null);
    const fit = cpuSeconds() - t;
    t = cpuSeconds();
    const scores = await det.scoreSamples(Q);
    const score = cpuSeconds() - t;
    best = best === null ? { fit, score, scores } : { fit: Math.min(best.fit, fit), score: Math.min(best.score, score), scores };
  }
  return best as Timing;
}

interface Job {
  name: string;
  detector: Name;
  x: string;
  y: string;
  cols: number;
  q: string;
  repeat: number;
}

/** Runs PyOD on the jobs in one child process; the scores come back through files. */
function pyod(jobs: Job[], dir: string): Map<string, Timing> {
  writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
  const reference = join(import.meta.dirname, '../../../../shared/reference');
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'pyod_speed.py'), reference, join(dir, 'jobs.json'), dir], {
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1', NUMBA_NUM_THREADS: '1' },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`PyOD failed: ${r.stderr}`);
  const out = new Map<string, Timing>();
  for (const line of r.stdout.trim().split('\n')) {
    const { name, fit, score } = JSON.parse(line) as { name: string; fit: number; score: number };
    const b = readFileSync(join(dir, `${name}.f64`));
    out.set(name, { fit, score, scores: new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) });
  }
  return out;
}

const sets: [string, string, number][] = [
  ['22_magic.gamma', '22_magic.gamma.npz', Number.POSITIVE_INFINITY],
  ['16_http', '16_http.npz', httpRows],
];
const started = new Date();
console.log(
  `${started.toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores); load average at start ${loadavg()
    .map((v) => v.toFixed(2))
    .join(
      ', ',
    )}; node ${process.version}, gemm kernel ${getDefaultKernel().name}; one thread each; CPU seconds, best of ${repeat} (OCSVM, XGBOD: ${repeatSlow})`,
);
const dir = mkdtempSync(join(tmpdir(), 'abc-pyod-speed-'));
try {
  // Ours and PyOD's data, then PyOD in one child run (it imports once), then ours one after the other.
  const plans: {
    label: string;
    name: Name;
    X: Matrix;
    y: Uint8Array;
    Q: { X: Matrix; y: Uint8Array };
    warm: { X: Matrix; y: Uint8Array };
  }[] = [];
  const jobs: Job[] = [];
  for (const [label, file, rows] of sets) {
    if (only && !label.includes(only)) continue;
    const full = await loadAdbenchDataset(join(adbench, file));
    const big = strided(full.X, full.y, rows);
    for (const name of chosen) {
      const { X, y } = SMALL.has(name) ? strided(big.X, big.y, smallRows) : big;
      const Q = strided(X, y, scoreRows);
      const warm = warmUpRows(X, y);
      const key = `${label}-${name}`;
      plans.push({ label, name, X, y, Q, warm });
      writeFileSync(join(dir, `${key}.x`), X.data);
      writeFileSync(join(dir, `${key}.q`), Q.X.data);
      writeFileSync(join(dir, `${key}.y`), y);
      writeFileSync(join(dir, `${key}.warm.x`), warm.X.data);
      writeFileSync(join(dir, `${key}.warm.y`), warm.y);
      // The warm-up job first (its time is not used), then the timed one.
      jobs.push(
        {
          name: `${key}.warm`,
          detector: name,
          x: join(dir, `${key}.warm.x`),
          y: join(dir, `${key}.warm.y`),
          cols: X.cols,
          q: join(dir, `${key}.warm.x`),
          repeat: 1,
        },
        {
          name: key,
          detector: name,
          x: join(dir, `${key}.x`),
          y: join(dir, `${key}.y`),
          cols: X.cols,
          q: join(dir, `${key}.q`),
          repeat: SMALL.has(name) ? repeatSlow : repeat,
        },
      );
    }
  }
  const ref = skipPyod ? null : pyod(jobs, dir);
  console.log(
    '| data | rows fitted × cols | detector | fit s, ours / PyOD | score s, ours / PyOD | fit + score, ours / PyOD | AUROC ours / PyOD |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const { label, name, X, y, Q, warm } of plans) {
    const o = await ours(name, X, y, Q.X, warm);
    const p = ref?.get(`${label}-${name}`);
    const f = (v: number) => v.toFixed(2);
    const yq = Q.y;
    const cells = p
      ? [
          `${f(o.fit)} / ${f(p.fit)}`,
          `${f(o.score)} / ${f(p.score)}`,
          `**${((o.fit + o.score) / (p.fit + p.score)).toFixed(2)}**`,
          `${auroc(o.scores, yq).toFixed(3)} / ${auroc(p.scores, yq).toFixed(3)}`,
        ]
      : [f(o.fit), f(o.score), '', auroc(o.scores, yq).toFixed(3)];
    const line = `| ${label} | ${X.rows.toLocaleString('en')} × ${X.cols} | ${name} | ${cells.join(' | ')} |`;
    console.log(line);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `load average at end ${loadavg()
    .map((v) => v.toFixed(2))
    .join(', ')}; ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`,
);

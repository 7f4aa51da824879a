/**
 * Speed of the tree baselines next to scikit-learn (and imbalanced-learn), single-threaded, on an MNIST-size
 * synthetic problem (default 30,000 training rows + 10,000 test rows x 784 features, seeded).
 *
 *   pnpm --filter @abc/baselines bench                  # from the repository root
 *   pnpm bench -- --rows 5000 --cols 100 --no-python    # in packages/baselines
 *   options: --rows N --test-rows N --cols D --anomaly-share F --only iforest,gtb,rusboost,dnn --epochs N --no-python
 *   (the DNN runs a fixed number of epochs on both sides, against scikit-learn's MLPClassifier with the same
 *   layers, ReLU, Adam lr 1e-3 and batch 100)
 *
 * Python runs only when /usr/bin/python3 (or $PYTHON) can import sklearn; it gets OMP_NUM_THREADS=1 and
 * friends so that both sides use one core. Times are CPU seconds (user + system) of the fit and of scoring the
 * test rows, which a machine shared with other jobs disturbs less than wall-clock time; wall-clock seconds are
 * printed too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, Random, type Detector, type Matrix } from '@abc/core';
import { DNN, GradientTreeBoosting, IsolationForest, RUSBoost } from '../src/index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? Number(args[k + 1]) : def;
};
const rows = opt('rows', 30_000);
const testRows = opt('test-rows', 10_000);
const cols = opt('cols', 784);
const anomalyShare = opt('anomaly-share', 0.1);
const noPython = args.includes('--no-python');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : ['iforest', 'gtb', 'rusboost', 'dnn'];
/** DNN epochs on both sides (no early stopping, so both do the same work). */
const epochs = opt('epochs', 3);

/**
 * Ten sparse "digit" prototypes in [0, 1]^cols (about 20% lit pixels). Normal prototypes 4-9; anomaly
 * prototypes 0-3 are copies of normal ones with a third of their lit pixels moved elsewhere, so that the
 * classes overlap.
 */
function makePrototypes(rng: Random): Float32Array[] {
  const protos: Float32Array[] = new Array(10);
  for (let c = 4; c < 10; c++) {
    const p = new Float32Array(cols);
    for (let j = 0; j < cols; j++) if (rng.float() < 0.2) p[j] = 0.5 + 0.5 * rng.float();
    protos[c] = p;
  }
  for (let c = 0; c < 4; c++) {
    const p = Float32Array.from(protos[4 + c]);
    for (let j = 0; j < cols; j++) {
      if (p[j] > 0 && rng.float() < 0.33) {
        const k = rng.int(cols);
        p[k] = p[j];
        p[j] = 0;
      }
    }
    protos[c] = p;
  }
  return protos;
}

/**
 * MNIST-like rows: a prototype with random dimming of its lit pixels, Gaussian pixel noise, 5% random
 * background pixels and clipping to [0, 1]. Anomalies (classes 0-3) are `anomalyShare` of the rows.
 */
function makeData(n: number, rng: Random, protos: Float32Array[]): { X: Matrix; y: Uint8Array } {
  const X = new Float32Array(n * cols);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const anomaly = rng.float() < anomalyShare;
    y[i] = anomaly ? 1 : 0;
    const c = anomaly ? rng.int(4) : 4 + rng.int(6);
    const p = protos[c];
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      let v = p[j] > 0 ? p[j] * (0.6 + 0.4 * rng.float()) + rng.normal(0, 0.35) : rng.float() < 0.05 ? rng.float() : 0;
      v = v < 0 ? 0 : Math.min(v, 1);
      X[base + j] = v;
    }
  }
  return { X: matrix(X, n, cols), y };
}

function auroc(s: Float32Array, y: Uint8Array): number {
  const order = Array.from(s.keys()).sort((a, b) => s[a] - s[b]);
  let rank = 0;
  let pos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && s[order[j + 1]] === s[order[i]]) j++;
    for (let k = i; k <= j; k++) {
      if (y[order[k]]) {
        rank += (i + j) / 2 + 1;
        pos++;
      }
    }
    i = j + 1;
  }
  return (rank - (pos * (pos + 1)) / 2) / (pos * (y.length - pos));
}

interface Row {
  method: string;
  /** CPU seconds. */
  fit: number;
  score: number;
  /** Wall-clock seconds. */
  fitWall: number;
  scoreWall: number;
  auroc: number;
  extra?: string | null;
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timeOurs(
  name: string,
  make: () => Detector,
  train: { X: Matrix; y: Uint8Array },
  test: { X: Matrix; y: Uint8Array },
): Promise<Row> {
  const det = make();
  const start = performance.now();
  const c0 = cpu();
  await det.fit(train.X, det.supervision === 'supervised' ? train.y : undefined);
  const fitted = performance.now();
  const c1 = cpu();
  const s = await det.scoreSamples(test.X);
  const scored = performance.now();
  const c2 = cpu();
  const extra =
    det instanceof GradientTreeBoosting ? `nIter ${det.nIter}` : det instanceof RUSBoost ? `trees ${det.nTrees}` : null;
  return {
    method: name,
    fit: c1 - c0,
    score: c2 - c1,
    fitWall: (fitted - start) / 1000,
    scoreWall: (scored - fitted) / 1000,
    auroc: auroc(s, test.y),
    extra,
  };
}

const PY = String.raw`
import json, sys, time
import numpy as np
from sklearn.metrics import roc_auc_score
d = json.loads(sys.argv[1])
X = np.fromfile(d["dir"] + "/X.f32", dtype=np.float32).reshape(-1, d["cols"]).astype(np.float64)
y = np.fromfile(d["dir"] + "/y.u8", dtype=np.uint8).astype(int)
Xt = np.fromfile(d["dir"] + "/Xt.f32", dtype=np.float32).reshape(-1, d["cols"]).astype(np.float64)
yt = np.fromfile(d["dir"] + "/yt.u8", dtype=np.uint8).astype(int)
out = []
def run(name, m, supervised, score, extra=lambda m: None):
    t0, c0 = time.perf_counter(), time.process_time()
    m.fit(X, y) if supervised else m.fit(X)
    t1, c1 = time.perf_counter(), time.process_time()
    s = score(m, Xt)
    t2, c2 = time.perf_counter(), time.process_time()
    out.append(dict(method=name, fit=c1 - c0, score=c2 - c1, fitWall=t1 - t0, scoreWall=t2 - t1,
                    auroc=float(roc_auc_score(yt, s)), extra=extra(m)))
    print(json.dumps(out[-1]), file=sys.stderr, flush=True)
if "iforest" in d["only"]:
    from sklearn.ensemble import IsolationForest
    run("iforest", IsolationForest(random_state=0, n_jobs=1), False, lambda m, Xt: -m.score_samples(Xt))
if "gtb" in d["only"]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    run("gtb", HistGradientBoostingClassifier(random_state=0), True, lambda m, Xt: m.predict_proba(Xt)[:, 1],
        lambda m: "nIter %d" % m.n_iter_)
if "rusboost" in d["only"]:
    try:
        from imblearn.ensemble import RUSBoostClassifier
        from sklearn.tree import DecisionTreeClassifier
        run("rusboost", RUSBoostClassifier(DecisionTreeClassifier(max_depth=3), n_estimators=50, algorithm="SAMME",
            random_state=0), True, lambda m, Xt: m.predict_proba(Xt)[:, 1], lambda m: "trees %d" % len(m.estimators_))
    except ImportError:
        pass
if "dnn" in d["only"]:
    from sklearn.neural_network import MLPClassifier
    run("dnn", MLPClassifier(hidden_layer_sizes=(300, 100), activation="relu", solver="adam", learning_rate_init=1e-3,
        batch_size=100, max_iter=d["epochs"], shuffle=True, early_stopping=False, tol=0, n_iter_no_change=10**9,
        random_state=0), True, lambda m, Xt: m.predict_proba(Xt)[:, 1])
import sklearn
print(json.dumps(dict(results=out, sklearn=sklearn.__version__)))
`;

async function main() {
  const rng = new Random(20190810);
  const protos = makePrototypes(rng);
  const made = performance.now();
  const train = makeData(rows, rng, protos);
  const test = makeData(testRows, rng, protos);
  console.log(
    `data: ${rows} train + ${testRows} test rows x ${cols} features, ${(anomalyShare * 100).toFixed(0)}% anomalies ` +
      `(made in ${((performance.now() - made) / 1000).toFixed(1)} s)`,
  );

  const ours: Row[] = [];
  const show = (who: string, r: Row) =>
    console.log(
      `${who.padEnd(8)}${r.method.padEnd(9)} fit ${r.fit.toFixed(2)} s CPU (${r.fitWall.toFixed(2)} s wall), ` +
        `score ${r.score.toFixed(3)} s CPU (${r.scoreWall.toFixed(3)} s wall), AUROC ${r.auroc.toFixed(4)} ${r.extra ?? ''}`,
    );
  const makers: [string, () => Detector][] = [
    ['iforest', () => new IsolationForest({ seed: 0 })],
    ['gtb', () => new GradientTreeBoosting({ seed: 0 })],
    ['rusboost', () => new RUSBoost({ seed: 0 })],
    ['dnn', () => new DNN({ seed: 0, maxEpochs: epochs, validationFraction: 0 })],
  ];
  for (const [name, make] of makers) {
    if (!only.includes(name)) continue;
    ours.push(await timeOurs(name, make, train, test));
    show('ours', ours[ours.length - 1]);
  }

  let theirs: Row[] = [];
  let sklearnVersion = '';
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  if (!noPython && spawnSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0) {
    const dir = mkdtempSync(join(tmpdir(), 'abc-bench-'));
    try {
      const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      writeFileSync(join(dir, 'X.f32'), bytes(train.X.data));
      writeFileSync(join(dir, 'y.u8'), train.y);
      writeFileSync(join(dir, 'Xt.f32'), bytes(test.X.data));
      writeFileSync(join(dir, 'yt.u8'), test.y);
      const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
      const res = spawnSync(python, ['-c', PY, JSON.stringify({ dir, cols, only, epochs })], {
        env,
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      if (res.status !== 0) throw new Error(`python failed: ${res.stderr}`);
      const parsed = JSON.parse(res.stdout.trim().split('\n').pop()!);
      theirs = parsed.results;
      sklearnVersion = parsed.sklearn;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const r of theirs) show('sklearn', r);
  } else if (!noPython) {
    console.log(`(${python} cannot import sklearn: no comparison)`);
  }

  console.log(
    `\n| method | ours fit (CPU s) | ours score (CPU s) | scikit-learn ${sklearnVersion} fit (CPU s) | score (CPU s) | fit speed-up | score speed-up | AUROC ours / sklearn |`,
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of ours) {
    const t = theirs.find((x) => x.method === r.method);
    console.log(
      `| ${r.method} | ${r.fit.toFixed(2)} | ${r.score.toFixed(3)} | ${t ? t.fit.toFixed(2) : '-'} | ${t ? t.score.toFixed(3) : '-'} | ` +
        `${t ? `${(t.fit / r.fit).toFixed(2)}x` : '-'} | ${t ? `${(t.score / r.score).toFixed(2)}x` : '-'} | ` +
        `${r.auroc.toFixed(4)} / ${t ? t.auroc.toFixed(4) : '-'} |`,
    );
  }
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, node ${process.version}, one thread each, CPU seconds (speed-up = scikit-learn time / ours).`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

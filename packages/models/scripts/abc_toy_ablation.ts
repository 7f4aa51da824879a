/**
 * ABC's ablations of issue 20 item 6 (not a test; the results are in docs/benchmark/ablations/).
 *
 * 1. The 2-D toy question, paired with `abc_torch_toy.py` (PyTorch) on the same rows:
 *
 *     npx tsx --conditions=@abc/source packages/models/scripts/abc_toy_ablation.ts toy \
 *       --work out/abc-toy --seeds 9 --size 10000 --inits glorot,torch,lecun --out docs/benchmark/ablations/toy-ours.jsonl
 *
 *    For each seed s: the paper's 2D-Toy split of `toySplit(size, s)` (setting 1: training normals and known
 *    anomalies, test normals, known and unknown anomalies, `size` rows each), min-max scaled with the ranges of
 *    the training rows, written to <work>/seed<s>/*.npy (float32) for the Python side; then ABC(AE) with the
 *    default 300-100-20 network (tanh, linear output, meanSquared, Adam 1e-3, batch 100, validation 0.2,
 *    patience 10, best weights restored, at most 300 epochs; detector seed s) for each init, one JSON line each:
 *    AUROC/AP known and unknown, epochs, best epoch, and the spread of the hidden pre-activations on the
 *    training rows at init and after training.
 *
 *     npx tsx --conditions=@abc/source packages/models/scripts/abc_toy_ablation.ts trace --work out/abc-toy --seed 0 \
 *       --size 10000 --out out/abc-toy/trace-ours-0.json
 *
 *    The mechanism check: fits ours (glorot) on seed s and writes, from a copy of the trainer's random stream
 *    (init, stratified validation split, one shuffle per epoch, in that order: see `trainReconstruction`), the
 *    initial weights, the validation rows and the order of every epoch to <work>/trace<s>/, so the Python side can
 *    train from the same weights on the same batches; the per-epoch losses of our fit go to --out.
 *
 * 2. The tabular ablation (one factor at a time around the defaults) on ADBench files:
 *
 *     npx tsx --conditions=@abc/source packages/models/scripts/abc_toy_ablation.ts tabular \
 *       --data-dir ../shared/datasets/adbench --datasets 29_Pima,4_breastw --ratios 0,0.05 --seeds 3 \
 *       --max-epochs 50 --out docs/benchmark/ablations/tabular   (the datasets run: docs/benchmark/ablations/README.md)
 *
 *    Runs each variant through the eval package's `runBenchmarkJob` (ADBench's protocol, the records of
 *    `abc benchmark`) with method specs carrying the params, appending to OUT/runs.jsonl (resumable), then
 *    writes OUT/results.json (cells and average ranks) and prints the tables.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { MinMaxScaler, Random, stratifiedSplit, vstack, type Matrix } from '@abc/core';
import { DenseNetwork } from '@abc/engine';
import {
  aggregateBenchmark,
  auroc,
  averagePrecision,
  benchmarkRunKey,
  runBenchmarkJob,
  friedmanTest,
  labelledSet,
  settingData,
  toySplit,
  type BenchmarkRecord,
  type MethodSpec,
} from '@abc/eval';
import { findBenchmarkDatasets, loadAdbenchDataset } from '@abc/eval/node';
import { ABC } from '../src/abc.js';
import { reconstructionSpec, type ReconstructionParams } from '../src/autoencoder-base.js';

function arg(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && k + 1 < process.argv.length ? process.argv[k + 1] : fallback;
}
const list = (s: string): string[] =>
  s
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** A NumPy `.npy` (format 1.0, little-endian, C order) of float32 or int32 values. */
function npyBytes(data: Float32Array | Int32Array, shape: number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  header = `${header}${' '.repeat(pad)}\n`;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
const saveNpy = (path: string, m: Matrix | { data: Float32Array | Int32Array; shape: number[] }): void =>
  writeFileSync(path, 'rows' in m ? npyBytes(m.data, [m.rows, m.cols]) : npyBytes(m.data, m.shape));

/** The toy split of a seed, min-max scaled with the training ranges (the rows both sides train and test on). */
function toyRows(size: number, seed: number) {
  const data = settingData(toySplit(size, seed), 1, { seed });
  const { X, y } = labelledSet(data.trainNormal, data.trainKnown);
  const scaler = new MinMaxScaler();
  const Xtrain = scaler.fitTransform(X);
  return {
    Xtrain,
    ytrain: y,
    normal: scaler.transform(data.test.normal),
    known: scaler.transform(data.test.known),
    unknown: scaler.transform(data.test.unknown),
  };
}

/**
 * Spread of each hidden layer's pre-activations z = a·W + b on (up to 2,000 of) the rows: std over rows and
 * units, and the share with |z| > 2 (tanh'(z) < 0.07: saturated) and |z| < 0.1 (tanh nearly linear).
 */
function preactivationSpread(net: DenseNetwork, X: Matrix, hiddenLayers: number) {
  const n = Math.min(X.rows, 2000);
  let a = Float64Array.from(X.data.subarray(0, n * X.cols));
  let width = X.cols;
  const out: { layer: number; std: number; saturated: number; linear: number }[] = [];
  for (let l = 0; l < hiddenLayers; l++) {
    const L = net.layers[l];
    const W = net.weights(l);
    const b = net.biases(l);
    const z = new Float64Array(n * L.outputSize);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < width; k++) {
        const v = a[i * width + k];
        for (let j = 0; j < L.outputSize; j++) z[i * L.outputSize + j] += v * W[k * L.outputSize + j];
      }
    let s = 0;
    let s2 = 0;
    let sat = 0;
    let lin = 0;
    for (let i = 0; i < z.length; i++) {
      z[i] += b[i % L.outputSize];
      s += z[i];
      s2 += z[i] * z[i];
      if (Math.abs(z[i]) > 2) sat++;
      if (Math.abs(z[i]) < 0.1) lin++;
    }
    const m = s / z.length;
    out.push({
      layer: l + 1,
      std: Math.sqrt(Math.max(0, s2 / z.length - m * m)),
      saturated: sat / z.length,
      linear: lin / z.length,
    });
    a = z.map(Math.tanh);
    width = L.outputSize;
  }
  return out;
}

const round = (v: number, d = 6): number => Number(v.toFixed(d));

function toyParams(init: string, seed: number): Partial<ReconstructionParams> & { variant: 'ae' } {
  return { variant: 'ae', hidden: [300, 100], latent: 20, init: init as ReconstructionParams['init'], seed };
}

async function fitToy(rows: ReturnType<typeof toyRows>, init: string, seed: number) {
  const det = new ABC(toyParams(init, seed));
  const p = det.getParams() as ReconstructionParams;
  const initNet = new DenseNetwork(reconstructionSpec(2, p)).init(p.init, new Random(seed)); // the fit's first draws
  const t0 = performance.now();
  await det.fit(rows.Xtrain, rows.ytrain);
  const fitSeconds = (performance.now() - t0) / 1000;
  const test = vstack([rows.normal, rows.known, rows.unknown]);
  const s = Float64Array.from(await det.scoreSamples(test));
  const nN = rows.normal.rows;
  const nK = rows.known.rows;
  const versus = (from: number, to: number) => {
    const v = new Float64Array(nN + to - from);
    v.set(s.subarray(0, nN));
    v.set(s.subarray(from, to), nN);
    const y = new Uint8Array(v.length).fill(1, nN);
    return { auroc: auroc(v, y), ap: averagePrecision(v, y) };
  };
  const k = versus(nN, nN + nK);
  const u = versus(nN + nK, s.length);
  return {
    det,
    record: {
      side: 'ours',
      init,
      seed,
      size: rows.normal.rows,
      aurocKnown: round(k.auroc),
      aurocUnknown: round(u.auroc),
      auprKnown: round(k.ap),
      auprUnknown: round(u.ap),
      epochs: det.history.length,
      bestEpoch: det.history.reduce((b, e) => ((e.valLoss ?? Infinity) < (b.valLoss ?? Infinity) ? e : b)).epoch,
      bestValLoss: round(Math.min(...det.history.map((e) => e.valLoss ?? Infinity)), 8),
      fitSeconds: round(fitSeconds, 2),
      preactInit: preactivationSpread(initNet, rows.Xtrain, 3).map((r) => ({
        ...r,
        std: round(r.std, 4),
        saturated: round(r.saturated, 4),
        linear: round(r.linear, 4),
      })),
      preactFitted: preactivationSpread(det.network, rows.Xtrain, 3).map((r) => ({
        ...r,
        std: round(r.std, 4),
        saturated: round(r.saturated, 4),
        linear: round(r.linear, 4),
      })),
    },
  };
}

function exportToy(work: string, seed: number, rows: ReturnType<typeof toyRows>): void {
  const dir = join(work, `seed${seed}`);
  mkdirSync(dir, { recursive: true });
  saveNpy(join(dir, 'Xtrain.npy'), rows.Xtrain);
  saveNpy(join(dir, 'ytrain.npy'), { data: Int32Array.from(rows.ytrain), shape: [rows.ytrain.length] });
  saveNpy(join(dir, 'Xnormal.npy'), rows.normal);
  saveNpy(join(dir, 'Xknown.npy'), rows.known);
  saveNpy(join(dir, 'Xunknown.npy'), rows.unknown);
}

async function toy(): Promise<void> {
  const work = arg('work', 'out/abc-toy');
  const size = Number(arg('size', '10000'));
  const seeds = Number(arg('seeds', '9'));
  const first = Number(arg('first-seed', '0'));
  const inits = list(arg('inits', 'glorot,torch'));
  const out = arg('out', join(work, 'toy-ours.jsonl'));
  const done = new Set(
    existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const r = JSON.parse(l);
            return `${r.init}/${r.seed}/${r.size}`;
          })
      : [],
  );
  for (let seed = first; seed < first + seeds; seed++) {
    const rows = toyRows(size, seed);
    exportToy(work, seed, rows);
    for (const init of inits) {
      if (done.has(`${init}/${seed}/${size}`)) continue;
      const { record } = await fitToy(rows, init, seed);
      appendFileSync(out, `${JSON.stringify(record)}\n`);
      console.log(
        `seed ${seed} ${init}: unknown ${record.aurocUnknown.toFixed(4)} known ${record.aurocKnown.toFixed(4)} epochs ${record.epochs} (${record.fitSeconds} s)`,
      );
    }
  }
}

async function trace(): Promise<void> {
  const work = arg('work', 'out/abc-toy');
  const size = Number(arg('size', '10000'));
  const seed = Number(arg('seed', '0'));
  const out = arg('out', join(work, `toy-trace-ours-${seed}.json`));
  const rows = toyRows(size, seed);
  exportToy(work, seed, rows);
  const { det, record } = await fitToy(rows, 'glorot', seed);
  const p = det.getParams() as ReconstructionParams;
  // The trainer's stream, replayed: init, the stratified validation split, then one in-place shuffle per epoch.
  const rng = new Random(seed);
  const net = new DenseNetwork(reconstructionSpec(2, p)).init('glorot', rng);
  const { train, val } = stratifiedSplit(rows.ytrain, p.validationFraction, rng);
  const order = Uint32Array.from(train);
  const orders = new Int32Array(p.maxEpochs * order.length);
  for (let e = 0; e < p.maxEpochs; e++) {
    rng.shuffle(order);
    orders.set(order, e * order.length);
  }
  const dir = join(work, `trace${seed}`);
  mkdirSync(dir, { recursive: true });
  net.layers.forEach((L, l) => {
    saveNpy(join(dir, `W${l}.npy`), { data: Float32Array.from(net.weights(l)), shape: [L.inputSize, L.outputSize] });
    saveNpy(join(dir, `b${l}.npy`), { data: Float32Array.from(net.biases(l)), shape: [L.outputSize] });
  });
  saveNpy(join(dir, 'val.npy'), { data: Int32Array.from(val), shape: [val.length] });
  saveNpy(join(dir, 'orders.npy'), { data: orders, shape: [p.maxEpochs, order.length] });
  const history = det.history.map((e) => ({ epoch: e.epoch, loss: e.loss, valLoss: e.valLoss }));
  writeFileSync(out, `${JSON.stringify({ ...record, history }, null, 1)}\n`);
  console.log(`trace seed ${seed}: ${history.length} epochs, unknown ${record.aurocUnknown}, files in ${dir}`);
}

/**
 * The size rule tried for tabular data: hidden [max(2d, 8), max(d, 4)] and latent max(ceil(d/4), 2), each capped
 * at the paper's 300-100-20 (so wide inputs, d >= 150, keep the paper's network).
 */
export function scaledNetwork(d: number): { hidden: number[]; latent: number } {
  return {
    hidden: [Math.min(300, Math.max(2 * d, 8)), Math.min(100, Math.max(d, 4))],
    latent: Math.min(20, Math.max(Math.ceil(d / 4), 2)),
  };
}

function variants(d: number): MethodSpec[] {
  const base = { variant: 'ae' };
  return [
    { id: 'abc', detector: 'abc', params: base },
    { id: 'abc-init-lecun', detector: 'abc', params: { ...base, init: 'lecun' } },
    { id: 'abc-init-torch', detector: 'abc', params: { ...base, init: 'torch' } },
    { id: 'abc-l2', detector: 'abc', params: { ...base, distance: 'l2' } },
    { id: 'abc-scaled', detector: 'abc', params: { ...base, ...scaledNetwork(d) } },
    // Not one factor: the two changes together, to see whether they add up.
    { id: 'abc-scaled-lecun', detector: 'abc', params: { ...base, ...scaledNetwork(d), init: 'lecun' } },
  ];
}

async function tabular(): Promise<void> {
  await import('../src/register.js');
  const out = arg('out', 'abc-ablation-tabular');
  const ratios = list(arg('ratios', '0.05')).map(Number);
  const seeds = Number(arg('seeds', '3'));
  const maxEpochs = Number(arg('max-epochs', '50'));
  const only = list(arg('methods', ''));
  mkdirSync(out, { recursive: true });
  const runsPath = join(out, 'runs.jsonl');
  const records: BenchmarkRecord[] = existsSync(runsPath)
    ? readFileSync(runsPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const done = new Set(records.map(benchmarkRunKey));
  const files = await findBenchmarkDatasets(arg('data-dir', '../shared/datasets/adbench'), list(arg('datasets', '')));
  for (const file of files) {
    const data = await loadAdbenchDataset(file.path);
    for (const ratio of ratios)
      for (let seed = 0; seed < seeds; seed++)
        for (const method of variants(data.X.cols)) {
          if (only.length > 0 && !only.includes(method.id)) continue;
          if (done.has(benchmarkRunKey({ dataset: file.name, ratio, method: method.id, seed }))) continue;
          const spec = { suite: 'adbench', dataset: file.name, seed, fitRatio: ratio, ratios: [ratio], method, maxEpochs };
          const { records: rs } = await runBenchmarkJob(data, spec);
          for (const r of rs) {
            appendFileSync(runsPath, `${JSON.stringify(r)}\n`);
            records.push(r);
            console.log(
              `${r.dataset} ${r.ratio} ${r.method} seed ${r.seed}: auroc ${r.auroc.toFixed(4)} aupr ${r.aupr.toFixed(4)} epochs ${r.epochs} ${r.fitSeconds.toFixed(1)} s`,
            );
          }
        }
  }
  const results = aggregateBenchmark(records);
  writeFileSync(join(out, 'results.json'), `${JSON.stringify({ cells: results.cells, ranks: results.ranks })}\n`);
  printTables(records, results);
}

function printTables(records: BenchmarkRecord[], results: ReturnType<typeof aggregateBenchmark>): void {
  const methods = [...new Set(records.map((r) => r.method))];
  for (const ratio of [...new Set(records.map((r) => r.ratio))].sort()) {
    const cells = results.cells.filter((c) => c.ratio === ratio);
    const datasets = [...new Set(cells.map((c) => c.dataset))].sort();
    console.log(`\nratio ${ratio}: AUROC (mean ± std over seeds)\n| dataset | ${methods.join(' | ')} |`);
    console.log(`|---|${methods.map(() => '---:').join('|')}|`);
    const table: number[][] = [];
    const aupr: number[][] = [];
    for (const d of datasets) {
      const row = methods.map((m) => cells.find((c) => c.dataset === d && c.method === m));
      if (row.every(Boolean)) {
        table.push(row.map((c) => c!.auroc.mean));
        aupr.push(row.map((c) => c!.aupr.mean));
      }
      console.log(
        `| ${d} | ${row.map((c) => (c ? `${c.auroc.mean.toFixed(3)} ± ${(c.auroc.std ?? 0).toFixed(3)}` : '—')).join(' | ')} |`,
      );
    }
    const meanOf = (t: number[][], j: number) => t.reduce((a, r) => a + r[j], 0) / t.length;
    console.log(`| mean AUROC | ${methods.map((_, j) => meanOf(table, j).toFixed(3)).join(' | ')} |`);
    console.log(`| mean AUPR | ${methods.map((_, j) => meanOf(aupr, j).toFixed(3)).join(' | ')} |`);
    const ranks = results.ranks.filter((r) => r.ratio === ratio);
    console.log(
      `| mean rank (AUROC) | ${methods.map((m) => ranks.find((r) => r.method === m)?.meanRank.toFixed(2) ?? '—').join(' | ')} |`,
    );
    const runs = records.filter((r) => r.ratio === ratio);
    const cap = (r: BenchmarkRecord) => r.params.maxEpochsCap;
    const per = (m: string) => runs.filter((r) => r.method === m);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`| mean epochs | ${methods.map((m) => avg(per(m).map((r) => r.epochs ?? 0)).toFixed(1)).join(' | ')} |`);
    console.log(
      `| runs at the epoch cap | ${methods.map((m) => `${per(m).filter((r) => r.epochs === cap(r)).length}/${per(m).length}`).join(' | ')} |`,
    );
    console.log(`| mean fit seconds | ${methods.map((m) => avg(per(m).map((r) => r.fitSeconds)).toFixed(2)).join(' | ')} |`);
    const ref = methods.indexOf('abc');
    for (let j = 0; j < methods.length; j++) {
      if (j === ref || ref < 0) continue;
      const d = table.map((row) => row[j] - row[ref]);
      const wins = d.filter((v) => v > 0).length;
      const losses = d.filter((v) => v < 0).length;
      console.log(
        `${methods[j]} vs abc: mean AUROC difference ${avg(d).toFixed(4)}, better on ${wins}, worse on ${losses} of ${d.length} datasets, sign test p ${signTest(wins, losses).toPrecision(3)}`,
      );
    }
    if (table.length >= 2) {
      const f = friedmanTest(table);
      console.log(
        `Friedman over ${f.n} datasets, ${f.k} variants: chi2 ${f.chiSquare.toFixed(2)} p ${f.pValue.toPrecision(3)}, Iman-Davenport F p ${f.fPValue.toPrecision(3)}`,
      );
    }
  }
}

/** Two-sided exact sign test: P(a split at least this uneven | wins and losses equally likely). */
function signTest(wins: number, losses: number): number {
  const n = wins + losses;
  const k = Math.min(wins, losses);
  let p = 0;
  let c = 1; // C(n, i)
  for (let i = 0; i <= k; i++) {
    p += c / 2 ** n;
    c = (c * (n - i)) / (i + 1);
  }
  return Math.min(1, 2 * p);
}

const command = process.argv[2];
if (command === 'toy') await toy();
else if (command === 'trace') await trace();
else if (command === 'tabular') await tabular();
else {
  console.error('usage: abc_toy_ablation.ts toy|trace|tabular [options] (see the comment at the top)');
  process.exit(2);
}

/**
 * XGBOD against PyOD 3.6.5's XGBOD (XGBoost 1.7) on three ADBench data sets of at most 1,000 rows, with the splits
 * and PyOD's results of fixtures/pyod/make_xgbod_fixtures.py: the members' scores (the augmented features) and
 * the test AUROC, mean of 3 seeds within 0.02 per data set.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StandardScaler, takeRows, type Matrix } from '@abc/core';
import { loadAdbenchDataset, type AdbenchDataset } from '../../eval/src/node/npz.js';
import { REAL_DATA, realData } from '../../eval/test/fixtures/real-data.js';
import { HBOS } from '../src/hbos.js';
import { OCSVM } from '../src/svm/ocsvm.js';
import { XGBOD } from '../src/xgbod.js';
import { fitNeighbourMembers } from '../src/xgbod-neighbours.js';
import { loadXgbodFixture, type XgbodSplit } from './fixtures/pyod/xgbod-fixture.js';
import { auroc } from './helpers.js';

const fx = loadXgbodFixture();
const datasets = [...new Set(fx.splits.map((s) => s.dataset))];
const found = realData(`adbench/${datasets[0]}`);
const loaded = new Map<string, AdbenchDataset>();

async function dataset(name: string): Promise<AdbenchDataset> {
  if (!loaded.has(name)) loaded.set(name, await loadAdbenchDataset(join(found.dir!, 'adbench', `${name}.npz`)));
  return loaded.get(name)!;
}

async function splitRows(s: { dataset: string; train: number[]; test: number[] }) {
  const { X, y } = await dataset(s.dataset);
  return {
    Xtr: takeRows(X, s.train),
    ytr: Uint8Array.from(s.train, (i) => y[i]),
    Xte: takeRows(X, s.test),
    yte: Uint8Array.from(s.test, (i) => y[i]),
  };
}

/** The largest |ours − theirs| / max(1, |theirs|): relative for large scores, absolute near 0 (KNN's duplicates). */
function maxScaledDiff(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < theirs.length; i++)
    worst = Math.max(worst, Math.abs(ours[i] - theirs[i]) / Math.max(1, Math.abs(theirs[i])));
  return worst;
}

function column(A: Matrix, j: number): Float64Array {
  return Float64Array.from({ length: A.rows }, (_, i) => A.data[i * A.cols + j]);
}

describe.skipIf(!found.dir)(`${REAL_DATA} XGBOD vs PyOD ${fx.versions.pyod} (xgboost ${fx.versions.xgboost})`, () => {
  it(`member scores equal PyOD's augmented features on ${fx.members.dataset} (seed ${fx.members.seed})`, async () => {
    const ref = fx.members;
    const split = fx.splits.find((s) => s.dataset === ref.dataset && s.seed === ref.seed)!;
    const { Xtr, ytr, Xte } = await splitRows(split);
    const d = Xtr.cols;
    const std = new StandardScaler().fit(Xtr).transform(Xtr);
    const ks = (name: string) => ref.members.filter((m) => m.name === name).map((m) => m.param);
    const { train: nb } = await fitNeighbourMembers(std, ks('knn'), ks('lof'));
    const det = await new XGBOD({ seed: ref.seed }).fit(Xtr, ytr);
    const names = det.memberNames;
    const A = await det.augment(Xte);
    const lines: string[] = [];
    let knnAt = 0;
    let lofAt = 0;
    for (const [m, { name, param }] of ref.members.entries()) {
      let train: ArrayLike<number>;
      if (name === 'knn') train = nb.knn[knnAt++];
      else if (name === 'lof') train = nb.lof[lofAt++];
      else if (name === 'hbos') train = await (await new HBOS({ nBins: param }).fit(Xtr)).scoreSamples(Xtr);
      else train = await (await new OCSVM({ nu: param, gamma: 1 / d }).fit(std)).scoreSamples(std);
      const label = name === 'ocsvm' ? `ocsvm(nu=${param})` : name === 'hbos' ? `hbos(bins=${param})` : `${name}(k=${param})`;
      const test = column(A, d + names.indexOf(label));
      expect(names.indexOf(label), label).toBeGreaterThanOrEqual(0);
      const dTrain = maxScaledDiff(train, ref.train[m]);
      const dTest = maxScaledDiff(test, ref.test[m]);
      lines.push(`${label}: train ${dTrain.toExponential(1)}, test ${dTest.toExponential(1)}`);
      // KNN, LOF, HBOS (measured ≤ 2e-7): float32 standardized rows against PyOD's float64 ones, float32 test
      // columns. OCSVM (measured ≤ 6e-4): both SMO solvers stop at the KKT tolerance 1e-3, each at its own iterate.
      const tol = name === 'ocsvm' ? 2e-3 : 1e-6;
      expect(dTrain, `${label} train`).toBeLessThan(tol);
      expect(dTest, `${label} test`).toBeLessThan(tol);
    }
    console.log(`xgbod members vs PyOD (max |difference| / max(1, |PyOD|))\n  ${lines.join('\n  ')}`);
  }, 60_000);

  it('test AUROC, mean of seeds 0-2, within 0.02 of PyOD on each data set', async () => {
    const started = performance.now();
    const lines: string[] = [];
    for (const name of datasets) {
      const splits = fx.splits.filter((s) => s.dataset === name);
      const ours: number[] = [];
      for (const s of splits as XgbodSplit[]) {
        const { Xtr, ytr, Xte, yte } = await splitRows(s);
        const det = await new XGBOD({ seed: s.seed }).fit(Xtr, ytr);
        ours.push(auroc(await det.predictProba(Xte), yte));
      }
      const mine = ours.reduce((a, b) => a + b, 0) / ours.length;
      const theirs = splits.reduce((a, s) => a + s.auroc, 0) / splits.length;
      lines.push(
        `${name}: ours ${mine.toFixed(4)} (${ours.map((a) => a.toFixed(4)).join(', ')}), PyOD ${theirs.toFixed(4)} (${splits.map((s) => s.auroc.toFixed(4)).join(', ')})`,
      );
      expect(Math.abs(mine - theirs), name).toBeLessThan(0.02);
    }
    console.log(
      `xgbod AUROC vs PyOD, 70/30 stratified splits\n  ${lines.join('\n  ')}\n  (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  }, 120_000);
});

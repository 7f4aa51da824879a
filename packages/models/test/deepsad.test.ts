import { AbortError, deserialize, NotFittedError, serialize } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { sadLoss } from '@abc/engine';
import { makeToyData } from '@abc/eval';
import { describe, expect, it } from 'vitest';
import { CENTRE_EPS, DeepSAD, deepSadCentre, SAD_LOSS_EPS } from '../src/index.js';
import { LR_MILESTONE_GAMMA, lrAtEpoch } from '../src/deepsad.js';
import { fewLabelled, toyAurocs } from './semi-helpers.js';

const small = { hidden: [8], repDim: 4, epochs: 3, aeEpochs: 2, batchSize: 32, lr: 1e-3, aeLr: 1e-3 };

/** φ(x) of a bias-free leaky-ReLU encoder from its flat params, by hand (W row-major [in, out], then the next layer). */
function encodeByHand(params: Float32Array, sizes: number[], x: number[]): number[] {
  let a = x;
  let off = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [n, m] = [sizes[l], sizes[l + 1]];
    const z = Array.from({ length: m }, (_, o) => a.reduce((s, v, k) => s + v * params[off + k * m + o], 0));
    off += n * m;
    a = l + 2 < sizes.length ? z.map((v) => (v < 0 ? 0.01 * v : v)) : z;
  }
  return a;
}

describe('DeepSAD', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new DeepSAD({ ...small, ...p }), { random: true });
  });

  it('declares itself: supervised, learns without anomalies, epochs budget, no probability', () => {
    const dec = DeepSAD.declaration;
    expect([dec.name, dec.supervision, dec.learnsWithoutAnomalies, dec.budget, dec.hasProbability]).toEqual([
      'deepsad',
      'supervised',
      true,
      'epochs',
      false,
    ]);
    const p = new DeepSAD().getParams();
    expect([p.hidden, p.repDim, p.activation, p.eta, p.lr, p.weightDecay, p.batchSize, p.pretrain]).toEqual([
      [128, 64],
      32,
      'leakyRelu',
      1,
      1e-4,
      5e-7,
      128,
      true,
    ]);
  });

  it('loss: ||phi − c||² for unlabelled rows and eta / (||phi − c||² + 1e-6) for labelled anomalies, averaged (by hand)', () => {
    // phi rows (3, 4), (1, 1), (0, 2) around c = (1, 2): distances 8, 1, 1.
    const phi = Float32Array.from([3, 4, 1, 1, 0, 2]);
    const c = Float32Array.from([1, 2]);
    const dOut = new Float32Array(6);
    const value = sadLoss(phi, 3, 2, c, [0, 1, 1], 2, SAD_LOSS_EPS, dOut);
    expect(SAD_LOSS_EPS).toBe(1e-6);
    expect(value).toBeCloseTo((8 + 2 / (1 + 1e-6) + 2 / (1 + 1e-6)) / 3, 10);
    // d/dphi of dist is 2(phi − c)/3 for row 0; of 2/(dist + eps) it is −2/(dist + eps)² · 2(phi − c)/3.
    expect(dOut[0]).toBeCloseTo((2 * 2) / 3, 6);
    expect(dOut[1]).toBeCloseTo((2 * 2) / 3, 6);
    expect(dOut[2]).toBeCloseTo((-2 / (1 + 1e-6) ** 2) * 0, 6);
    expect(dOut[3]).toBeCloseTo((-2 / (1 + 1e-6) ** 2) * ((2 * -1) / 3), 6);
    expect(dOut[4]).toBeCloseTo((-2 / (1 + 1e-6) ** 2) * ((2 * -1) / 3), 6);
  });

  it('centre rule: the mean, with coordinates under eps = 0.1 in magnitude pushed to ±0.1', () => {
    expect(CENTRE_EPS).toBe(0.1);
    // column means: 0.05, −0.05, 0.5, 0, −0.3
    const phi = Float32Array.from([0.1, -0.1, 0.4, 1, -0.2, 0, 0, 0.6, -1, -0.4]);
    expect(Array.from(deepSadCentre(phi, 2, 5))).toEqual([0.1, -0.1, 0.5, 0.1, -0.3].map(Math.fround));
  });

  it('the fitted centre is that rule applied to the encoder outputs on the training rows (checked with a negligible lr)', async () => {
    const { X, y } = fewLabelled(100, 5, 3);
    const d = await new DeepSAD({ ...small, pretrain: false, epochs: 1, lr: 1e-12, seed: 4 }).fit(X, y);
    const state = d.getState!();
    const params = state.tensors.params.data as Float32Array;
    const sizes = state.meta.sizes as number[];
    expect(params.length).toBe(2 * 8 + 8 * 4); // no bias anywhere in the encoder
    const phi = new Float32Array(X.rows * 4);
    for (let i = 0; i < X.rows; i++) phi.set(encodeByHand(params, sizes, [X.data[2 * i], X.data[2 * i + 1]]), 4 * i);
    const want = deepSadCentre(phi, X.rows, 4);
    const c = d.centre;
    for (let j = 0; j < 4; j++) {
      expect(c[j]).toBeCloseTo(want[j], 4);
      expect(Math.abs(c[j])).toBeGreaterThanOrEqual(0.1 - 1e-7);
    }
    // score = ||phi(x) − c||², by hand
    const s = await d.scoreSamples(X);
    for (let i = 0; i < 5; i++) {
      const p = encodeByHand(params, sizes, [X.data[2 * i], X.data[2 * i + 1]]);
      expect(s[i]).toBeCloseTo(
        p.reduce((acc, v, j) => acc + (v - c[j]) ** 2, 0),
        4,
      );
    }
  });

  it('on the 2-D toy with 40 labelled anomalies: known >= 0.9, unknown >= 0.95; labels help over Deep SVDD on the known ones', async () => {
    const { X, y } = fewLabelled(1000, 40, 100);
    const test = makeToyData({ nPerClass: 1000, seed: 200 });
    const params = { hidden: [16, 8], repDim: 4, epochs: 50, aeEpochs: 30, lr: 1e-3, aeLr: 1e-3 };
    for (const seed of [1, 2]) {
      const sad = await toyAurocs(await new DeepSAD({ ...params, seed }).fit(X, y), test);
      const svdd = await toyAurocs(await new DeepSAD({ ...params, seed }).fit(X, new Uint8Array(X.rows)), test);
      expect(sad.known).toBeGreaterThanOrEqual(0.9);
      expect(sad.unknown).toBeGreaterThanOrEqual(0.95);
      expect(sad.known).toBeGreaterThan(svdd.known);
    }
  }, 120_000);

  it('pre-training then the Deep SAD phase report progress per epoch; both losses fall', async () => {
    const { X, y } = fewLabelled(200, 10, 5);
    const events: number[] = [];
    const d = await new DeepSAD({ ...small, epochs: 6, aeEpochs: 4, seed: 1 }).fit(X, y, {
      onProgress: (e) => events.push(e.step),
    });
    expect(events).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const pre = d.history.filter((h) => h.phase === 'pretrain');
    const sad = d.history.filter((h) => h.phase === 'sad');
    expect([pre.length, sad.length]).toEqual([4, 6]);
    expect(pre.at(-1)!.loss).toBeLessThan(pre[0].loss);
    expect(sad.at(-1)!.loss).toBeLessThan(sad[0].loss);
  });

  it('round-trips through the model format (params, centre, history) and is seeded', async () => {
    const { X, y } = fewLabelled(200, 10, 6);
    const d = await new DeepSAD({ ...small, seed: 2 }).fit(X, y);
    const again = (await deserialize(await serialize(d))) as DeepSAD;
    expect(await again.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    expect(again.centre).toEqual(d.centre);
    expect(again.history).toEqual(d.history);
    const twin = await new DeepSAD({ ...small, seed: 2 }).fit(X, y);
    expect(await twin.scoreSamples(X)).toEqual(await d.scoreSamples(X));
  });

  it("learning-rate milestones: the authors' defaults, validated, and lr x0.1 from each milestone epoch on", () => {
    const p = new DeepSAD().getParams();
    expect([p.lrMilestones, p.aeLrMilestones, LR_MILESTONE_GAMMA]).toEqual([[50], [], 0.1]);
    // the authors' example run: 150 epochs at 1e-4, milestone 50 -> epochs 1..49 at 1e-4, 50..150 at 1e-5
    const lrs = Array.from({ length: 150 }, (_, i) => lrAtEpoch(1e-4, [50], i + 1));
    expect(lrs.slice(0, 49).every((v) => v === 1e-4)).toBe(true);
    expect(lrs.slice(49).every((v) => v === 1e-4 * 0.1)).toBe(true);
    expect([1, 2, 3, 4, 5].map((e) => lrAtEpoch(1, [2, 4], e))).toEqual([1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1]);
    expect(lrAtEpoch(1e-3, [], 1000)).toBe(1e-3);
    for (const bad of [{ lrMilestones: [50, 50] }, { lrMilestones: [60, 50] }, { aeLrMilestones: [3, 2] }]) {
      expect(() => new DeepSAD(bad), JSON.stringify(bad)).toThrow(/strictly increasing/);
      expect(() => new DeepSAD().setParams(bad), JSON.stringify(bad)).toThrow(/strictly increasing/);
    }
    expect(() => new DeepSAD({ lrMilestones: [0] })).toThrow(/>= 1/);
    expect(() => new DeepSAD({ aeLrMilestones: [1.5] })).toThrow(/integers/);
  });

  it('a fit records and applies the scheduled lr of every epoch of both phases', async () => {
    const { X, y } = fewLabelled(200, 10, 8);
    const params = { ...small, epochs: 4, aeEpochs: 3, lr: 1e-2, aeLr: 1e-2, seed: 3 };
    const lrs: number[] = [];
    const d = await new DeepSAD({ ...params, lrMilestones: [2, 4], aeLrMilestones: [1] }).fit(X, y, {
      onProgress: (e) => lrs.push(e.metrics.lr),
    });
    const expected = [1e-2 * 0.1, 1e-2 * 0.1, 1e-2 * 0.1, 1e-2, 1e-2 * 0.1, 1e-2 * 0.1, 1e-2 * 0.1 * 0.1];
    expect(d.history.map((h) => h.lr)).toEqual(expected);
    expect(lrs).toEqual(expected);
    // applied to Adam: base 1e-2 with milestones 1 (x0.1 throughout pre-training) and 2 (the Deep SAD phase from
    // epoch 2 on) trains like base 1e-3 in pre-training and, after a first epoch at 1e-2, in the Deep SAD phase
    const a = await new DeepSAD({ ...params, lrMilestones: [2], aeLrMilestones: [1] }).fit(X, y);
    const b = await new DeepSAD({ ...params, aeLr: 1e-3, lrMilestones: [], aeLrMilestones: [] }).fit(X, y);
    const c = await new DeepSAD({ ...params, aeLr: 1e-3, lrMilestones: [1] }).fit(X, y);
    const pre = (m: DeepSAD) => m.history.filter((h) => h.phase === 'pretrain').map((h) => h.loss.toPrecision(5));
    const sad = (m: DeepSAD) => m.history.filter((h) => h.phase === 'sad').map((h) => h.loss.toPrecision(5));
    expect(pre(a)).toEqual(pre(b));
    expect(sad(a)[0]).toBe(sad(b)[0]); // epoch 1 at 1e-2 in both
    expect(sad(a)[1]).not.toBe(sad(b)[1]); // then 1e-3 against 1e-2
    expect(sad(c)[0]).not.toBe(sad(b)[0]); // 1e-3 from the start
  });

  it('stops on abort with AbortError and stays unfitted', async () => {
    const { X, y } = fewLabelled(200, 10, 7);
    const ac = new AbortController();
    const d = new DeepSAD({ ...small, epochs: 50, seed: 1 });
    await expect(d.fit(X, y, { signal: ac.signal, onProgress: (e) => e.step === 2 && ac.abort() })).rejects.toBeInstanceOf(
      AbortError,
    );
    await expect(d.scoreSamples(X)).rejects.toBeInstanceOf(NotFittedError);
  });
});

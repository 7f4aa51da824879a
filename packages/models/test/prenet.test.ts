import { AbortError, deserialize, NotFittedError, Random, serialize, tensor, ValidationError } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { PairNetwork, relationLoss } from '@abc/engine';
import { makeToyData } from '@abc/eval';
import { describe, expect, it } from 'vitest';
import { PairSampler, pairLayout, PReNet } from '../src/index.js';
import { fewLabelled, toyAurocs } from './semi-helpers.js';

const small = { hidden: [8], epochs: 3, batchesPerEpoch: 5, batchSize: 32, ensembleSize: 5 };

/**
 * A tiny network with fixed weights: ψ(x) = relu(x W + b) with W = [[1, −1], [0.5, 2]] ([in, out]), b = (0, 0.5);
 * head w = (1, 2, −1, 0.5), bias 0.25.
 */
const TINY = Float32Array.from([1, -1, 0.5, 2, 0, 0.5, 1, 2, -1, 0.5, 0.25]);

describe('PReNet', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new PReNet({ ...small, ...p }), { random: true });
  });

  it("declares itself with the original's defaults: [20] ReLU, L2 0.01, RMSprop 0.001 clipnorm 1, 512 pairs, 50 × 20 batches, 8 / 4 / 0, E = 30", () => {
    const dec = PReNet.declaration;
    expect([dec.name, dec.supervision, dec.learnsWithoutAnomalies, dec.budget, dec.hasProbability]).toEqual([
      'prenet',
      'supervised',
      false,
      'epochs',
      false,
    ]);
    const p = new PReNet().getParams();
    expect([p.hidden, p.activation, p.l2, p.lr, p.clipnorm, p.batchSize, p.epochs, p.batchesPerEpoch, p.ensembleSize]).toEqual([
      [20],
      'relu',
      0.01,
      1e-3,
      1,
      512,
      50,
      20,
      30,
    ]);
    expect([p.targetAA, p.targetAU, p.targetUU]).toEqual([8, 4, 0]);
    expect(() => new PReNet({ targetAU: 9 })).toThrow(/targetAA > targetAU > targetUU/);
    expect(() => new PReNet({ batchSize: 3 })).toThrow(ValidationError);
  });

  it('relation scores, loss and head gradient by hand on a tiny network with fixed weights', () => {
    const net = new PairNetwork({ sizes: [2, 2], activations: ['relu'] }, { params: TINY });
    // x1 = (1, 2): ψ = relu(1 + 1, −1 + 4 + 0.5) = (2, 3.5); x2 = (−1, 1): ψ = relu(−1 + 0.5, 1 + 2 + 0.5) = (0, 3.5).
    // φ(x1, x2) = 2 + 7 + 0 + 1.75 + 0.25 = 11; φ(x2, x1) = 0 + 7 − 2 + 1.75 + 0.25 = 7.
    const pairs = Float32Array.from([1, 2, -1, 1, -1, 1, 1, 2]);
    const s = Float32Array.from(net.forward(pairs, 2));
    expect(Array.from(s)).toEqual([11, 7]);
    // Targets 8 and 0: (|11 − 8| + |7 − 0|) / 2 = 5, dL/ds = (+1/2, +1/2).
    const dS = new Float32Array(2);
    expect(relationLoss(s, 2, [8, 0], dS)).toBe(5);
    expect(Array.from(dS)).toEqual([0.5, 0.5]);
    // Head: dL/dw = ½ (2, 3.5, 0, 3.5) + ½ (0, 3.5, 2, 3.5) = (1, 3.5, 1, 3.5), dL/db = 1.
    net.backward(dS);
    expect(Array.from(net.grads.subarray(net.headOffset))).toEqual([1, 3.5, 1, 3.5, 1]);
  });

  it('scores (1 / 2E) [Σ φ(a_e, x) + Σ φ(x, u_e)] against its stored references (by hand)', async () => {
    const det = new PReNet();
    det.setState({
      meta: { sizes: [2, 2], activations: ['relu'], nFeatures: 2, featureNames: null, threshold: 0, history: [] },
      tensors: {
        params: tensor(Float32Array.from(TINY)),
        refAnomalies: tensor(Float32Array.from([1, 2]), [1, 2]),
        refUnlabelled: tensor(Float32Array.from([-1, 1]), [1, 2]),
      },
    });
    // x = (0, 0): ψ = (0, 0.5). φ(a, x) = 2 + 7 + 0 + 0.25 + 0.25 = 9.5; φ(x, u) = 0 + 1 + 0 + 1.75 + 0.25 = 3.
    // x = (1, 2) (= a): φ(a, a) = 11 with ψ(a) in both slots: 2 + 7 − 2 + 1.75 + 0.25 = 9; φ(a, u) = 11.
    expect(
      Array.from(
        await det.scoreSamples([
          [0, 0],
          [1, 2],
        ]),
      ),
    ).toEqual([(9.5 + 3) / 2, (9 + 11) / 2]);
    // With E = 2 the mean runs over both references of each kind.
    det.setState({
      meta: { sizes: [2, 2], activations: ['relu'], nFeatures: 2, featureNames: null, threshold: 0, history: [] },
      tensors: {
        params: tensor(Float32Array.from(TINY)),
        refAnomalies: tensor(Float32Array.from([1, 2, 1, 2]), [2, 2]),
        refUnlabelled: tensor(Float32Array.from([-1, 1, 0, 0]), [2, 2]),
      },
    });
    // φ(x, (0, 0)) for x = (0, 0): 0 + 1 + 0 + 0.25 + 0.25 = 1.5.
    expect((await det.scoreSamples([[0, 0]]))[0]).toBeCloseTo((9.5 + 9.5 + 3 + 1.5) / 4, 6);
  });

  it('refuses a saved state whose references do not fit the network', () => {
    const det = new PReNet();
    const meta = { sizes: [2, 2], activations: ['relu'], nFeatures: 2, featureNames: null, threshold: 0, history: [] };
    const params = tensor(Float32Array.from(TINY));
    expect(() =>
      det.setState({
        meta,
        tensors: { params, refAnomalies: tensor(new Float32Array(3)), refUnlabelled: tensor(new Float32Array(3)) },
      }),
    ).toThrow(/E × 2/);
    expect(() => det.setState({ meta, tensors: { params, refAnomalies: tensor(new Float32Array(2)) } })).toThrow(/refUnlabelled/);
    expect(() => det.setState({ meta, tensors: { params: tensor(new Float32Array(4)) } })).toThrow(/params/);
  });

  it('on the 2-D toy with 40 labelled anomalies: known AUROC > 0.9 (unknown reported)', async () => {
    const { X, y } = fewLabelled(1000, 40, 100);
    const test = makeToyData({ nPerClass: 1000, seed: 200 });
    for (const seed of [1, 2]) {
      const a = await toyAurocs(await new PReNet({ seed }).fit(X, y), test);
      console.log(`prenet toy seed ${seed}: known ${a.known.toFixed(3)}, unknown ${a.unknown.toFixed(3)}`);
      expect(a.known).toBeGreaterThan(0.9);
      expect(a.unknown).toBeGreaterThanOrEqual(0);
    }
  }, 120_000);

  it('needs a labelled anomaly and an unlabelled row; trains with a single anomaly (its aa pairs repeat it)', async () => {
    const { X } = fewLabelled(100, 5, 8);
    await expect(new PReNet(small).fit(X, new Uint8Array(X.rows))).rejects.toThrow(/no anomaly/);
    await expect(new PReNet(small).fit(X, new Uint8Array(X.rows).fill(1))).rejects.toBeInstanceOf(ValidationError);
    const y = new Uint8Array(X.rows);
    y[X.rows - 1] = 1;
    const d = await new PReNet({ ...small, seed: 1 }).fit(X, y);
    expect(Number.isFinite((await d.scoreSamples(X))[0])).toBe(true);
  });

  it('reports progress per epoch, round-trips through the model format (references included) and is seeded', async () => {
    const { X, y } = fewLabelled(200, 10, 9);
    const steps: number[] = [];
    const d = await new PReNet({ ...small, seed: 3 }).fit(X, y, { onProgress: (e) => steps.push(e.step) });
    expect(steps).toEqual([1, 2, 3]);
    expect(d.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    const state = d.getState();
    expect(state.tensors.refAnomalies.shape).toEqual([5, 2]);
    expect(state.tensors.refUnlabelled.shape).toEqual([5, 2]);
    const again = (await deserialize(await serialize(d))) as PReNet;
    expect(await again.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    expect(again.history).toEqual(d.history);
    const twin = await new PReNet({ ...small, seed: 3 }).fit(X, y);
    expect(await twin.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    const other = await new PReNet({ ...small, seed: 4 }).fit(X, y);
    expect(await other.scoreSamples(X)).not.toEqual(await d.scoreSamples(X));
  });

  it('stops on abort with AbortError and stays unfitted', async () => {
    const { X, y } = fewLabelled(200, 10, 10);
    const ac = new AbortController();
    const d = new PReNet({ ...small, epochs: 50, seed: 1 });
    await expect(d.fit(X, y, { signal: ac.signal, onProgress: (e) => e.step === 2 && ac.abort() })).rejects.toBeInstanceOf(
      AbortError,
    );
    await expect(d.scoreSamples(X)).rejects.toBeInstanceOf(NotFittedError);
  });
});

describe('PairSampler', () => {
  const y = Uint8Array.from([0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);

  it('lays a batch out as the original: ⌊B/4⌋ = b, 2b uu pairs, b au pairs, the rest aa', () => {
    expect(pairLayout(512)).toEqual({ uu: 256, au: 128, aa: 128 });
    expect(pairLayout(10)).toEqual({ uu: 4, au: 2, aa: 4 });
    expect(() => pairLayout(3)).toThrow(ValidationError);
  });

  it('draws distinct unlabelled rows, (anomaly, unlabelled) pairs and distinct anomalies in that order', () => {
    const sampler = new PairSampler(y);
    const rng = new Random(5);
    const B = 400;
    const first = new Uint32Array(B);
    const second = new Uint32Array(B);
    sampler.sample(rng, B, first, second);
    const seen = new Set<number>();
    for (let k = 0; k < B; k++) {
      const kind = `${y[first[k]]}${y[second[k]]}`;
      expect(kind).toBe(k < 200 ? '00' : k < 300 ? '10' : '11');
      if (k < 200 || k >= 300) expect(first[k]).not.toBe(second[k]);
      seen.add(first[k]);
      seen.add(second[k]);
    }
    expect(seen.size).toBe(y.length); // every row is drawn
    const refs = sampler.references(rng, 6);
    expect(Array.from(refs.anomalies).every((i) => y[i] === 1)).toBe(true);
    expect(Array.from(refs.unlabelled).every((i) => y[i] === 0)).toBe(true);
  });

  it('repeats a single anomaly in its aa pairs, and refuses labels without one of the kinds', () => {
    const one = Uint8Array.from([0, 0, 1, 0]);
    const first = new Uint32Array(8);
    const second = new Uint32Array(8);
    new PairSampler(one).sample(new Random(1), 8, first, second);
    expect([first[6], second[6], first[7], second[7]]).toEqual([2, 2, 2, 2]);
    expect(() => new PairSampler([0, 0, 0])).toThrow(/at least one labelled anomaly/);
    expect(() => new PairSampler([1, 1])).toThrow(ValidationError);
  });
});

import { matrix, Random, ValidationError, type Activation } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { allocateRoSASBatch, dirichletDraw, randomRoSASBatches, type RoSASBatch } from '../src/rosas-batches.js';
import { defaultRoSASHidden, RoSASNetwork, rosasSpecs } from '../src/rosas-net.js';
import { rosasLossAndGradients, RoSASWorkspace, type RoSASLossOptions } from '../src/rosas-train.js';

const PAPER_LOSS: RoSASLossOptions = { margin: 1, temperature: 2, weighting: 'dynamic', embeddingPenalty: 0.01 };

/**
 * A tiny network with fixed weights: ψ(x) = leaky(x W₀) W₁ with W₀ = [[1, −1], [0.5, 2]], W₁ = [[1, 0.5], [0, 1]]
 * ([in, out], no biases); η(z) = tanh(2 · leaky(z₁ − z₂) + 0.1).
 */
function tinyNetwork(): RoSASNetwork {
  const net = RoSASNetwork.create({ inputSize: 2, hidden: [2], embeddingSize: 2, activation: 'leakyRelu' });
  net.feature.weights(0).set([1, -1, 0.5, 2]);
  net.feature.weights(1).set([1, 0.5, 0, 1]);
  net.head.weights(0).set([1, -1]);
  net.head.weights(1).set([2]);
  net.head.biases(1).set([0.1]);
  return net;
}

/** One triplet (rows 0, 1, 2 of X) mixed with π = (2, 0, 1) and λ = (0.25, 0.5, 1). */
function tinyBatch(): RoSASBatch {
  const batch = allocateRoSASBatch(1, 2);
  batch.anchors.set([0]);
  batch.positives.set([1]);
  batch.negatives.set([2]);
  batch.partners.set([0, 1, 2, 2, 0, 1]);
  batch.lambdas.set([0.25, 0.5, 1, 0.75, 0.5, 0]);
  return batch;
}

describe('RoSAS network and loss', () => {
  it("specs: bias-free LeakyReLU feature learner to a linear E, head E → E/2 → 1 tanh; the original's hidden rule", () => {
    expect(defaultRoSASHidden(2, 128)).toEqual([65]);
    expect(defaultRoSASHidden(784, 128)).toEqual([456]);
    expect(defaultRoSASHidden(131, 128)).toEqual([130]); // int(−1.5) = −1
    const s = rosasSpecs({ inputSize: 6, hidden: null, embeddingSize: 128, activation: 'leakyRelu' });
    expect(s.feature).toEqual({ sizes: [6, 67, 128], activations: ['leakyRelu', 'linear'], bias: false });
    expect(s.head).toEqual({ sizes: [128, 64, 1], activations: ['leakyRelu', 'tanh'], bias: [false, true] });
    expect(() => rosasSpecs({ inputSize: 6, hidden: null, embeddingSize: 1, activation: 'relu' })).toThrow(ValidationError);
  });

  it('the loss of one batch by hand on a tiny network with fixed weights', () => {
    const net = tinyNetwork();
    // x_a = (1, 0), x_p = (0, 1), x_n = (2, 1).
    const X = matrix(Float32Array.from([1, 0, 0, 1, 2, 1]), 3, 2);
    const ws = new RoSASWorkspace(1, 2, 2, 2);
    const batch = tinyBatch();
    const xb = ws.assemble(X, batch);
    // Mixes: 0.25 x_a + 0.75 x_n = (1.75, 0.75); 0.5 x_p + 0.5 x_a = (0.5, 0.5); x_n.
    expect(Array.from(xb.subarray(6))).toEqual([1.75, 0.75, 0.5, 0.5, 2, 1]);
    // ψ: x_a → leaky(1, −1) = (1, −0.01) → z_a = (1, 0.49); x_p → (0.5, 2) → z_p = (0.5, 2.25);
    // x_n → (2.5, 0) → z_n = (2.5, 1.25). η's tanh arguments: 2 · 0.51 + 0.1 = 1.12; 2 · leaky(−1.75) + 0.1 = 0.065;
    // 2 · 1.25 + 0.1 = 2.6. Mixes: (1.75, 0.75) → leaky(2.125, −0.25) → z = (2.125, 1.06) → 2 · 1.065 + 0.1 = 2.23;
    // (0.5, 0.5) → (0.75, 0.5) → z = (0.75, 0.875) → 2 · leaky(−0.125) + 0.1 = 0.0975; the third is x_n: 2.6.
    const [sa, sp, sn] = [Math.tanh(1.12), Math.tanh(0.065), Math.tanh(2.6)];
    const mixed = [Math.tanh(2.23), Math.tanh(0.0975), Math.tanh(2.6)];
    const { scores } = net.forward(xb, 0, 6);
    const expected = [sa, sp, sn, ...mixed];
    for (let i = 0; i < 6; i++) expect(scores[i]).toBeCloseTo(expected[i], 6);
    // Triplet: ||z_a − z_p|| = ||(0.5, −1.76)||, ||z_a − z_n|| = ||(−1.5, −0.76)||, margin 1.
    const triplet = Math.hypot(0.5, -1.76) - Math.hypot(-1.5, -0.76) + 1;
    // Targets ỹ = (0.25 · −1 + 0.75 · 1, −1, 1) = (0.5, −1, 1); interpolated scores (0.25 s_a + 0.75 s_n, (s_p + s_a) / 2, s_n).
    const h = (x: number) => (Math.abs(x) < 1 ? 0.5 * x * x : Math.abs(x) - 0.5);
    const target = (h(mixed[0] - 0.5) + h(mixed[1] + 1) + h(mixed[2] - 1)) / 3;
    const consistency = (h(mixed[0] - (0.25 * sa + 0.75 * sn)) + h(mixed[1] - 0.5 * (sp + sa)) + h(0)) / 3;
    const score = target + consistency;
    // First epoch: previous means 1, T = 2; penalty 0.01 ||z_a + z_p + z_n|| = 0.01 ||(4, 3.99)||.
    const [et, es] = [Math.exp(triplet / 2), Math.exp(score / 2)];
    const loss = (et * triplet + es * score) / (et + es) + 0.01 * Math.hypot(4, 3.99);
    const parts = rosasLossAndGradients(net, ws, batch, PAPER_LOSS, [1, 1]);
    expect(parts.triplet).toBeCloseTo(triplet, 5);
    expect(parts.target).toBeCloseTo(target, 6);
    expect(parts.consistency).toBeCloseTo(consistency, 6);
    expect(parts.score).toBeCloseTo(score, 6);
    expect(parts.penalty).toBeCloseTo(Math.hypot(4, 3.99), 5);
    expect(parts.loss).toBeCloseTo(loss, 5);
    // The fixed weighting (DeepOD's) halves both terms.
    const fixed = rosasLossAndGradients(net, ws, batch, { ...PAPER_LOSS, weighting: 'fixed', embeddingPenalty: 0 }, [1, 1]);
    expect(fixed.loss).toBeCloseTo(0.5 * triplet + 0.5 * score, 5);
  });

  const fdCases: [string, Activation, RoSASLossOptions][] = [
    ['tanh, dynamic weighting and penalty', 'tanh', PAPER_LOSS],
    ['leakyRelu, dynamic weighting, previous means (0.7, 0.4)', 'leakyRelu', PAPER_LOSS],
    ['relu, fixed weighting', 'relu', { ...PAPER_LOSS, weighting: 'fixed', embeddingPenalty: 0 }],
  ];
  it.each(fdCases)('both parts’ gradients of the whole loss match central differences (%s)', (name, act, o) => {
    const rng = new Random(21);
    const D = 3;
    const B = 3;
    const k = name.startsWith('relu') ? 3 : 2;
    const net = RoSASNetwork.create({ inputSize: D, hidden: [5], embeddingSize: 4, activation: act }).initTorch(rng);
    const X = matrix(
      Float32Array.from({ length: 24 * D }, () => rng.uniform(-1.5, 1.5)),
      24,
      D,
    );
    const y = Uint8Array.from({ length: 24 }, (_, i) => (i % 4 === 3 ? 1 : 0));
    const batch = allocateRoSASBatch(B, k);
    randomRoSASBatches(rng, y, { batchSize: B, mixSize: k, alpha: 0.5 }).next(batch);
    const ws = new RoSASWorkspace(B, k, D, 4);
    ws.assemble(X, batch);
    const previous: [number, number] = name.includes('0.7') ? [0.7, 0.4] : [1, 1];
    const lossOf = () => rosasLossAndGradients(net, ws, batch, o, previous).loss;
    const parts = rosasLossAndGradients(net, ws, batch, o, previous);
    expect(parts.triplet).toBeGreaterThan(0); // the triplet term is active, so its gradient is checked
    const grads = net.parts.map((p) => Float32Array.from(p.grads));
    let diff = 0;
    let norm = 0;
    net.parts.forEach((p, q) => {
      const v = p.params;
      for (let i = 0; i < v.length; i++) {
        const v0 = v[i];
        const h = act === 'tanh' ? 1e-2 : 1e-3;
        v[i] = v0 + h;
        const up = lossOf();
        v[i] = v0 - h;
        const down = lossOf();
        v[i] = v0;
        const fd = (up - down) / (Math.fround(v0 + h) - Math.fround(v0 - h));
        diff += (fd - grads[q][i]) ** 2;
        norm += fd ** 2 + grads[q][i] ** 2;
      }
    });
    expect(Math.sqrt(diff / norm)).toBeLessThan(2e-3);
  });
});

describe('RoSAS batches', () => {
  it("draws the original's triplets: distinct unlabelled anchors and positives, anomalies as negatives; identity + permutations; λ on the simplex", () => {
    const y = Uint8Array.from({ length: 40 }, (_, i) => (i < 3 ? 1 : 0));
    const rng = new Random(3);
    const k = 3;
    const batches = randomRoSASBatches(rng, y, { batchSize: 10, mixSize: k, alpha: 0.5 });
    const batch = allocateRoSASBatch(10, k);
    for (let t = 0; t < 5; t++) {
      batches.next(batch);
      expect(new Set(batch.anchors).size).toBe(10);
      expect(new Set(batch.positives).size).toBe(10);
      for (const i of [...batch.anchors, ...batch.positives]) expect(y[i]).toBe(0);
      for (const i of batch.negatives) expect(y[i]).toBe(1);
      expect(Array.from(batch.partners.subarray(0, 30))).toEqual(Array.from({ length: 30 }, (_, r) => r));
      for (let m = 1; m < k; m++)
        expect([...batch.partners.subarray(m * 30, (m + 1) * 30)].sort((a, b) => a - b)).toEqual(
          Array.from({ length: 30 }, (_, r) => r),
        );
      for (let r = 0; r < 30; r++) {
        let s = 0;
        for (let m = 0; m < k; m++) {
          expect(batch.lambdas[m * 30 + r]).toBeGreaterThanOrEqual(0);
          s += batch.lambdas[m * 30 + r];
        }
        expect(s).toBeCloseTo(1, 6);
      }
    }
    // Fewer unlabelled rows than B: drawn with replacement rather than failing.
    const few = randomRoSASBatches(new Random(1), Uint8Array.from([0, 0, 1]), { batchSize: 4, mixSize: 2, alpha: 1 });
    const b4 = allocateRoSASBatch(4, 2);
    few.next(b4);
    for (const i of b4.anchors) expect(i).toBeLessThan(2);
  });

  it('needs both labels and valid sizes (ValidationError)', () => {
    const rng = new Random(1);
    const s = { batchSize: 4, mixSize: 2, alpha: 0.5 };
    expect(() => randomRoSASBatches(rng, [0, 0, 0], s)).toThrow(/at least one labelled anomaly/);
    expect(() => randomRoSASBatches(rng, [1, 1], s)).toThrow(ValidationError);
    expect(() => randomRoSASBatches(rng, [0, 1], { ...s, mixSize: 1 })).toThrow(/mixSize/);
    expect(() => randomRoSASBatches(rng, [0, 1], { ...s, alpha: 0 })).toThrow(/alpha/);
  });

  it('Dirichlet(α) draws have the moments of Beta(α, α) for k = 2 and of Dirichlet for k = 3, small α included', () => {
    const rng = new Random(8);
    const w = new Float64Array(3);
    for (const [alpha, k] of [
      [0.5, 2],
      [2, 2],
      [0.5, 3],
      [0.05, 2],
    ] as const) {
      const N = 30_000;
      let s1 = 0;
      let s2 = 0;
      let finite = 0;
      for (let t = 0; t < N; t++) {
        dirichletDraw(rng, alpha, k, w);
        if (Number.isFinite(w[0]) && Number.isFinite(w[k - 1])) finite++;
        s1 += w[0];
        s2 += w[0] * w[0];
      }
      expect(finite).toBe(N);
      const mean = s1 / N;
      const variance = s2 / N - mean * mean;
      // Dirichlet(α·1_k): E[w₀] = 1/k, Var[w₀] = (1/k)(1 − 1/k) / (kα + 1).
      const v = ((1 / k) * (1 - 1 / k)) / (k * alpha + 1);
      expect(Math.abs(mean - 1 / k), `mean α ${alpha} k ${k}`).toBeLessThan(0.01);
      expect(Math.abs(variance / v - 1), `variance α ${alpha} k ${k}`).toBeLessThan(0.03);
    }
  });
});

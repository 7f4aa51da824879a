import { Random, type Activation } from '@abc/core';
import { DenseNetwork, feawadLoss, TsGemmKernel, type GemmKernel } from '@abc/engine';
import { describe, expect, it } from 'vitest';
import { FeaWADNetwork, feawadSpecs, glorotNormal, RESIDUAL_EPS, type FeaWADArchitecture } from '../src/feawad-net.js';

/** A FeaWAD network on the given kernel with the given parameters per part (encoder, decoder, scoring layers). */
function build(arch: FeaWADArchitecture, kernel?: GemmKernel): FeaWADNetwork {
  const s = feawadSpecs(arch);
  const make = (spec: (typeof s)['encoder']) => new DenseNetwork(spec, kernel ? { kernel } : {});
  return new FeaWADNetwork(make(s.encoder), make(s.decoder), s.head.map(make));
}

describe('FeaWAD network', () => {
  it('layout: encoder [D, D, ...hidden], decoder mirrored without the input layer, e appended to every scoring layer', () => {
    const s = feawadSpecs({
      inputSize: 6,
      inputLayer: true,
      hidden: [128, 64],
      headHidden: [256, 32],
      activation: 'relu',
      outputActivation: 'relu',
    });
    expect(s.encoder.sizes).toEqual([6, 6, 128, 64]);
    expect(s.decoder.sizes).toEqual([64, 128, 6]);
    expect(s.head.map((h) => h.sizes)).toEqual([
      [6 + 64 + 1, 256],
      [257, 32],
      [33, 1],
    ]);
    expect(s.head.map((h) => h.activations[0])).toEqual(['relu', 'relu', 'linear']);
  });

  it('by hand: score and loss of a tiny network with fixed weights, and a zero residual gives a zero direction', () => {
    const net = build({
      inputSize: 2,
      inputLayer: false,
      hidden: [1],
      headHidden: [2],
      activation: 'relu',
      outputActivation: 'linear',
    });
    net.encoder.weights(0).set([1, 1]); // h = relu(x1 + x2)
    net.decoder.biases(0).set([2, 0]); // x̂ = (2, 0) whatever h (zero weights)
    net.head[0].weights(0).set([1, 0, 0, 1, 0.1, 0, 0, -0.1]); // inputs [r̃1, r̃2, h, e] -> 2 ReLU units
    net.head[0].biases(0).set([0, 0.5]);
    net.head[1].weights(0).set([2, -1, 0.2]); // inputs [a1, a2, e] -> score
    net.head[1].biases(0).set([0.1]);
    // x = (5, 4): h = 9, r = (3, 4), e = 5, r̃ = (0.6, 0.8); a = (0.6 + 0.9, 0.8 − 0.5 + 0.5) = (1.5, 0.8);
    // s = 2·1.5 − 0.8 + 0.2·5 + 0.1 = 3.3. x = (2, 0): h = 2, r = 0, e = 0, r̃ = 0; a = (0.2, 0.5); s = 0.
    const X = Float32Array.from([5, 4, 2, 0]);
    const { scores, errors } = net.forward(X, 0, 2);
    expect(scores[0]).toBeCloseTo(3.3, 5);
    expect(scores[1]).toBeCloseTo(0, 6);
    expect(Array.from(errors.subarray(0, 2))).toEqual([5, 0]);
    // Labels (1, 0), reference mean 0.3 and sd 1.5, margin 6: dev = 2 and −0.2; terms (6 − 2) + (6 − 5) and 0.2 + 0.
    const dS = new Float32Array(2);
    const dE = new Float64Array(2);
    const loss = feawadLoss(scores, errors, 2, [1, 0], { mean: 0.3, std: 1.5 }, 6, dS, dE);
    expect(loss.total).toBeCloseTo((4 + 1 + 0.2) / 2, 5);
    net.backward(dS, dE);
    for (const p of net.parts) for (const g of p.grads) expect(Number.isFinite(g)).toBe(true);
    expect(RESIDUAL_EPS).toBe(1e-12);
  });

  const fdCases: [string, Activation, GemmKernel | undefined][] = [
    ['tanh, ts kernel', 'tanh', new TsGemmKernel()],
    ['relu, default kernel', 'relu', undefined],
  ];
  it.each(fdCases)('every part’s gradient of the stage-2 loss matches central differences (%s)', (_name, act, kernel) => {
    const rng = new Random(11);
    const D = 4;
    const rows = 6;
    const net = build(
      { inputSize: D, inputLayer: true, hidden: [5, 3], headHidden: [5, 3], activation: act, outputActivation: 'linear' },
      kernel,
    );
    net.initGlorotNormal(rng);
    for (const p of net.parts)
      for (let l = 0; l < p.layers.length; l++) p.biases(l).set(p.biases(l).map(() => rng.uniform(-0.3, 0.3)));
    const X = Float32Array.from({ length: rows * D }, () => rng.uniform(-1, 1));
    const y = Array.from({ length: rows }, (_, i) => i % 2);
    // Reference mean −3: every dev is well above 0 and below the margin 8, and every e below it, so no kink is near.
    const ref = { mean: -3, std: 1.2 };
    const dS = new Float32Array(rows);
    const dE = new Float64Array(rows);
    const lossOf = (): number => {
      const { scores, errors } = net.forward(X, 0, rows);
      return feawadLoss(scores, errors, rows, y, ref, 8, dS, dE).total;
    };
    lossOf();
    net.backward(dS, dE);
    const grads = net.parts.map((p) => Float32Array.from(p.grads));
    let diff = 0;
    let norm = 0;
    net.parts.forEach((p, k) => {
      const v = p.params;
      for (let i = 0; i < v.length; i++) {
        const v0 = v[i];
        const h = act === 'relu' ? 1e-3 : 1e-2; // a smaller step for ReLU, whose kinks a large one crosses
        v[i] = v0 + h;
        const up = lossOf();
        v[i] = v0 - h;
        const down = lossOf();
        v[i] = v0;
        const fd = (up - down) / (Math.fround(v0 + h) - Math.fround(v0 - h));
        diff += (fd - grads[k][i]) ** 2;
        norm += fd ** 2 + grads[k][i] ** 2;
      }
    });
    expect(Math.sqrt(diff / norm)).toBeLessThan(1e-3);
  });

  it("glorotNormal is Keras' truncated normal: within 2 sd, sd sqrt(2 / (fanIn + fanOut))", () => {
    const out = glorotNormal(new Float32Array(200 * 100), 200, 100, new Random(5));
    const target = Math.sqrt(2 / 300);
    const bound = (2 * target) / 0.8796256610342398;
    let ss = 0;
    for (const w of out) {
      expect(Math.abs(w)).toBeLessThanOrEqual(bound + 1e-7);
      ss += w * w;
    }
    expect(Math.sqrt(ss / out.length) / target).toBeCloseTo(1, 2);
  });
});

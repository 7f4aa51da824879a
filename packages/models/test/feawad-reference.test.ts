/**
 * FeaWAD against a PyTorch reference of the paper's formulas (packages/models/scripts/feawad_reference.py): the
 * same initial weights, the same batches and reference scores, and the per-epoch mean losses of the first three
 * epochs of both stages equal to 4 significant digits.
 */
import { readFileSync } from 'node:fs';
import { matrix } from '@abc/core';
import { DenseNetwork, type ReferenceStats } from '@abc/engine';
import { describe, expect, it } from 'vitest';
import { FeaWADNetwork, feawadSpecs, type FeaWADArchitecture } from '../src/feawad-net.js';
import { trainFeaWAD, type FeaWADBatches } from '../src/feawad-train.js';

interface Layer {
  W: number[];
  b: number[];
}
interface Fixture {
  torch: string;
  X: number[];
  y: number[];
  cols: number;
  arch: Omit<FeaWADArchitecture, 'inputSize'>;
  schedule: {
    aeEpochs: number;
    epochs: number;
    batchesPerEpoch: number;
    batchSize: number;
    aeLr: number;
    lr: number;
    margin: number;
  };
  initial: { encoder: Layer[]; decoder: Layer[]; head: Layer[] };
  pretrainBatches: number[][];
  trainBatches: number[][];
  references: number[][];
  pretrainLosses: number[];
  trainLosses: { loss: number; deviation: number; reconstruction: number }[];
  finalScores: number[];
}

const fx = JSON.parse(readFileSync(new URL('./fixtures/feawad-reference.json', import.meta.url), 'utf8')) as Fixture;

/** A network with the fixture's initial weights (W as [in, out] row-major, then b, layer by layer). */
function fixtureNetwork(): FeaWADNetwork {
  const specs = feawadSpecs({ ...fx.arch, inputSize: fx.cols });
  const load = (spec: (typeof specs)['encoder'], layers: Layer[]): DenseNetwork => {
    const net = new DenseNetwork(spec);
    expect(layers.length).toBe(net.layers.length);
    layers.forEach((L, l) => {
      net.weights(l).set(L.W);
      net.biases(l).set(L.b);
    });
    return net;
  };
  return new FeaWADNetwork(
    load(specs.encoder, fx.initial.encoder),
    load(specs.decoder, fx.initial.decoder),
    specs.head.map((s, k) => load(s, [fx.initial.head[k]])),
  );
}

/** Replays the reference's batches and reference scores (their mean and population standard deviation). */
function replay(): FeaWADBatches {
  let pre = 0;
  let train = 0;
  let ref = 0;
  return {
    pretrain(out, size) {
      out.set(fx.pretrainBatches[pre++].slice(0, size));
    },
    train(out, size) {
      out.set(fx.trainBatches[train++].slice(0, size));
    },
    reference(): ReferenceStats {
      const r = fx.references[ref++];
      const mean = r.reduce((a, b) => a + b, 0) / r.length;
      const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
      return { mean, std };
    },
  };
}

/** Equal to 4 significant digits: |a − b| within half a unit of the 4th digit of b. */
function sameTo4(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(b))) - 3);
}

describe('FeaWAD against the PyTorch reference of the paper', () => {
  it('equal initial weights, batches and reference scores give the same per-epoch losses (4 digits) in both stages', async () => {
    const net = fixtureNetwork();
    const X = matrix(Float32Array.from(fx.X), fx.y.length, fx.cols);
    const history = await trainFeaWAD(net, X, Uint8Array.from(fx.y), fx.schedule, replay());
    const pre = history.filter((h) => h.phase === 'pretrain');
    const train = history.filter((h) => h.phase === 'train');
    expect(pre.length).toBe(3);
    expect(train.length).toBe(3);
    const rows = [
      ...pre.map((h, i) => ['pretrain', i + 1, h.loss, fx.pretrainLosses[i]] as const),
      ...train.flatMap((h, i) => [
        ['loss', i + 1, h.loss, fx.trainLosses[i].loss] as const,
        ['deviation', i + 1, h.deviation!, fx.trainLosses[i].deviation] as const,
        ['reconstruction', i + 1, h.reconstruction!, fx.trainLosses[i].reconstruction] as const,
      ]),
    ];
    for (const [what, epoch, ours, torch] of rows) {
      console.log(`${what} epoch ${epoch}: ours ${ours.toPrecision(7)}, torch ${fx.torch} ${torch.toPrecision(7)}`);
      expect(sameTo4(ours, torch), `${what} epoch ${epoch}: ${ours} vs ${torch}`).toBe(true);
    }
    // The whole trained network agrees too: its scores of every row after the six epochs.
    const scores = net.score(X.data, X.rows);
    let worst = 0;
    for (let i = 0; i < X.rows; i++) worst = Math.max(worst, Math.abs(scores[i] - fx.finalScores[i]));
    expect(worst).toBeLessThan(1e-4);
  });
});

import { readFileSync } from 'node:fs';
import { matrix, Random, type FitContext } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { DevNet, randomDevNetPlan, trainDevNet, type DevNetParams, type DevNetTrainingPlan } from '../src/index.js';

// The PyTorch reference of DevNet's formulas (scripts/devnet_torch_reference.py) wrote its data, initial weights,
// batches, reference scores and per-epoch losses; replayed here through trainDevNet (what DevNet.fit runs), the
// losses agree to 4 significant digits.

interface Fixture {
  torch: string;
  n: number;
  d: number;
  X: string;
  y: number[];
  params: Omit<DevNetParams, 'seed' | 'threshold' | 'contamination'>;
  initial: string;
  batches: number[][];
  references: string;
  losses: number[];
  /** Steps whose gradient the reference clipped to `clipnorm`. */
  clippedSteps: number;
  scores16: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/devnet-torch.json', import.meta.url), 'utf8')) as Fixture;

function f32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The mean and population standard deviation of reference scores, in float64. */
function stats(scores: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of scores) sum += v;
  const mean = sum / scores.length;
  let ss = 0;
  for (const v of scores) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / scores.length) };
}

/** The reference's weights, batches and reference scores as a training plan. */
function replay(): DevNetTrainingPlan & { asked: string[] } {
  const p = fixture.params;
  const refs = f32(fixture.references);
  const asked: string[] = [];
  return {
    asked,
    initialise(net) {
      asked.push('init');
      const w = f32(fixture.initial);
      expect(w.length, 'initial weights').toBe(net.size);
      net.params.set(w);
    },
    batch(epoch, b, idx) {
      asked.push(`batch ${epoch}.${b}`);
      idx.set(fixture.batches[(epoch - 1) * p.batchesPerEpoch + b]);
    },
    reference(epoch, b) {
      const k = (epoch - 1) * p.batchesPerEpoch + b;
      return stats(refs.subarray(k * p.nReference, (k + 1) * p.nReference));
    },
  };
}

const quietContext = (): FitContext => ({ rng: new Random(0), signal: undefined, progress() {}, checkAborted() {} });
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('DevNet against a PyTorch reference of the paper (equal initial weights, batches and reference scores)', () => {
  it('per-epoch deviation losses agree to 4 significant digits, and so do the scores after training', async () => {
    const X = matrix(f32(fixture.X), fixture.n, fixture.d);
    const y = Uint8Array.from(fixture.y);
    const plan = replay();
    const model = await trainDevNet(X, y, new DevNet(fixture.params).getParams(), quietContext(), plan);
    expect(plan.asked).toHaveLength(1 + fixture.batches.length);
    expect(fixture.clippedSteps, 'the run exercises gradient clipping').toBeGreaterThan(0);
    const ours = model.history.map((h) => h.loss);
    const lines = ours.map((v, i) => `  epoch ${i + 1}: ours ${v.toPrecision(6)}  torch ${fixture.losses[i].toPrecision(6)}`);
    console.log(`[devnet-torch] deviation loss (torch ${fixture.torch}):\n${lines.join('\n')}`);
    expect(ours).toHaveLength(fixture.losses.length);
    ours.forEach((v, i) => {
      expect(v.toPrecision(4), `epoch ${i + 1}`).toBe(fixture.losses[i].toPrecision(4));
      expect(rel(v, fixture.losses[i]), `epoch ${i + 1}`).toBeLessThan(5e-5);
    });
    const s = model.net.predict(X.data.subarray(0, 16 * X.cols), 16);
    for (let i = 0; i < 16; i++) expect(Math.abs(s[i] - fixture.scores16[i]), `score of row ${i}`).toBeLessThan(1e-4);
  });

  it('the default plan draws what DevNet.fit draws: a fit and trainDevNet with the same seed give the same model', async () => {
    const X = matrix(f32(fixture.X), fixture.n, fixture.d);
    const y = Uint8Array.from(fixture.y);
    const det = await new DevNet({ ...fixture.params, epochs: 2, seed: 9 }).fit(X, y);
    const ctx = { ...quietContext(), rng: new Random(9) };
    const p = det.getParams();
    const model = await trainDevNet(X, y, p, ctx, randomDevNetPlan(ctx.rng, y, p.nReference));
    expect(model.history).toEqual(det.history);
    expect(await det.scoreSamples(X)).toEqual(model.net.predict(X.data, X.rows));
  });
});

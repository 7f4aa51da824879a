import { readFileSync } from 'node:fs';
import { matrix, Random, type FitContext } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { DeepSAD, randomDeepSADPlan, trainDeepSAD, type DeepSADParams, type DeepSADTrainingPlan } from '../src/index.js';

// The PyTorch reference of Deep SAD's formulas (scripts/deepsad_torch_reference.py) wrote its data, initial weights,
// batch orders and per-epoch losses; replayed here through trainDeepSAD (what DeepSAD.fit runs), the losses agree to
// 4 significant digits, with and without autoencoder pre-training, and with learning-rate milestones inside the
// compared epochs (PyTorch's MultiStepLR stepped as the authors' trainers step it).

interface Run {
  params: Omit<DeepSADParams, 'seed' | 'threshold' | 'contamination'>;
  initial: string;
  orders: { pretrain: number[][]; sad: number[][] };
  losses: { pretrain: number[]; sad: number[] };
  lrs: { pretrain: number[]; sad: number[] };
  centre: number[];
  scores16: number[];
}
interface Fixture {
  torch: string;
  n: number;
  d: number;
  X: string;
  y: number[];
  runs: { pretrain: Run; nopretrain: Run; milestone: Run };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/deepsad-torch.json', import.meta.url), 'utf8')) as Fixture;

function f32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The reference's initial weights and orders as a training plan; records what it was asked for. */
function replay(run: Run): DeepSADTrainingPlan & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    initialise(phase, net) {
      asked.push(`init ${phase}`);
      const w = f32(run.initial);
      expect(w.length, `initial weights of the ${phase} network`).toBe(net.size);
      net.params.set(w);
    },
    shuffle(phase, epoch, order) {
      asked.push(`shuffle ${phase} ${epoch}`);
      order.set(run.orders[phase][epoch - 1]);
    },
  };
}

const quietContext = (): FitContext => ({ rng: new Random(0), signal: undefined, progress() {}, checkAborted() {} });

/** |a − b| / |b| */
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

async function replayRun(name: 'pretrain' | 'nopretrain' | 'milestone') {
  const run = fixture.runs[name];
  const X = matrix(f32(fixture.X), fixture.n, fixture.d);
  const y = Uint8Array.from(fixture.y);
  const params = new DeepSAD(run.params).getParams();
  const plan = replay(run);
  const model = await trainDeepSAD(X, y, params, quietContext(), plan);
  return { run, X, plan, model };
}

function compareLosses(name: string, ours: number[], torch: number[]): void {
  expect(ours).toHaveLength(torch.length);
  const lines = ours.map((v, i) => `  epoch ${i + 1}: ours ${v.toPrecision(6)}  torch ${torch[i].toPrecision(6)}`);
  console.log(`[deepsad-torch] ${name} (torch ${fixture.torch}):\n${lines.join('\n')}`);
  ours.forEach((v, i) => {
    expect(v.toPrecision(4), `${name} epoch ${i + 1}`).toBe(torch[i].toPrecision(4));
    expect(rel(v, torch[i]), `${name} epoch ${i + 1}`).toBeLessThan(5e-5);
  });
}

describe('Deep SAD against a PyTorch reference of the paper (equal initial weights and batches)', () => {
  it('with autoencoder pre-training: pre-training and Deep SAD losses, centre and scores agree', async () => {
    const { run, X, plan, model } = await replayRun('pretrain');
    expect(plan.asked).toEqual([
      'init pretrain',
      'shuffle pretrain 1',
      'shuffle pretrain 2',
      'shuffle pretrain 3',
      'shuffle sad 1',
      'shuffle sad 2',
      'shuffle sad 3',
    ]);
    const pre = model.history.filter((h) => h.phase === 'pretrain').map((h) => h.loss);
    const sad = model.history.filter((h) => h.phase === 'sad').map((h) => h.loss);
    compareLosses('pretrain phase', pre, run.losses.pretrain);
    compareLosses('sad phase after pre-training', sad, run.losses.sad);
    // the centre comes from the pre-trained encoder: it agrees, so the encoder copy and the eps rule do
    for (let j = 0; j < run.centre.length; j++) expect(rel(model.centre[j], run.centre[j]), `c[${j}]`).toBeLessThan(1e-4);
    const phi = model.encoder.predict(X.data.subarray(0, 16 * X.cols), 16);
    for (let i = 0; i < 16; i++) {
      let s = 0;
      for (let j = 0; j < run.centre.length; j++) s += (phi[i * run.centre.length + j] - model.centre[j]) ** 2;
      expect(rel(s, run.scores16[i]), `score of row ${i}`).toBeLessThan(1e-3);
    }
  });

  it("without pre-training (DeepOD's behaviour): the centre from the initial network, losses agree", async () => {
    const { run, plan, model } = await replayRun('nopretrain');
    expect(plan.asked).toEqual(['init sad', 'shuffle sad 1', 'shuffle sad 2', 'shuffle sad 3']);
    expect(model.history.every((h) => h.phase === 'sad')).toBe(true);
    for (let j = 0; j < run.centre.length; j++) expect(rel(model.centre[j], run.centre[j]), `c[${j}]`).toBeLessThan(1e-4);
    compareLosses(
      'sad phase without pre-training',
      model.history.map((h) => h.loss),
      run.losses.sad,
    );
  });

  it("with lr milestones inside the compared epochs: each epoch's lr is MultiStepLR's and the losses after the drops agree", async () => {
    const { run, model } = await replayRun('milestone');
    expect(run.params.aeLrMilestones).toEqual([3]);
    expect(run.params.lrMilestones).toEqual([2, 3]);
    const pre = model.history.filter((h) => h.phase === 'pretrain');
    const sad = model.history.filter((h) => h.phase === 'sad');
    // the lr of every epoch as PyTorch's scheduler set it (pre-training x0.1 from epoch 3; Deep SAD from 2 and 3)
    expect(pre.map((h) => h.lr)).toEqual(run.lrs.pretrain);
    expect(sad.map((h) => h.lr)).toEqual(run.lrs.sad);
    compareLosses(
      'pretrain phase, milestone 3',
      pre.map((h) => h.loss),
      run.losses.pretrain,
    );
    compareLosses(
      'sad phase, milestones 2 and 3',
      sad.map((h) => h.loss),
      run.losses.sad,
    );
    for (let j = 0; j < run.centre.length; j++) expect(rel(model.centre[j], run.centre[j]), `c[${j}]`).toBeLessThan(1e-4);
    // the same run without milestones: equal before the first drop, different (at 4 digits) from it on
    const plain = fixture.runs.pretrain;
    expect(plain.losses.pretrain[1].toPrecision(4)).toBe(run.losses.pretrain[1].toPrecision(4));
    expect(plain.losses.pretrain[2].toPrecision(4)).not.toBe(run.losses.pretrain[2].toPrecision(4));
    for (let e = 0; e < 3; e++) expect(plain.losses.sad[e].toPrecision(4)).not.toBe(run.losses.sad[e].toPrecision(4));
  });

  it('the default plan draws what DeepSAD.fit draws: a fit and trainDeepSAD with the same seed give the same model', async () => {
    const X = matrix(f32(fixture.X), fixture.n, fixture.d);
    const y = Uint8Array.from(fixture.y);
    const p = { ...fixture.runs.pretrain.params, epochs: 2, aeEpochs: 1, seed: 5 };
    const det = await new DeepSAD(p).fit(X, y);
    const ctx = { ...quietContext(), rng: new Random(5) };
    const model = await trainDeepSAD(X, y, det.getParams(), ctx, randomDeepSADPlan(ctx.rng));
    expect(model.history).toEqual(det.history);
    expect(model.centre).toEqual(det.centre);
  });
});

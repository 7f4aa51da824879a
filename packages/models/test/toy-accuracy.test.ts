import { auroc, makeToyData, toyTrainingSet } from '@abc/eval';
import { describe, expect, it } from 'vitest';
import { ABC, Autoencoder, DenoisingAutoencoder, LRC } from '../src/index.js';

/**
 * The paper's 2D-Toy (half circles with noise 0.3, unknown anomalies around (−3, 3)) at 2,000 rows per class
 * and 60 epochs, with the paper's 2-D network (10-10 hidden, latent 1). Paper (10,000 per class, up to 300
 * epochs): ABC known/unknown 0.965/1.000, AE unknown 1.000, LRC unknown 0.857.
 */
describe('2D-Toy accuracy (setting 1)', () => {
  const train = makeToyData({ nPerClass: 2000, seed: 100 });
  const test = makeToyData({ nPerClass: 2000, seed: 200 });
  const { X, y } = toyTrainingSet(train);
  const net = { hidden: [10, 10], latent: 1, maxEpochs: 60, seed: 0 };
  const aurocs = async (det: { scoreSamples(X: typeof test.normal): Promise<Float32Array> }) => {
    const n = await det.scoreSamples(test.normal);
    const vs = async (m: typeof test.known) => {
      const s = await det.scoreSamples(m);
      const scores = new Float32Array(n.length + s.length);
      scores.set(n);
      scores.set(s, n.length);
      return auroc(scores, new Uint8Array(scores.length).fill(1, n.length));
    };
    return { known: await vs(test.known), unknown: await vs(test.unknown) };
  };

  it('ABC(AE) separates known (>= 0.95) and unknown (>= 0.99) anomalies; its loss on normals falls', async () => {
    const abc = await new ABC(net).fit(X, y);
    const a = await aurocs(abc);
    expect(a.known).toBeGreaterThanOrEqual(0.95);
    expect(a.unknown).toBeGreaterThanOrEqual(0.99);
    const h = abc.history;
    expect(h[h.length - 1].lossNormal!).toBeLessThan(0.75 * h[0].lossNormal!);
    // Known anomalies are pushed to large L: their mean error ends well above the normals'.
    expect(h[h.length - 1].errorAnomaly!).toBeGreaterThan(3 * h[h.length - 1].errorNormal!);
  });

  it('ABC(DAE) reaches the same floors', async () => {
    const a = await aurocs(await new ABC({ ...net, variant: 'dae' }).fit(X, y));
    expect(a.known).toBeGreaterThanOrEqual(0.95);
    expect(a.unknown).toBeGreaterThanOrEqual(0.99);
  });

  it('AE and DAE trained on normals detect unknown anomalies (>= 0.99)', async () => {
    const ae = await aurocs(await new Autoencoder(net).fit(train.normal));
    expect(ae.unknown).toBeGreaterThanOrEqual(0.99);
    const dae = await aurocs(await new DenoisingAutoencoder(net).fit(train.normal));
    expect(dae.unknown).toBeGreaterThanOrEqual(0.99);
  });

  it('LRC’s loss on normals does not go down (the paper’s Figure 5 contrast) and it misses unknown anomalies', async () => {
    const lrc = await new LRC(net).fit(X, y);
    const h = lrc.history;
    expect(h.length).toBe(net.maxEpochs); // its own objective keeps improving: no early stop
    expect(h[h.length - 1].lossNormal!).toBeGreaterThan(h[0].lossNormal!);
    const a = await aurocs(lrc);
    expect(a.unknown).toBeLessThan(0.95);
  });
});

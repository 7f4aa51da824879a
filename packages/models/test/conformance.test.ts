import { createDetector, getDetectorEntry, listDetectors } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { describe, expect, it } from 'vitest';
import { ABC, Autoencoder, DenoisingAutoencoder, LRC, registerModels } from '../src/index.js';

const small = { hidden: [8, 4], latent: 2, maxEpochs: 5, batchSize: 50 };

describe('registry', () => {
  it('registers abc, ae, dae and lrc with their kinds, once', () => {
    registerModels(); // a second call is harmless
    const names = listDetectors().map((e) => e.name);
    for (const n of ['abc', 'ae', 'dae', 'lrc']) expect(names).toContain(n);
    expect(getDetectorEntry('abc')).toMatchObject({ supervision: 'supervised', hasProbability: true });
    expect(getDetectorEntry('lrc')).toMatchObject({ supervision: 'supervised', hasProbability: false });
    expect(getDetectorEntry('ae')).toMatchObject({ supervision: 'unsupervised', hasProbability: false });
    expect(getDetectorEntry('dae')).toMatchObject({ supervision: 'unsupervised', hasProbability: false });
    expect(createDetector('abc', { variant: 'dae' })).toBeInstanceOf(ABC);
    expect(createDetector('ae')).toBeInstanceOf(Autoencoder);
    expect(createDetector('dae')).toBeInstanceOf(DenoisingAutoencoder);
    expect(createDetector('lrc')).toBeInstanceOf(LRC);
  });

  it('has the paper defaults, each a parameter', () => {
    const p = new ABC().getParams();
    expect(p).toMatchObject({
      variant: 'ae',
      hidden: [300, 100],
      latent: 20,
      activation: 'tanh',
      outputActivation: 'linear',
      distance: 'meanSquared',
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      batchSize: 100,
      maxEpochs: 300,
      validationFraction: 0.2,
      patience: 10,
      restoreBestWeights: true,
      noiseSd: 0.2,
      seed: 0,
    });
    expect(new DenoisingAutoencoder().getParams().noiseSd).toBe(0.2);
    expect(() => new ABC({ variant: 'vae' as never })).toThrow(/variant/);
    expect(() => new LRC({ lr: 0 })).toThrow(/lr/);
    expect(() => new Autoencoder({ noiseSd: 0.1 } as never)).toThrow(/noiseSd/);
  });
});

describe('checkDetector', () => {
  it('abc (ae variant) conforms', async () => {
    await checkDetector((p) => new ABC({ ...small, ...p }), { random: true, progress: true });
  });
  it('abc (dae variant) conforms', async () => {
    await checkDetector((p) => new ABC({ ...small, variant: 'dae', ...p }), { random: true, progress: true });
  });
  it('ae conforms', async () => {
    await checkDetector((p) => new Autoencoder({ ...small, ...p }), { random: true, progress: true });
  });
  it('dae conforms', async () => {
    await checkDetector((p) => new DenoisingAutoencoder({ ...small, ...p }), { random: true, progress: true });
  });
  it('lrc conforms', async () => {
    await checkDetector((p) => new LRC({ ...small, ...p }), { random: true, progress: true });
  });
});

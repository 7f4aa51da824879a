import { deserialize, matrix, Random, serialize, ValidationError, type Matrix } from '@abc/core';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABC, Autoencoder, DenoisingAutoencoder, LRC } from '../src/index.js';
import { errorsToFloat32 } from '../src/autoencoder-base.js';

/** Two blobs in 4-D: normals around 0, anomalies around 2. */
function blobs(nNormal: number, nAnomaly: number, seed: number): { X: Matrix; y: Uint8Array } {
  const rng = new Random(seed);
  const d = 4;
  const data = new Float32Array((nNormal + nAnomaly) * d);
  const y = new Uint8Array(nNormal + nAnomaly);
  for (let i = 0; i < nNormal + nAnomaly; i++) {
    const a = i >= nNormal;
    y[i] = a ? 1 : 0;
    for (let j = 0; j < d; j++) data[i * d + j] = rng.normal(a ? 2 : 0, a ? 0.5 : 0.7);
  }
  return { X: matrix(data, nNormal + nAnomaly, d), y };
}

const small = { hidden: [8, 6], latent: 2, maxEpochs: 12, batchSize: 32 };

describe('ABC reduces to the autoencoder without anomalies (the paper’s limiting case)', () => {
  it('ABC(ae) on all-normal labels gives bit-identical weights, history and scores to the AE', async () => {
    const { X } = blobs(300, 0, 1);
    const abc = await new ABC({ ...small, seed: 7 }).fit(X, new Uint8Array(X.rows));
    const ae = await new Autoencoder({ ...small, seed: 7 }).fit(X);
    expect(abc.network.params.length).toBeGreaterThan(0);
    expect(Float32Array.from(abc.network.params)).toEqual(Float32Array.from(ae.network.params));
    expect(abc.history).toEqual(ae.history);
    expect(await abc.reconstructionError(X)).toEqual(await ae.scoreSamples(X));
  });

  it('ABC(dae) on all-normal labels gives bit-identical weights to the DAE', async () => {
    const { X } = blobs(300, 0, 2);
    const abc = await new ABC({ ...small, variant: 'dae', noiseSd: 0.3, seed: 3 }).fit(X, new Uint8Array(X.rows));
    const dae = await new DenoisingAutoencoder({ ...small, noiseSd: 0.3, seed: 3 }).fit(X);
    expect(Float32Array.from(abc.network.params)).toEqual(Float32Array.from(dae.network.params));
    // ...and the noise matters: the plain AE with the same seed ends elsewhere.
    const ae = await new Autoencoder({ ...small, seed: 3 }).fit(X);
    expect(Float32Array.from(ae.network.params)).not.toEqual(Float32Array.from(dae.network.params));
  });

  it('with anomalies in the labels ABC trains differently from the AE', async () => {
    const { X, y } = blobs(300, 60, 3);
    const abc = await new ABC({ ...small, seed: 7 }).fit(X, y);
    const ae = await new Autoencoder({ ...small, seed: 7 }).fit(X, y); // AE ignores the labels
    const ae2 = await new Autoencoder({ ...small, seed: 7 }).fit(X);
    expect(Float32Array.from(ae.network.params)).toEqual(Float32Array.from(ae2.network.params));
    expect(Float32Array.from(abc.network.params)).not.toEqual(Float32Array.from(ae.network.params));
  });
});

describe('ABC scores and errors', () => {
  it('scoreSamples = predictProba = 1 − exp(−L), threshold 0.5, in [0, 1]', async () => {
    const { X, y } = blobs(200, 50, 4);
    const abc = await new ABC({ ...small, seed: 1 }).fit(X, y);
    const L = await abc.reconstructionError(X);
    const s = await abc.scoreSamples(X);
    const p = await abc.predictProba(X);
    expect(p).toEqual(s);
    expect(abc.threshold).toBe(0.5);
    for (let i = 0; i < X.rows; i++) {
      expect(s[i]).toBe(Math.fround(-Math.expm1(-L[i])));
      expect(s[i] >= 0 && s[i] <= 1).toBe(true);
    }
    const flags = await abc.predict(X);
    for (let i = 0; i < X.rows; i++) expect(flags[i]).toBe(s[i] > 0.5 ? 1 : 0);
  });

  it('computes the three distances as documented', async () => {
    const { X, y } = blobs(100, 20, 5);
    for (const distance of ['meanSquared', 'l2', 'squaredL2'] as const) {
      const ae = await new Autoencoder({ ...small, maxEpochs: 2, distance, seed: 1 }).fit(X, y);
      const recon = ae.network.predict(X.data, X.rows);
      const L = await ae.reconstructionError(X);
      for (let i = 0; i < 5; i++) {
        let s = 0;
        for (let j = 0; j < X.cols; j++) s += (recon[i * X.cols + j] - X.data[i * X.cols + j]) ** 2;
        const expected = distance === 'meanSquared' ? s / X.cols : distance === 'l2' ? Math.sqrt(s) : s;
        expect(L[i]).toBe(Math.fround(expected));
      }
    }
  });

  it('rejects missing labels and all-anomaly labels; accepts all-normal labels', async () => {
    const { X } = blobs(50, 0, 6);
    await expect(new ABC(small).fit(X)).rejects.toBeInstanceOf(ValidationError);
    await expect(new ABC(small).fit(X, new Uint8Array(X.rows).fill(1))).rejects.toBeInstanceOf(ValidationError);
    await expect(new LRC(small).fit(X, new Uint8Array(X.rows))).rejects.toBeInstanceOf(ValidationError);
    await expect(new ABC({ ...small, maxEpochs: 1 }).fit(X, new Uint8Array(X.rows))).resolves.toBeInstanceOf(ABC);
  });
});

describe('training history, progress and early stopping', () => {
  it('records per-epoch losses and errors by class on training and validation data, one event per epoch', async () => {
    const { X, y } = blobs(300, 60, 7);
    const events: { step: number; totalSteps: number; unit: string; metrics: Record<string, number> }[] = [];
    const abc = await new ABC({ ...small, seed: 2 }).fit(X, y, { onProgress: (e) => events.push(e) });
    const h = abc.history;
    expect(h.length).toBe(events.length);
    expect(h.length).toBeGreaterThan(0);
    events.forEach((e, i) => {
      expect(e).toMatchObject({ step: i + 1, totalSteps: small.maxEpochs, unit: 'epoch' });
      expect(e.metrics.loss).toBe(h[i].loss);
      expect(e.metrics.valErrorAnomaly).toBe(h[i].valErrorAnomaly);
    });
    for (const r of h) {
      for (const k of [
        'loss',
        'lossNormal',
        'lossAnomaly',
        'errorNormal',
        'errorAnomaly',
        'valLoss',
        'valLossNormal',
        'valLossAnomaly',
        'valErrorNormal',
        'valErrorAnomaly',
      ] as const) {
        expect(Number.isFinite(r[k])).toBe(true);
      }
      // For normals the loss is L itself; for anomalies it is −log(1 − exp(−L)) (of each row, so compare means loosely).
      expect(r.lossNormal).toBeCloseTo(r.errorNormal!, 12);
      // The total is the row-weighted mean of the two classes (300·0.8 normals, 60·0.8 anomalies in training).
      expect(r.loss).toBeCloseTo((240 * r.lossNormal! + 48 * r.lossAnomaly!) / 288, 10);
    }
    // Unsupervised: no anomaly group, and no validation when validationFraction = 0.
    const ae = await new Autoencoder({ ...small, validationFraction: 0, seed: 2 }).fit(X);
    expect(ae.history.length).toBe(small.maxEpochs);
    expect(ae.history[0].lossAnomaly).toBeNull();
    expect(ae.history[0].valLoss).toBeNull();
  });

  it('stops early on the validation loss and restores the best epoch’s weights', async () => {
    const { X, y } = blobs(200, 40, 8);
    const params = { ...small, maxEpochs: 200, patience: 3, lr: 0.02, seed: 4 };
    const a = await new ABC(params).fit(X, y);
    const h = a.history;
    expect(h.length).toBeLessThan(200);
    const best = Math.min(...h.map((r) => r.valLoss!));
    const bestEpoch = h.findIndex((r) => r.valLoss === best) + 1;
    expect(h.length).toBe(bestEpoch + 3);
    // The restored weights are those after exactly bestEpoch epochs of the same run.
    const b = await new ABC({ ...params, maxEpochs: bestEpoch }).fit(X, y);
    // (params may be a view of a compute arena: compare the values, not the underlying buffer)
    expect(Float32Array.from(a.network.params)).toEqual(Float32Array.from(b.network.params));
    // Without restoring, the model keeps the last epoch's weights.
    const c = await new ABC({ ...params, restoreBestWeights: false }).fit(X, y);
    expect(c.history).toEqual(h);
    expect(Float32Array.from(c.network.params)).not.toEqual(Float32Array.from(a.network.params));
  });
});

describe('LRC', () => {
  it('ends with finite scores even when its unbounded loss runs away', async () => {
    const { X, y } = blobs(200, 100, 9);
    for (const lr of [1e-3, 0.1, 1]) {
      const lrc = await new LRC({ ...small, maxEpochs: 30, lr, seed: 1 }).fit(X, y);
      const s = await lrc.scoreSamples(X);
      expect(s.every(Number.isFinite)).toBe(true);
      expect(lrc.history.every((r) => Number.isFinite(r.loss))).toBe(true);
      // Its objective keeps falling (the anomaly term is −L), so early stopping rarely fires.
      expect(lrc.history[lrc.history.length - 1].loss).toBeLessThan(lrc.history[0].loss);
    }
  });

  it('maps non-finite reconstruction errors to the largest float32, never NaN', () => {
    const s = errorsToFloat32(Float64Array.from([1, NaN, Infinity, 1e300]));
    expect(Array.from(s)).toEqual([1, 3.4028234663852886e38, 3.4028234663852886e38, 3.4028234663852886e38]);
  });
});

describe('persistence and export', () => {
  for (const make of [
    () => new ABC({ ...small, variant: 'dae', seed: 5 }),
    () => new Autoencoder({ ...small, distance: 'l2', seed: 5 }),
    () => new DenoisingAutoencoder({ ...small, seed: 5 }),
    () => new LRC({ ...small, seed: 5 }),
  ]) {
    it(`${make().name}: a loaded model scores bit-identically and keeps its history`, async () => {
      const { X, y } = blobs(150, 40, 10);
      const det = await make().fit(X, y);
      const bytes = await serialize(det);
      const loaded = (await deserialize(bytes)) as typeof det;
      expect(loaded.constructor).toBe(det.constructor);
      const a = await det.scoreSamples(X);
      const b = await loaded.scoreSamples(X);
      expect(Buffer.from(b.buffer)).toEqual(Buffer.from(a.buffer));
      expect(await loaded.reconstructionError(X)).toEqual(await det.reconstructionError(X));
      expect(loaded.history).toEqual(det.history);
      expect(loaded.threshold).toBe(det.threshold);
    });
  }

  it("init: 'torch' and 'lecun' train, are recorded, save and load; 'glorot' is the default and the paper's", async () => {
    const { X, y } = blobs(150, 40, 12);
    expect(new ABC(small).getParams().init).toBe('glorot');
    const glorot = await new ABC({ ...small, seed: 7 }).fit(X, y);
    for (const init of ['torch', 'lecun'] as const) {
      const det = await new ABC({ ...small, init, seed: 7 }).fit(X, y);
      expect(det.getParams().init).toBe(init);
      const loaded = (await deserialize(await serialize(det))) as ABC;
      expect(loaded.getParams().init).toBe(init);
      expect(await loaded.scoreSamples(X)).toEqual(await det.scoreSamples(X));
      expect(await det.scoreSamples(X)).not.toEqual(await glorot.scoreSamples(X));
    }
    expect(() => new ABC({ ...small, init: 'he' as never })).toThrow(ValidationError);
  });

  it('toExportSpec gives the layers, distance and score kind that reproduce the scores', async () => {
    const { X, y } = blobs(150, 40, 11);
    const abc = await new ABC({ ...small, seed: 6 }).fit(X, y);
    const spec = abc.toExportSpec();
    expect(spec).toMatchObject({ kind: 'dense', distance: 'meanSquared', scoreKind: 'abc', threshold: 0.5 });
    expect(spec.layers.map((l) => [l.inputSize, l.outputSize, l.activation])).toEqual([
      [4, 8, 'tanh'],
      [8, 6, 'tanh'],
      [6, 2, 'tanh'],
      [2, 6, 'tanh'],
      [6, 8, 'tanh'],
      [8, 4, 'linear'],
    ]);
    const scores = await abc.scoreSamples(X);
    for (let i = 0; i < 10; i++) {
      let v = Array.from(X.data.subarray(i * 4, i * 4 + 4));
      for (const layer of spec.layers) {
        const next = new Array(layer.outputSize).fill(0).map((_, j) => {
          let s = layer.b[j];
          for (let k = 0; k < layer.inputSize; k++) s += v[k] * layer.W[k * layer.outputSize + j];
          return layer.activation === 'tanh' ? Math.tanh(s) : s;
        });
        v = next;
      }
      let L = 0;
      for (let j = 0; j < 4; j++) L += (v[j] - X.data[i * 4 + j]) ** 2;
      L /= 4;
      expect(scores[i]).toBeCloseTo(1 - Math.exp(-L), 5);
    }
    const ae = await new Autoencoder({ ...small, seed: 6 }).fit(X);
    expect(ae.toExportSpec().scoreKind).toBe('reconstruction');
  });
});

describe('browser safety', () => {
  it('no source file imports a Node-only module', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        // src/node.ts (@abc/models/node, deprecated: re-exports @abc/engine/node) and src/index.node.ts (the
        // `node` condition of @abc/models) are the Node-only entries: the browser entry never imports them.
        if (statSync(p).isDirectory()) {
          walk(p);
          continue;
        }
        if (p === join(__dirname, '..', 'src', 'index.node.ts') || p === join(__dirname, '..', 'src', 'node.ts')) continue;
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(__dirname, '..', 'src'));
    expect(files.length).toBeGreaterThan(6);
    let seen = 0;
    for (const f of files) {
      const imports = [...readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export|\})[^'\n]*?from\s+'([^']+)'/gm)].map(
        (m) => m[1],
      );
      seen += imports.length;
      for (const spec of imports)
        expect(spec.startsWith('.') || spec === '@abc/core' || spec === '@abc/engine', `${f} imports ${spec}`).toBe(true);
      // Code only (comments stripped): no bare Node globals; guarded `globalThis.process?.env` reads are fine.
      const code = readFileSync(f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      expect(code, f).not.toMatch(/\bprocess\.|\brequire\(|\bBuffer\.|\b__dirname\b/);
    }
    expect(seen).toBeGreaterThan(15);
    // ...and nothing in the browser entry reaches into it.
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/from '[^']*\/node\//);
  });
});

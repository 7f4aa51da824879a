/**
 * Fuzz of real saved ABC / AE model files (a pipeline with a scaler, and a bare detector): bit flips,
 * truncations and checksum-valid header edits (network sizes, feature count, distance, activations, tensor
 * shapes). Every case ends in a ModelFormatError at load, a typed error at scoring, or finite scores.
 */
import { describe, expect, it } from 'vitest';
import { AbcError, crc32, deserialize, matrix, MinMaxScaler, ModelFormatError, Pipeline, Random } from '@abc/core';
import { ABC, Autoencoder } from '../src/index.js';

const rng0 = new Random(5);
const X = matrix(
  Float32Array.from({ length: 60 * 3 }, () => rng0.normal(0, 1)),
  60,
  3,
);
const y = Uint8Array.from({ length: 60 }, (_, i) => (i % 6 === 0 ? 1 : 0));

function split(b: Uint8Array): { body: string; data: Uint8Array } {
  const h = new DataView(b.buffer, b.byteOffset).getUint32(8, true);
  const text = new TextDecoder().decode(b.subarray(12, 12 + h));
  return { body: text.slice(0, text.lastIndexOf(',"crc32":')), data: b.subarray((12 + h + 7) & ~7) };
}

function encode(body: string, data: Uint8Array): Uint8Array {
  const crc = crc32(data, crc32(new TextEncoder().encode(body)));
  const header = new TextEncoder().encode(`${body},"crc32":${crc}}`);
  const start = (12 + header.length + 7) & ~7;
  const out = new Uint8Array(start + data.length);
  out.set([0x41, 0x42, 0x43, 0x4d]);
  new DataView(out.buffer).setUint32(4, 1, true);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(data, start);
  return out;
}

async function outcome(bytes: Uint8Array): Promise<string> {
  let model: Awaited<ReturnType<typeof deserialize>>;
  try {
    model = await deserialize(bytes);
  } catch (e) {
    if (!(e instanceof ModelFormatError)) throw new Error(`untyped load error ${(e as Error)?.stack}`);
    return 'typed error at load';
  }
  try {
    const s = await model.scoreSamples(X);
    if (s.length !== X.rows || s.some((v) => Number.isNaN(v))) throw new Error('NaN or wrong-length scores from a loaded model');
    return 'finite scores';
  } catch (e) {
    if (e instanceof AbcError) return 'typed error at scoring';
    throw e;
  }
}

describe('fuzz: ABC / AE model files', () => {
  it('bit flips, truncations and checksum-valid edits end in typed errors or finite scores', async () => {
    const { serialize } = await import('@abc/core');
    const models = [
      await serialize(
        await new Pipeline([new MinMaxScaler(), new ABC({ hidden: [4], latent: 2, maxEpochs: 2, seed: 1 })]).fit(X, y),
      ),
      await serialize(await new Autoencoder({ hidden: [3], latent: 1, maxEpochs: 1, seed: 2 }).fit(X)),
    ];
    const rng = new Random(77);
    const counts: Record<string, number> = {};
    const t0 = performance.now();
    let cases = 0;
    const run = async (kind: string, b: Uint8Array) => {
      cases++;
      const o = await outcome(b).catch((e: Error) => {
        throw new Error(`${kind} case ${cases}: ${e.message}`);
      });
      counts[`${kind}: ${o}`] = (counts[`${kind}: ${o}`] ?? 0) + 1;
    };
    for (let k = 0; k < 80; k++) {
      const b = models[k % 2].slice();
      for (let f = 1 + rng.int(3); f > 0; f--) b[rng.int(b.length)] ^= 1 << rng.int(8);
      await run('bit flip', b);
    }
    for (let k = 0; k < 40; k++) await run('truncation', models[k % 2].subarray(0, rng.int(models[k % 2].length)));
    const edits: [RegExp, string][] = [
      [/"nFeatures":3/, '"nFeatures":4'],
      [/"nFeatures":3/, '"nFeatures":2'],
      [/"sizes":\[3,/, '"sizes":[4,'],
      [/"sizes":\[3,/, '"sizes":[0,'],
      [/"sizes":\[3,/, '"sizes":["x",'],
      [/"sizes":\[[^\]]*\]/, '"sizes":[3]'],
      [/"distance":"[a-zA-Z]+"/, '"distance":"cosine"'],
      [/"activations":\["[a-z]+"/, '"activations":["softmax"'],
      [/"activations":\[[^\]]*\]/, '"activations":[]'],
      [/"shape":\[3,(\d+)\]/, '"shape":[2,$1]'],
      [/"shape":\[(\d+)\]/, '"shape":[1000000]'],
      [/"threshold":[^,}]+/, '"threshold":"high"'],
      [/"bestEpoch":\d+/, '"bestEpoch":-1'],
      [/"history":\[/, '"history":[null,'],
      [/"hidden":\[[^\]]*\]/, '"hidden":[-1]'],
      [/"dataMin"/, '"dataMax"'],
      [/"role":"transformer"/, '"role":"detector"'],
      [/"name":"minmax"/, '"name":"standard"'],
      [/"tensorPrefix":"1\/"/, '"tensorPrefix":"0/"'],
    ];
    for (const [k, m] of models.entries()) {
      const { body, data } = split(m);
      for (const [re, to] of edits) {
        const edited = body.replace(re, to);
        if (edited !== body) await run('header edit (valid crc)', encode(edited, data));
      }
      await run('header edit (valid crc)', encode(body, data.subarray(0, data.length - 8 * (k + 1))));
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(`ABC/AE model fuzz: ${cases} cases in ${seconds.toFixed(2)} s`, counts);
    expect(seconds).toBeLessThan(20);
  }, 30_000);
});

import { mkdtemp, readFile, readdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  crc32,
  deserialize,
  FORMAT_VERSION,
  ModelFormatError,
  Pipeline,
  readHeader,
  serialize,
  VERSION,
  matrix,
} from '../src/index.js';
import { loadFile, saveFile, writeFileAtomic } from '../src/node/index.js';
import { LogisticDetector, makeCheckData, MeanDistance } from '../src/testing/index.js';
import { CenterTransformer, registerTestComponents } from './helpers.js';
import pkg from '../package.json' with { type: 'json' };

registerTestComponents();
const { X, y, Xtest } = makeCheckData();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function fittedLogistic() {
  return new LogisticDetector({ epochs: 3, seed: 4 }).fit(X, y);
}

async function formatError(bytes: Uint8Array): Promise<string> {
  const e = await deserialize(bytes).then(
    () => null,
    (err) => err,
  );
  expect(e).toBeInstanceOf(ModelFormatError);
  return (e as Error).message;
}

describe('model byte format', () => {
  it('lays out magic, version, header length, JSON header, 8-byte padding, tensors', async () => {
    const d = await fittedLogistic();
    const bytes = await serialize(d);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('ABCM');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint32(4, true)).toBe(FORMAT_VERSION);
    const h = view.getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + h)));
    expect(header).toMatchObject({ format: 1, detector: 'ref-logistic', packageVersion: VERSION, featureNames: null });
    expect(header.params).toEqual(d.getParams());
    expect(header.tensors).toEqual([{ name: 'w', dtype: 'f32', shape: [3], offset: 0 }]);
    const dataStart = (12 + h + 7) & ~7;
    const w = new Float32Array(bytes.slice(dataStart, dataStart + 12).buffer);
    expect(Array.from(w)).toEqual(Array.from(d.getState().tensors.w.data));
    expect(bytes.length).toBe(dataStart + 16); // the tensor padded to 8 bytes
    expect(readHeader(bytes).detector).toBe('ref-logistic');
  });

  it('round-trips to identical scores, threshold and names', async () => {
    const named = matrix(X.data, X.rows, X.cols, ['u', 'v']);
    const d = await new MeanDistance({ contamination: 0.05 }).fit(named);
    const loaded = await deserialize(await serialize(d));
    expect(loaded.threshold).toBe(d.threshold);
    expect(loaded.featureNames).toEqual(['u', 'v']);
    const t = matrix(Xtest.data, Xtest.rows, 2, ['u', 'v']);
    expect(await loaded.scoreSamples(t)).toEqual(await d.scoreSamples(t));
    // also from an ArrayBuffer and from a view into a larger buffer at an odd offset
    const bytes = await serialize(d);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect(await (await deserialize(big.subarray(3))).scoreSamples(Xtest)).toEqual(await d.scoreSamples(Xtest));
    expect((await deserialize(bytes.slice().buffer)).name).toBe('ref-meandist');
  });

  it('keeps the version constant equal to package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('rejects foreign, truncated, corrupt, edited and newer files', async () => {
    const bytes = await serialize(await fittedLogistic());
    expect(await formatError(new TextEncoder().encode('PK\u0003\u0004 a zip file, not ours'))).toMatch(/magic/);
    expect(await formatError(bytes.subarray(0, 8))).toMatch(/too short/);
    expect(await formatError(bytes.subarray(0, 40))).toMatch(/truncated/);
    expect(await formatError(bytes.subarray(0, bytes.length - 8))).toMatch(/truncated/);
    const flipped = bytes.slice();
    flipped[flipped.length - 10] ^= 0x10; // a weight bit
    expect(await formatError(flipped)).toMatch(/checksum mismatch/);
    const edited = new TextDecoder().decode(bytes).replace('"epochs":3', '"epochs":4');
    expect(await formatError(new Uint8Array(Buffer.from(edited, 'latin1')))).toMatch(/checksum|UTF-8|corrupt/);
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(4, FORMAT_VERSION + 1, true);
    expect(await formatError(newer)).toMatch(/version 2 is newer.*upgrade/);
    const zero = bytes.slice();
    new DataView(zero.buffer).setUint32(4, 0, true);
    expect(await formatError(zero)).toMatch(/invalid/);
  });

  it('rejects prototype-polluting headers without polluting', async () => {
    const d = await fittedLogistic();
    const bytes = await serialize(d);
    const h = new DataView(bytes.buffer).getUint32(8, true);
    const text = new TextDecoder().decode(bytes.subarray(12, 12 + h));
    const evil = text.replace('"params":{', '"params":{"__proto__":{"polluted":true},');
    const body = evil.slice(0, evil.lastIndexOf(',"crc32":'));
    const dataStart = (12 + h + 7) & ~7;
    const data = bytes.subarray(dataStart);
    const crc = crc32(data, crc32(new TextEncoder().encode(body)));
    const header = new TextEncoder().encode(`${body},"crc32":${crc}}`);
    const start = (12 + header.length + 7) & ~7;
    const out = new Uint8Array(start + data.length);
    out.set(bytes.subarray(0, 8));
    new DataView(out.buffer).setUint32(8, header.length, true);
    out.set(header, 12);
    out.set(data, start);
    expect(await formatError(out)).toMatch(/forbidden key "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses to save an unregistered detector or an unfitted one', async () => {
    class Unlisted extends MeanDistance {
      override readonly name = 'not-registered' as 'ref-meandist';
    }
    await expect(serialize(await new Unlisted().fit(X))).rejects.toThrow(/not registered/);
    await expect(serialize(new MeanDistance())).rejects.toThrow(/not fitted/);
  });

  it('a header naming an unknown detector is a ModelFormatError naming it', async () => {
    const bytes = await serialize(await new MeanDistance().fit(X));
    const renamed = Buffer.from(bytes).toString('latin1').replace('ref-meandist', 'ref-meandisX');
    // The checksum covers the header, so fix it up to reach the registry lookup.
    const b = new Uint8Array(Buffer.from(renamed, 'latin1'));
    const h = new DataView(b.buffer).getUint32(8, true);
    const text = new TextDecoder().decode(b.subarray(12, 12 + h));
    const body = text.slice(0, text.lastIndexOf(',"crc32":'));
    const dataStart = (12 + h + 7) & ~7;
    const crc = crc32(b.subarray(dataStart), crc32(new TextEncoder().encode(body)));
    const fixed = `${body},"crc32":${crc}}`;
    expect(fixed.length).toBeLessThanOrEqual(h + 8);
    const header = new TextEncoder().encode(fixed);
    const start = (12 + header.length + 7) & ~7;
    const out = new Uint8Array(start + b.length - dataStart);
    out.set(b.subarray(0, 8));
    new DataView(out.buffer).setUint32(8, header.length, true);
    out.set(header, 12);
    out.set(b.subarray(dataStart), start);
    expect(await formatError(out)).toMatch(/unknown detector "ref-meandisX"/);
  });
});

describe('pipelines persist as one file', () => {
  it('round-trips transformers and detector', async () => {
    const pipe = await new Pipeline([new CenterTransformer({ factor: 2 }), new LogisticDetector({ epochs: 3 })]).fit(X, y);
    const bytes = await serialize(pipe);
    expect(readHeader(bytes).detector).toBe('pipeline');
    const loaded = await deserialize(bytes);
    expect(loaded).toBeInstanceOf(Pipeline);
    expect(await loaded.scoreSamples(Xtest)).toEqual(await pipe.scoreSamples(Xtest));
    expect(loaded.getParams()).toEqual(pipe.getParams());
  });
});

describe('saveFile / loadFile (Node)', () => {
  it('writes atomically and loads back; errors name the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'abc-persist-'));
    dirs.push(dir);
    const path = join(dir, 'model.abc');
    const d = await fittedLogistic();
    await saveFile(d, path);
    expect((await loadFile(path)).name).toBe('ref-logistic');
    expect(await readdir(dir)).toEqual(['model.abc']); // no temporary file left
    await writeFile(join(dir, 'bad.abc'), 'not a model');
    await expect(loadFile(join(dir, 'bad.abc'))).rejects.toThrow(/bad\.abc: not an ABC model file/);
  });

  it('a failed save leaves the old file whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'abc-persist-'));
    dirs.push(dir);
    const path = join(dir, 'model.abc');
    await saveFile(await fittedLogistic(), path);
    const before = await readFile(path);
    await expect(saveFile(new LogisticDetector(), path)).rejects.toThrow(/not fitted/);
    await expect(writeFileAtomic(join(dir, 'no-such-dir', 'x.abc'), new Uint8Array(3))).rejects.toThrow(/ENOENT/);
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    expect(await readdir(dir)).toEqual(['model.abc']);
  });
});

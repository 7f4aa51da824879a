/**
 * Fuzz of the model byte format: real saved models (a pipeline and a bare detector) mutated by bit flips,
 * truncations, spliced headers and checksum-valid header edits. Every case must end in a typed error
 * (ModelFormatError, or for a loaded-but-inconsistent model a typed error at scoring) or in a model whose
 * scores are finite; never a crash of another kind, a hang or a NaN score. Seeded, so every run is the same.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AbcError, crc32, deserialize, MinMaxScaler, ModelFormatError, Pipeline, Random, StandardScaler } from '../src/index.js';
import { saveFile } from '../src/node/index.js';
import { LogisticDetector, makeCheckData, MeanDistance, registerReferenceDetectors } from '../src/testing/index.js';

registerReferenceDetectors();
const { X, y, Xtest } = makeCheckData();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function realModels(): Promise<Uint8Array[]> {
  const dir = await mkdtemp(join(tmpdir(), 'abc-model-fuzz-'));
  dirs.push(dir);
  const models = [
    await new Pipeline([new MinMaxScaler(), new LogisticDetector({ epochs: 2, seed: 3 })]).fit(X, y),
    await new Pipeline([new StandardScaler(), new MeanDistance({ contamination: 0.2 })]).fit(X),
    await new MeanDistance().fit(X),
  ];
  const out: Uint8Array[] = [];
  for (const [i, m] of models.entries()) {
    await saveFile(m, join(dir, `m${i}.abc`));
    out.push(new Uint8Array(await readFile(join(dir, `m${i}.abc`))));
  }
  return out;
}

function headerOf(b: Uint8Array): { text: string; dataStart: number } {
  const h = new DataView(b.buffer, b.byteOffset).getUint32(8, true);
  return { text: new TextDecoder().decode(b.subarray(12, 12 + h)), dataStart: (12 + h + 7) & ~7 };
}

/** Builds a file from a header (without its crc) and a data section, with a correct checksum. */
function encode(body: string, data: Uint8Array, version = 1): Uint8Array {
  const crc = crc32(data, crc32(new TextEncoder().encode(body)));
  const header = new TextEncoder().encode(`${body},"crc32":${crc}}`);
  const start = (12 + header.length + 7) & ~7;
  const out = new Uint8Array(start + data.length);
  out.set([0x41, 0x42, 0x43, 0x4d]);
  const v = new DataView(out.buffer);
  v.setUint32(4, version, true);
  v.setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(data, start);
  return out;
}

const WEIRD: unknown[] = [
  null,
  -1,
  0,
  1,
  2.5,
  1e308,
  -1e308,
  2 ** 32,
  'x',
  '',
  'f32',
  'toString',
  [],
  [1],
  [0, 0],
  [-1],
  {},
  true,
  false,
  'abc',
  'pipeline',
  'minmax',
];

/** Replaces one random leaf (or deletes one member) of the header JSON. */
function editHeader(rng: Random, value: Record<string, unknown>): void {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v))
      v.forEach((x, i) => {
        walk(x, [...path, i]);
      });
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...path, k]);
  };
  walk(value, []);
  const path = paths[1 + rng.int(paths.length - 1)];
  let parent: Record<string | number, unknown> = value;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (rng.float() < 0.15 && !Array.isArray(parent)) delete parent[last];
  else parent[last] = structuredClone(WEIRD[rng.int(WEIRD.length)]);
}

type Outcome = 'typed error at load' | 'typed error at scoring' | 'loaded, finite scores';

async function attempt(bytes: Uint8Array): Promise<Outcome> {
  let model: Awaited<ReturnType<typeof deserialize>>;
  try {
    model = await deserialize(bytes);
  } catch (e) {
    if (!(e instanceof ModelFormatError)) throw new Error(`untyped load error: ${(e as Error)?.stack}`);
    return 'typed error at load';
  }
  try {
    const s = await model.scoreSamples(Xtest);
    if (!(s instanceof Float32Array) || s.length !== Xtest.rows) throw new Error('scores of the wrong type or length');
    for (const v of s) if (Number.isNaN(v)) throw new Error('a NaN score from a loaded model');
    return 'loaded, finite scores';
  } catch (e) {
    if (e instanceof AbcError) return 'typed error at scoring';
    throw e;
  }
}

describe('fuzz: the model file format', () => {
  it('bit flips, truncations, splices and checksum-valid header edits end in typed errors (seeded, bounded)', async () => {
    const models = await realModels();
    const rng = new Random(424242);
    const counts: Record<string, number> = {};
    const record = (kind: string, o: Outcome) => (counts[`${kind}: ${o}`] = (counts[`${kind}: ${o}`] ?? 0) + 1);
    const t0 = performance.now();
    let cases = 0;
    const run = async (kind: string, bytes: Uint8Array) => {
      cases++;
      const c0 = performance.now();
      const o = await attempt(bytes).catch((e: Error) => {
        throw new Error(`${kind} case ${cases}: ${e.message}`);
      });
      expect(performance.now() - c0, `${kind} case ${cases} took too long`).toBeLessThan(2000);
      record(kind, o);
    };
    for (let k = 0; k < 120; k++) {
      const b = models[k % models.length].slice();
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++) b[rng.int(b.length)] ^= 1 << rng.int(8);
      await run('bit flip', b);
    }
    for (let k = 0; k < 60; k++) {
      const b = models[k % models.length];
      await run('truncation', b.subarray(0, rng.int(b.length)));
    }
    for (let k = 0; k < 60; k++) {
      const a = models[k % models.length];
      const b = models[(k + 1) % models.length];
      const ha = headerOf(a);
      const hb = headerOf(b);
      const choice = k % 4;
      let out: Uint8Array;
      if (choice === 0) {
        // A's header and checksum on B's data.
        out = new Uint8Array(ha.dataStart + b.length - hb.dataStart);
        out.set(a.subarray(0, ha.dataStart));
        out.set(b.subarray(hb.dataStart), ha.dataStart);
      } else if (choice === 1) {
        // A's header, B's data, checksum recomputed: a consistent file whose tensors do not fit the header.
        out = encode(ha.text.slice(0, ha.text.lastIndexOf(',"crc32":')), b.subarray(hb.dataStart));
      } else if (choice === 2) {
        // Random bytes inserted into or deleted from the header.
        const at = 12 + rng.int(ha.dataStart - 12);
        out =
          rng.float() < 0.5
            ? new Uint8Array([...a.subarray(0, at), rng.int(256), ...a.subarray(at)])
            : new Uint8Array([...a.subarray(0, at), ...a.subarray(at + 1)]);
      } else {
        // A wrong header length in the preamble.
        out = a.slice();
        new DataView(out.buffer).setUint32(8, rng.int(2) ? rng.int(ha.dataStart) : 0xffffff00 + rng.int(255), true);
      }
      await run('splice', out);
    }
    for (let k = 0; k < 120; k++) {
      const a = models[k % models.length];
      const { text, dataStart } = headerOf(a);
      const header = JSON.parse(text) as Record<string, unknown>;
      delete header.crc32;
      const edits = 1 + rng.int(2);
      for (let e = 0; e < edits; e++) editHeader(rng, header);
      const body = JSON.stringify(header).slice(0, -1);
      await run('header edit (valid crc)', encode(body.length > 0 ? body : '{', a.subarray(dataStart)));
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(`model-format fuzz: ${cases} cases in ${seconds.toFixed(2)} s`, counts);
    expect(cases).toBe(360);
    expect(seconds).toBeLessThan(20);
  }, 30_000);
});

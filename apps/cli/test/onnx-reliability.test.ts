/**
 * Reliability of ONNX scoring (`abc score --model x.onnx`, `OnnxDetector.load`): foreign, truncated and
 * corrupted `.onnx` files end in a typed error (exit 3, or 4 for a backend), never an internal error; a
 * loaded model never gives NaN scores without saying so. docs/reliability.md, rows 21a-21e.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbcError, matrix, ModelFormatError, Random } from '@abc/core';
import { attr, ElemType, GraphBuilder, OnnxDetector } from '@abc/onnx-export';
import { main } from '../src/main.js';

let dir = '';
const p = (name: string) => join(dir, name);
let exported: Uint8Array;

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A small foreign graph: X [N, 2] -> ReduceSum over axis 1 -> an output named `outName`, with metadata. */
function foreignGraph(inputName: string, outName: string, metadata: Record<string, string> = {}): Uint8Array {
  const g = new GraphBuilder('foreign');
  const x = g.input(inputName, ElemType.float, ['N', 2]);
  const axes = g.int64Constant('axes', [1]);
  g.node('ReduceSum', [x, axes], [outName], { keepdims: attr.int(0) }, { exactOutputs: true });
  g.output(outName, ElemType.float, ['N']);
  return g.toBytes({ metadata, producerName: 'someone-else', producerVersion: '1' });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-cli-onnx-rel-'));
  const rng = new Random(3);
  const rows = Array.from(
    { length: 120 },
    (_, i) => `${rng.normal(0, 1).toFixed(4)},${rng.normal(0, 1).toFixed(4)},${i % 6 === 0 ? 1 : 0}`,
  );
  await writeFile(p('train.csv'), `${['x1,x2,label', ...rows].join('\n')}\n`);
  const fit = await run(
    'fit',
    '--data',
    p('train.csv'),
    '--label',
    'label',
    '--detector',
    'abc',
    '--param',
    'hidden=4',
    '--param',
    'latent=1',
    '--param',
    'maxEpochs=3',
    '--out',
    p('m.abc'),
  );
  expect(fit.code, fit.err).toBe(0);
  const ex = await run('export', '--model', p('m.abc'), '--out', p('m.onnx'));
  expect(ex.code, ex.err).toBe(0);
  exported = new Uint8Array(await readFile(p('m.onnx')));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

function expectTyped(r: { code: number; err: string }, pattern: RegExp) {
  expect([3, 4], r.err).toContain(r.code);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('reliability: ONNX files that are not ours, or damaged', () => {
  it('an ABC model file, random bytes, an empty file or a truncated export given as .onnx is exit 3', async () => {
    await writeFile(p('abc-as.onnx'), await readFile(p('m.abc')));
    expectTyped(await run('score', '--model', p('abc-as.onnx'), '--data', p('train.csv')), /not an ONNX model|no graph|ONNX/);
    await writeFile(
      p('random.onnx'),
      Uint8Array.from({ length: 200 }, (_, i) => (i * 7919) % 256),
    );
    expectTyped(await run('score', '--model', p('random.onnx'), '--data', p('train.csv')), /ONNX/);
    await writeFile(p('empty.onnx'), new Uint8Array(0));
    expectTyped(await run('score', '--model', p('empty.onnx'), '--data', p('train.csv')), /ONNX/);
    for (const cut of [10, Math.floor(exported.length / 2), exported.length - 3]) {
      await writeFile(p('cut.onnx'), exported.subarray(0, cut));
      expectTyped(await run('score', '--model', p('cut.onnx'), '--data', p('train.csv')), /ONNX|onnxruntime/);
    }
  });

  it('a foreign graph without input "X" or output "score" is exit 3 naming what is missing', async () => {
    await writeFile(p('y.onnx'), foreignGraph('Y', 'score'));
    expectTyped(await run('score', '--model', p('y.onnx'), '--data', p('train.csv')), /no input "X"/);
    await writeFile(p('out.onnx'), foreignGraph('X', 'out'));
    expectTyped(await run('score', '--model', p('out.onnx'), '--data', p('train.csv')), /no output "score"/);
  });

  it('a foreign graph with our names but no feature names is exit 2 (columns cannot be matched by name)', async () => {
    await writeFile(p('sum.onnx'), foreignGraph('X', 'score'));
    const r = await run('score', '--model', p('sum.onnx'), '--data', p('train.csv'));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/no feature names/);
  });

  it('a foreign graph with malformed abc.* metadata (valid JSON) scores or is a typed error, never an internal error', async () => {
    const cases: Record<string, string>[] = [
      { 'abc.feature_names': '{"__proto__":{"polluted":1}}' },
      { 'abc.feature_names': '["a"]' },
      { 'abc.threshold': 'high', 'abc.feature_names': '["x1","x2"]' },
    ];
    for (const metadata of cases) {
      await writeFile(p('meta.onnx'), foreignGraph('X', 'score', metadata));
      const r = await run('score', '--model', p('meta.onnx'), '--data', p('train.csv'));
      expect(r.code === 0 || r.code === 2 || r.code === 3, `${JSON.stringify(metadata)}: exit ${r.code} ${r.err}`).toBe(true);
      expect(r.err, JSON.stringify(metadata)).not.toMatch(/\n\s+at /);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  // docs/reliability.md, row 21e: metadata abc.feature_names that is not JSON is a ModelFormatError (exit 3).
  it('a foreign graph whose abc.feature_names is not JSON is exit 3', async () => {
    await writeFile(p('meta-bad.onnx'), foreignGraph('X', 'score', { 'abc.feature_names': 'not json' }));
    const r = await run('score', '--model', p('meta-bad.onnx'), '--data', p('train.csv'));
    expect(r.code, r.err).toBe(3);
    expect(r.err).toMatch(/abc\.feature_names is not valid JSON/);
  });

  it('fuzz: bit flips of an exported model are refused (typed error) or leave the scores unchanged (API, 60 cases)', async () => {
    const rng = new Random(61);
    const X = matrix(
      Float32Array.from({ length: 40 }, () => rng.normal(0, 1)),
      20,
      2,
    );
    const counts = { typed: 0, finite: 0, nan: 0, changed: 0 };
    const original = await (await OnnxDetector.load(exported, { backend: 'cpu' })).scoreSamples(X);
    const t0 = performance.now();
    for (let k = 0; k < 60; k++) {
      const b = exported.slice();
      for (let f = 1 + rng.int(3); f > 0; f--) b[rng.int(b.length)] ^= 1 << rng.int(8);
      let det: OnnxDetector;
      try {
        det = await OnnxDetector.load(b, { backend: 'cpu' });
      } catch (e) {
        if (!(e instanceof AbcError))
          throw new Error(`case ${k}: untyped load error ${(e as Error)?.name}: ${(e as Error)?.message}`);
        counts.typed++;
        continue;
      }
      try {
        const s = await det.scoreSamples(X);
        if (s.some((v) => Number.isNaN(v))) counts.nan++;
        else if (s.some((v, i) => v !== original[i])) counts.changed++;
        else counts.finite++;
      } catch (e) {
        if (!(e instanceof AbcError))
          throw new Error(`case ${k}: untyped scoring error ${(e as Error)?.name}: ${(e as Error)?.message}`);
        counts.typed++;
      }
    }
    console.log(`ONNX bit-flip fuzz: 60 cases in ${((performance.now() - t0) / 1000).toFixed(2)} s`, counts);
    expect(counts.typed + counts.finite + counts.nan + counts.changed).toBe(60);
    // The graph's CRC-32 (abc.graph_crc32) catches every flip in the nodes and weights; a flip elsewhere (a doc
    // string, the producer name) loads and scores exactly as before.
    expect(counts.nan).toBe(0);
    expect(counts.changed).toBe(0);
    expect(counts.typed).toBeGreaterThan(30);
  }, 60_000);

  it('ModelFormatError for foreign bytes at the API door too', async () => {
    await expect(OnnxDetector.load(new TextEncoder().encode('ABCM not onnx'), { backend: 'cpu' })).rejects.toBeInstanceOf(
      ModelFormatError,
    );
  });
});

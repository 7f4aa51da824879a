import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectOnnx, type OnnxValueInfo } from '@abc/onnx-export';
import { main } from '../src/main.js';

// `abc export --triton DIR --name NAME` writes a Triton model repository entry; its config.pbtxt is parsed back
// here and checked against the ONNX file's own inputs and outputs (names, dims without the batch axis, types).

let dir = '';

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

interface TensorConfig {
  name: string;
  data_type: string;
  dims: number[];
  reshape?: number[];
}

/** A small reader for the subset of protobuf text format the config uses (enough to check what we wrote). */
function parsePbtxt(text: string) {
  const body = text.replace(/#.*$/gm, '');
  const scalar = (key: string) => body.match(new RegExp(`^${key}:\\s*(.+)$`, 'm'))?.[1].trim();
  const list = (key: string): TensorConfig[] => {
    const m = body.match(new RegExp(`^${key} \\[([\\s\\S]*?)^\\]`, 'm'));
    if (!m) return [];
    return m[1]
      .split(/\n {2}\}/)
      .filter((b) => b.includes('name:'))
      .map((b) => ({
        name: b.match(/name:\s*"([^"]+)"/)![1],
        data_type: b.match(/data_type:\s*(\w+)/)![1],
        dims: b
          .match(/dims:\s*\[([^\]]*)\]/)![1]
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map(Number),
        reshape: b.includes('reshape')
          ? b
              .match(/reshape:\s*\{\s*shape:\s*\[([^\]]*)\]/)![1]
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
              .map(Number)
          : undefined,
      }));
  };
  return {
    name: JSON.parse(scalar('name') ?? 'null'),
    platform: JSON.parse(scalar('platform') ?? 'null'),
    maxBatchSize: Number(scalar('max_batch_size')),
    inputs: list('input'),
    outputs: list('output'),
    dynamicBatching: /^dynamic_batching \{/m.test(body),
  };
}

const ONNX_TO_TRITON: Record<number, string> = { 1: 'TYPE_FP32', 7: 'TYPE_INT64' };

/** Triton's dims and reshape for an ONNX value of dims [N, ...rest]. */
function expected(v: OnnxValueInfo): TensorConfig {
  const rest = v.dims.slice(1) as number[];
  return rest.length
    ? { name: v.name, data_type: ONNX_TO_TRITON[v.elemType], dims: rest, reshape: undefined }
    : { name: v.name, data_type: ONNX_TO_TRITON[v.elemType], dims: [1], reshape: [] };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-cli-triton-'));
  let csv = 'x1,x2,x3,label\n';
  for (let i = 0; i < 40; i++) csv += `${Math.sin(i) * 0.3},${Math.cos(i) * 0.3},${(i % 7) / 10},${i % 10 === 0 ? 1 : 0}\n`;
  await writeFile(join(dir, 'train.csv'), csv);
  expect(
    (
      await run(
        'fit',
        '--detector',
        'abc',
        '--data',
        join(dir, 'train.csv'),
        '--label',
        'label',
        '--param',
        'hidden=4',
        '--param',
        'latent=1',
        '--param',
        'maxEpochs=3',
        '--out',
        join(dir, 'abc.abc'),
      )
    ).code,
  ).toBe(0);
  expect(
    (
      await run(
        'fit',
        '--detector',
        'iforest',
        '--data',
        join(dir, 'train.csv'),
        '--label',
        'label',
        '--param',
        'nEstimators=5',
        '--out',
        join(dir, 'if.abc'),
      )
    ).code,
  ).toBe(0);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('abc export --triton', () => {
  it('writes DIR/NAME/1/model.onnx and a config.pbtxt that matches the ONNX inputs and outputs', async () => {
    const repo = join(dir, 'repo');
    const r = await run(
      'export',
      '--model',
      join(dir, 'abc.abc'),
      '--triton',
      repo,
      '--name',
      'fraud_abc',
      '--max-batch-size',
      '256',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('fraud_abc');
    const onnx = new Uint8Array(await readFile(join(repo, 'fraud_abc', '1', 'model.onnx')));
    const info = inspectOnnx(onnx);
    const cfg = parsePbtxt(await readFile(join(repo, 'fraud_abc', 'config.pbtxt'), 'utf8'));
    expect(cfg.name).toBe('fraud_abc');
    expect(cfg.platform).toBe('onnxruntime_onnx');
    expect(cfg.maxBatchSize).toBe(256);
    expect(cfg.dynamicBatching).toBe(true);
    // the ONNX contract: X float32 [N, D]; score/reconstruction_error float32 [N]; label int64 [N]
    expect(info.inputs.map((v) => v.name)).toEqual(['X']);
    expect(cfg.inputs).toEqual(info.inputs.map(expected));
    expect(cfg.inputs[0]).toEqual({ name: 'X', data_type: 'TYPE_FP32', dims: [3], reshape: undefined });
    expect(cfg.outputs).toEqual(info.outputs.map(expected));
    expect(cfg.outputs.map((o) => [o.name, o.data_type])).toEqual([
      ['score', 'TYPE_FP32'],
      ['reconstruction_error', 'TYPE_FP32'],
      ['label', 'TYPE_INT64'],
    ]);
  });

  it('defaults the name to abc_<detector>, writes --out too, and follows --no-label', async () => {
    const repo = join(dir, 'repo2');
    const r = await run('export', '--model', join(dir, 'if.abc'), '--triton', repo, '--out', join(dir, 'if.onnx'), '--no-label');
    expect(r.code).toBe(0);
    const a = await readFile(join(dir, 'if.onnx'));
    const b = await readFile(join(repo, 'abc_iforest', '1', 'model.onnx'));
    expect(Buffer.compare(a, b)).toBe(0);
    const cfg = parsePbtxt(await readFile(join(repo, 'abc_iforest', 'config.pbtxt'), 'utf8'));
    expect(cfg.name).toBe('abc_iforest');
    expect(cfg.maxBatchSize).toBe(1024);
    expect(cfg.outputs.map((o) => o.name)).toEqual(inspectOnnx(new Uint8Array(b)).outputs.map((o) => o.name));
    expect(cfg.outputs.map((o) => o.name)).toEqual(['score']);
  });

  it('refuses a bad --name, a --name without --triton and a bad --max-batch-size (exit 2)', async () => {
    const m = join(dir, 'abc.abc');
    expect((await run('export', '--model', m, '--triton', join(dir, 'r3'), '--name', '../evil')).code).toBe(2);
    expect((await run('export', '--model', m, '--out', join(dir, 'x.onnx'), '--name', 'n')).code).toBe(2);
    expect((await run('export', '--model', m, '--triton', join(dir, 'r3'), '--max-batch-size', '0')).code).toBe(2);
    expect((await run('export', '--model', m)).code).toBe(2);
  });
});

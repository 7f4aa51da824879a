import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, inferOip, startServer, type StartedServer } from '../src/index.js';
import { data, fitAbc, metric, writeOnnxModel, writeSavedModel } from './helpers.js';

// Triton's model configuration and statistics extensions on 127.0.0.1. The JSON shapes, written down from Triton's
// docs/protocol/extension_model_configuration.md and extension_statistics.md:
//   GET v2/models/${MODEL_NAME}[/versions/${MODEL_VERSION}]/config -> the JSON form of ModelConfig (model_config.proto):
//     name, platform, backend, version_policy, max_batch_size, input [{ name, data_type, format, dims, reshape,
//     is_shape_tensor, allow_ragged_batch, optional }], output [{ name, data_type, dims, reshape, label_filename,
//     is_shape_tensor }], dynamic_batching { preferred_batch_size, max_queue_delay_microseconds, preserve_ordering },
//     instance_group [{ name, kind, count }], default_model_filename  (checked field by field against protobuf's
//     JSON of the same ModelConfig: fixtures/triton-config.json);
//   GET v2/models[/${MODEL_NAME}[/versions/${MODEL_VERSION}]]/stats -> $stats_model_response { model_stats: [$model_stat] }
//     $model_stat = { name, version, last_inference, inference_count, execution_count, inference_stats, batch_stats }
//     $inference_stats = { success, fail, queue, compute_input, compute_infer, compute_output, cache_hit }
//     $batch_stats = { batch_size, compute_input, compute_infer, compute_output };  $duration_stat = { count, ns }
//   errors: { "error": $string }.

const here = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(join(here, 'fixtures/triton-config.json'), 'utf8')) as {
  cases: { name: string; pbtxt: string; json: Record<string, unknown> }[];
};
const SERVED = fixture.cases.find((c) => c.name === 'served')!;

const DURATION = { count: expect.any(Number), ns: expect.any(Number) };
const STAT_KEYS = ['name', 'version', 'last_inference', 'inference_count', 'execution_count', 'inference_stats', 'batch_stats'];
const INFERENCE_KEYS = ['success', 'fail', 'queue', 'compute_input', 'compute_infer', 'compute_output', 'cache_hit'];

interface Duration {
  count: number;
  ns: number;
}
interface ModelStat {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: Record<string, Duration>;
  batch_stats: { batch_size: number; compute_input: Duration; compute_infer: Duration; compute_output: Duration }[];
}

let dir = '';
let s: StartedServer;

async function get(path: string) {
  const res = await fetch(s.url + path);
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

async function stats(model: string): Promise<ModelStat> {
  const r = await get(`/v2/models/${model}/stats`);
  expect(r.status, r.text).toBe(200);
  const body = r.json() as { model_stats: ModelStat[] };
  expect(Object.keys(body)).toEqual(['model_stats']);
  expect(body.model_stats).toHaveLength(1);
  const st = body.model_stats[0];
  expect(Object.keys(st).sort()).toEqual([...STAT_KEYS].sort());
  expect(Object.keys(st.inference_stats).sort()).toEqual([...INFERENCE_KEYS].sort());
  for (const k of INFERENCE_KEYS) expect(st.inference_stats[k]).toEqual(DURATION);
  for (const b of st.batch_stats) {
    expect(b).toEqual({
      batch_size: expect.any(Number),
      compute_input: DURATION,
      compute_infer: DURATION,
      compute_output: DURATION,
    });
  }
  return st;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-serve-ext-'));
  const det = await fitAbc(2, 1);
  // cfg: the config.pbtxt whose served form protobuf printed (fixture "served"); plain: max_batch_size only;
  // pref: preferred batch size 4 with a 5 s delay; saved: a model.abc without config; bad and broken: refused.
  await writeOnnxModel(dir, 'cfg', '1', det);
  await writeFile(join(dir, 'cfg', 'config.pbtxt'), SERVED.pbtxt);
  await writeOnnxModel(dir, 'plain', '1', det);
  await writeFile(join(dir, 'plain', 'config.pbtxt'), 'name: "plain"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 16\n');
  await writeOnnxModel(dir, 'pref', '2', det);
  await writeFile(
    join(dir, 'pref', 'config.pbtxt'),
    'max_batch_size: 64\ndynamic_batching { preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 5000000 }\n',
  );
  await writeSavedModel(dir, 'saved', '1', det);
  await writeOnnxModel(dir, 'bad', '1', det);
  await writeFile(
    join(dir, 'bad', 'config.pbtxt'),
    'max_batch_size: 8\ninput [ { name: "X" data_type: TYPE_FP32 dims: [ 3 ] } ]\n',
  );
  await writeOnnxModel(dir, 'broken', '1', det);
  await writeFile(join(dir, 'broken', 'config.pbtxt'), 'max_batch_size: 8\ndynamic_batching {\n');
  s = await startServer({ models: dir, port: 0, workers: 2, pollIntervalMs: 0 });
});

afterAll(async () => {
  await s?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('model configuration extension', () => {
  it('GET /v2 names both extensions', async () => {
    expect((await get('/v2')).json().extensions).toEqual(['binary_tensor_data', 'model_configuration', 'statistics']);
  });

  it('GET .../config answers the JSON protobuf gives for the ModelConfig in effect (fixture "served")', async () => {
    expect((await get('/v2/models/cfg/config')).json()).toEqual(SERVED.json);
    expect((await get('/v2/models/cfg/versions/1/config')).json()).toEqual(SERVED.json);
  });

  it("reflects config.pbtxt: max_batch_size, no dynamic_batching delay when none is set, Triton's dims", async () => {
    const plain = (await get('/v2/models/plain/config')).json();
    expect(plain.max_batch_size).toBe(16);
    expect(plain.input).toEqual([
      {
        name: 'X',
        data_type: 'TYPE_FP32',
        format: 'FORMAT_NONE',
        dims: [2],
        is_shape_tensor: false,
        allow_ragged_batch: false,
        optional: false,
      },
    ]);
    expect(plain.dynamic_batching).toEqual({
      preferred_batch_size: [],
      max_queue_delay_microseconds: 0,
      preserve_ordering: false,
    });
    expect(plain.instance_group).toEqual([{ name: 'plain_0', kind: 'KIND_CPU', count: 2 }]);
    const pref = (await get('/v2/models/pref/config')).json();
    expect(pref.dynamic_batching).toEqual({
      preferred_batch_size: [4],
      max_queue_delay_microseconds: 5_000_000,
      preserve_ordering: false,
    });
    const saved = (await get('/v2/models/saved/config')).json();
    expect(saved).toMatchObject({
      name: 'saved',
      platform: 'abc',
      backend: 'abc',
      max_batch_size: 0,
      default_model_filename: 'model.abc',
      instance_group: [{ name: 'saved_0', kind: 'KIND_CPU', count: 1 }],
    });
    expect(saved.input[0].dims).toEqual([-1, 2]);
    expect(saved.output.map((o: { name: string; dims: number[] }) => [o.name, o.dims])).toEqual([
      ['score', [-1]],
      ['reconstruction_error', [-1]],
      ['label', [-1]],
    ]);
  });

  it('a config.pbtxt that does not fit its model, or does not parse, keeps the model from loading (as Triton)', async () => {
    for (const name of ['bad', 'broken']) {
      const r = await get(`/v2/models/${name}/config`);
      expect(r.status).toBe(404);
      expect(r.json()).toEqual({ error: `unknown model "${name}"` });
    }
    const text = (await get('/metrics')).text;
    expect(metric(text, 'abc_serve_model_loads_total', 'model="bad",result="error"')).toBe(1);
    expect(metric(text, 'abc_serve_model_loads_total', 'model="broken",result="error"')).toBe(1);
  });

  it('the server-wide maxQueueDelayMs overrides the configs, and the config says so', async () => {
    const other = createServer({ models: dir, pollIntervalMs: 0, maxQueueDelayMs: 3, workers: 1 });
    try {
      await other.loaded;
      const r = await other.app.inject({ method: 'GET', url: '/v2/models/pref/config' });
      expect(r.json().dynamic_batching).toEqual({
        preferred_batch_size: [4],
        max_queue_delay_microseconds: 3000,
        preserve_ordering: false,
      });
    } finally {
      await other.close();
    }
  });
});

describe('statistics extension', () => {
  it('counts known requests: rows, runs, per batch size, successes and failures (sequential: one run each)', async () => {
    const before = await stats('plain');
    expect(before).toMatchObject({ name: 'plain', version: '1', inference_count: 0, execution_count: 0, last_inference: 0 });
    const sizes = [1, 3, 2, 5, 1];
    const t0 = Date.now();
    for (const n of sizes) await inferOip(s.url, 'plain', data(n, 2, n).X, { binary: n % 2 === 0 });
    // Two refused requests: wrong feature count, more rows than max_batch_size.
    await expect(inferOip(s.url, 'plain', [[1, 2, 3]])).rejects.toMatchObject({ status: 400 });
    await expect(inferOip(s.url, 'plain', data(17, 2).X)).rejects.toMatchObject({ status: 400 });
    // An unknown version is no request for this model version.
    await expect(inferOip(s.url, 'plain', [[1, 2]], { version: '9' })).rejects.toMatchObject({ status: 404 });
    const st = await stats('plain');
    expect(st.inference_count).toBe(12);
    expect(st.execution_count).toBe(5);
    expect(st.last_inference).toBeGreaterThanOrEqual(t0);
    expect(st.last_inference).toBeLessThanOrEqual(Date.now());
    const inf = st.inference_stats;
    expect(inf.success.count).toBe(5);
    expect(inf.fail.count).toBe(2);
    expect(inf.fail.ns).toBeGreaterThan(0);
    for (const k of ['queue', 'compute_input', 'compute_infer', 'compute_output']) expect(inf[k].count).toBe(5);
    expect(inf.cache_hit).toEqual({ count: 0, ns: 0 });
    expect(inf.compute_infer.ns).toBeGreaterThan(0);
    // Each request's time in the server holds its wait and its run.
    expect(inf.success.ns).toBeGreaterThanOrEqual(
      inf.queue.ns + inf.compute_input.ns + inf.compute_infer.ns + inf.compute_output.ns,
    );
    expect(st.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([
      [1, 2],
      [2, 1],
      [3, 1],
      [5, 1],
    ]);
    for (const b of st.batch_stats) {
      for (const k of ['compute_input', 'compute_output'] as const) expect(b[k].count).toBe(b.compute_infer.count);
    }
    // The per batch size durations add up to the per request ones (one request per run here).
    expect(st.batch_stats.reduce((a, b) => a + b.compute_infer.ns, 0)).toBe(inf.compute_infer.ns);
  });

  it('with preferred_batch_size 4, twelve concurrent 1-row requests run as three batches of 4', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => [Math.sin(i), Math.cos(i)]);
    const t0 = Date.now();
    const results = await Promise.all(rows.map((r, i) => inferOip(s.url, 'pref', [r], { id: `p${i}` })));
    expect(Date.now() - t0).toBeLessThan(4_000); // never waited out the 5 s delay
    expect(results.map((r) => r.id)).toEqual(rows.map((_, i) => `p${i}`));
    const st = await stats('pref');
    expect(st.version).toBe('2');
    expect(st.inference_count).toBe(12);
    expect(st.execution_count).toBe(3);
    expect(st.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([[4, 3]]);
    expect(st.inference_stats.success.count).toBe(12);
    expect(st.inference_stats.queue.count).toBe(12);
    expect(st.inference_stats.compute_infer.count).toBe(12);
    // 12 requests shared 3 runs: the per request sum counts each run 4 times.
    expect(st.inference_stats.compute_infer.ns).toBe(4 * st.batch_stats[0].compute_infer.ns);
    // The same runs in the Prometheus histogram.
    const text = (await get('/metrics')).text;
    expect(metric(text, 'abc_serve_batch_rows_count', 'model="pref"')).toBe(3);
    expect(metric(text, 'abc_serve_batch_rows_sum', 'model="pref"')).toBe(12);
  });

  it('a saved model (scored in-process) is counted the same way', async () => {
    await inferOip(s.url, 'saved', data(7, 2).X);
    const st = await stats('saved');
    expect(st.inference_count).toBe(7);
    expect(st.execution_count).toBe(1);
    expect(st.batch_stats.map((b) => b.batch_size)).toEqual([7]);
    expect(st.inference_stats.compute_infer.ns).toBeGreaterThan(0);
  });

  it('GET /v2/models/stats lists every served model version; versions path; 404s in the error form', async () => {
    const all = (await get('/v2/models/stats')).json() as { model_stats: ModelStat[] };
    expect(all.model_stats.map((m) => `${m.name}/${m.version}`).sort()).toEqual(['cfg/1', 'plain/1', 'pref/2', 'saved/1']);
    expect((await get('/v2/models/pref/versions/2/stats')).json().model_stats[0].inference_count).toBe(12);
    for (const [path, msg] of [
      ['/v2/models/nope/stats', 'unknown model "nope"'],
      ['/v2/models/pref/versions/1/stats', 'model "pref" has no version "1" being served (serving version 2)'],
      ['/v2/models/nope/config', 'unknown model "nope"'],
      ['/v2/models/cfg/versions/3/config', 'model "cfg" has no version "3" being served (serving version 1)'],
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.json()).toEqual({ error: msg });
    }
  });

  it('both extensions need the bearer token when one is set', async () => {
    const a = createServer({ models: dir, pollIntervalMs: 0, token: 's3cret', workers: 1 });
    try {
      await a.loaded;
      for (const url of ['/v2/models/cfg/config', '/v2/models/cfg/stats', '/v2/models/stats']) {
        const no = await a.app.inject({ method: 'GET', url });
        expect(no.statusCode, url).toBe(401);
        expect(Object.keys(no.json())).toEqual(['error']);
        const yes = await a.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer s3cret' } });
        expect(yes.statusCode, url).toBe(200);
      }
    } finally {
      await a.close();
    }
  });
});

describe('an edited config.pbtxt', () => {
  it('reloads the model with the new configuration; the same text written again reloads nothing', async () => {
    const loads = async () => metric((await get('/metrics')).text, 'abc_serve_model_loads_total', 'model="plain",result="ok"');
    const n0 = await loads();
    const text = 'name: "plain"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 16\n';
    await writeFile(join(dir, 'plain', 'config.pbtxt'), text);
    await s.server.models.refresh();
    expect(await loads()).toBe(n0);
    await writeFile(join(dir, 'plain', 'config.pbtxt'), text.replace('16', '32'));
    await s.server.models.refresh();
    expect(await loads()).toBe(n0 + 1);
    expect((await get('/v2/models/plain/config')).json().max_batch_size).toBe(32);
    // The reloaded version starts its statistics anew.
    expect((await stats('plain')).inference_count).toBe(0);
    await expect(inferOip(s.url, 'plain', data(20, 2).X)).resolves.toBeDefined(); // 20 rows: allowed now
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix, type Detector } from '@abc/core';
import { loadFile } from '@abc/core/node';
import { OnnxDetector } from '@abc/onnx-export';
import { inferOip, OipError, startServer, createServer, type StartedServer } from '../src/index.js';
import { data, fitAbc, maxDiff, metric, writeOnnxModel, writeSavedModel } from './helpers.js';

// Contract tests of the Open Inference Protocol v2 REST API (KServe's "V2 inference protocol" and Triton's
// binary tensor data extension), on 127.0.0.1. The protocol's JSON field names are written out here, from the
// protocol documents, rather than taken from the server's types:
//   server metadata: name, version, extensions;  model metadata: name, versions, platform, inputs, outputs;
//   tensor metadata: name, datatype, shape;  health: live, ready;  model ready: name, ready;
//   inference request: id, parameters, inputs [{ name, shape, datatype, parameters, data }], outputs [{ name, parameters }];
//   inference response: model_name, model_version, id, parameters, outputs [{ name, shape, datatype, parameters, data }];
//   binary extension: header Inference-Header-Content-Length; parameters binary_data (per output),
//   binary_data_output (per request), binary_data_size (per tensor);  errors: { "error": "..." }.

let dir = '';
let s: StartedServer;
let url = '';
let abc: Detector;
let onnx: OnnxDetector;
let saved: Detector;
const D = 2;

async function post(
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const res = await fetch(url + path, { method: 'POST', headers, body: body as BodyInit });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

function request(X: number[], shape: number[], extra: Record<string, unknown> = {}) {
  return JSON.stringify({ inputs: [{ name: 'X', shape, datatype: 'FP32', data: X }], ...extra });
}

/** A 4xx answer in the error form: {"error": "..."} naming the problem, no stack trace. */
function expectError(r: { status: number; text: string; json: () => Record<string, unknown> }, status: number, pattern: RegExp) {
  expect(r.status, r.text).toBe(status);
  const body = r.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatch(pattern);
  expect(r.text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-serve-'));
  abc = await fitAbc(D, 1);
  const bytes = await writeOnnxModel(dir, 'fraud_abc', '1', abc, 256);
  onnx = await OnnxDetector.load(bytes);
  await writeSavedModel(dir, 'saved_abc', '3', abc);
  saved = await loadFile(join(dir, 'saved_abc', '3', 'model.abc'));
  s = await startServer({ models: dir, port: 0, maxQueueDelayMs: 20, maxBodyBytes: 1 << 20, workers: 2, pollIntervalMs: 0 });
  url = s.url;
});

afterAll(async () => {
  await s?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('health and metadata', () => {
  it('GET /v2/health/live and /v2/health/ready', async () => {
    const live = await get('/v2/health/live');
    expect(live.status).toBe(200);
    expect(live.json()).toEqual({ live: true });
    const ready = await get('/v2/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ ready: true });
  });

  it('readiness is false (4xx, as the protocol says) until the models are loaded', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const server = createServer({
      models: dir,
      pollIntervalMs: 0,
      loadDetector: async (f) => {
        await gate;
        return loadFile(f);
      },
    });
    const before = await server.app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(before.statusCode).toBe(400);
    expect(before.json()).toEqual({ ready: false });
    expect((await server.app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    release();
    await server.loaded;
    const after = await server.app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(after.statusCode).toBe(200);
    await server.close();
  });

  it('GET /v2: server metadata', async () => {
    const r = await get('/v2');
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body.name).toBe('abc-serve');
    expect(typeof body.version).toBe('string');
    expect(body.extensions).toContain('binary_tensor_data');
  });

  it('GET /v2/models/{name}[/versions/{v}]: model metadata', async () => {
    const expected = {
      name: 'fraud_abc',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'X', datatype: 'FP32', shape: [-1, D] }],
      outputs: [
        { name: 'score', datatype: 'FP32', shape: [-1] },
        { name: 'reconstruction_error', datatype: 'FP32', shape: [-1] },
        { name: 'label', datatype: 'INT64', shape: [-1] },
      ],
    };
    expect((await get('/v2/models/fraud_abc')).json()).toEqual(expected);
    expect((await get('/v2/models/fraud_abc/versions/1')).json()).toEqual(expected);
    const sv = (await get('/v2/models/saved_abc')).json();
    expect(sv.platform).toBe('abc');
    expect(sv.versions).toEqual(['3']);
    expect((sv.outputs as { name: string }[]).map((o) => o.name)).toEqual(['score', 'reconstruction_error', 'label']);
  });

  it('GET .../ready for a model and a version; 404 for unknown ones', async () => {
    const r = await get('/v2/models/fraud_abc/ready');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ name: 'fraud_abc', ready: true });
    expect((await get('/v2/models/fraud_abc/versions/1/ready')).status).toBe(200);
    expectError(await get('/v2/models/nope/ready'), 404, /unknown model "nope"/);
    expectError(await get('/v2/models/fraud_abc/versions/7/ready'), 404, /no version "7"/);
    expectError(await get('/v2/models/nope'), 404, /unknown model/);
    expectError(await get('/v2/models/fraud_abc/versions/2'), 404, /no version "2"/);
    expectError(await get('/v3/whatever'), 404, /no route GET \/v3\/whatever/);
  });
});

describe('POST .../infer', () => {
  const { X } = data(37, D, 7);

  it('JSON: the response fields of the protocol, scores equal to the in-process ONNX scores within 1e-6', async () => {
    const r = await post('/v2/models/fraud_abc/infer', request(Array.from(X.data), [X.rows, D], { id: 'req-1' }));
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    const body = r.json() as {
      model_name: string;
      model_version: string;
      id: string;
      outputs: { name: string; shape: number[]; datatype: string; data: number[] }[];
    };
    expect(body.model_name).toBe('fraud_abc');
    expect(body.model_version).toBe('1');
    expect(body.id).toBe('req-1');
    expect(body.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['score', 'FP32', [X.rows]],
      ['reconstruction_error', 'FP32', [X.rows]],
      ['label', 'INT64', [X.rows]],
    ]);
    const ref = await onnx.run(X);
    expect(maxDiff(body.outputs[0].data, ref.score)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(body.outputs[1].data, ref.reconstructionError!)).toBeLessThanOrEqual(1e-6);
    expect(body.outputs[2].data).toEqual(Array.from(ref.label!, Number));
    // and the same as the fitted detector (what `abc score` gives)
    expect(maxDiff(body.outputs[0].data, await abc.scoreSamples(X))).toBeLessThanOrEqual(1e-6);
  });

  it('binary tensors (Triton extension) both ways, through inferOip; versions path; output selection', async () => {
    const ref = await onnx.run(X);
    const b = await inferOip(url, 'fraud_abc', X, { binary: true, version: '1', id: 'b1' });
    expect(b.modelVersion).toBe('1');
    expect(b.id).toBe('b1');
    expect(maxDiff(b.outputs.score!, ref.score)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(b.outputs.label!)).toEqual(Array.from(ref.label!));
    const only = await inferOip(url, 'fraud_abc', X, { outputs: ['score'] });
    expect(Object.keys(only.outputs)).toEqual(['score']);
    const mixed = await inferOip(url, 'fraud_abc', X, { binary: true, outputs: ['label', 'score'] });
    expect(Object.keys(mixed.outputs)).toEqual(['label', 'score']);
    expect(maxDiff(mixed.outputs.score!, ref.score)).toBeLessThanOrEqual(1e-6);
  });

  it('binary response layout: JSON header of Inference-Header-Content-Length bytes, then the tensors', async () => {
    const json = new TextEncoder().encode(
      JSON.stringify({
        inputs: [{ name: 'X', shape: [X.rows, D], datatype: 'FP32', parameters: { binary_data_size: X.data.byteLength } }],
        outputs: [{ name: 'score', parameters: { binary_data: true } }, { name: 'label' }],
      }),
    );
    const body = new Uint8Array(json.length + X.data.byteLength);
    body.set(json);
    body.set(new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength), json.length);
    const res = await fetch(`${url}/v2/models/fraud_abc/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'Inference-Header-Content-Length': String(json.length) },
      body,
    });
    expect(res.status).toBe(200);
    const hl = Number(res.headers.get('inference-header-content-length'));
    const raw = new Uint8Array(await res.arrayBuffer());
    const header = JSON.parse(new TextDecoder().decode(raw.subarray(0, hl))) as {
      outputs: { name: string; parameters?: { binary_data_size: number }; data?: number[] }[];
    };
    expect(header.outputs[0].parameters).toEqual({ binary_data_size: X.rows * 4 });
    expect(header.outputs[0].data).toBeUndefined();
    expect(header.outputs[1].data).toHaveLength(X.rows);
    expect(raw.length).toBe(hl + X.rows * 4);
    const score = new Float32Array(raw.slice(hl).buffer);
    expect(maxDiff(score, (await onnx.run(X)).score)).toBeLessThanOrEqual(1e-6);
  });

  it('accepts data as one array per row', async () => {
    const rows = [
      [0.1, 0.2],
      [2.5, 2.4],
    ];
    const r = await post('/v2/models/fraud_abc/infer', request(rows as unknown as number[], [2, 2]));
    expect(r.status, r.text).toBe(200);
    const ref = await onnx.scoreSamples(rows);
    expect(maxDiff((r.json().outputs as { data: number[] }[])[0].data, ref)).toBeLessThanOrEqual(1e-6);
  });

  it('a saved model.abc is scored in-process, equal to the loaded model within 1e-6', async () => {
    const res = await inferOip(url, 'saved_abc', X, { binary: true });
    expect(res.modelVersion).toBe('3');
    expect(maxDiff(res.outputs.score!, await saved.scoreSamples(X))).toBeLessThanOrEqual(1e-6);
    const labels = await saved.predict(X);
    expect(Array.from(res.outputs.label!, Number)).toEqual(Array.from(labels));
  });
});

describe('errors: {"error": ...} with the right status', () => {
  const path = '/v2/models/fraud_abc/infer';
  it('400: shape, datatype, feature count, non-finite values, data length, unknown input/output, too many rows', async () => {
    expectError(await post(path, request([1, 2], [2])), 400, /shape \[N, D\]/);
    expectError(await post(path, request([1, 2], [1, 2, 1])), 400, /shape \[N, D\]/);
    expectError(
      await post(path, JSON.stringify({ inputs: [{ name: 'X', shape: [1, 2], datatype: 'FP64', data: [1, 2] }] })),
      400,
      /datatype "FP32"/,
    );
    expectError(await post(path, request([1, 2, 3], [1, 3])), 400, /3 features per row; the model takes 2/);
    expectError(await post(path, request([1, 1e39], [1, 2])), 400, /non-finite value \(Infinity\) at row 0, column 1/);
    expectError(await post(path, request([1, 2, 3], [2, 2])), 400, /3 values; shape \[2, 2\] needs 4/);
    expectError(await post(path, request([1, 'a' as unknown as number], [1, 2])), 400, /must hold numbers/);
    expectError(
      await post(path, JSON.stringify({ inputs: [{ name: 'Y', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] })),
      400,
      /unknown input "Y"/,
    );
    expectError(await post(path, request([1, 2], [1, 2], { outputs: [{ name: 'nope' }] })), 400, /unknown output "nope"/);
    expectError(await post(path, JSON.stringify({ inputs: [] })), 400, /"inputs"/);
    const big = new Array(257 * 2).fill(0.1);
    expectError(await post(path, request(big, [257, 2])), 400, /max_batch_size 256/);
  });

  it('400: non-finite values and a wrong size in binary tensors', async () => {
    const bin = (X: Float32Array, size = X.byteLength) => {
      const json = new TextEncoder().encode(
        JSON.stringify({
          inputs: [{ name: 'X', shape: [X.length / 2, 2], datatype: 'FP32', parameters: { binary_data_size: size } }],
        }),
      );
      const b = new Uint8Array(json.length + X.byteLength);
      b.set(json);
      b.set(new Uint8Array(X.buffer), json.length);
      return post(path, b, {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(json.length),
      });
    };
    expectError(await bin(new Float32Array([0.1, NaN])), 400, /non-finite value \(NaN\)/);
    expectError(await bin(new Float32Array([0.1, 0.2]), 4), 400, /binary_data_size is 4/);
  });

  it('400: malformed JSON, and a body that is not an object', async () => {
    expectError(await post(path, '{"inputs": [ {"name": "X", '), 400, /not valid JSON/);
    expectError(await post(path, '[1, 2]'), 400, /JSON object/);
    expectError(await post(path, ''), 400, /not valid JSON/);
  });

  it('404: unknown model or version', async () => {
    expectError(await post('/v2/models/nope/infer', request([1, 2], [1, 2])), 404, /unknown model "nope"/);
    expectError(await post('/v2/models/fraud_abc/versions/5/infer', request([1, 2], [1, 2])), 404, /no version "5"/);
    await expect(inferOip(url, 'nope', [[1, 2]])).rejects.toMatchObject({ status: 404 });
    await expect(inferOip(url, 'nope', [[1, 2]])).rejects.toBeInstanceOf(OipError);
  });

  it('413 as soon as a 1 GB Content-Length is declared (after a few bytes sent), and the server stays up', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(new URL(url).port), '127.0.0.1');
      let got = '';
      sock.on('data', (c) => {
        got += c.toString();
        if (got.includes('\r\n\r\n') && got.includes('}')) {
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', reject);
      sock.setTimeout(5000, () => {
        sock.destroy();
        reject(new Error(`no answer; got ${JSON.stringify(got)}`));
      });
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"inputs": [`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toMatch(/\{"error":"the request body is larger than 1048576 bytes"\}/);
    expect((await get('/v2/health/live')).status).toBe(200);
  });

  it('413 while streaming a chunked body without Content-Length', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(32);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 40) c.enqueue(chunk);
        else c.close();
      },
    });
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'the request body is larger than 1048576 bytes' });
    expect((await get('/v2/health/live')).status).toBe(200);
  });
});

describe('batching and metrics', () => {
  it('merges concurrent requests into one run (seen in abc_serve_batch_requests) and splits the scores back', async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    const count0 = metric(before, 'abc_serve_batch_requests_count', 'model="fraud_abc"');
    const sum0 = metric(before, 'abc_serve_batch_requests_sum', 'model="fraud_abc"');
    const rows = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(i) * 2]);
    const results = await Promise.all(
      rows.map((r, i) => inferOip(url, 'fraud_abc', [r], { id: String(i), binary: i % 2 === 0 })),
    );
    const ref = await onnx.scoreSamples(rows);
    results.forEach((r, i) => {
      expect(r.id).toBe(String(i));
      expect(Math.abs(r.outputs.score![0] - ref[i])).toBeLessThanOrEqual(1e-6);
    });
    const after = await (await fetch(`${url}/metrics`)).text();
    const batches = metric(after, 'abc_serve_batch_requests_count', 'model="fraud_abc"') - count0;
    const merged = metric(after, 'abc_serve_batch_requests_sum', 'model="fraud_abc"') - sum0;
    expect(merged).toBe(24);
    expect(batches).toBeLessThan(24);
  });

  it('/metrics: requests, errors, latency histogram, batch sizes, queue depth (Prometheus text)', async () => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    for (const name of [
      'abc_serve_requests_total{route="/v2/models/:name/infer",code="200"}',
      'abc_serve_errors_total{route="/v2/models/:name/infer",code="400"}',
      'abc_serve_request_duration_seconds_bucket',
      'abc_serve_batch_rows_bucket',
      'abc_serve_queue_depth{model="fraud_abc"}',
      'abc_serve_inference_requests_total{model="fraud_abc",version="1"}',
    ]) {
      expect(r.text).toContain(name);
    }
    expect(metric(r.text, 'abc_serve_errors_total', 'route="/v2/models/:name/infer",code="413"')).toBeGreaterThanOrEqual(2);
  });

  it('503 with Retry-After when the queue is full; a shutdown answers the waiting request at once', async () => {
    const q = await startServer({
      models: dir,
      port: 0,
      maxQueueSize: 1,
      maxQueueDelayMs: 60_000,
      workers: 1,
      pollIntervalMs: 0,
    });
    try {
      const send = () =>
        fetch(`${q.url}/v2/models/fraud_abc/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: request([0.1, 0.2], [1, 2]),
        });
      const first = send();
      // Until the first request waits in the queue (for a minute: the shutdown below sends it on at once).
      const batcher = q.server.models.get('fraud_abc').batcher;
      while (batcher.depth < 1) await new Promise((r) => setTimeout(r, 5));
      const second = await send();
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(await second.json()).toEqual({ error: expect.stringMatching(/1 requests waiting/) });
      // A shutdown sends the waiting request on at once (no waiting out the delay) and closes its kept-alive
      // connection after the answer, so the server is closed long before the 30 s grace would cut connections.
      const t0 = performance.now();
      const closing = q.server.close();
      const answer = await first;
      expect(answer.status).toBe(200);
      expect(answer.headers.get('connection')).toBe('close');
      await closing;
      expect(performance.now() - t0).toBeLessThan(15_000);
    } finally {
      await q.server.close();
    }
  });
});

describe('bearer token', () => {
  it('401 without the token or with a wrong one; health stays open; ABC_SERVE_TOKEN is read', async () => {
    process.env.ABC_SERVE_TOKEN = 's3cret';
    const a = await startServer({ models: dir, port: 0, pollIntervalMs: 0 });
    delete process.env.ABC_SERVE_TOKEN;
    try {
      const X = [[0.1, 0.2]];
      await expect(inferOip(a.url, 'fraud_abc', X)).rejects.toMatchObject({ status: 401 });
      await expect(inferOip(a.url, 'fraud_abc', X, { token: 'wrong' })).rejects.toMatchObject({ status: 401 });
      const res = await fetch(`${a.url}/v2/models/fraud_abc`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await inferOip(a.url, 'fraud_abc', X, { token: 's3cret' })).outputs.score).toHaveLength(1);
      expect((await fetch(`${a.url}/v2/health/ready`)).status).toBe(200);
      expect((await fetch(`${a.url}/metrics`)).status).toBe(401);
    } finally {
      await a.server.close();
    }
  });
});

describe('the client against matrices', () => {
  it('takes a Matrix as well as rows', async () => {
    const X = matrix(new Float32Array([0.1, 0.2, 3, 3]), 2, 2);
    const r = await inferOip(url, 'fraud_abc', X);
    expect(r.outputs.score).toHaveLength(2);
    expect(r.shapes.score).toEqual([2]);
  });
});

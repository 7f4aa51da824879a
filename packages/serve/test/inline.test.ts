import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detector } from '@abc/core';
import { OnnxDetector } from '@abc/onnx-export';
import { createServer, inferOip, startServer, type StartedServer } from '../src/index.js';
import { data, fitAbc, maxDiff, metric, writeOnnxModel } from './helpers.js';

// `workers: 0` (`abc serve --workers 0`): the onnxruntime sessions run on the main thread, one batch at a time,
// with no worker threads. The same answers as with workers; concurrent requests still merge (they queue while a
// batch runs); the configuration shows one instance; a new version replaces the old one; close releases all.

let dir = '';
let s: StartedServer;
let abc: Detector;
let onnx: OnnxDetector;
const D = 2;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abc-serve-inline-'));
  abc = await fitAbc(D, 1);
  onnx = await OnnxDetector.load(await writeOnnxModel(dir, 'm', '1', abc));
  s = await startServer({ models: dir, port: 0, maxQueueDelayMs: 20, workers: 0, pollIntervalMs: 0 });
});

afterAll(async () => {
  await s?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('workers: 0 (onnxruntime on the main thread)', () => {
  it('answers JSON and binary requests with the in-process ONNX scores', async () => {
    const { X } = data(37, D, 7);
    const ref = await onnx.run(X);
    const j = await inferOip(s.url, 'm', X, { id: 'j' });
    expect(j.id).toBe('j');
    expect(maxDiff(j.outputs.score!, ref.score)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(j.outputs.reconstruction_error!, ref.reconstructionError!)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(j.outputs.label!, Number)).toEqual(Array.from(ref.label!, Number));
    const b = await inferOip(s.url, 'm', X, { binary: true });
    expect(maxDiff(b.outputs.score!, await abc.scoreSamples(X))).toBeLessThanOrEqual(1e-6);
  });

  it('merges concurrent 1-row requests into fewer runs and splits the scores back', async () => {
    const before = await (await fetch(`${s.url}/metrics`)).text();
    const count0 = metric(before, 'abc_serve_batch_requests_count', 'model="m"');
    const rows = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(i) * 2]);
    const results = await Promise.all(rows.map((r, i) => inferOip(s.url, 'm', [r], { id: String(i), binary: i % 2 === 0 })));
    const ref = await onnx.scoreSamples(rows);
    results.forEach((r, i) => {
      expect(r.id).toBe(String(i));
      expect(Math.abs(r.outputs.score![0] - ref[i])).toBeLessThanOrEqual(1e-6);
    });
    const after = await (await fetch(`${s.url}/metrics`)).text();
    expect(metric(after, 'abc_serve_batch_requests_count', 'model="m"') - count0).toBeLessThan(24);
  });

  it('reports one CPU instance in the model configuration', async () => {
    const config = (await (await fetch(`${s.url}/v2/models/m/config`)).json()) as Record<string, unknown>;
    expect(config.instance_group).toEqual([{ name: 'm_0', kind: 'KIND_CPU', count: 1 }]);
  });

  it('loads a new version in place of the old one, and closes', async () => {
    const other = await fitAbc(D, 5);
    const ref = await (await OnnxDetector.load(await writeOnnxModel(dir, 'm', '2', other))).scoreSamples([[0.3, -0.2]]);
    await s.server.models.refresh();
    const r = await inferOip(s.url, 'm', [[0.3, -0.2]]);
    expect(r.modelVersion).toBe('2');
    expect(Math.abs(r.outputs.score![0] - ref[0])).toBeLessThanOrEqual(1e-6);
  });

  it('rejects a negative worker count', () => {
    expect(() => createServer({ models: dir, workers: -1 })).toThrow(/workers must be an integer >= 0/);
  });
});

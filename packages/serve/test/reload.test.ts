import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxDetector } from '@abc/onnx-export';
import { inferOip, startServer } from '../src/index.js';
import { data, fitAbc, maxDiff, metric, writeOnnxModel } from './helpers.js';

// A fault test: 2,000 requests (50 at a time) while a new model version folder appears and is loaded. Every
// request must be answered 200 by version 1 or 2, with that version's own scores; none is dropped or refused.

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('model reload under load', () => {
  it('serves version 2 once it appears, without dropping a request', async () => {
    dir = await mkdtemp(join(tmpdir(), 'abc-serve-reload-'));
    const v1 = await OnnxDetector.load(await writeOnnxModel(dir, 'm', '1', await fitAbc(2, 1)));
    const det2 = await fitAbc(2, 2, { maxEpochs: 6 });
    const { X } = data(64, 2, 11);
    const ref: Record<'1' | '2', Float32Array> = { '1': await v1.scoreSamples(X), '2': new Float32Array(0) };
    const s = await startServer({ models: dir, port: 0, pollIntervalMs: 50, maxQueueDelayMs: 1, workers: 2 });
    try {
      const total = 2000;
      const concurrency = 50;
      let next = 0;
      let done = 0;
      let wrote: Promise<void> | undefined;
      const answers: { id: string; version: string; score: number; row: number }[] = [];
      const failures: string[] = [];
      const worker = async () => {
        while (next < total) {
          const i = next++;
          const row = i % X.rows;
          try {
            const r = await inferOip(s.url, 'm', [Array.from(X.data.subarray(row * 2, row * 2 + 2))], {
              id: `r${i}`,
              binary: i % 3 === 0,
            });
            answers.push({ id: r.id!, version: r.modelVersion!, score: r.outputs.score![0], row });
          } catch (e) {
            failures.push(`r${i}: ${(e as Error).message}`);
          }
          if (++done === 300) {
            wrote = (async () => {
              await mkdir(join(dir, 'm', '2'), { recursive: true }); // an empty version folder first: not a version yet
              await new Promise((r) => setTimeout(r, 80));
              const bytes = await writeOnnxModel(dir, 'm', '2', det2);
              ref['2'] = await (await OnnxDetector.load(bytes)).scoreSamples(X);
            })();
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      await wrote;
      expect(failures).toEqual([]);
      expect(answers).toHaveLength(total);
      expect(new Set(answers.map((a) => a.id)).size).toBe(total);
      const byVersion = { '1': 0, '2': 0 } as Record<string, number>;
      for (const a of answers) {
        expect(['1', '2']).toContain(a.version);
        byVersion[a.version]++;
        expect(Math.abs(a.score - ref[a.version as '1' | '2'][a.row])).toBeLessThanOrEqual(1e-6);
      }
      expect(byVersion['1']).toBeGreaterThan(0);
      expect(byVersion['2']).toBeGreaterThan(0);
      expect(maxDiff(ref['1'], ref['2'])).toBeGreaterThan(1e-4); // the two versions really differ
      const meta = (await (await fetch(`${s.url}/v2/models/m`)).json()) as { versions: string[] };
      expect(meta.versions).toEqual(['2']);
      const text = await (await fetch(`${s.url}/metrics`)).text();
      expect(metric(text, 'abc_serve_model_loads_total', 'model="m",result="ok"')).toBe(2);
      expect(metric(text, 'abc_serve_model_loads_total', 'model="m",result="error"')).toBe(0);
    } finally {
      await s.server.close();
    }
  });
});

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxDetector } from '@abc/onnx-export';
import { startServer } from '../src/index.js';
import { faultRequests, faultTimeout } from './fault-size.js';
import { data, fitAbc, maxDiff, metric, writeOnnxModel } from './helpers.js';

// A fault test: N requests (50 at a time; N from fault-size.ts, the 20,000 unless ABC_SERVE_FAULT_REQUESTS
// says otherwise) while a new model version folder appears and is loaded. Every request must be answered 200 by
// version 1 or 2, with that version's own scores; none is dropped, refused or answered twice, and the server's own
// statistics count exactly the answers the clients got, per version.
const total = faultRequests();
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('model reload under load', () => {
  it(`serves version 2 once it appears, without dropping a request (${total} requests)`, {
    timeout: faultTimeout(total),
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'abc-serve-reload-'));
    const v1 = await OnnxDetector.load(await writeOnnxModel(dir, 'm', '1', await fitAbc(2, 1)));
    const det2 = await fitAbc(2, 2, { maxEpochs: 6 });
    const { X } = data(64, 2, 11);
    const ref: Record<'1' | '2', Float32Array> = { '1': await v1.scoreSamples(X), '2': new Float32Array(0) };
    const s = await startServer({ models: dir, port: 0, pollIntervalMs: 50, maxQueueDelayMs: 1, workers: 2 });
    try {
      const first = s.server.models.get('m');
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      // The clients run in a process of their own (fixtures/load-client.ts), so that they and this server use both
      // cores; after 15% of the answers a new version folder appears (empty first: not a version yet).
      const rows = Array.from({ length: X.rows }, (_, r) => Array.from(X.data.subarray(r * 2, r * 2 + 2)));
      const client = spawn(
        process.execPath,
        ['--import', 'tsx', '--conditions=@abc/source', join(here, 'fixtures/load-client.ts'), s.url, 'm', String(total)].concat([
          '50',
          JSON.stringify(rows),
          String(Math.floor(total * 0.15)),
        ]),
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      client.stderr!.on('data', (c) => (stderr += c));
      let wrote: Promise<void> | undefined;
      let result: { answers: [number, string, number, string][]; failures: string[]; cpuSeconds: number } | undefined;
      let buf = '';
      client.stdout!.on('data', (c) => {
        buf += c;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (line.paused !== undefined) {
            wrote = (async () => {
              await mkdir(join(dir, 'm', '2'), { recursive: true });
              await new Promise((r) => setTimeout(r, 80));
              const bytes = await writeOnnxModel(dir, 'm', '2', det2);
              ref['2'] = await (await OnnxDetector.load(bytes)).scoreSamples(X);
            })();
          } else {
            result = line;
          }
        }
      });
      const code = await new Promise<number | null>((ok) => client.on('exit', ok));
      expect(code, stderr).toBe(0);
      await wrote;
      expect(result, stderr).toBeDefined();
      const failures = result!.failures;
      const answers = result!.answers.map(([i, version, score, id]) => ({ id, version, score, row: i % X.rows, i }));
      const cpu = process.cpuUsage(cpu0);
      console.info(
        `reload fault test: ${total} requests in ${((performance.now() - t0) / 1000).toFixed(1)} s; CPU: server ` +
          `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (with its workers), clients ${result!.cpuSeconds.toFixed(1)} s`,
      );
      expect(failures).toEqual([]);
      expect(answers).toHaveLength(total);
      expect(new Set(answers.map((a) => a.id)).size).toBe(total);
      for (const a of answers) expect(a.id).toBe(`r${a.i}`);
      const byVersion = { '1': 0, '2': 0 } as Record<string, number>;
      for (const a of answers) {
        expect(['1', '2']).toContain(a.version);
        byVersion[a.version]++;
        expect(Math.abs(a.score - ref[a.version as '1' | '2'][a.row])).toBeLessThanOrEqual(1e-6);
      }
      expect(byVersion['1']).toBeGreaterThan(0);
      expect(byVersion['2']).toBeGreaterThan(0);
      expect(maxDiff(ref['1'], ref['2'])).toBeGreaterThan(1e-4); // the two versions really differ
      // The server answered exactly what the clients received: per version, successes = 200s seen, no failures.
      const second = s.server.models.get('m');
      expect([first.version, second.version]).toEqual(['1', '2']);
      for (const m of [first, second]) {
        const st = m.stats.toJSON();
        expect(st.inference_stats.success.count, `version ${m.version}`).toBe(byVersion[m.version]);
        expect(st.inference_count).toBe(byVersion[m.version]);
        expect(st.inference_stats.fail.count).toBe(0);
      }
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

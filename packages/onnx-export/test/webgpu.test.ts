import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pipeline, StandardScaler } from '@abc/core';
import { ABC } from '@abc/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxDetector, toOnnx } from '../src/index.js';
import { CHROMIUM, makeData, maxAbs, maxRel, tool } from './helpers.js';

// WebGPU for real: headless Debian Chromium (software adapter, SwiftShader, here) runs the exported ABC through
// OnnxDetector (bundled from src/ by vite) on backend 'webgpu', i.e. executionProviders ['webgpu'] alone, from a
// page, the bundle and onnxruntime-web's files served by a localhost server.
// A fresh profile directory per run (playwright passes it as --user-data-dir).
const ROWS = 256;
const D = 8;
const chromium = tool('Debian chromium (/usr/bin/chromium)', existsSync(CHROMIUM), 'apt-get install -y chromium');
const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web')); // its dist/ folder (the require build lives there)
const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
  '.json': 'application/json',
};

let server: Server | undefined;
let profile: string | undefined;
afterAll(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

let model: Pipeline;
let bytes: Uint8Array;
const { X, y } = makeData(ROWS, D, 11, 0.2);
beforeAll(async () => {
  model = await new Pipeline([new StandardScaler(), new ABC({ hidden: [16, 8], latent: 3, maxEpochs: 20, seed: 5 })]).fit(X, y);
  bytes = toOnnx(model);
});

/** OnnxDetector for the browser: src/ and @abc/core bundled into one ES module; onnxruntime-web comes from the page's import map. */
async function bundle(): Promise<string> {
  const { build } = await import('vite');
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    root: fileURLToPath(new URL('..', import.meta.url)),
    resolve: { conditions: ['@abc/source', 'browser', 'module', 'import', 'default'] },
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: fileURLToPath(new URL('./browser/entry.ts', import.meta.url)), formats: ['es'], fileName: 'entry' },
      rollupOptions: { external: ['onnxruntime-web', 'onnxruntime-web/webgpu', 'onnxruntime-node', /^node:/] },
    },
  });
  const first = (Array.isArray(out) ? out[0] : out) as { output: { code?: string }[] };
  return first.output[0].code!;
}

function serve(files: Record<string, { body: Uint8Array | string; type: string }>): Promise<string> {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let file = files[path];
    if (!file && path.startsWith('/ort/')) {
      const local = normalize(join(ortDist, path.slice(5)));
      if (local.startsWith(ortDist) && existsSync(local)) {
        file = { body: readFileSync(local), type: TYPES[local.slice(local.lastIndexOf('.'))] ?? 'application/octet-stream' };
      }
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  return new Promise((resolve) =>
    server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`)),
  );
}

describe('WebGPU in headless Chromium', () => {
  it.skipIf(chromium.skip)(
    'OnnxDetector scores the exported ABC on the webgpu EP alone and matches wasm within 1e-4',
    { timeout: 120_000 },
    async () => {
      chromium.require();
      const { chromium: pw } = await import('playwright-core');
      const entry = await bundle();
      const base = await serve({
        '/entry.js': { body: entry, type: 'text/javascript' },
        '/': { body: readFileSync(new URL('./browser/webgpu-page.html', import.meta.url)), type: 'text/html' },
        '/model.onnx': { body: bytes, type: 'application/octet-stream' },
        '/rows.bin': {
          body: new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength),
          type: 'application/octet-stream',
        },
        '/meta.json': { body: JSON.stringify({ rows: X.rows, cols: X.cols }), type: 'application/json' },
      });
      profile = mkdtempSync(join(tmpdir(), 'abc-chromium-'));
      const browser = await pw.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--enable-unsafe-webgpu',
        ],
      });
      let result: {
        ok: boolean;
        error?: string;
        adapter?: Record<string, unknown>;
        score: number[];
        reconstructionError: number[];
        label: number[];
        outputs: string[];
        sessionMs: number;
        runMs: number;
        webgpuDevice: boolean;
        activeBackend: string;
        executionProviders: unknown[];
      };
      try {
        const page = await browser.newPage();
        const logs: string[] = [];
        page.on('console', (m) => logs.push(m.text()));
        await page.goto(`${base}/`);
        await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, {
          timeout: 100_000,
        });
        result = await page.evaluate(() => (window as unknown as { result: never }).result);
        if (!result.ok) throw new Error(`the page failed: ${result.error}\n${logs.join('\n')}`);
      } finally {
        await browser.close();
      }
      const wasm = await OnnxDetector.load(bytes, { backend: 'wasm' });
      const w = await wasm.run(X);
      const ts = await model.scoreSamples(X);
      const scoreVsWasm = maxAbs(result.score, w.score);
      const errorVsWasm = maxRel(result.reconstructionError, w.reconstructionError!);
      console.log(
        `[onnx-export] WebGPU adapter ${JSON.stringify(result.adapter)}; session ${result.sessionMs.toFixed(0)} ms, run ${result.runMs.toFixed(0)} ms for ${ROWS} rows; ` +
          `score max|Δ| vs wasm ${scoreVsWasm.toExponential(2)}, vs TypeScript ${maxAbs(result.score, ts).toExponential(2)}; reconstruction_error max rel vs wasm ${errorVsWasm.toExponential(2)}`,
      );
      expect(result.adapter).toBeDefined();
      expect(result.activeBackend).toBe('webgpu');
      expect(result.executionProviders).toEqual([['webgpu']]);
      expect(result.webgpuDevice).toBe(true);
      expect(result.outputs).toEqual(['score', 'reconstruction_error', 'label']);
      expect(result.score).toHaveLength(ROWS);
      expect(scoreVsWasm).toBeLessThanOrEqual(1e-4);
      expect(errorVsWasm).toBeLessThanOrEqual(1e-4);
      const t = model.threshold!;
      for (let i = 0; i < ROWS; i++) if (Math.abs(w.score[i] - t) > 1e-4) expect(result.label[i]).toBe(Number(w.label![i]));
    },
  );
});

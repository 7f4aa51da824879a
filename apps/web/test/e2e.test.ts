import { execFile } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as ortNode from 'onnxruntime-node';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const app = resolve(__dirname, '..');
const dist = join(app, 'dist');
const outDir = join(app, 'test-output');
const chromiumPath = '/usr/bin/chromium';
let server: Server;
let base = '';
let browser: Browser;

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.onnx': 'application/octet-stream', '.css': 'text/css' };

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    if (process.env.CI) throw new Error('CI needs Debian chromium at /usr/bin/chromium (apt-get install chromium)');
    return;
  }
  await promisify(execFile)(join(app, '../../node_modules/.bin/vite'), ['build', '--logLevel', 'error'], { cwd: app });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = normalize(join(dist, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname)));
    if (!path.startsWith(dist) || !existsSync(path) || statSync(path).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': types[extname(path)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // Playwright gives the browser a fresh, empty profile of its own.
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'],
  });
  await mkdir(outDir, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

interface DemoState {
  status: string;
  provider: string;
  fallbackReason: string | null;
  adapter: Record<string, unknown> | null;
  grid: { size: number; box: { x0: number; x1: number; y0: number; y1: number } };
  scores: number[];
  csv?: { rows: number; flagged: number; scores: number[] };
  error?: string;
}

async function openDemo(query: string) {
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  await page.goto(`${base}/${query}`);
  await page.waitForFunction(() => {
    const s = (window as unknown as { __abcDemo?: { status: string } }).__abcDemo;
    return s && s.status !== 'loading';
  }, undefined, { timeout: 150_000 });
  const state = (await page.evaluate(() => (window as unknown as { __abcDemo: unknown }).__abcDemo)) as DemoState;
  if (state.status !== 'ready') throw new Error(`page error: ${state.error}\n${logs.join('\n')}`);
  return { page, state };
}

/** The same grid scored by onnxruntime-node on the CPU, from the same model file. */
async function referenceScores(grid: DemoState['grid']): Promise<Float32Array> {
  const { size, box } = grid;
  const data = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      data[2 * (r * size + c)] = box.x0 + ((c + 0.5) * (box.x1 - box.x0)) / size;
      data[2 * (r * size + c) + 1] = box.y1 - ((r + 0.5) * (box.y1 - box.y0)) / size;
    }
  }
  const session = await ortNode.InferenceSession.create(join(app, 'public/toy-abc.onnx'), { executionProviders: ['cpu'] });
  const out = await session.run({ X: new ortNode.Tensor('float32', data, [size * size, 2]) });
  return out.score.data as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!existsSync(chromiumPath) && !process.env.CI)('web demo in headless Chromium', () => {
  it('draws the heatmap from real WebGPU scores that match onnxruntime-node', async () => {
    const { page, state } = await openDemo('?grid=24');
    expect(state.fallbackReason).toBeNull();
    expect(state.provider).toBe('webgpu');
    expect(state.adapter).not.toBeNull();
    expect(state.scores.length).toBe(24 * 24);
    const ref = await referenceScores(state.grid);
    expect(maxDiff(state.scores, ref)).toBeLessThan(1e-4);
    // The heatmap is drawn from those scores: the cell at the unknown cluster (-3, 3) is dark, the normal arc light.
    const s = state.scores;
    const cell = (x: number, y: number) => {
      const { size, box } = state.grid;
      const c = Math.floor(((x - box.x0) / (box.x1 - box.x0)) * size);
      const r = Math.floor(((box.y1 - y) / (box.y1 - box.y0)) * size);
      return s[r * size + c];
    };
    expect(cell(-3, 3)).toBeGreaterThan(0.9);
    expect(cell(0, 1)).toBeLessThan(0.3);
    const pixel = await page.evaluate(() => {
      const c = document.getElementById('heatmap') as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(5, 5, 1, 1).data);
    });
    expect(pixel[3]).toBe(255); // painted
    await page.screenshot({ path: join(outDir, 'heatmap-webgpu.png') });
    await writeFile(join(outDir, 'webgpu-adapter.json'), JSON.stringify(state.adapter, null, 2));
    await page.close();
  });

  it('scores on wasm when asked, with the same numbers, and scores a dropped CSV', async () => {
    const { page, state } = await openDemo('?grid=24&provider=wasm');
    expect(state.provider).toBe('wasm');
    expect(maxDiff(state.scores, await referenceScores(state.grid))).toBeLessThan(1e-4);
    const csv = join(outDir, 'rows.csv');
    await writeFile(csv, 'label,y,x\n0,1.0,0.0\n1,3.0,-3.0\n0,0.9,0.1\n');
    await page.setInputFiles('#file', csv);
    await page.waitForFunction(() => Boolean((window as unknown as { __abcDemo: { csv?: unknown } }).__abcDemo.csv), undefined, { timeout: 60_000 });
    const after = (await page.evaluate(() => (window as unknown as { __abcDemo: unknown }).__abcDemo)) as DemoState;
    expect(after.csv!.rows).toBe(3);
    expect(after.csv!.scores[1]).toBeGreaterThan(0.9); // (-3, 3): columns matched by name, not position
    expect(after.csv!.scores[0]).toBeLessThan(0.5);
    expect(await page.textContent('#csv')).toMatch(/3 rows scored/);
    await page.screenshot({ path: join(outDir, 'heatmap-wasm-csv.png') });
    await page.close();
  });
});

import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { tableToMatrix, table, ValidationError } from '@abc/core';
import { parseCsv } from '@abc/eval';
import * as ortNode from 'onnxruntime-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toySampleCsv } from '../src/data/sample.js';

const app = resolve(import.meta.dirname, '..');
const dist = join(app, 'dist');
const outDir = join(app, 'test-output');
const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
let server: Server;
let base = '';
let browser: Browser;

const types: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
};

interface AppState {
  phase: string;
  error: string | null;
  kernel: string | null;
  registered: { name: string }[];
  crossOriginIsolated: boolean;
  progress: number;
  metrics: Record<string, { aurocKnown: number; aurocUnknown: number }>;
  scoring: { detector: string; backend: string; fallbackReason: string | null; scores: number[] } | null;
}

beforeAll(async () => {
  if (!hasChromium) {
    if (process.env.CI) throw new Error('CI needs Debian chromium at /usr/bin/chromium (apt-get install chromium)');
    return;
  }
  // A static server with the COOP/COEP headers a static host would send (Vite's preview sends the same).
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
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
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await mkdir(outDir, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

const appState = (page: Page) => page.evaluate(() => (window as unknown as { __abcApp: unknown }).__abcApp) as Promise<AppState>;

async function openApp(): Promise<Page> {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  (page as unknown as { logs: string[] }).logs = logs;
  await page.goto(`${base}/`);
  try {
    await page.waitForFunction(
      () => ((window as unknown as { __abcApp?: { registered: unknown[] } }).__abcApp?.registered.length ?? 0) > 0,
      undefined,
      { timeout: 20_000 },
    );
  } catch (e) {
    throw new Error(`the training worker did not start:\n${logs.join('\n')}`, { cause: e });
  }
  return page;
}

async function loadSampleWithKeyboard(page: Page): Promise<void> {
  await page.focus('#sample');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#setup:not([hidden])');
}

async function trainAndWait(page: Page): Promise<AppState> {
  await page.focus('#train');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () => ['done', 'error', 'cancelled'].includes((window as unknown as { __abcApp: { phase: string } }).__abcApp.phase),
    undefined,
    { timeout: 60_000 },
  );
  const s = await appState(page);
  if (s.phase !== 'done' || Object.keys(s.metrics).length === 0) {
    throw new Error(
      `training ended in ${s.phase}: ${JSON.stringify(s)}\n${(page as unknown as { logs: string[] }).logs.join('\n')}`,
    );
  }
  return s;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!hasChromium && !process.env.CI)('the app in headless Chromium', () => {
  let page: Page;

  it('trains ABC and GTB on the toy sample in the worker: ABC finds the unknown anomalies, GTB does not', async () => {
    page = await openApp();
    const labelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, button')].every(
        (c) => (c as HTMLInputElement).labels?.length || c.getAttribute('aria-label') || (c.textContent ?? '').trim(),
      ),
    );
    await loadSampleWithKeyboard(page);
    await page.check('#det-gtb');
    await page.fill('#epochs', '100');
    const s = await trainAndWait(page);
    expect(labelled).toBe(true);
    expect(s.crossOriginIsolated).toBe(true);
    expect(s.kernel).toMatch(/wasm-simd/);
    expect(s.metrics.abc.aurocUnknown).toBeGreaterThanOrEqual(0.95);
    expect(s.metrics.gtb.aurocUnknown).toBeLessThan(0.3);
    expect(Number(await page.textContent('td[data-detector="abc"][data-metric="aurocUnknown"]'))).toBeGreaterThanOrEqual(0.95);
    expect(await page.isVisible('#heatmap')).toBe(true);
    await page.screenshot({ path: join(outDir, 'train-results.png'), fullPage: true });
  });

  it('exports .abc and .onnx; the page scores a second CSV with onnxruntime-web as onnxruntime-node does (1e-5)', async () => {
    const save = async (name: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-download="${name}"]`)]);
      const path = join(outDir, name);
      await download.saveAs(path);
      return new Uint8Array(await readFile(path));
    };
    const model = await save('abc.abc');
    expect(new TextDecoder().decode(model.subarray(0, 4))).toBe('ABCM');
    const onnx = await save('abc.onnx');
    // The second file: other rows, the columns in another order (they are picked by name).
    const rows = parseCsv(toySampleCsv({ nPerClass: 60, seed: 7 })).table;
    const x = rows.columns[0] as Float32Array;
    const y = rows.columns[1] as Float32Array;
    const second = join(outDir, 'second.csv');
    await writeFile(
      second,
      `kind,y,x\n${Array.from(x, (v, i) => `${(rows.columns[2] as string[])[i]},${y[i]},${v}`).join('\n')}\n`,
    );
    await page.selectOption('#score-model', 'abc');
    await page.setInputFiles('#score-file', second);
    await page.waitForFunction(
      () =>
        (window as unknown as { __abcApp: AppState }).__abcApp.scoring !== null ||
        (window as unknown as { __abcApp: AppState }).__abcApp.error !== null,
      undefined,
      { timeout: 60_000 },
    );
    const s = await appState(page);
    expect(s.error).toBeNull();
    expect(['wasm', 'webgpu']).toContain(s.scoring!.backend);
    expect(await page.textContent('#score-status')).toContain(`backend: ${s.scoring!.backend}`);
    const data = new Float32Array(x.length * 2);
    for (let i = 0; i < x.length; i++) {
      data[2 * i] = x[i];
      data[2 * i + 1] = y[i];
    }
    const session = await ortNode.InferenceSession.create(onnx, { executionProviders: ['cpu'] });
    const out = await session.run({ X: new ortNode.Tensor('float32', data, [x.length, 2]) });
    expect(s.scoring!.scores.length).toBe(x.length);
    expect(maxDiff(s.scoring!.scores, out.score.data as Float32Array)).toBeLessThan(1e-5);
    await page.locator('#scoring').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(outDir, 'onnx-scoring.png') });
  });

  it('Cancel stops a long fit within a second', async () => {
    await page.fill('#epochs', '5000');
    await page.uncheck('#det-gtb');
    await page.click('#train');
    await page.waitForFunction(() => (window as unknown as { __abcApp: AppState }).__abcApp.progress > 0.001, undefined, {
      timeout: 30_000,
    });
    await page.screenshot({ path: join(outDir, 'training.png') });
    const t0 = Date.now();
    await page.click('#cancel');
    await page.waitForFunction(() => (window as unknown as { __abcApp: AppState }).__abcApp.phase === 'cancelled', undefined, {
      timeout: 5_000,
    });
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(1000);
    const p0 = (await appState(page)).progress;
    await page.waitForTimeout(300);
    expect((await appState(page)).progress).toBe(p0);
    expect(await page.isEnabled('#train')).toBe(true);
    await page.close();
  });

  it("shows each bad file's error with the library's own message", async () => {
    const p = await openApp();
    const expected = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    const cases = [
      { file: 'empty.csv', text: '', train: false, message: expected(() => parseCsv('', { name: 'empty.csv' })) },
      {
        file: 'ragged.csv',
        text: 'x,y\n1,2\n3\n',
        train: false,
        message: expected(() => parseCsv('x,y\n1,2\n3\n', { name: 'ragged.csv' })),
      },
      {
        file: 'labels.csv',
        text: 'x,y,label\n1,2,0\n3,4,2\n',
        train: true,
        message: expected(() => parseCsv('x,y,label\n1,2,0\n3,4,2\n', { name: 'labels.csv', label: 'label' })),
      },
      {
        file: 'text.csv',
        text: 'x,city,label\n1,paris,0\n3,rome,1\n',
        train: true,
        tick: '#feature-1',
        message: expected(() => {
          const t = parseCsv('x,city,label\n1,paris,0\n3,rome,1\n', { label: 'label' }).table;
          tableToMatrix(table(['x', 'city'], t.columns));
        }),
      },
    ];
    for (const c of cases) {
      const path = join(outDir, c.file);
      await writeFile(path, c.text);
      await p.setInputFiles('#file', path);
      if (c.train) {
        await p.waitForSelector('#setup:not([hidden])');
        if (c.tick) await p.check(c.tick);
        await p.click('#train');
      }
      await p
        .waitForFunction((m) => document.getElementById('error')?.textContent === m, c.message, { timeout: 5_000 })
        .catch(() => undefined);
      expect(await p.textContent('#error')).toBe(c.message);
      if (c.file === 'labels.csv') await p.screenshot({ path: join(outDir, 'bad-labels.png') });
    }
    await p.close();
  });
});

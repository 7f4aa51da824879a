import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { table, tableToMatrix, ValidationError } from '@abc/core';
import { parseCsv } from '@abc/eval';
import * as ortNode from 'onnxruntime-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toySampleCsv } from '../src/data/sample.js';
import {
  type AppState,
  appState,
  DIST,
  downloadTo,
  launchChromium,
  loadSample,
  OUT_DIR,
  openApp,
  RUN_BROWSER,
  trainAndWait,
} from './support/app-page.js';
import { type StaticServer, serveStatic } from './support/static-server.js';

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  // A static server with the COOP/COEP headers a static host would send (Vite's preview sends the same).
  server = await serveStatic(DIST, { isolation: true });
  browser = await launchChromium();
  await mkdir(OUT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!RUN_BROWSER)('the app in headless Chromium', () => {
  let page: Page;

  it('trains ABC and GTB on the toy sample in the worker: ABC finds the unknown anomalies, GTB does not', async () => {
    page = await openApp(browser, server.base);
    const labelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, button')].every(
        (c) => (c as HTMLInputElement).labels?.length || c.getAttribute('aria-label') || (c.textContent ?? '').trim(),
      ),
    );
    await loadSample(page);
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
    await page.screenshot({ path: join(OUT_DIR, 'train-results.png'), fullPage: true });
  });

  it('exports .abc and .onnx; the page scores a second CSV with onnxruntime-web as onnxruntime-node does (1e-5)', async () => {
    const save = async (name: string) => {
      const path = join(OUT_DIR, name);
      await downloadTo(page, `[data-download="${name}"]`, path);
      return new Uint8Array(await readFile(path));
    };
    const model = await save('abc.abc');
    expect(new TextDecoder().decode(model.subarray(0, 4))).toBe('ABCM');
    const onnx = await save('abc.onnx');
    // The second file: other rows, the columns in another order (they are picked by name).
    const rows = parseCsv(toySampleCsv({ nPerClass: 60, seed: 7 })).table;
    const x = rows.columns[0] as Float32Array;
    const y = rows.columns[1] as Float32Array;
    const second = join(OUT_DIR, 'second.csv');
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
      // onnxruntime-web's first session takes 6-9 s on an idle machine, far longer on a loaded one.
      { timeout: 180_000 },
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
    await page.screenshot({ path: join(OUT_DIR, 'onnx-scoring.png') });
  });

  it('Cancel stops a long fit within a second', async () => {
    await page.fill('#epochs', '5000');
    await page.uncheck('#det-gtb');
    // A tiny learning rate keeps the validation loss improving, so early stopping does not end the fit first.
    await page.fill('#param-abc-lr', '0.00001');
    await page.click('#train');
    await page.waitForFunction(() => (window as unknown as { __abcApp: AppState }).__abcApp.progress > 0.001, undefined, {
      timeout: 30_000,
    });
    await page.locator('#training').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT_DIR, 'training.png') });
    expect((await appState(page)).phase).toBe('training');
    const t0 = Date.now();
    // The keyboard, not a mouse click at computed coordinates: nothing can move the button under the pointer.
    await page.focus('#cancel');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (window as unknown as { __abcApp: AppState }).__abcApp.phase === 'cancelled', undefined, {
      timeout: 5_000,
    });
    // From the press to the page showing the run stopped, timed in the page (the test's own round trips to the
    // browser are not the user's wait).
    const { cancelMs } = await appState(page);
    console.log(`cancel: ${cancelMs?.toFixed(0)} ms in the page, ${Date.now() - t0} ms seen from the test`);
    expect(cancelMs).not.toBeNull();
    expect(cancelMs!).toBeLessThan(1000);
    const p0 = (await appState(page)).progress;
    await page.waitForTimeout(300);
    expect((await appState(page)).progress).toBe(p0);
    expect(await page.isEnabled('#train')).toBe(true);
    await page.close();
  });

  it("shows each bad file's error with the library's own message", async () => {
    const p = await openApp(browser, server.base);
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
      const path = join(OUT_DIR, c.file);
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
      if (c.file === 'labels.csv') await p.screenshot({ path: join(OUT_DIR, 'bad-labels.png') });
    }
    await p.close();
  });
});

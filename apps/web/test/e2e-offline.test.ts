import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appState,
  DIST,
  launchChromium,
  loadSample,
  OUT_DIR,
  openApp,
  RUN_BROWSER,
  trainAndWait,
  waitForWorker,
} from './support/app-page.js';
import { type StaticServer, serveStatic } from './support/static-server.js';

let server: StaticServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  // A static host that sends no COOP/COEP headers (GitHub Pages, a plain file server).
  server = await serveStatic(DIST, { isolation: false });
  browser = await launchChromium();
  context = await browser.newContext();
  await mkdir(OUT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const isolatedNow = (p: Page) => p.evaluate(() => globalThis.crossOriginIsolated === true);

describe.skipIf(!RUN_BROWSER)('the service worker in headless Chromium', () => {
  it('makes the page cross-origin isolated on a server that sends no COOP/COEP headers', async () => {
    const direct = await fetch(`${server.base}/`);
    expect(direct.headers.get('cross-origin-embedder-policy')).toBeNull();
    page = await openApp(context, server.base);
    // The first load is not isolated: the service worker installs, takes control and the page reloads once.
    await page.waitForFunction(
      () => (window as unknown as { __abcApp?: { crossOriginIsolated: boolean } }).__abcApp?.crossOriginIsolated === true,
      undefined,
      { timeout: 30_000 },
    );
    await waitForWorker(page);
    expect(await isolatedNow(page)).toBe(true);
    expect(await page.evaluate(() => typeof SharedArrayBuffer === 'function')).toBe(true);
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null)).toMatch(/\/coi-sw\.js$/);
    // Its kernel runs on the shared wasm arena, which needs the isolation.
    expect((await appState(page)).kernel).toMatch(/wasm-simd/);
  });

  it('reloads with the server stopped: the app shell and the worker (engine wasm inside) come from the cache', async () => {
    // Wait for the install's precache: every JavaScript file of the build, the app shell included.
    const cached = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      const keys = await caches.keys();
      const urls: string[] = [];
      for (const k of keys) for (const r of await (await caches.open(k)).keys()) urls.push(new URL(r.url).pathname);
      return urls;
    });
    expect(cached).toContain('/');
    expect(cached.some((u) => /\/assets\/index-.*\.js$/.test(u))).toBe(true);
    expect(cached.filter((u) => /\/assets\/worker-.*\.js$/.test(u)).length).toBeGreaterThanOrEqual(2);

    await server.close();
    await expect(fetch(`${server.base}/`)).rejects.toThrow();
    await page.reload();
    await waitForWorker(page);
    const nav = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).workerStart,
    );
    expect(nav).toBeGreaterThan(0); // the navigation went through the service worker
    expect(await isolatedNow(page)).toBe(true);
    expect((await appState(page)).kernel).toMatch(/wasm-simd/);
    await loadSample(page);
    await page.fill('#epochs', '100');
    const s = await trainAndWait(page);
    expect(s.metrics.abc.aurocUnknown).toBeGreaterThanOrEqual(0.95);
    await page.locator('#training').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT_DIR, 'offline.png') });
  });
});

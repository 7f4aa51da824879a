import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** The app's folder, its static build and where the browser tests write screenshots and files. */
export const APP_DIR = resolve(import.meta.dirname, '..', '..');
export const DIST = join(APP_DIR, 'dist');
export const OUT_DIR = join(APP_DIR, 'test-output');

/** Debian's Chromium, driven with playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
/** Browser suites run where Chromium is installed, and must run (and fail without it) on CI. */
export const RUN_BROWSER = HAS_CHROMIUM || Boolean(process.env.CI);

/** The page's `window.__abcApp` (see src/main.ts), as the tests read it. */
export interface AppState {
  phase: string;
  error: string | null;
  kernel: string | null;
  registered: { name: string }[];
  crossOriginIsolated: boolean;
  rows: number | null;
  progress: number;
  metrics: Record<string, { aurocKnown: number; aurocUnknown: number }>;
  fits: Record<string, { fitSeconds: number; steps: number }>;
  cancelMs: number | null;
  lossChart: { detector: string; series: string[]; points: number[] } | null;
  scoring: { detector: string; backend: string; fallbackReason: string | null; scores: number[] } | null;
}

/** Starts headless Chromium with the flags that work as root here (see TOOLCHAIN.md). */
export async function launchChromium(): Promise<Browser> {
  if (!HAS_CHROMIUM) throw new Error(`CI needs Debian chromium at ${CHROMIUM} (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
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
}

/** The console and page errors a page logged (for failure messages). */
const logsOf = new WeakMap<Page, string[]>();
export function pageLogs(page: Page): string {
  return (logsOf.get(page) ?? []).join('\n');
}

/** Reads `window.__abcApp`. */
export function appState(page: Page): Promise<AppState> {
  return page.evaluate(() => (window as unknown as { __abcApp: AppState }).__abcApp);
}

/** Waits until the training worker has reported its detectors. */
export async function waitForWorker(page: Page, timeout = 20_000): Promise<void> {
  try {
    await page.waitForFunction(
      () => ((window as unknown as { __abcApp?: { registered: unknown[] } }).__abcApp?.registered.length ?? 0) > 0,
      undefined,
      { timeout },
    );
  } catch (e) {
    throw new Error(`the training worker did not start:\n${pageLogs(page)}`, { cause: e });
  }
}

/** Opens the app in a new page (of `context`, or a fresh context of `browser`) and waits for the worker. */
export async function openApp(target: Browser | BrowserContext, base: string): Promise<Page> {
  const page = await target.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const logs: string[] = [];
  logsOf.set(page, logs);
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  await page.goto(`${base}/`);
  await waitForWorker(page);
  return page;
}

/** Loads the toy sample with the keyboard and waits for the column controls. */
export async function loadSample(page: Page): Promise<void> {
  await page.focus('#sample');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#setup:not([hidden])');
}

/** Presses Train with the keyboard and waits for the run to end; throws unless it ended `done` with metrics. */
export async function trainAndWait(page: Page, timeout = 60_000): Promise<AppState> {
  await page.focus('#train');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () => ['done', 'error', 'cancelled'].includes((window as unknown as { __abcApp: { phase: string } }).__abcApp.phase),
    undefined,
    { timeout },
  );
  const s = await appState(page);
  if (s.phase !== 'done' || Object.keys(s.metrics).length === 0) {
    const brief = { ...s, registered: s.registered.map((d) => d.name) };
    throw new Error(`training ended in ${s.phase}: ${JSON.stringify(brief)}\n${pageLogs(page)}`);
  }
  return s;
}

/** Saves the file a click on `selector` downloads to `path`. */
export async function downloadTo(page: Page, selector: string, path: string): Promise<void> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  await download.saveAs(path);
}

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, getDetectorEntry, type Pipeline, parseParamText } from '@abc/core';
import { registerBaselines } from '@abc/baselines';
import { registerModels } from '@abc/models';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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

registerModels();
registerBaselines();

let server: StaticServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  server = await serveStatic(DIST, { isolation: true });
  browser = await launchChromium();
  await mkdir(OUT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The fitted detector's params in a downloaded `.abc` file (read back with core's `deserialize`). */
async function savedParams(name: string): Promise<Record<string, unknown>> {
  const path = join(OUT_DIR, `params-${name}.abc`);
  await downloadTo(page, `[data-download="${name}.abc"]`, path);
  const model = (await deserialize(new Uint8Array(await readFile(path)))) as Pipeline;
  return model.detector.getParams();
}

/** The message the command line prints for `--detector NAME --param TEXT` (its parser is core's parseParamText). */
function cliMessage(name: string, text: string): string {
  try {
    parseParamText(getDetectorEntry(name).paramSpace, text, name);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`--param ${text} is valid for ${name}`);
}

describe.skipIf(!RUN_BROWSER)('per-detector parameters and the loss chart in headless Chromium', () => {
  it('offers labelled parameter inputs for the ticked detectors, defaults as placeholders', async () => {
    page = await openApp(browser, server.base);
    await loadSample(page);
    await page.check('#det-gtb');
    await page.check('#det-iforest');
    const ids = await page.$$eval('#params input', (l) => l.map((i) => i.id));
    for (const id of [
      'param-abc-maxEpochs',
      'param-abc-hidden',
      'param-abc-lr',
      'param-gtb-maxIter',
      'param-iforest-nEstimators',
    ]) {
      expect(ids).toContain(id);
    }
    // Two features: the paper's 2-D network is the default shown.
    expect(await page.getAttribute('#param-abc-hidden', 'placeholder')).toBe('10,10');
    expect(await page.getAttribute('#param-abc-latent', 'placeholder')).toBe('1');
    const unlabelled = await page.$$eval('#params input', (l) =>
      l.filter((i) => (i as HTMLInputElement).labels?.length !== 1).map((i) => i.id),
    );
    expect(unlabelled).toEqual([]);
  });

  it('shows the command line message for a bad value and marks the input', async () => {
    const leave = async (id: string) => {
      await page.focus(id);
      await page.keyboard.press('Tab');
    };
    for (const [id, name, key, value] of [
      ['#param-abc-lr', 'abc', 'lr', '-1'],
      ['#param-abc-hidden', 'abc', 'hidden', '8,x'],
      ['#param-iforest-nEstimators', 'iforest', 'nEstimators', '2.5'],
    ] as const) {
      const message = cliMessage(name, `${key}=${value}`);
      // Leaving the input shows the message at once.
      await page.fill(id, value);
      await leave(id);
      expect(await page.textContent('#error')).toBe(message);
      expect(await page.getAttribute(id, 'aria-invalid')).toBe('true');
      // Train refuses with the same message.
      await page.focus('#train');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => (window as unknown as { __abcApp: { phase: string } }).__abcApp.phase === 'error');
      expect(await page.textContent('#error')).toBe(message);
      // Mended and left: the mark and the message go.
      await page.fill(id, '');
      await leave(id);
      expect(await page.getAttribute(id, 'aria-invalid')).toBeNull();
      expect(await page.textContent('#error')).toBe('');
    }
  });

  it('passes the parameters typed with the keyboard to the fitted models', async () => {
    const typeInto = async (id: string, text: string) => {
      await page.focus(id);
      await page.keyboard.type(text);
    };
    await typeInto('#param-abc-hidden', '8,4');
    await typeInto('#param-abc-lr', '0.005');
    await typeInto('#param-abc-maxEpochs', '30');
    await typeInto('#param-gtb-maxIter', '40');
    await typeInto('#param-iforest-nEstimators', '50');
    await page.locator('#setup').screenshot({ path: join(OUT_DIR, 'setup-params.png') });
    const s = await trainAndWait(page);
    expect(Object.keys(s.metrics)).toEqual(['abc', 'gtb', 'iforest']);
    expect(s.fits.abc.steps).toBeLessThanOrEqual(30);
    expect(s.fits.gtb.steps).toBeLessThanOrEqual(40);
    expect(s.fits.iforest.steps).toBe(50);
    const abc = await savedParams('abc');
    expect(abc).toMatchObject({ hidden: [8, 4], latent: 1, lr: 0.005, maxEpochs: 30 });
    expect(await savedParams('gtb')).toMatchObject({ maxIter: 40 });
    expect(await savedParams('iforest')).toMatchObject({ nEstimators: 50 });
  });

  it('draws the losses of the detector the user selects, not of the last one trained', async () => {
    const chart = () => page.evaluate(() => (document.getElementById('loss-chart') as HTMLCanvasElement).toDataURL());
    const s0 = await appState(page);
    // After the run the chart shows the detector the results show (the first), as long as the user picked none.
    expect(s0.lossChart?.detector).toBe('abc');
    expect(await page.inputValue('#view')).toBe('abc');
    const expected: Record<string, string[]> = {
      abc: ['abc: normal loss', 'abc: anomaly loss'],
      gtb: ['gtb: loss'], // no validation loss: GTB's early stopping is off below 10,000 rows ('auto')
      iforest: [],
    };
    const images = new Map<string, string>();
    for (const name of ['abc', 'gtb', 'iforest']) {
      await page.selectOption('#loss-detector', name);
      const s = await appState(page);
      expect(s.lossChart?.detector).toBe(name);
      expect(s.lossChart?.series).toEqual(expected[name]);
      for (const n of s.lossChart?.points ?? []) expect(n).toBe(s.fits[name].steps);
      images.set(name, await chart());
      if (name === 'abc') await page.locator('#training').screenshot({ path: join(OUT_DIR, 'loss-abc.png') });
    }
    expect(await page.textContent('#loss-caption')).toBe('iforest reports no loss while fitting');
    expect(new Set(images.values()).size).toBe(3);
    // Choosing a detector in the results moves the loss chart to it too.
    await page.selectOption('#view', 'gtb');
    expect((await appState(page)).lossChart?.detector).toBe('gtb');
    expect(await chart()).toBe(images.get('gtb'));
    await page.close();
  });
});

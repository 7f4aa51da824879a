import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The bundle-size budget of the static build (bytes, not gzipped). The entry chunk is what the page loads first;
 * the worker (engine, detectors) loads at start; onnxruntime-web's JavaScript and wasm load only when an exported
 * model is scored in the page.
 */
export const BUDGET = { entryJs: 200_000, allJs: 1_100_000, wasm: 58_000_000 };

const assets = resolve(import.meta.dirname, '..', 'dist', 'assets');

describe('static build', () => {
  it(`stays within the bundle budget (entry ≤ ${BUDGET.entryJs / 1000} kB, all JS ≤ ${BUDGET.allJs / 1000} kB, wasm ≤ ${BUDGET.wasm / 1e6} MB)`, () => {
    const files = readdirSync(assets).map((f) => ({ f, size: statSync(join(assets, f)).size }));
    const js = files.filter((x) => x.f.endsWith('.js'));
    const entry = js.filter((x) => x.f.startsWith('index-'));
    const sum = (l: { size: number }[]) => l.reduce((a, b) => a + b.size, 0);
    console.log(files.map((x) => `${x.f} ${x.size}`).join('\n'));
    expect(entry.length).toBe(1);
    expect(sum(entry)).toBeLessThanOrEqual(BUDGET.entryJs);
    expect(sum(js)).toBeLessThanOrEqual(BUDGET.allJs);
    expect(sum(files.filter((x) => x.f.endsWith('.wasm')))).toBeLessThanOrEqual(BUDGET.wasm);
  });
});

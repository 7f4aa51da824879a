import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { precacheList } from '../scripts/service-worker.js';
import { DIST } from './support/app-page.js';

describe('the service worker of the build', () => {
  it('precaches the app shell and every JavaScript file, not the wasm binaries', () => {
    expect(precacheList(['assets/index-a.js', 'assets/worker-b.js', 'assets/ort-c.wasm', 'coi-sw.js'])).toEqual([
      './',
      'assets/index-a.js',
      'assets/worker-b.js',
      'index.html',
    ]);
  });

  it('is emitted into dist with a list of files that all exist there', () => {
    const source = readFileSync(join(DIST, 'coi-sw.js'), 'utf8');
    expect(source).not.toContain('__ABC_');
    const list = JSON.parse(/const PRECACHE = (\[.*?\]);/.exec(source)![1]) as string[];
    expect(list).toContain('index.html');
    expect(list.filter((f) => /^assets\/worker-.*\.js$/.test(f)).length).toBeGreaterThanOrEqual(2);
    for (const f of list) expect(existsSync(join(DIST, f)), f).toBe(true);
    expect(/const VERSION = "[0-9a-f]{12}";/.test(source)).toBe(true);
  });
});

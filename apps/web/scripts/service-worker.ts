import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';

/** The service worker's source; its `self.__ABC_PRECACHE__` and `self.__ABC_VERSION__` are filled in at build. */
const SOURCE = resolve(import.meta.dirname, '..', 'src', 'sw', 'coi-sw.js');

/** Files the service worker precaches: the app shell and every emitted file but wasm binaries and source maps. */
export function precacheList(fileNames: readonly string[]): string[] {
  const files = fileNames.filter((f) => !f.endsWith('.wasm') && !f.endsWith('.map') && f !== 'coi-sw.js');
  return ['./', ...new Set(['index.html', ...files])].sort();
}

/**
 * A Vite build plugin that emits `coi-sw.js` (src/sw/coi-sw.js) at the root of the build with the list of files to
 * precache and a version derived from it (the file names carry content hashes, so a new build gets a new version,
 * and the browser installs the new worker and drops the old cache).
 *
 * @example
 * export default defineConfig({ plugins: [serviceWorker()] });
 */
export function serviceWorker(): Plugin {
  return {
    name: 'abc-service-worker',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const precache = precacheList(Object.keys(bundle));
      const version = createHash('sha256').update(precache.join('\n')).digest('hex').slice(0, 12);
      const source = readFileSync(SOURCE, 'utf8')
        .replace('self.__ABC_PRECACHE__', JSON.stringify(precache))
        .replace('self.__ABC_VERSION__', JSON.stringify(version));
      this.emitFile({ type: 'asset', fileName: 'coi-sw.js', source });
    },
  };
}

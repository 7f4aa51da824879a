/* The app's service worker (emitted as dist/coi-sw.js by scripts/service-worker.ts, which fills in PRECACHE and
 * VERSION). Two jobs:
 * 1. Cross-origin isolation on static hosts: every same-origin response is re-served with
 *    Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (and
 *    Cross-Origin-Resource-Policy for the page's own files), so SharedArrayBuffer, the engine's shared wasm arena
 *    and onnxruntime-web's threads work where the server cannot send headers. Registered by src/sw-register.ts only
 *    where the page is not isolated. The idea follows gzuidhof/coi-serviceworker (MIT).
 * 2. Offline use: at install it caches the app shell and every JavaScript chunk of the build (the training worker
 *    holds the engine's wasm); other same-origin files (onnxruntime-web's wasm, fetched when a model is scored)
 *    are cached when first fetched. Build files with a content hash in their name (assets/NAME-HASH.EXT) never
 *    change, so they come from the cache when it has them; everything else (the page itself) goes to the network
 *    first and falls back to the cache, so an online page gets the current build and an offline one the last. */
const PRECACHE = self.__ABC_PRECACHE__;
const VERSION = self.__ABC_VERSION__;
const CACHE = `abc-web-${VERSION}`;
/** Vite's hashed build files: assets/NAME-HASH.EXT with an 8-character hash. */
const IMMUTABLE = /\/assets\/[^/]+-[\w-]{8}\.(js|mjs|wasm|css)$/;

function isolated(response) {
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function precache() {
  const cache = await caches.open(CACHE);
  // Best effort: a file that fails now is cached when the page first fetches it.
  await Promise.all(
    PRECACHE.map(async (path) => {
      const url = new URL(path, self.registration.scope).href;
      try {
        const response = await fetch(url, { cache: 'no-cache' });
        if (response.ok) await cache.put(url, isolated(response));
      } catch {
        // offline during install: nothing to cache
      }
    }),
  );
}

async function fromCache(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
  if (hit) return hit;
  // A navigation to any page of the app falls back to the cached shell.
  if (request.mode === 'navigate') return cache.match(new URL('./', self.registration.scope).href);
  return undefined;
}

async function respond(request) {
  if (IMMUTABLE.test(new URL(request.url).pathname)) {
    const hit = await (await caches.open(CACHE)).match(request);
    if (hit) return hit;
  }
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const cached = await fromCache(request);
    if (cached) return cached;
    throw error;
  }
  if (response.status === 0) return response;
  const out = isolated(response);
  if (response.ok && request.method === 'GET') {
    const copy = out.clone();
    caches
      .open(CACHE)
      .then((cache) => cache.put(request, copy))
      .catch(() => undefined);
  }
  return out;
}

self.addEventListener('install', (event) => event.waitUntil(precache().then(() => self.skipWaiting())));
self.addEventListener('activate', (event) =>
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('abc-web-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  ),
);
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(respond(request));
});

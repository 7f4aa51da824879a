/* A service worker that makes a statically hosted page cross-origin isolated: it re-serves every same-origin
 * response with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (and
 * Cross-Origin-Resource-Policy for the page's own files). Registered by src/sw-register.ts only where the server
 * does not send the headers itself. The idea follows gzuidhof/coi-serviceworker (MIT). */
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      headers.set('Cross-Origin-Resource-Policy', 'same-origin');
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});

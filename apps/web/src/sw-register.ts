/**
 * Registers `coi-sw.js`, a service worker that adds COOP/COEP headers to every response, where the page is served
 * without them (a static host such as GitHub Pages), then reloads once so the page becomes cross-origin isolated
 * (SharedArrayBuffer, onnxruntime-web threads). Does nothing where the server already sends the headers (Vite's
 * dev and preview servers here) or where service workers are unavailable.
 */
export function registerIsolationWorker(): void {
  if (globalThis.crossOriginIsolated || !('serviceWorker' in navigator) || !window.isSecureContext) return;
  const key = 'abc-coi-reloaded';
  navigator.serviceWorker
    .register(`${import.meta.env.BASE_URL}coi-sw.js`)
    .then((reg) => {
      if (sessionStorage.getItem(key)) return;
      const reload = () => {
        sessionStorage.setItem(key, '1');
        location.reload();
      };
      if (reg.active && !navigator.serviceWorker.controller) reload();
      else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
    })
    .catch(() => undefined);
}

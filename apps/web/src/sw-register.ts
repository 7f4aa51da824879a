/**
 * Registers the app's service worker (`coi-sw.js`, built from src/sw/coi-sw.js) in the static build: it caches the
 * app for offline use, and where the page is served without COOP/COEP headers (a static host such as GitHub Pages)
 * it adds them to every response; the page then reloads once so it becomes cross-origin isolated
 * (SharedArrayBuffer, the engine's shared wasm arena, onnxruntime-web threads). Does nothing under `vite dev` or
 * where service workers are unavailable (not a secure context).
 */
export function registerServiceWorker(): void {
  if (import.meta.env.MODE === 'development' || !('serviceWorker' in navigator) || !window.isSecureContext) return;
  const key = 'abc-coi-reloaded';
  const needsReload = !globalThis.crossOriginIsolated && !sessionStorage.getItem(key);
  navigator.serviceWorker
    .register(`${import.meta.env.BASE_URL}coi-sw.js`)
    .then((reg) => {
      if (!needsReload) return;
      const reload = () => {
        sessionStorage.setItem(key, '1');
        location.reload();
      };
      if (reg.active)
        reload(); // installed earlier: a plain reload goes through it
      else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
    })
    .catch(() => undefined); // offline: the update check fails, the installed worker keeps serving
}

import { defineConfig } from 'vite';
import { serviceWorker } from './scripts/service-worker.js';

// Workspace packages are read from their TypeScript sources (the "@abc/source" condition). onnxruntime-web
// is not pre-bundled, so its `new URL('*.wasm', import.meta.url)` references survive and Vite emits the
// wasm files as assets. COOP/COEP make the page cross-origin isolated (SharedArrayBuffer, onnxruntime-web
// threads) under `vite dev` and `vite preview`; on a static host the service worker coi-sw.js adds them and caches
// the app for offline use (src/sw/coi-sw.js, emitted by scripts/service-worker.ts, registered by src/sw-register.ts).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './',
  plugins: [serviceWorker()],
  resolve: { conditions: ['@abc/source', 'module', 'browser', 'import', 'default'] },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
});

import { defineConfig } from 'vite';

// Workspace packages are read from their TypeScript sources (the "@abc/source" condition). onnxruntime-web
// is not pre-bundled, so its `new URL('*.wasm', import.meta.url)` references survive and Vite emits the
// wasm files as assets. COOP/COEP make the page cross-origin isolated (SharedArrayBuffer, onnxruntime-web
// threads) under `vite dev` and `vite preview`; on a static host public/coi-sw.js adds them (src/sw-register.ts).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './',
  resolve: { conditions: ['@abc/source', 'module', 'browser', 'import', 'default'] },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
});

// Runs a package's whole suite with the kernel selection wired in as the engine's default, the way it is once
// `getDefaultKernel()` calls `selectKernel()` (env ABC_KERNEL picks the kernel: default wasm-simd).
// Run from the repository root: pnpm vitest run -c packages/engine/wasm/vitest.default-kernel.config.ts
// Another package that trains on the engine: ABC_TEST_PACKAGE=packages/models pnpm vitest run -c ...
import { fileURLToPath } from 'node:url';
import { packageProject } from '../../../vitest.shared.js';

const pkg = process.env.ABC_TEST_PACKAGE ?? 'packages/engine';

export default packageProject(`${pkg.split('/').pop()}-default-kernel`, {
  root: fileURLToPath(new URL(`../../../${pkg}`, import.meta.url)),
  setupFiles: [fileURLToPath(new URL('./setup-default-kernel.ts', import.meta.url))],
});

// Builds the static app once before the test files that read dist/ (bundle size, Chromium end-to-end), as
// `pnpm --filter @abc/web build` does: NODE_ENV=production (vitest sets it to "test", which Vite would build with).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export default async function setup(): Promise<void> {
  const app = resolve(import.meta.dirname, '..');
  await promisify(execFile)(resolve(app, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error'], {
    cwd: app,
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

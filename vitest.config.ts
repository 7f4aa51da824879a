import { defineConfig } from 'vitest/config';

// One vitest run over every workspace project; `pnpm test` uses it and .ci/run reads its JSON report.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'examples/*/vitest.config.ts'],
  },
});

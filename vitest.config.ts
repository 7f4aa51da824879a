import { defineConfig } from 'vitest/config';

// One vitest run over every workspace project; `pnpm test` uses it. With VITEST_JSON=FILE set (as .ci/run
// does) it also writes vitest's JSON report there, from which CI prints "N passed, N failed".
const json = process.env.VITEST_JSON;

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'examples/*/vitest.config.ts', 'test/vitest.config.ts'],
    reporters: json ? ['default', 'json'] : ['default'],
    outputFile: json ? { json } : undefined,
  },
});

// Shared vitest settings: every package resolves workspace dependencies to their TypeScript
// sources through the "@abc/source" export condition, so tests never read a stale dist/.
import { defineProject, type ViteUserConfig } from 'vitest/config';

export const sourceConditions = ['@abc/source', 'module', 'node', 'import', 'default'];

export function packageProject(name: string, extra: ViteUserConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@abc/source'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: 60_000,
      ...extra,
    },
  });
}

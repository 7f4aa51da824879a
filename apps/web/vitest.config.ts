import { packageProject } from '../../vitest.shared.js';

export default packageProject('web', { testTimeout: 120_000, hookTimeout: 120_000, globalSetup: ['test/global-build.ts'] });

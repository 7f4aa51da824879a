import { packageProject } from '../../vitest.shared.js';

export default packageProject('web', { testTimeout: 180_000, hookTimeout: 180_000 });

import { packageProject } from '../vitest.shared.js';

// Repository-wide checks (the package graph, import cycles): not one package's tests.
export default packageProject('repo', { include: ['*.test.ts'] });

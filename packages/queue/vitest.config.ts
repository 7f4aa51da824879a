import { packageProject } from '../../vitest.shared.js';

// The queue's tests start Redis and `abc` processes in their hooks: seconds each on a loaded machine.
export default packageProject('queue', { hookTimeout: 60_000 });

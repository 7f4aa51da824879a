// vitest setup for vitest.default-kernel.config.ts: installs the selected kernel as the engine default.
import { setDefaultKernel } from '../src/kernels/default.js';
import { describeSelection, selectKernel } from '../src/kernels/select.js';

const selection = selectKernel();
setDefaultKernel(selection.kernel);
if (process.env.ABC_KERNEL_VERBOSE) console.log(describeSelection(selection));

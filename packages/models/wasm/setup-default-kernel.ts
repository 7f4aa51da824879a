// vitest setup for vitest.default-kernel.config.ts: installs the selected kernel as the engine default.
import { setDefaultKernel } from '../src/engine/kernels/gemm.js';
import { describeSelection, selectKernel } from '../src/engine/kernels/select.js';

const selection = selectKernel();
setDefaultKernel(selection.kernel);
if (process.env.ABC_KERNEL_VERBOSE) console.log(describeSelection(selection));

/// <reference lib="webworker" />
/**
 * The training worker: picks the engine's kernel with `selectKernelAsync` (WebAssembly SIMD where the browser
 * has it), registers the built-in detectors, and runs fitting jobs off the main thread. A `cancel` message aborts
 * the running fit through its AbortSignal.
 */
import { registerBaselines } from '@abc/baselines';
import { listDetectors } from '@abc/core';
import { describeSelection, precompileWasmArena, selectKernelAsync, setDefaultKernel } from '@abc/engine';
import type { WorkerEvent, WorkerRequest } from './protocol.js';
import { registerModels } from '@abc/models';
import { runJob } from './run-job.js';

// Called, not just imported: a bare import of a package whose index is side-effect free is dropped by the bundler.
registerModels();
registerBaselines();

const scope = self as unknown as DedicatedWorkerGlobalScope;
let controller: AbortController | null = null;

function emit(event: WorkerEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
}

async function start(): Promise<void> {
  const selection = await selectKernelAsync();
  setDefaultKernel(selection.kernel);
  await precompileWasmArena();
  emit({
    type: 'ready',
    kernel: describeSelection(selection),
    detectors: listDetectors().map((e) => ({
      name: e.name,
      supervision: e.supervision,
      description: e.description,
      paramSpace: e.paramSpace,
    })),
  });
}

const ready = start();

scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const msg = e.data;
  if (msg.type === 'cancel') {
    controller?.abort();
    return;
  }
  controller = new AbortController();
  const signal = controller.signal;
  let current: string | null = null;
  void ready
    .then(() =>
      runJob(
        msg.job,
        (ev, transfer) => {
          if (ev.type === 'start') current = ev.detector;
          emit(ev, transfer);
        },
        signal,
      ),
    )
    .catch((err: unknown) => {
      const error = err as Error;
      if (signal.aborted || error?.name === 'AbortError') emit({ type: 'cancelled' });
      else emit({ type: 'error', detector: current, name: error?.name ?? 'Error', message: error?.message ?? String(err) });
    });
};

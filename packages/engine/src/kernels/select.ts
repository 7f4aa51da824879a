/**
 * Kernel selection: the GEMM kernels this package ships, and any an application registers with
 * {@link registerKernel} (optional accelerators such as tfjs, see `tfjs.ts`), by priority, each with an
 * availability probe; {@link selectKernel} returns the first one that can run here together with the reason every
 * skipped candidate gave. An explicit preference (option, or env `ABC_KERNEL` in Node) moves one kernel to the
 * front; if it cannot run, selection falls back in priority order (or throws `BackendUnavailableError` with
 * `strict: true`). The registry follows onnxruntime-web's `registerBackend(name, backend, priority)`: the highest
 * priority is tried first. An unknown kernel name is a `ValidationError` (reason `param`) listing the known ones.
 *
 * @example
 * const { kernel, reasons } = selectKernel();            // wasm-simd where WebAssembly SIMD runs, else ts
 * setDefaultKernel(kernel);
 * selectKernel({ prefer: 'ts' }).kernel.name;            // 'ts'
 * // ABC_KERNEL=ts node app.js                            // same, from the environment
 * registerKernel({ id: 'my-blas', priority: 30, unavailableReason: () => null, create, createAsync });
 * selectKernel().id;                                     // 'my-blas' (priority 30 goes before wasm-simd's 10)
 */
import { BackendUnavailableError, ValidationError } from '@abc/core';
import { TsGemmKernel } from './ts-gemm.js';
import type { GemmKernel } from './types.js';
import { createWasmSimdKernel, createWasmSimdKernelAsync, wasmSimdUnavailableReason } from './wasm-simd.js';

/** The kernels this package ships, highest priority first (one name each, everywhere: reports, ABC_KERNEL, errors). */
export const KERNEL_IDS = ['wasm-simd', 'ts'] as const;
/** The id of a kernel this package ships. */
export type KernelId = (typeof KERNEL_IDS)[number];
/** The id of a built-in kernel ({@link KernelId}) or of one registered with {@link registerKernel} (e.g. `'tfjs'`). */
export type KernelName = KernelId | (string & {});

/**
 * A kernel id (built-in or registered), `'wasm'` (alias of `'wasm-simd'`), or `'auto'` (priority order). The
 * names of 0.1, `'ts-blocked'` and `'js'`, are still read as `'ts'`.
 */
export type KernelPreference = KernelName | 'ts' | 'wasm' | 'auto';

/**
 * One candidate kernel: its id, priority (higher runs first, as onnxruntime's backends) and how to probe and
 * create it. The built-ins have priorities 10 (wasm-simd) and 0 (ts); a registered accelerator takes more than 10
 * to run before them (tfjs 20, wasm-simd-2t 15), or between 0 and 10 to run only where WebAssembly SIMD cannot.
 */
export interface KernelCandidate {
  /** Lower-case letters, digits, `.`, `_`, `-`; not `auto`, `ts`, `js` or `wasm` (preference aliases). */
  id: KernelName;
  priority: number;
  /** Why the kernel cannot run in this runtime, or null when it can. Cheap, creates nothing. */
  unavailableReason(): string | null;
  /**
   * Optional async probe {@link selectKernelAsync} uses instead of `unavailableReason`, for a kernel that can become
   * available only asynchronously (e.g. a tfjs backend that starts with `await tf.ready()`).
   */
  unavailableReasonAsync?(): Promise<string | null>;
  /** Creates the kernel synchronously (throws with a reason when it cannot). */
  create(): GemmKernel;
  /** Creates the kernel asynchronously (needed for WebAssembly on a browser's main thread). */
  createAsync(): Promise<GemmKernel>;
}

/** What happened to one candidate during selection. */
export interface KernelReason {
  id: KernelName;
  /** True for the kernel that was selected. */
  selected: boolean;
  /** Why it was not selected (unavailable, or a higher-priority kernel won); absent for the selected one. */
  reason?: string;
}

export interface KernelSelection {
  kernel: GemmKernel;
  id: KernelName;
  /** One entry per candidate tried or passed over, in the order they were considered. */
  reasons: KernelReason[];
  /** Where the preference came from: `'option'`, `'env'` (ABC_KERNEL) or `'default'` (auto). */
  source: 'option' | 'env' | 'default';
}

export interface SelectKernelOptions {
  /** A kernel to try first (default: env `ABC_KERNEL` where `process.env` exists, else `'auto'`). */
  prefer?: KernelPreference;
  /** Throw instead of falling back when the preferred kernel cannot run (default false). */
  strict?: boolean;
}

/** The built-in candidates by priority: WebAssembly SIMD, then plain TypeScript (always available). */
export const KERNEL_CANDIDATES: readonly KernelCandidate[] = [
  {
    id: 'wasm-simd',
    priority: 10,
    unavailableReason: wasmSimdUnavailableReason,
    create: createWasmSimdKernel,
    createAsync: createWasmSimdKernelAsync,
  },
  {
    id: 'ts',
    priority: 0,
    unavailableReason: () => null,
    create: () => new TsGemmKernel(),
    createAsync: async () => new TsGemmKernel(),
  },
];

/** Candidates added with {@link registerKernel}, in registration order. */
const registered: KernelCandidate[] = [];

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const RESERVED_IDS = new Set(['auto', 'js', 'wasm', 'ts-blocked']);

/**
 * Adds a kernel to the candidates {@link selectKernel} considers (onnxruntime's `registerBackend` pattern): it is
 * tried in priority order among the built-ins (wasm-simd 10, ts 0; higher first, ties keep built-ins first,
 * then registration order), can be asked for by id (`prefer`, env `ABC_KERNEL`), and is skipped with its
 * {@link KernelCandidate.unavailableReason} where it cannot run. Registering an id again replaces the earlier
 * registration; a built-in id cannot be registered. Registration does not change a default kernel that
 * `getDefaultKernel()` has already chosen: register at startup, before the first network is created (or call
 * `setDefaultKernel(selectKernel().kernel)` afterwards).
 *
 * @example
 * registerKernel({
 *   id: 'my-blas', priority: 30,
 *   unavailableReason: () => (blas ? null : 'my-blas is not installed'),
 *   create: () => new MyBlasKernel(blas), createAsync: async () => new MyBlasKernel(blas),
 * });
 */
export function registerKernel(candidate: KernelCandidate): void {
  const id = candidate?.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id) || RESERVED_IDS.has(id)) {
    throw new ValidationError(
      'param',
      `invalid GEMM kernel id ${JSON.stringify(id)}: use lower-case letters, digits, '.', '_' or '-', not auto, wasm, ts-blocked or js`,
    );
  }
  if ((KERNEL_IDS as readonly string[]).includes(id)) {
    throw new ValidationError('param', `GEMM kernel ${id} is built in and cannot be registered again`);
  }
  if (typeof candidate.priority !== 'number' || !Number.isFinite(candidate.priority)) {
    throw new ValidationError('param', `GEMM kernel ${id}: priority must be a finite number, got ${String(candidate.priority)}`);
  }
  for (const f of ['unavailableReason', 'create', 'createAsync'] as const) {
    if (typeof candidate[f] !== 'function') throw new ValidationError('type', `GEMM kernel ${id}: ${f} must be a function`);
  }
  const i = registered.findIndex((c) => c.id === id);
  if (i >= 0) registered.splice(i, 1);
  registered.push(candidate);
}

/** Removes a kernel added with {@link registerKernel}; returns whether it was registered (built-ins stay). */
export function unregisterKernel(id: string): boolean {
  const i = registered.findIndex((c) => c.id === id);
  if (i < 0) return false;
  registered.splice(i, 1);
  return true;
}

/** Every candidate, built-in and registered, in the order `'auto'` selection tries them (priority, higher first). */
export function listKernelCandidates(): KernelCandidate[] {
  // Array.prototype.sort is stable: equal priorities keep the built-ins first, then registration order.
  return [...KERNEL_CANDIDATES, ...registered].sort((a, b) => b.priority - a.priority);
}

/**
 * Normalises a preference (`'wasm'` → `'wasm-simd'`; 0.1's `'ts-blocked'` and `'js'` → `'ts'`; case-insensitive);
 * a registered id is accepted too. An unknown name is a `ValidationError` (reason `param`) listing the known ones.
 *
 * @example
 * parseKernelPreference('WASM');   // 'wasm-simd'
 */
export function parseKernelPreference(value: string): KernelName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'ts' || v === 'ts-blocked' || v === 'js') return 'ts';
  if (v === 'wasm' || v === 'wasm-simd') return 'wasm-simd';
  const known = listKernelCandidates().map((c) => c.id);
  if (known.includes(v)) return v;
  const hint = v.startsWith('tfjs')
    ? '; tfjs kernels exist once registered: in Node by installing @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu, anywhere with registerTfjsKernel(tf)'
    : v === 'wasm-simd-2t'
      ? '; wasm-simd-2t exists in Node (the node entry of @abc/models, or registerThreadedWasmKernel() of @abc/engine/node)'
      : '';
  throw new ValidationError('param', `unknown GEMM kernel "${value}": use one of auto, ${known.join(', ')} (or wasm)${hint}`);
}

function envPreference(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.ABC_KERNEL;
  return v === undefined || v.trim() === '' ? undefined : v;
}

function order(options: SelectKernelOptions): {
  list: KernelCandidate[];
  preferred: KernelName | 'auto';
  source: KernelSelection['source'];
} {
  let source: KernelSelection['source'] = 'default';
  let raw: string | undefined = options.prefer;
  if (raw !== undefined) source = 'option';
  else {
    raw = envPreference();
    if (raw !== undefined) source = 'env';
  }
  const preferred = raw === undefined ? 'auto' : parseKernelPreference(raw);
  if (preferred === 'auto') source = 'default';
  const list = listKernelCandidates();
  if (preferred !== 'auto') {
    const i = list.findIndex((c) => c.id === preferred);
    list.unshift(...list.splice(i, 1));
  }
  return { list, preferred, source };
}

function describe(source: KernelSelection['source']): string {
  return source === 'env' ? 'ABC_KERNEL' : 'the preference';
}

/** The reasons of a finished selection: the candidates that failed, the selected one, those passed over. */
function finish(failed: KernelReason[], list: readonly KernelCandidate[], chosen: KernelCandidate): KernelReason[] {
  const passed = list
    .slice(list.indexOf(chosen) + 1)
    .map((c): KernelReason => ({ id: c.id, selected: false, reason: `not needed: ${chosen.id} was selected first` }));
  return [...failed, { id: chosen.id, selected: true }, ...passed];
}

function fail(
  opts: SelectKernelOptions,
  preferred: KernelName | 'auto',
  source: KernelSelection['source'],
  c: KernelCandidate,
  why: string,
): void {
  if (opts.strict && c.id === preferred) {
    throw new BackendUnavailableError(c.id, `GEMM kernel ${c.id} (requested by ${describe(source)}) is unavailable: ${why}`);
  }
}

/** A candidate's unavailableReason; a probe that throws (a registered one may) counts as unavailable with its message. */
function probe(c: KernelCandidate): string | null {
  try {
    return c.unavailableReason();
  } catch (e) {
    return `its availability probe threw: ${(e as Error)?.message ?? String(e)}`;
  }
}

/** As {@link probe}, with the candidate's async probe where it has one. */
async function probeAsync(c: KernelCandidate): Promise<string | null> {
  if (typeof c.unavailableReasonAsync !== 'function') return probe(c);
  try {
    return await c.unavailableReasonAsync();
  } catch (e) {
    return `its availability probe threw: ${(e as Error)?.message ?? String(e)}`;
  }
}

function none(reasons: KernelReason[]): Error {
  // Unreachable while ts is always available.
  return new BackendUnavailableError(
    'gemm',
    `no GEMM kernel is available: ${reasons.map((r) => `${r.id}: ${r.reason}`).join('; ')}`,
  );
}

/**
 * Picks the first candidate that can run here (see the module comment). Synchronous: on a browser's main
 * thread the WebAssembly kernel may be refused (synchronous compile over 4 KB) and is then skipped with that
 * reason; use {@link selectKernelAsync} there. Each call creates a new kernel instance.
 */
export function selectKernel(options: SelectKernelOptions | KernelPreference = {}): KernelSelection {
  const opts: SelectKernelOptions = typeof options === 'string' ? { prefer: options } : options;
  const { list, preferred, source } = order(opts);
  const failed: KernelReason[] = [];
  for (const c of list) {
    let why = probe(c);
    if (why === null) {
      try {
        const kernel = c.create();
        return { kernel, id: c.id, reasons: finish(failed, list, c), source };
      } catch (e) {
        why = (e as Error)?.message ?? String(e);
      }
    }
    fail(opts, preferred, source, c, why);
    failed.push({ id: c.id, selected: false, reason: why });
  }
  throw none(failed);
}

/** Async variant of {@link selectKernel} (compiles WebAssembly asynchronously: works on a browser's main thread). */
export async function selectKernelAsync(options: SelectKernelOptions | KernelPreference = {}): Promise<KernelSelection> {
  const opts: SelectKernelOptions = typeof options === 'string' ? { prefer: options } : options;
  const { list, preferred, source } = order(opts);
  const failed: KernelReason[] = [];
  for (const c of list) {
    let why = await probeAsync(c);
    if (why === null) {
      try {
        const kernel = await c.createAsync();
        return { kernel, id: c.id, reasons: finish(failed, list, c), source };
      } catch (e) {
        why = (e as Error)?.message ?? String(e);
      }
    }
    fail(opts, preferred, source, c, why);
    failed.push({ id: c.id, selected: false, reason: why });
  }
  throw none(failed);
}

/** One line for logs: `gemm kernel wasm-simd (auto); skipped: ...`. */
export function describeSelection(s: KernelSelection): string {
  const skipped = s.reasons.filter((r) => !r.selected && !r.reason?.startsWith('not needed'));
  const from = s.source === 'default' ? 'auto' : s.source === 'env' ? 'ABC_KERNEL' : 'option';
  return (
    `gemm kernel ${s.id} (${from})` +
    (skipped.length ? `; skipped: ${skipped.map((r) => `${r.id}: ${r.reason}`).join('; ')}` : '')
  );
}

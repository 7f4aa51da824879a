/**
 * Kernel selection: the GEMM kernels this package ships, and any an application registers with
 * {@link registerKernel} (optional accelerators such as tfjs, see `tfjs.ts`), by priority, each with an
 * availability probe; {@link selectKernel} returns the first one that can run here together with the reason every
 * skipped candidate gave. An explicit preference (option, or env `ABC_KERNEL` in Node) moves one kernel to the
 * front; if it cannot run, selection falls back in priority order (or throws with `strict: true`). The registry
 * follows onnxruntime-web's `registerBackend(name, backend, priority)`, except that a lower priority runs first.
 *
 * @example
 * const { kernel, reasons } = selectKernel();            // wasm-simd where WebAssembly SIMD runs, else ts-blocked
 * setDefaultKernel(kernel);
 * selectKernel({ prefer: 'ts' }).kernel.name;            // 'ts-blocked'
 * // ABC_KERNEL=ts node app.js                            // same, from the environment
 * registerKernel({ id: 'my-blas', priority: -1, unavailableReason: () => null, create, createAsync });
 * selectKernel().id;                                     // 'my-blas' (priority -1 goes before wasm-simd's 0)
 */
import { TsGemmKernel, type GemmKernel } from './gemm.js';
import { createWasmSimdKernel, createWasmSimdKernelAsync, wasmSimdUnavailableReason } from './wasm-simd.js';

/** The kernels this package ships, highest priority first. */
export const KERNEL_IDS = ['wasm-simd', 'ts-blocked'] as const;
/** The id of a kernel this package ships. */
export type KernelId = (typeof KERNEL_IDS)[number];
/** The id of a built-in kernel ({@link KernelId}) or of one registered with {@link registerKernel} (e.g. `'tfjs'`). */
export type KernelName = KernelId | (string & {});

/**
 * A kernel id (built-in or registered), `'ts'` (alias of `'ts-blocked'`, also `'wasm'` for `'wasm-simd'`), or
 * `'auto'` (priority order).
 */
export type KernelPreference = KernelName | 'ts' | 'wasm' | 'auto';

/**
 * One candidate kernel: its id, priority (lower runs first) and how to probe and create it. The built-ins have
 * priorities 0 (wasm-simd) and 1 (ts-blocked); a registered accelerator typically takes -1 to run before them.
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
    priority: 0,
    unavailableReason: wasmSimdUnavailableReason,
    create: createWasmSimdKernel,
    createAsync: createWasmSimdKernelAsync,
  },
  {
    id: 'ts-blocked',
    priority: 1,
    unavailableReason: () => null,
    create: () => new TsGemmKernel(),
    createAsync: async () => new TsGemmKernel(),
  },
];

/** Candidates added with {@link registerKernel}, in registration order. */
const registered: KernelCandidate[] = [];

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const RESERVED_IDS = new Set(['auto', 'ts', 'js', 'wasm']);

/**
 * Adds a kernel to the candidates {@link selectKernel} considers (onnxruntime's `registerBackend` pattern): it is
 * tried in priority order among the built-ins (wasm-simd 0, ts-blocked 1; lower first, ties keep built-ins first,
 * then registration order), can be asked for by id (`prefer`, env `ABC_KERNEL`), and is skipped with its
 * {@link KernelCandidate.unavailableReason} where it cannot run. Registering an id again replaces the earlier
 * registration; a built-in id cannot be registered. Registration does not change a default kernel that
 * `getDefaultKernel()` has already chosen: register at startup, before the first network is created (or call
 * `setDefaultKernel(selectKernel().kernel)` afterwards).
 *
 * @example
 * registerKernel({
 *   id: 'my-blas', priority: -1,
 *   unavailableReason: () => (blas ? null : 'my-blas is not installed'),
 *   create: () => new MyBlasKernel(blas), createAsync: async () => new MyBlasKernel(blas),
 * });
 */
export function registerKernel(candidate: KernelCandidate): void {
  const id = candidate?.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id) || RESERVED_IDS.has(id)) {
    throw new RangeError(
      `invalid GEMM kernel id ${JSON.stringify(id)}: use lower-case letters, digits, '.', '_' or '-', not auto, ts, js or wasm`,
    );
  }
  if ((KERNEL_IDS as readonly string[]).includes(id)) {
    throw new RangeError(`GEMM kernel ${id} is built in and cannot be registered again`);
  }
  if (typeof candidate.priority !== 'number' || !Number.isFinite(candidate.priority)) {
    throw new RangeError(`GEMM kernel ${id}: priority must be a finite number, got ${String(candidate.priority)}`);
  }
  for (const f of ['unavailableReason', 'create', 'createAsync'] as const) {
    if (typeof candidate[f] !== 'function') throw new TypeError(`GEMM kernel ${id}: ${f} must be a function`);
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

/** Every candidate, built-in and registered, in the order `'auto'` selection tries them (priority, lower first). */
export function listKernelCandidates(): KernelCandidate[] {
  // Array.prototype.sort is stable: equal priorities keep the built-ins first, then registration order.
  return [...KERNEL_CANDIDATES, ...registered].sort((a, b) => a.priority - b.priority);
}

/**
 * Normalises a preference (`'ts'` → `'ts-blocked'`, `'wasm'` → `'wasm-simd'`, case-insensitive); a registered id
 * is accepted too. Throws on an unknown name, listing the known ones.
 */
export function parseKernelPreference(value: string): KernelName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'ts' || v === 'ts-blocked' || v === 'js') return 'ts-blocked';
  if (v === 'wasm' || v === 'wasm-simd') return 'wasm-simd';
  const known = listKernelCandidates().map((c) => c.id);
  if (known.includes(v)) return v;
  const hint = v.startsWith('tfjs')
    ? '; tfjs kernels exist once registered: in Node by installing @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu, anywhere with registerTfjsKernel(tf)'
    : v === 'wasm-simd-2t'
      ? '; wasm-simd-2t exists in Node (the node entry of @abc/models, or registerThreadedWasmKernel())'
      : '';
  throw new RangeError(`unknown GEMM kernel "${value}": use one of auto, ${known.join(', ')} (or ts, wasm)${hint}`);
}

function envPreference(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.ABC_KERNEL;
  return v === undefined || v.trim() === '' ? undefined : v;
}

function order(options: SelectKernelOptions): { list: KernelCandidate[]; preferred: KernelName | 'auto'; source: KernelSelection['source'] } {
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

function fail(opts: SelectKernelOptions, preferred: KernelName | 'auto', source: KernelSelection['source'], c: KernelCandidate, why: string): void {
  if (opts.strict && c.id === preferred) {
    throw new Error(`GEMM kernel ${c.id} (requested by ${describe(source)}) is unavailable: ${why}`);
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
  // Unreachable while ts-blocked is always available.
  return new Error(`no GEMM kernel is available: ${reasons.map((r) => `${r.id}: ${r.reason}`).join('; ')}`);
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
  return `gemm kernel ${s.id} (${from})` + (skipped.length ? `; skipped: ${skipped.map((r) => `${r.id}: ${r.reason}`).join('; ')}` : '');
}

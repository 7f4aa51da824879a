/**
 * Kernel selection: the GEMM kernels this package ships, by priority, each with an availability probe, and
 * {@link selectKernel} which returns the first one that can run here together with the reason every
 * skipped candidate gave. An explicit preference (option, or env `ABC_KERNEL` in Node) moves one kernel to the
 * front; if it cannot run, selection falls back in priority order (or throws with `strict: true`).
 *
 * @example
 * const { kernel, reasons } = selectKernel();            // wasm-simd where WebAssembly SIMD runs, else ts-blocked
 * setDefaultKernel(kernel);
 * selectKernel({ prefer: 'ts' }).kernel.name;            // 'ts-blocked'
 * // ABC_KERNEL=ts node app.js                            // same, from the environment
 */
import { TsGemmKernel, type GemmKernel } from './gemm.js';
import { createWasmSimdKernel, createWasmSimdKernelAsync, wasmSimdUnavailableReason } from './wasm-simd.js';

/** The kernels this package ships, highest priority first. */
export const KERNEL_IDS = ['wasm-simd', 'ts-blocked'] as const;
export type KernelId = (typeof KERNEL_IDS)[number];

/** A kernel id, `'ts'` (alias of `'ts-blocked'`, also `'wasm'` for `'wasm-simd'`), or `'auto'` (priority order). */
export type KernelPreference = KernelId | 'ts' | 'wasm' | 'auto';

/** One candidate kernel: its id, priority (lower runs first) and how to probe and create it. */
export interface KernelCandidate {
  id: KernelId;
  priority: number;
  /** Why the kernel cannot run in this runtime, or null when it can. Cheap, creates nothing. */
  unavailableReason(): string | null;
  /** Creates the kernel synchronously (throws with a reason when it cannot). */
  create(): GemmKernel;
  /** Creates the kernel asynchronously (needed for WebAssembly on a browser's main thread). */
  createAsync(): Promise<GemmKernel>;
}

/** What happened to one candidate during selection. */
export interface KernelReason {
  id: KernelId;
  /** True for the kernel that was selected. */
  selected: boolean;
  /** Why it was not selected (unavailable, or a higher-priority kernel won); absent for the selected one. */
  reason?: string;
}

export interface KernelSelection {
  kernel: GemmKernel;
  id: KernelId;
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

/** The candidates by priority: WebAssembly SIMD, then plain TypeScript (always available). */
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

/** Normalises a preference (`'ts'` → `'ts-blocked'`, `'wasm'` → `'wasm-simd'`, case-insensitive); throws on an unknown name. */
export function parseKernelPreference(value: string): KernelId | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'ts' || v === 'ts-blocked' || v === 'js') return 'ts-blocked';
  if (v === 'wasm' || v === 'wasm-simd') return 'wasm-simd';
  throw new RangeError(`unknown GEMM kernel "${value}": use one of auto, ${KERNEL_IDS.join(', ')} (or ts, wasm)`);
}

function envPreference(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.ABC_KERNEL;
  return v === undefined || v.trim() === '' ? undefined : v;
}

function order(options: SelectKernelOptions): { list: KernelCandidate[]; preferred: KernelId | 'auto'; source: KernelSelection['source'] } {
  let source: KernelSelection['source'] = 'default';
  let raw: string | undefined = options.prefer;
  if (raw !== undefined) source = 'option';
  else {
    raw = envPreference();
    if (raw !== undefined) source = 'env';
  }
  const preferred = raw === undefined ? 'auto' : parseKernelPreference(raw);
  if (preferred === 'auto') source = 'default';
  const list = [...KERNEL_CANDIDATES].sort((a, b) => a.priority - b.priority);
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

function fail(opts: SelectKernelOptions, preferred: KernelId | 'auto', source: KernelSelection['source'], c: KernelCandidate, why: string): void {
  if (opts.strict && c.id === preferred) {
    throw new Error(`GEMM kernel ${c.id} (requested by ${describe(source)}) is unavailable: ${why}`);
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
    let why = c.unavailableReason();
    if (why === null) {
      try {
        const kernel = c.create();
        return { kernel, id: c.id, reasons: finish(failed, list, c), source };
      } catch (e) {
        why = (e as Error).message;
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
    let why = c.unavailableReason();
    if (why === null) {
      try {
        const kernel = await c.createAsync();
        return { kernel, id: c.id, reasons: finish(failed, list, c), source };
      } catch (e) {
        why = (e as Error).message;
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

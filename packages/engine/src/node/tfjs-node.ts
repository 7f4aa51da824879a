/**
 * The tfjs accelerators, used only where the application has installed them: `@tensorflow/tfjs-node-gpu`
 * (TensorFlow's CUDA build) and `@tensorflow/tfjs-node` (its native CPU build). `@abc/models` depends on neither.
 * {@link registerInstalledTfjsKernels} (run by the Node entry of `@abc/models`) registers one selection candidate
 * per package that is installed (a missing optional package is not worth a line in every kernel log):
 *
 * | id | package | priority | why there |
 * |---|---|---|---|
 * | `tfjs-node-gpu` | `@tensorflow/tfjs-node-gpu` | 20 (before `wasm-simd-2t`'s 15) | installing the GPU build asks for the GPU |
 * | `tfjs-node` | `@tensorflow/tfjs-node` | 5 (after `wasm-simd`'s 10, before `ts`'s 0) | see below |
 *
 * The tfjs kernel runs only the products natively; the element-wise passes stay in JavaScript and every product
 * copies its operands across, which is why `tfjs-node` comes after the wasm kernels: the same arrangement with
 * OpenBLAS behind N-API trained the PyTorch contract at 8,400-10,600 samples/s here (the PyTorch reference contract: packages/engine/README.md, "Speed"), the
 * wasm arena at 14,900 on one thread. `ABC_KERNEL=tfjs-node` asks for it anyway.
 *
 * A candidate is probed by resolving the package (cheap, nothing is loaded) from the working directory (the
 * application) and from this package; it is loaded (`require`, the tfjs-node packages are CommonJS) only when
 * selected. Where it is missing, or its native binding does not load (an install that skipped the TensorFlow
 * download), selection passes over it with that reason and falls back.
 *
 * CUDA cannot be tested on this project's machines: `tfjs-node-gpu` is tested here through the same code path with
 * `@tensorflow/tfjs` standing in for the package (the API is the same), not on a GPU.
 *
 * @example
 * // npm i @tensorflow/tfjs-node      (then, in Node, importing @abc/models is enough)
 * import { selectKernel, describeSelection } from '@abc/engine';
 * console.log(describeSelection(selectKernel({ prefer: 'tfjs-node' })));   // 'gemm kernel tfjs-node (option)'
 */
import { BackendUnavailableError } from '@abc/core';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { registerKernel, type KernelCandidate } from '../kernels/select.js';
import { createTfjsKernel, type TfjsModule } from '../kernels/tfjs.js';

/** One tfjs package the Node entry looks for. */
export interface TfjsPackage {
  /** The selection id (`tfjs-node-gpu`, `tfjs-node`). */
  id: string;
  /** The npm package name. */
  name: string;
  priority: number;
}

/** The packages looked for, in the table's order. */
export const TFJS_NODE_PACKAGES: readonly TfjsPackage[] = [
  { id: 'tfjs-node-gpu', name: '@tensorflow/tfjs-node-gpu', priority: 20 },
  { id: 'tfjs-node', name: '@tensorflow/tfjs-node', priority: 5 },
];

export interface InstalledTfjsOptions {
  /** The packages to look for (default {@link TFJS_NODE_PACKAGES}). */
  packages?: readonly TfjsPackage[];
  /**
   * Resolves a package name to a loadable path, or throws where it is not installed (default: Node's resolution
   * from the working directory, then from `@abc/models`).
   */
  resolve?: (name: string) => string;
  /** Loads a resolved path (default: `require`). */
  load?: (path: string) => unknown;
}

const here = createRequire(import.meta.url);

function defaultResolve(name: string): string {
  try {
    return createRequire(join(process.cwd(), 'package.json')).resolve(name);
  } catch {
    return here.resolve(name);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The selection candidate of one tfjs package (see the module comment). */
export function installedTfjsCandidate(pkg: TfjsPackage, options: InstalledTfjsOptions = {}): KernelCandidate {
  const resolve = options.resolve ?? defaultResolve;
  const load = options.load ?? ((path: string) => here(path));
  let loaded: TfjsModule | undefined;
  const where = (): string | null => {
    try {
      return resolve(pkg.name);
    } catch {
      return null;
    }
  };
  const create = () => {
    const path = where();
    if (path === null) throw new BackendUnavailableError(pkg.id, `${pkg.name} is not installed (npm i ${pkg.name})`);
    if (!loaded) {
      try {
        loaded = load(path) as TfjsModule;
      } catch (e) {
        throw new BackendUnavailableError(pkg.id, `${pkg.name} is installed but does not load: ${message(e)}`, { cause: e });
      }
    }
    return createTfjsKernel(loaded);
  };
  return {
    id: pkg.id,
    priority: pkg.priority,
    unavailableReason: () => (where() === null ? `${pkg.name} is not installed (npm i ${pkg.name} to use it)` : null),
    create,
    createAsync: async () => create(),
  };
}

/**
 * Registers the candidate of each tfjs package ({@link TFJS_NODE_PACKAGES}) that is installed here, and returns
 * their ids. The Node entry of `@abc/models` calls it; call it yourself when you import only `@abc/engine`.
 */
export function registerInstalledTfjsKernels(options: InstalledTfjsOptions = {}): string[] {
  const installed: string[] = [];
  for (const pkg of options.packages ?? TFJS_NODE_PACKAGES) {
    const candidate = installedTfjsCandidate(pkg, options);
    if (candidate.unavailableReason() !== null) continue;
    registerKernel(candidate);
    installed.push(pkg.id);
  }
  return installed;
}

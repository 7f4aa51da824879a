/**
 * Compute arenas: memory a kernel computes in place, so a network whose buffers live there runs a training step
 * without copying anything in or out. A kernel that has one offers it through {@link GemmKernel.createArena};
 * the network then allocates its parameters, gradients, optimizer moments and workspaces in the arena and runs
 * the element-wise passes there too. Kernels without one (plain TS, tfjs) keep the network on ordinary
 * Float32Arrays. Browser-safe.
 */
import type { ComputeArena } from './types.js';

// Each arena registers the ArrayBuffer / SharedArrayBuffer objects its views are built on, so any code (the
// optimizer, a network given foreign buffers) can ask which arena, if any, a set of arrays lives in.
const owners = new WeakMap<ArrayBufferLike, ComputeArena>();

/** Records that views on `buffer` belong to `arena` (called by arena implementations). */
export function registerArenaBuffer(buffer: ArrayBufferLike, arena: ComputeArena): void {
  owners.set(buffer, arena);
}

/** The arena all the given arrays live in, or null when they are not all views of one arena. */
export function arenaOf(...arrays: Float32Array[]): ComputeArena | null {
  let arena: ComputeArena | null = null;
  for (const a of arrays) {
    const owner = owners.get(a.buffer);
    if (!owner || (arena && owner !== arena)) return null;
    arena = owner;
  }
  return arena;
}

/**
 * What the WebAssembly kernels share: base64 decoding of the embedded modules, dense copies in and out of linear
 * memory, and the product on a wasm memory with foreign operands staged ({@link gemmInWasm}). Browser-safe.
 */
import type { GemmKernel } from './types.js';

/** Decodes base64 without Buffer or atob (both absent in some runtimes). */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lookup = new Uint8Array(128);
  for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;
  let len = text.length;
  while (len > 0 && text[len - 1] === '=') len--;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < len; i++) {
    acc = (acc << 6) | lookup[text.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Rounds up to a multiple of 16 bytes. */
export function align16(x: number): number {
  return (x + 15) & ~15;
}

/** Copies a rows × cols matrix with row stride ld from src[off] into dst[at] densely (row stride cols). */
export function copyIn(
  dst: Float32Array,
  at: number,
  src: Float32Array,
  off: number,
  rows: number,
  cols: number,
  ld: number,
): void {
  if (ld === cols || rows === 1) {
    dst.set(src.subarray(off, off + rows * cols), at);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(off + r * ld, off + r * ld + cols), at + r * cols);
}

/** Copies the dense rows × cols matrix at src[at] out to dst[off] with row stride ld. */
export function copyOut(
  src: Float32Array,
  at: number,
  dst: Float32Array,
  off: number,
  rows: number,
  cols: number,
  ld: number,
): void {
  if (ld === cols || rows === 1) {
    dst.set(src.subarray(at, at + rows * cols), off);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(at + r * cols, at + (r + 1) * cols), off + r * ld);
}

/** The wasm module's `gemm` export (byte addresses; see wasm/gemm.c). */
export type WasmGemmExport = (
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  beta: number,
  c: number,
  ldc: number,
  scratch: number,
) => void;

/** A wasm memory that products run in: the copying kernel's private memory, or an arena's shared one. */
export interface WasmGemmHost {
  readonly gemmExport: WasmGemmExport;
  /** Byte address of one thread's packing scratch. */
  readonly scratch: number;
  /** Byte address of a 16-byte-aligned staging region of at least `bytes` bytes (may grow the memory). */
  staging(bytes: number): number;
  /** A view of the whole memory, current after {@link staging}. */
  memoryView(): Float32Array;
  /** Whether `a` is a view of this memory (its operands are then read and written in place). */
  owns(a: Float32Array): boolean;
}

/**
 * `GemmKernel.gemm` on a wasm memory: operands that live there are used in place, the others are copied densely
 * into the host's staging region (and C copied back out), so one code path serves the copying kernel (nothing
 * lives in its memory) and an arena given foreign arrays.
 */
export function gemmInWasm(host: WasmGemmHost, ...args: Parameters<GemmKernel['gemm']>): void {
  const [transA, transB, m, n, k, alpha, A, aOffset, lda, B, bOffset, ldb, beta, C, cOffset, ldc] = args;
  if (m <= 0 || n <= 0) return;
  const useAB = k > 0 && alpha !== 0;
  if (!useAB && beta === 1) return; // C unchanged
  const residentA = !useAB || host.owns(A);
  const residentB = !useAB || host.owns(B);
  const residentC = host.owns(C);
  // Stored shapes (rows × cols) of A and B as the caller laid them out.
  const aRows = transA ? k : m;
  const aCols = transA ? m : k;
  const bRows = transB ? n : k;
  const bCols = transB ? k : n;
  const aBytes = residentA ? 0 : align16(aRows * aCols * 4);
  const bBytes = residentB ? 0 : align16(bRows * bCols * 4);
  const cBytes = residentC ? 0 : align16(m * n * 4);
  const base = aBytes + bBytes + cBytes > 0 ? host.staging(aBytes + bBytes + cBytes) : 0;
  const f32 = host.memoryView();
  let [aPtr, aLd, bPtr, bLd, cPtr, cLd] = [0, lda, 0, ldb, 0, ldc];
  if (useAB) {
    if (residentA) aPtr = A.byteOffset + aOffset * 4;
    else {
      [aPtr, aLd] = [base, aCols];
      copyIn(f32, aPtr >> 2, A, aOffset, aRows, aCols, lda);
    }
    if (residentB) bPtr = B.byteOffset + bOffset * 4;
    else {
      [bPtr, bLd] = [base + aBytes, bCols];
      copyIn(f32, bPtr >> 2, B, bOffset, bRows, bCols, ldb);
    }
  }
  if (residentC) cPtr = C.byteOffset + cOffset * 4;
  else {
    [cPtr, cLd] = [base + aBytes + bBytes, n];
    // beta = 0: C is write-only, so nothing needs copying in.
    if (beta !== 0) copyIn(f32, cPtr >> 2, C, cOffset, m, n, ldc);
  }
  host.gemmExport(
    transA ? 1 : 0,
    transB ? 1 : 0,
    m,
    n,
    useAB ? k : 0,
    alpha,
    aPtr,
    aLd,
    bPtr,
    bLd,
    beta,
    cPtr,
    cLd,
    host.scratch,
  );
  if (!residentC) copyOut(f32, cPtr >> 2, C, cOffset, m, n, ldc);
}

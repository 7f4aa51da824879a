/**
 * The plain-TypeScript GEMM kernel (`ts`): runs everywhere, the fallback of every other kernel.
 */
import type { GemmKernel } from './types.js';

const MR = 4; // rows of op(A) per micro-tile
const NR = 4; // columns of op(B) per micro-tile
const KC = 256; // depth of one packed block
const MC = 64; // rows of op(A) per packed block
const NC = 512; // columns of op(B) per packed block

/**
 * The plain-TypeScript GEMM: Goto-style blocking (KC × NC panels of op(B) and MC × KC panels of op(A) packed
 * into preallocated scratch, zero-padded to whole micro-tiles), and a 4×4 register-tiled micro-kernel that
 * accumulates in float64 locals and rounds once into C. The four transpose cases differ only in packing, so
 * there is one compute path. Scratch grows once to the largest block and is reused, so steady-state calls
 * allocate nothing.
 */
export class TsGemmKernel implements GemmKernel {
  readonly name = 'ts';
  private packA = new Float64Array(MC * KC);
  private packB = new Float64Array(KC * NC);

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    A: Float32Array,
    aOffset: number,
    lda: number,
    B: Float32Array,
    bOffset: number,
    ldb: number,
    beta: number,
    C: Float32Array,
    cOffset: number,
    ldc: number,
  ): void {
    if (m <= 0 || n <= 0) return;
    // C = beta * C first; the blocks then accumulate alpha * op(A) op(B).
    if (beta !== 1) {
      for (let i = 0; i < m; i++) {
        const row = cOffset + i * ldc;
        if (beta === 0) C.fill(0, row, row + n);
        else for (let j = 0; j < n; j++) C[row + j] *= beta;
      }
    }
    if (k <= 0 || alpha === 0) return;
    const packA = this.packA;
    const packB = this.packB;
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const ncPanels = Math.ceil(nc / NR);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packPanelsB(transB, B, bOffset, ldb, pc, kc, jc, nc, packB);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          packPanelsA(transA, A, aOffset, lda, ic, mc, pc, kc, alpha, packA);
          const mcPanels = Math.ceil(mc / MR);
          for (let jp = 0; jp < ncPanels; jp++) {
            const nr = Math.min(NR, nc - jp * NR);
            const bBase = jp * kc * NR;
            for (let ip = 0; ip < mcPanels; ip++) {
              const mr = Math.min(MR, mc - ip * MR);
              microKernel(kc, packA, ip * kc * MR, packB, bBase, C, cOffset + (ic + ip * MR) * ldc + jc + jp * NR, ldc, mr, nr);
            }
          }
        }
      }
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] (times alpha) into MR-row panels, each stored k-major: p[k*MR + r]. */
function packPanelsA(
  trans: boolean,
  A: Float32Array,
  off: number,
  lda: number,
  ic: number,
  mc: number,
  pc: number,
  kc: number,
  alpha: number,
  out: Float64Array,
): void {
  let o = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        let v = 0;
        if (r < rows) {
          const i = ic + ir + r;
          const kk = pc + p;
          v = trans ? A[off + kk * lda + i] : A[off + i * lda + kk];
          if (alpha !== 1) v *= alpha;
        }
        out[o++] = v;
      }
    }
  }
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-column panels, each stored k-major: p[k*NR + c]. */
function packPanelsB(
  trans: boolean,
  B: Float32Array,
  off: number,
  ldb: number,
  pc: number,
  kc: number,
  jc: number,
  nc: number,
  out: Float64Array,
): void {
  let o = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    if (!trans && cols === NR) {
      for (let p = 0; p < kc; p++) {
        const src = off + (pc + p) * ldb + jc + jr;
        out[o] = B[src];
        out[o + 1] = B[src + 1];
        out[o + 2] = B[src + 2];
        out[o + 3] = B[src + 3];
        o += NR;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      const kk = pc + p;
      for (let c = 0; c < NR; c++) {
        const j = jc + jr + c;
        out[o++] = c < cols ? (trans ? B[off + j * ldb + kk] : B[off + kk * ldb + j]) : 0;
      }
    }
  }
}

/** C[mr×nr] += Apanel · Bpanel over kc, with a 4×4 tile of float64 accumulators. */
function microKernel(
  kc: number,
  a: Float64Array,
  ai: number,
  b: Float64Array,
  bi: number,
  C: Float32Array,
  ci: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  const end = ai + kc * MR;
  for (; ai < end; ai += MR, bi += NR) {
    const a0 = a[ai],
      a1 = a[ai + 1],
      a2 = a[ai + 2],
      a3 = a[ai + 3];
    const b0 = b[bi],
      b1 = b[bi + 1],
      b2 = b[bi + 2],
      b3 = b[bi + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (mr === MR && nr === NR) {
    C[ci] += c00;
    C[ci + 1] += c01;
    C[ci + 2] += c02;
    C[ci + 3] += c03;
    ci += ldc;
    C[ci] += c10;
    C[ci + 1] += c11;
    C[ci + 2] += c12;
    C[ci + 3] += c13;
    ci += ldc;
    C[ci] += c20;
    C[ci + 1] += c21;
    C[ci + 2] += c22;
    C[ci + 3] += c23;
    ci += ldc;
    C[ci] += c30;
    C[ci + 1] += c31;
    C[ci + 2] += c32;
    C[ci + 3] += c33;
    return;
  }
  // Edge tile: write only the valid part (through a preallocated scratch tile, no allocation).
  const t = edgeTile;
  t[0] = c00;
  t[1] = c01;
  t[2] = c02;
  t[3] = c03;
  t[4] = c10;
  t[5] = c11;
  t[6] = c12;
  t[7] = c13;
  t[8] = c20;
  t[9] = c21;
  t[10] = c22;
  t[11] = c23;
  t[12] = c30;
  t[13] = c31;
  t[14] = c32;
  t[15] = c33;
  for (let r = 0; r < mr; r++) {
    for (let c = 0; c < nr; c++) C[ci + r * ldc + c] += t[r * NR + c];
  }
}

const edgeTile = new Float64Array(MR * NR);

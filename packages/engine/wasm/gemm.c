/*
 * Row-major single-precision GEMM for WebAssembly SIMD (wasm32 + simd128), freestanding (no libc).
 *
 *   C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C
 *
 * op(A) = A (stored m x k, row stride lda) or A^T (transA: A stored k x m); op(B) = B (stored k x n, row
 * stride ldb) or B^T (transB: B stored n x k). beta = 0 overwrites C (NaN in C is not propagated).
 * Same contract as `GemmKernel` in src/kernels/gemm.ts.
 *
 * Structure (Goto/BLIS style, see Goto & van de Geijn, "Anatomy of high-performance matrix multiplication",
 * ACM TOMS 2008, and the BLIS micro-kernel design): op(B) is packed per (NC x KC) block into NR = 8 column
 * panels, op(A) per (MC x KC) block into MR = 4 row panels, both zero-padded to whole panels, so the four
 * transpose forms differ only in packing and share one compute path: a 4 x 8 register tile of eight f32x4
 * accumulators. Block sizes depend only on (m, n, k), so the summation order, and therefore every output bit,
 * is a function of the inputs alone (deterministic).
 *
 * Memory: the caller (wasm-simd.ts) owns the linear memory (imported) and passes all pointers, including the
 * packing scratch (gemm_scratch_bytes() bytes, 16-byte aligned).
 */
#include <wasm_simd128.h>

#define MR 4
#define NR 8
#ifndef KC
#define KC 256
#endif
#ifndef MC
#define MC 128
#endif
#ifndef NC
#define NC 1024
#endif

typedef __SIZE_TYPE__ size_t;

/*
 * Bytes of scratch gemm() needs: MC*KC floats of packed op(A), KC*NC of packed op(B), one MR*NR edge tile.
 * Everything a call writes besides C lies in its scratch, and nothing lives on the shadow stack, so threads
 * sharing one memory (the shared-memory build) only need separate scratch regions.
 */
__attribute__((export_name("gemm_scratch_bytes"))) int gemm_scratch_bytes(void) {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/* Splits `total` into the fewest blocks of at most `max`, of nearly equal size rounded up to `unit`. */
static int block_size(int total, int max, int unit) {
  int blocks = (total + max - 1) / max;
  int size = (total + blocks - 1) / blocks;
  size = (size + unit - 1) / unit * unit;
  return size > max ? max : size;
}

static inline void transpose4(v128_t *r0, v128_t *r1, v128_t *r2, v128_t *r3) {
  v128_t t0 = wasm_i32x4_shuffle(*r0, *r1, 0, 4, 1, 5);
  v128_t t1 = wasm_i32x4_shuffle(*r2, *r3, 0, 4, 1, 5);
  v128_t t2 = wasm_i32x4_shuffle(*r0, *r1, 2, 6, 3, 7);
  v128_t t3 = wasm_i32x4_shuffle(*r2, *r3, 2, 6, 3, 7);
  *r0 = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5);
  *r1 = wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7);
  *r2 = wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5);
  *r3 = wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7);
}

/* Packs op(A)[ic:ic+mc, pc:pc+kc] into MR-row panels, k-major inside a panel: out[p*MR + r]. */
static void pack_a(int trans, const float *A, int lda, int ic, int mc, int pc, int kc, float *out) {
  for (int ir = 0; ir < mc; ir += MR) {
    int rows = mc - ir < MR ? mc - ir : MR;
    int i = ic + ir;
    if (trans) {
      /* A stored k x m: a panel row p is MR consecutive floats. */
      const float *src = A + (size_t)pc * lda + i;
      if (rows == MR) {
        for (int p = 0; p < kc; p++) wasm_v128_store(out + p * MR, wasm_v128_load(src + (size_t)p * lda));
      } else {
        for (int p = 0; p < kc; p++)
          for (int r = 0; r < MR; r++) out[p * MR + r] = r < rows ? src[(size_t)p * lda + r] : 0.0f;
      }
    } else {
      /* A stored m x k: gather MR rows, 4 x 4 transposes. */
      const float *s0 = A + (size_t)i * lda + pc;
      if (rows == MR) {
        const float *s1 = s0 + lda, *s2 = s1 + lda, *s3 = s2 + lda;
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
          v128_t r0 = wasm_v128_load(s0 + p), r1 = wasm_v128_load(s1 + p);
          v128_t r2 = wasm_v128_load(s2 + p), r3 = wasm_v128_load(s3 + p);
          transpose4(&r0, &r1, &r2, &r3);
          wasm_v128_store(out + p * MR, r0);
          wasm_v128_store(out + p * MR + 4, r1);
          wasm_v128_store(out + p * MR + 8, r2);
          wasm_v128_store(out + p * MR + 12, r3);
        }
        for (; p < kc; p++) {
          out[p * MR] = s0[p];
          out[p * MR + 1] = s1[p];
          out[p * MR + 2] = s2[p];
          out[p * MR + 3] = s3[p];
        }
      } else {
        for (int p = 0; p < kc; p++)
          for (int r = 0; r < MR; r++) out[p * MR + r] = r < rows ? s0[(size_t)r * lda + p] : 0.0f;
      }
    }
    out += kc * MR;
  }
}

/* Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-column panels, k-major inside a panel: out[p*NR + c]. */
static void pack_b(int trans, const float *B, int ldb, int pc, int kc, int jc, int nc, float *out) {
  for (int jr = 0; jr < nc; jr += NR) {
    int cols = nc - jr < NR ? nc - jr : NR;
    int j = jc + jr;
    if (!trans) {
      /* B stored k x n: a panel row p is NR consecutive floats. */
      const float *src = B + (size_t)pc * ldb + j;
      if (cols == NR) {
        for (int p = 0; p < kc; p++) {
          const float *s = src + (size_t)p * ldb;
          wasm_v128_store(out + p * NR, wasm_v128_load(s));
          wasm_v128_store(out + p * NR + 4, wasm_v128_load(s + 4));
        }
      } else {
        for (int p = 0; p < kc; p++)
          for (int c = 0; c < NR; c++) out[p * NR + c] = c < cols ? src[(size_t)p * ldb + c] : 0.0f;
      }
    } else {
      /* B stored n x k: gather NR rows of B, 4 x 4 transposes. */
      const float *s0 = B + (size_t)j * ldb + pc;
      if (cols == NR) {
        const float *s1 = s0 + ldb, *s2 = s1 + ldb, *s3 = s2 + ldb;
        const float *s4 = s3 + ldb, *s5 = s4 + ldb, *s6 = s5 + ldb, *s7 = s6 + ldb;
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
          v128_t r0 = wasm_v128_load(s0 + p), r1 = wasm_v128_load(s1 + p);
          v128_t r2 = wasm_v128_load(s2 + p), r3 = wasm_v128_load(s3 + p);
          v128_t r4 = wasm_v128_load(s4 + p), r5 = wasm_v128_load(s5 + p);
          v128_t r6 = wasm_v128_load(s6 + p), r7 = wasm_v128_load(s7 + p);
          transpose4(&r0, &r1, &r2, &r3);
          transpose4(&r4, &r5, &r6, &r7);
          float *o = out + p * NR;
          wasm_v128_store(o, r0);
          wasm_v128_store(o + 4, r4);
          wasm_v128_store(o + 8, r1);
          wasm_v128_store(o + 12, r5);
          wasm_v128_store(o + 16, r2);
          wasm_v128_store(o + 20, r6);
          wasm_v128_store(o + 24, r3);
          wasm_v128_store(o + 28, r7);
        }
        for (; p < kc; p++) {
          float *o = out + p * NR;
          o[0] = s0[p]; o[1] = s1[p]; o[2] = s2[p]; o[3] = s3[p];
          o[4] = s4[p]; o[5] = s5[p]; o[6] = s6[p]; o[7] = s7[p];
        }
      } else {
        for (int p = 0; p < kc; p++)
          for (int c = 0; c < NR; c++) out[p * NR + c] = c < cols ? s0[(size_t)c * ldb + p] : 0.0f;
      }
    }
    out += kc * NR;
  }
}

/*
 * C[mr x nr] += alpha * (Apanel . Bpanel) over kc, with a 4 x 8 tile of f32x4 accumulators (two per row); with
 * `store`, C[mr x nr] = alpha * (...) instead (the first depth block of a beta = 0 product: C is then written once,
 * never zeroed and read back, which halves the memory traffic of a large cold C such as a weight gradient).
 * Full tiles load-add-store C directly; edge tiles go through the scratch tile `t` (16-byte aligned).
 * (Measured here: unrolling the k loop by 2 or 4, or a 6 x 8 tile, ran at 0.5-0.7x this speed on V8: spills.)
 */
static void micro_kernel(int kc, const float *a, const float *b, float *C, int ldc, int mr, int nr, v128_t valpha, float *t, int store) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < kc; p++) {
    v128_t b0 = wasm_v128_load(b);
    v128_t b1 = wasm_v128_load(b + 4);
    v128_t a0 = wasm_v128_load32_splat(a);
    v128_t a1 = wasm_v128_load32_splat(a + 1);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
    v128_t a2 = wasm_v128_load32_splat(a + 2);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
    v128_t a3 = wasm_v128_load32_splat(a + 3);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
    a += MR;
    b += NR;
  }
  c00 = wasm_f32x4_mul(c00, valpha); c01 = wasm_f32x4_mul(c01, valpha);
  c10 = wasm_f32x4_mul(c10, valpha); c11 = wasm_f32x4_mul(c11, valpha);
  c20 = wasm_f32x4_mul(c20, valpha); c21 = wasm_f32x4_mul(c21, valpha);
  c30 = wasm_f32x4_mul(c30, valpha); c31 = wasm_f32x4_mul(c31, valpha);
  if (mr == MR && nr == NR && store) {
    float *r = C;
    wasm_v128_store(r, c00);
    wasm_v128_store(r + 4, c01);
    r += ldc;
    wasm_v128_store(r, c10);
    wasm_v128_store(r + 4, c11);
    r += ldc;
    wasm_v128_store(r, c20);
    wasm_v128_store(r + 4, c21);
    r += ldc;
    wasm_v128_store(r, c30);
    wasm_v128_store(r + 4, c31);
    return;
  }
  if (mr == MR && nr == NR) {
    float *r = C;
    wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), c00));
    wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), c01));
    r += ldc;
    wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), c10));
    wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), c11));
    r += ldc;
    wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), c20));
    wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), c21));
    r += ldc;
    wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), c30));
    wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), c31));
    return;
  }
  wasm_v128_store(t, c00); wasm_v128_store(t + 4, c01);
  wasm_v128_store(t + 8, c10); wasm_v128_store(t + 12, c11);
  wasm_v128_store(t + 16, c20); wasm_v128_store(t + 20, c21);
  wasm_v128_store(t + 24, c30); wasm_v128_store(t + 28, c31);
  for (int r = 0; r < mr; r++)
    for (int c = 0; c < nr; c++) C[(size_t)r * ldc + c] = store ? t[r * NR + c] : C[(size_t)r * ldc + c] + t[r * NR + c];
}

/* C = beta * C over m x n (beta = 0 writes zeros, so NaN/Inf in C are not propagated). */
static void scale_c(int m, int n, float beta, float *C, int ldc) {
  if (beta == 1.0f) return;
  v128_t vb = wasm_f32x4_splat(beta);
  v128_t zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < m; i++) {
    float *r = C + (size_t)i * ldc;
    int j = 0;
    if (beta == 0.0f) {
      for (; j + 4 <= n; j += 4) wasm_v128_store(r + j, zero);
      for (; j < n; j++) r[j] = 0.0f;
    } else {
      for (; j + 4 <= n; j += 4) wasm_v128_store(r + j, wasm_f32x4_mul(wasm_v128_load(r + j), vb));
      for (; j < n; j++) r[j] *= beta;
    }
  }
}

__attribute__((export_name("gemm"))) void gemm(int transA, int transB, int m, int n, int k, float alpha,
                                               const float *A, int lda, const float *B, int ldb, float beta,
                                               float *C, int ldc, float *scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    scale_c(m, n, beta, C, ldc);
    return;
  }
  /* beta = 0: the first depth block stores into C (no zeroing pass); otherwise C is scaled first, then accumulated. */
  int fresh = beta == 0.0f;
  if (!fresh) scale_c(m, n, beta, C, ldc);
  float *packA = scratch;
  float *packB = scratch + MC * KC;
  float *tile = packB + KC * NC;
  v128_t valpha = wasm_f32x4_splat(alpha);
  int nc_max = block_size(n, NC, NR);
  int kc_max = block_size(k, KC, 1);
  int mc_max = block_size(m, MC, MR);
  for (int jc = 0; jc < n; jc += nc_max) {
    int nc = n - jc < nc_max ? n - jc : nc_max;
    for (int pc = 0; pc < k; pc += kc_max) {
      int kc = k - pc < kc_max ? k - pc : kc_max;
      pack_b(transB, B, ldb, pc, kc, jc, nc, packB);
      for (int ic = 0; ic < m; ic += mc_max) {
        int mc = m - ic < mc_max ? m - ic : mc_max;
        pack_a(transA, A, lda, ic, mc, pc, kc, packA);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = nc - jr < NR ? nc - jr : NR;
          const float *bp = packB + (size_t)jr * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = mc - ir < MR ? mc - ir : MR;
            micro_kernel(kc, packA + (size_t)ir * kc, bp, C + (size_t)(ic + ir) * ldc + jc + jr, ldc, mr, nr, valpha, tile, fresh && pc == 0);
          }
        }
      }
    }
  }
}

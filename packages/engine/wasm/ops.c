/*
 * The dense engine's element-wise passes for WebAssembly SIMD (wasm32 + simd128), freestanding, linked into
 * the same module as gemm.c. They work in place on network buffers that live in the module's memory (see
 * src/kernels/wasm-arena.ts), so a training step crosses from JS into wasm a handful of times per
 * layer and copies nothing.
 *
 *   bias_act          C = act(C + bias) row by row (the forward pass after C = X . W)
 *   act_grad_colsum   dZ = dA * act'(y) from the layer's output y, and the column sums of dZ (bias gradient)
 *   activate          v = act(v) (element-wise, any length)
 *   adam_step         one Adam update in PyTorch's order, float32 arithmetic
 *   row_sqdiff, scale_diff   the reconstruction losses: per-row sums of squared differences, and their gradient
 *
 * Activations: 0 linear, 1 tanh, 2 sigmoid, 3 relu, 4 leaky relu with slope 0.01 (ACT_* below; the TS side maps
 * names to these codes; a network with another leaky slope stays off the arena).
 * tanh and exp follow Cephes' tanhf / expf (S. L. Moshier), vectorised: relative error within a few float32
 * ulps of the exact value (test/wasm-arena.test.ts measures it against Math.tanh / Math.exp). NaN propagates.
 */
#include <wasm_simd128.h>

#define ACT_LINEAR 0
#define ACT_TANH 1
#define ACT_SIGMOID 2
#define ACT_RELU 3
#define ACT_LEAKY_RELU 4
/* The engine's default leaky slope (LEAKY_SLOPE in src/dense.ts), a double as the TS path multiplies by it. */
#define LEAKY_SLOPE 0.01

/* e^x for x in [-87, 87] (callers clamp): x = n ln2 + r, |r| <= ln2 / 2, Cephes' degree-6 polynomial for e^r. */
static inline v128_t v_exp(v128_t x) {
  v128_t fx = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), wasm_f32x4_splat(0.5f)));
  /* ln2 in two parts: fx * 0.693359375 is exact (9 + 8 significant bits), so the reduction loses nothing. */
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t z = wasm_f32x4_mul(x, x);
  v128_t y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), x), wasm_f32x4_splat(1.0f));
  v128_t n = wasm_i32x4_trunc_sat_f32x4(fx);
  v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_add(n, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, pow2n);
}

/* tanh: an odd polynomial below |x| = 0.625 (no cancellation near 0), 1 - 2 / (e^{2|x|} + 1) above. */
static inline v128_t v_tanh(v128_t x) {
  v128_t ax = wasm_f32x4_abs(x);
  v128_t z = wasm_f32x4_mul(x, x);
  v128_t p = wasm_f32x4_splat(-5.70498872745e-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(2.06390887954e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-5.37397155531e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(1.33314422036e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-3.33332819422e-1f));
  v128_t small = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), x), x);
  /* tanh(10) rounds to 1 in float32, so clamping 2|x| at 20 changes nothing and keeps e finite (NaN stays NaN). */
  v128_t e = v_exp(wasm_f32x4_min(wasm_f32x4_add(ax, ax), wasm_f32x4_splat(20.0f)));
  v128_t one = wasm_f32x4_splat(1.0f);
  v128_t large = wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
  v128_t sign = wasm_i32x4_splat((int)0x80000000);
  large = wasm_v128_or(large, wasm_v128_and(x, sign));
  return wasm_v128_bitselect(small, large, wasm_f32x4_lt(ax, wasm_f32x4_splat(0.625f)));
}

static inline v128_t v_sigmoid(v128_t x) {
  v128_t t = wasm_f32x4_max(wasm_f32x4_min(wasm_f32x4_neg(x), wasm_f32x4_splat(87.0f)), wasm_f32x4_splat(-87.0f));
  v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, v_exp(t)));
}

/*
 * x * LEAKY_SLOPE rounded once to float32, as the TS path's Math.fround(x * slope): each lane is widened to
 * double, multiplied, and narrowed (exact products of float32 by a double, then one rounding).
 */
static inline v128_t v_mul_slope(v128_t x) {
  v128_t s = wasm_f64x2_splat(LEAKY_SLOPE);
  v128_t lo = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(x), s));
  v128_t hi = wasm_f32x4_demote_f64x2_zero(
      wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 0, 1)), s));
  return wasm_i32x4_shuffle(lo, hi, 0, 1, 4, 5);
}

static inline v128_t v_act(int act, v128_t x) {
  switch (act) {
    case ACT_TANH: return v_tanh(x);
    case ACT_SIGMOID: return v_sigmoid(x);
    /* x < 0 is false for NaN, so NaN passes through as in the TS path. */
    case ACT_RELU: return wasm_v128_bitselect(wasm_f32x4_splat(0.0f), x, wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f)));
    case ACT_LEAKY_RELU: return wasm_v128_bitselect(v_mul_slope(x), x, wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f)));
    default: return x;
  }
}

/*
 * Backward values under this magnitude are set to zero (GRAD_FLUSH in src/dense.ts, same value): 2^-80.
 * They cannot change a float32 result, but once multiplied by weights they make denormal products, which x86
 * computes in microcode: 2.5% of the PyTorch contract's gradients were denormal and slowed its weight-gradient
 * products 1.7x. NaN is kept (the comparison is false for it).
 */
#define GRAD_FLUSH 8.2718061255302767e-25f

/* dA * act'(y), from the activation's output y, flushed below GRAD_FLUSH. */
static inline v128_t v_act_grad(int act, v128_t y, v128_t da) {
  v128_t dz;
  switch (act) {
    case ACT_TANH: dz = wasm_f32x4_mul(da, wasm_f32x4_sub(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(y, y))); break;
    case ACT_SIGMOID: dz = wasm_f32x4_mul(wasm_f32x4_mul(da, y), wasm_f32x4_sub(wasm_f32x4_splat(1.0f), y)); break;
    case ACT_RELU: dz = wasm_v128_and(da, wasm_f32x4_gt(y, wasm_f32x4_splat(0.0f))); break;
    /* From the output: y > 0 exactly where x > 0; elsewhere (x = 0 included, as PyTorch) the slope. */
    case ACT_LEAKY_RELU: dz = wasm_v128_bitselect(da, v_mul_slope(da), wasm_f32x4_gt(y, wasm_f32x4_splat(0.0f))); break;
    default: dz = da;
  }
  return wasm_v128_andnot(dz, wasm_f32x4_lt(wasm_f32x4_abs(dz), wasm_f32x4_splat(GRAD_FLUSH)));
}

/* Loads / stores the first `len` (< 4) floats of p through a vector, zero-filling the rest. */
static inline v128_t load_part(const float *p, int len) {
  float t[4] __attribute__((aligned(16))) = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int i = 0; i < len; i++) t[i] = p[i];
  return wasm_v128_load(t);
}

static inline void store_part(float *p, v128_t v, int len) {
  float t[4] __attribute__((aligned(16)));
  wasm_v128_store(t, v);
  for (int i = 0; i < len; i++) p[i] = t[i];
}

__attribute__((export_name("activate"))) void activate(int act, float *v, int count) {
  if (act == ACT_LINEAR) return;
  int i = 0;
  for (; i + 4 <= count; i += 4) wasm_v128_store(v + i, v_act(act, wasm_v128_load(v + i)));
  if (i < count) store_part(v + i, v_act(act, load_part(v + i, count - i)), count - i);
}

/* C[rows x n] (row stride n) = act(C + bias), bias of length n. */
__attribute__((export_name("bias_act"))) void bias_act(int act, float *C, int rows, int n, const float *bias) {
  for (int r = 0; r < rows; r++) {
    float *c = C + r * n;
    int j = 0;
    for (; j + 4 <= n; j += 4) wasm_v128_store(c + j, v_act(act, wasm_f32x4_add(wasm_v128_load(c + j), wasm_v128_load(bias + j))));
    if (j < n) store_part(c + j, v_act(act, wasm_f32x4_add(load_part(c + j, n - j), load_part(bias + j, n - j))), n - j);
  }
}

/*
 * dZ = dA * act'(y) over rows x n (row stride n; dZ may alias dA), and colsum[j] = sum over rows of dZ[., j]
 * (overwritten; float32 sums in row order).
 */
__attribute__((export_name("act_grad_colsum"))) void act_grad_colsum(int act, const float *y, const float *dA, float *dZ, int rows, int n, float *colsum) {
  int j = 0;
  for (; j + 4 <= n; j += 4) wasm_v128_store(colsum + j, wasm_f32x4_splat(0.0f));
  for (; j < n; j++) colsum[j] = 0.0f;
  for (int r = 0; r < rows; r++) {
    const float *yr = y + r * n;
    const float *ar = dA + r * n;
    float *zr = dZ + r * n;
    j = 0;
    for (; j + 4 <= n; j += 4) {
      v128_t dz = v_act_grad(act, wasm_v128_load(yr + j), wasm_v128_load(ar + j));
      wasm_v128_store(zr + j, dz);
      wasm_v128_store(colsum + j, wasm_f32x4_add(wasm_v128_load(colsum + j), dz));
    }
    if (j < n) {
      int len = n - j;
      v128_t dz = v_act_grad(act, load_part(yr + j, len), load_part(ar + j, len));
      store_part(zr + j, dz, len);
      store_part(colsum + j, wasm_f32x4_add(load_part(colsum + j, len), dz), len);
    }
  }
}

/*
 * Adam (PyTorch's torch.optim.Adam, single-tensor path) over n parameters, float32 throughout:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p = p - step * m / (sqrt(v) / bc2sqrt + eps)
 * with step = lr / (1 - b1^t) and bc2sqrt = sqrt(1 - b2^t) computed by the caller.
 */
__attribute__((export_name("adam_step"))) void adam_step(float *p, const float *g, float *m, float *v, int n, float b1, float b2, float omb1, float omb2, float step, float bc2sqrt, float eps) {
  v128_t vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2), vo1 = wasm_f32x4_splat(omb1), vo2 = wasm_f32x4_splat(omb2);
  v128_t vstep = wasm_f32x4_splat(step), vbc = wasm_f32x4_splat(bc2sqrt), veps = wasm_f32x4_splat(eps);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vo1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vo2));
    v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), vbc), veps);
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    wasm_v128_store(p + i, wasm_f32x4_sub(wasm_v128_load(p + i), wasm_f32x4_mul(vstep, wasm_f32x4_div(mi, denom))));
  }
  for (; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * omb1;
    float vi = v[i] * b2 + (gi * gi) * omb2;
    float denom = __builtin_sqrtf(vi) / bc2sqrt + eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - step * (mi / denom);
  }
}

/*
 * Reconstruction losses: sums[i] = sum over j of (r[i,j] - x[i,j])^2, in float64 (as the TS objective sums), and
 * d[i,j] = coef[i] * (r[i,j] - x[i,j]) computed in float64 and rounded once to float32 (bit-identical to the TS
 * loop). Row stride cols for r, x and d.
 */
static inline v128_t hi_to_lo(v128_t v) { return wasm_i32x4_shuffle(v, v, 2, 3, 0, 1); }

__attribute__((export_name("row_sqdiff"))) void row_sqdiff(const float *r, const float *x, int rows, int cols, double *sums) {
  for (int i = 0; i < rows; i++) {
    const float *ri = r + i * cols;
    const float *xi = x + i * cols;
    v128_t a0 = wasm_f64x2_splat(0.0), a1 = a0;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      v128_t rv = wasm_v128_load(ri + j), xv = wasm_v128_load(xi + j);
      v128_t dlo = wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(rv), wasm_f64x2_promote_low_f32x4(xv));
      v128_t dhi = wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(hi_to_lo(rv)), wasm_f64x2_promote_low_f32x4(hi_to_lo(xv)));
      a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(dlo, dlo));
      a1 = wasm_f64x2_add(a1, wasm_f64x2_mul(dhi, dhi));
    }
    double s = (wasm_f64x2_extract_lane(a0, 0) + wasm_f64x2_extract_lane(a1, 0)) + (wasm_f64x2_extract_lane(a0, 1) + wasm_f64x2_extract_lane(a1, 1));
    for (; j < cols; j++) {
      double d = (double)ri[j] - (double)xi[j];
      s += d * d;
    }
    sums[i] = s;
  }
}

__attribute__((export_name("scale_diff"))) void scale_diff(const float *r, const float *x, int rows, int cols, const double *coef, float *d) {
  for (int i = 0; i < rows; i++) {
    const float *ri = r + i * cols;
    const float *xi = x + i * cols;
    float *di = d + i * cols;
    double ci = coef[i];
    v128_t c = wasm_f64x2_splat(ci);
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      v128_t rv = wasm_v128_load(ri + j), xv = wasm_v128_load(xi + j);
      v128_t lo = wasm_f64x2_mul(c, wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(rv), wasm_f64x2_promote_low_f32x4(xv)));
      v128_t hi = wasm_f64x2_mul(c, wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(hi_to_lo(rv)), wasm_f64x2_promote_low_f32x4(hi_to_lo(xv))));
      v128_t flo = wasm_f32x4_demote_f64x2_zero(lo), fhi = wasm_f32x4_demote_f64x2_zero(hi);
      wasm_v128_store(di + j, wasm_i32x4_shuffle(flo, fhi, 0, 1, 4, 5));
    }
    for (; j < cols; j++) di[j] = (float)(ci * ((double)ri[j] - (double)xi[j]));
  }
}

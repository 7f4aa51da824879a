/**
 * The few draws of NumPy's legacy global generator (`np.random.seed(seed)`, `RandomState` on MT19937) that
 * decide ADBench's *counts*: `np.random.choice(n, k, replace=...)` for the resampling to 1,000 / 10,000 rows,
 * and scikit-learn's tie-break in `_approximate_mode` (`rng.choice(inds, k, replace=False)`). With them, the
 * class counts after resampling, and so every size and count of the split, equal ADBench's for the same seed.
 * Everything else in the protocol uses our own {@link Random}.
 *
 * Written from the published algorithms: MT19937 (Matsumoto and Nishimura, 1998: `init_genrand` seeding,
 * `genrand_int32` output), NumPy's legacy bounded integers (a 32-bit draw masked to the smallest all-ones
 * mask covering the range, rejected when above it) and its legacy shuffle (Fisher-Yates from the end).
 * Checked against NumPy's own output in the tests (fixtures from `make_adbench_fixtures.py`).
 */

const N = 624;
const M = 397;

/** Smallest all-ones bit mask covering `max` (a 32-bit range). */
function mask32(max: number): number {
  let m = max >>> 0;
  m |= m >>> 1;
  m |= m >>> 2;
  m |= m >>> 4;
  m |= m >>> 8;
  m |= m >>> 16;
  return m >>> 0;
}

/**
 * NumPy's legacy `RandomState(seed)` stream, for the draws listed in the module notes.
 *
 * @example
 * new NumpyLegacyRandom(0).choice(768, 1000, true);   // the rows np.random.seed(0); np.random.choice(768, 1000) gives
 */
export class NumpyLegacyRandom {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
      throw new RangeError(`NumpyLegacyRandom: seed must be an integer in [0, 2^32 - 1] (as np.random.seed), got ${seed}`);
    }
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1];
      this.mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
      mt[k] = (mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.index = 0;
  }

  /** MT19937's `genrand_int32`. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** An integer in [0, max] (NumPy's legacy `random_interval` and masked bounded draws; max < 2^32). */
  interval(max: number): number {
    if (max === 0) return 0;
    const mask = mask32(max);
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }

  /** `permutation(n)`: 0..n-1 shuffled as NumPy's legacy `shuffle` (from the last element down). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** `choice(n, size, replace)`: `randint(0, n, size)` with replacement, else `permutation(n)[:size]`. */
  choice(n: number, size: number, replace: boolean): Uint32Array {
    if (!(n >= 1 && n <= 2 ** 32)) throw new RangeError(`NumpyLegacyRandom.choice: population ${n} outside 1..2^32`);
    if (replace) {
      const out = new Uint32Array(size);
      for (let i = 0; i < size; i++) out[i] = this.interval(n - 1);
      return out;
    }
    if (size > n) throw new RangeError(`NumpyLegacyRandom.choice: cannot draw ${size} of ${n} without replacement`);
    return this.permutation(n).slice(0, size);
  }
}

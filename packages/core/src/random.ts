/**
 * The seeded random generator every random choice in the framework goes through (xoshiro128**, seeded by
 * splitmix32). Pass one down explicitly; never call Math.random, so that a run is repeatable from its seed.
 *
 * @example
 * const rng = new Random(42);
 * const order = rng.permutation(10);   // the same order for seed 42, every time, in Node and the browser
 * const child = rng.fork();            // an independent stream, e.g. for one tree of a forest
 */
export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: number = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`Random: seed must be a finite number, got ${seed}`);
    // splitmix32 expands the seed into a state that is never all zero.
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError(`Random.int: n must be a positive integer, got ${n}`);
    if (n <= 2 ** 32) {
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (;;) {
        const v = this.nextUint32();
        if (v < limit) return v % n;
      }
    }
    return Math.floor(this.float() * n);
  }

  /** A standard normal draw (Box-Muller, both values used). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + sd * v;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  // biome-ignore lint/suspicious/noExplicitAny: any element type: the swap moves values without reading them
  shuffle<T extends { length: number; [i: number]: any }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** k distinct indices from 0..n-1, in random order. */
  sample(n: number, k: number): Uint32Array {
    if (k > n) throw new RangeError(`Random.sample: cannot draw ${k} distinct items from ${n}`);
    const p = this.permutation(n);
    return p.slice(0, k);
  }

  /** A new generator seeded from this one: an independent stream that leaves this one repeatable. */
  fork(): Random {
    return new Random(this.nextUint32() * 2 ** 21 + (this.nextUint32() >>> 11));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Many bounded max-heaps at once, in flat typed arrays (no object per candidate): heap h holds at most
 * `capacity` (key, id) pairs and keeps the smallest keys seen. Pairs order by key, then by id, so among equal
 * keys the lower id is kept: the tie rule of the neighbour search (lower training row index first).
 *
 * @example
 * const heaps = new CandidateHeaps(2, 3);    // two heaps of 3
 * for (const [key, id] of [[5, 0], [1, 1], [4, 2], [2, 3]]) if (heaps.accepts(0, key, id)) heaps.push(0, key, id);
 * heaps.bound(0);                            // 4: the largest key kept (5 was evicted)
 */
export class CandidateHeaps {
  readonly keys: Float64Array;
  readonly ids: Int32Array;
  readonly sizes: Int32Array;

  constructor(
    readonly count: number,
    readonly capacity: number,
  ) {
    this.keys = new Float64Array(count * capacity);
    this.ids = new Int32Array(count * capacity);
    this.sizes = new Int32Array(count);
  }

  /** Empties every heap. */
  reset(): void {
    this.sizes.fill(0);
  }

  /** The largest key heap h keeps, or +Infinity while it has room (every key is then accepted). */
  bound(h: number): number {
    return this.sizes[h] < this.capacity ? Infinity : this.keys[h * this.capacity];
  }

  /** Whether (key, id) would enter heap h: it has room, or the pair orders before its largest. */
  accepts(h: number, key: number, id: number): boolean {
    if (this.sizes[h] < this.capacity) return true;
    const top = h * this.capacity;
    return key < this.keys[top] || (key === this.keys[top] && id < this.ids[top]);
  }

  /** Adds (key, id) to heap h, evicting its largest pair when full. Call only when {@link accepts} is true. */
  push(h: number, key: number, id: number): void {
    const cap = this.capacity;
    const base = h * cap;
    const keys = this.keys;
    const ids = this.ids;
    const size = this.sizes[h];
    if (size < cap) {
      // Sift up from the new leaf.
      let i = size;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const pk = keys[base + parent];
        if (pk > key || (pk === key && ids[base + parent] > id)) break;
        keys[base + i] = pk;
        ids[base + i] = ids[base + parent];
        i = parent;
      }
      keys[base + i] = key;
      ids[base + i] = id;
      this.sizes[h] = size + 1;
      return;
    }
    // Replace the root and sift down.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= cap) break;
      let child = left;
      const right = left + 1;
      if (right < cap) {
        const lk = keys[base + left];
        const rk = keys[base + right];
        if (rk > lk || (rk === lk && ids[base + right] > ids[base + left])) child = right;
      }
      const ck = keys[base + child];
      if (ck < key || (ck === key && ids[base + child] < id)) break;
      keys[base + i] = ck;
      ids[base + i] = ids[base + child];
      i = child;
    }
    keys[base + i] = key;
    ids[base + i] = id;
  }
}

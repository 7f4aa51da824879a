import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy, writeZip } from '../../../eval/test/fixtures/npy-writer.js';

/** A tiny ADBench-style .npz (arrays X float64 and y int64): 5 features, the anomalies shifted by `shift`. */
export function npz(normals: number, anomalies: number, shift: number, seed: number): Uint8Array {
  let s = seed * 7919 + 17;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const n = normals + anomalies;
  const X: number[] = [];
  const y: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const a = i >= normals ? 1 : 0;
    for (let j = 0; j < 5; j++) X.push(rand() * 2 + (a ? shift : 0));
    y.push(BigInt(a));
  }
  return writeZip([
    { name: 'X.npy', bytes: writeNpy('<f8', [n, 5], X), deflate: true },
    { name: 'y.npy', bytes: writeNpy('<i8', [n], y), deflate: true },
  ]);
}

/**
 * Writes two small datasets, `1_small.npz` and `2_other.npz`, into `dir` (a folder `abc benchmark --data-dir`
 * reads) and returns it.
 *
 * @example
 * const data = writeBenchmarkData(join(tmp, 'data'));
 */
export function writeBenchmarkData(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '1_small.npz'), npz(70, 8, 1.5, 1));
  writeFileSync(join(dir, '2_other.npz'), npz(50, 10, 1, 2));
  return dir;
}

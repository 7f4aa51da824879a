// Tiny models for the server tests: ABC fitted in a few epochs on generated two-cluster data, exported with
// toOnnx and written in the layout `abc export --triton` writes (DIR/NAME/VERSION/model.onnx, DIR/NAME/config.pbtxt),
// or saved as DIR/NAME/VERSION/model.abc.
import '@abc/models';
import '@abc/baselines';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createDetector, matrix, type Detector, type Matrix } from '@abc/core';
import { saveFile, writeFileAtomic } from '@abc/core/node';
import { toOnnx } from '@abc/onnx-export';

/** A seeded generator (mulberry32), so every test run sees the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n rows of d features: normal rows near 0, every 10th row far out (an anomaly). */
export function data(n: number, d: number, seed = 1): { X: Matrix; y: Uint8Array } {
  const r = rng(seed);
  const X = new Float32Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 10 === 0 ? 1 : 0;
    for (let j = 0; j < d; j++) X[i * d + j] = (r() - 0.5) * 0.6 + (y[i] ? 2.5 : 0);
  }
  return { X: matrix(X, n, d), y };
}

/** ABC (hidden [4], latent 1) fitted for a few epochs: small and quick, with a threshold (so a `label` output). */
export async function fitAbc(d = 2, seed = 1, params: Record<string, unknown> = {}): Promise<Detector> {
  const { X, y } = data(200, d, seed);
  const det = createDetector('abc', { hidden: [4], latent: 1, maxEpochs: 3, batchSize: 32, seed, ...params });
  await det.fit(X, y);
  return det;
}

export function config(name: string, maxBatchSize: number): string {
  return `name: "${name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: ${maxBatchSize}\ndynamic_batching {\n  max_queue_delay_microseconds: 100\n}\n`;
}

/** Writes DIR/NAME/VERSION/model.onnx (+ DIR/NAME/config.pbtxt); returns the ONNX bytes. */
export async function writeOnnxModel(
  dir: string,
  name: string,
  version: string,
  det: Detector,
  maxBatchSize = 1024,
): Promise<Uint8Array> {
  const bytes = toOnnx(det);
  await mkdir(join(dir, name, version), { recursive: true });
  await writeFileAtomic(join(dir, name, version, 'model.onnx'), bytes);
  await writeFileAtomic(join(dir, name, 'config.pbtxt'), new TextEncoder().encode(config(name, maxBatchSize)));
  return bytes;
}

/** Writes DIR/NAME/VERSION/model.abc. */
export async function writeSavedModel(dir: string, name: string, version: string, det: Detector): Promise<void> {
  await mkdir(join(dir, name, version), { recursive: true });
  await saveFile(det, join(dir, name, version, 'model.abc'));
}

/** Reads one Prometheus sample (`name{labels} value`) from /metrics text; 0 when absent. */
export function metric(text: string, name: string, labels = ''): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `) || (!labels && l.startsWith(`${name}{`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

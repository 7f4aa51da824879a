import { MinMaxScaler, Pipeline, StandardScaler, type Matrix, type TransformerExportSpec } from '@abc/core';
import { ECOD, HBOS } from '@abc/baselines';
import { ABC } from '@abc/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxDetector, specsToOnnx, toOnnx, type OnnxBackend } from '../src/index.js';
import { makeData, maxAbs } from './helpers.js';

// Scalers in float64 (issue 18): the minmax/standard specs carry float64 fields with which the graph scales as
// TypeScript's transform does (float64, one rounding), so that HBOS/ECOD behind a scaler, whose scores jump exactly
// at training values, score their own training rows as scoreSamples does; the float32-only path (the specs without
// the float64 fields, as before) lands some of those rows a float32 step off a cut and scores them differently.

/** 1e-6 relative, the classical parity tests' bound for a detector alone (measured: 0 here). */
const REL_TOL = 1e-6;

/** The largest |Δ| / max(|ts|, 1e-6) over the rows. */
function maxRelative(a: Float32Array, ts: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - ts[i]) / Math.max(Math.abs(ts[i]), 1e-6));
  return m;
}

/** The spec as it was before the float64 fields (the float32 formula only). */
function float32Only(spec: TransformerExportSpec): TransformerExportSpec {
  if (spec.kind === 'minmax') return { kind: 'minmax', min: spec.min, scale: spec.scale };
  if (spec.kind === 'standard') return { kind: 'standard', mean: spec.mean, std: spec.std };
  return spec;
}

interface ScaledCase {
  id: string;
  pipe: Pipeline;
  X: Matrix;
  /** Whether the float32-only scaler is known to miss (ECOD's cuts are every training value; HBOS's only its edges). */
  oldMisses: boolean;
}

let cases: ScaledCase[];
beforeAll(async () => {
  const { X } = makeData(400, 5, 11);
  const { X: X2 } = makeData(300, 4, 12);
  cases = [
    { id: 'minmax → ecod', pipe: await new Pipeline([new MinMaxScaler(), new ECOD()]).fit(X), X, oldMisses: true },
    {
      id: 'minmax(-1, 1) → ecod',
      pipe: await new Pipeline([new MinMaxScaler({ min: -1, max: 1 }), new ECOD()]).fit(X2),
      X: X2,
      oldMisses: true,
    },
    { id: 'standard → ecod', pipe: await new Pipeline([new StandardScaler(), new ECOD()]).fit(X2), X: X2, oldMisses: true },
    { id: 'standard → hbos', pipe: await new Pipeline([new StandardScaler(), new HBOS()]).fit(X), X, oldMisses: false },
  ];
});

async function scoreOnnx(
  bytes: Uint8Array,
  X: Matrix,
  backend: OnnxBackend,
): Promise<{ score: Float32Array; label: BigInt64Array | undefined }> {
  const det = await OnnxDetector.load(bytes, { backend });
  expect(det.activeBackend).toBe(backend);
  const out = await det.run(X);
  await det.close();
  return { score: out.score, label: out.label as BigInt64Array | undefined };
}

async function parity(backend: OnnxBackend): Promise<void> {
  for (const c of cases) {
    const ts = await c.pipe.scoreSamples(c.X);
    const tsLabel = await c.pipe.predict(c.X);
    const spec = c.pipe.transformers[0].toExportSpec!();
    expect('dataMin64' in spec || 'mean64' in spec, `${c.id} gives float64 fields`).toBe(true);
    const onnx = await scoreOnnx(toOnnx(c.pipe), c.X, backend);
    const rel = maxRelative(onnx.score, ts);
    expect(rel, `${c.id} on ${backend}: max relative difference on the training rows`).toBeLessThanOrEqual(REL_TOL);
    for (let i = 0; i < ts.length; i++) expect(Number(onnx.label![i]), `${c.id} label ${i}`).toBe(tsLabel[i]);

    // The old float32 scaling, same detector spec: some training rows score differently.
    const old = specsToOnnx({
      transformers: [float32Only(spec)],
      detector: c.pipe.detector.toExportSpec!(),
      nFeatures: c.X.cols,
      threshold: c.pipe.threshold,
    });
    const before = await scoreOnnx(old, c.X, backend);
    const oldRel = maxRelative(before.score, ts);
    if (c.oldMisses) expect(oldRel, `${c.id} on ${backend}: the float32 path differs`).toBeGreaterThan(1000 * REL_TOL);
    console.log(
      `[onnx-export] ${backend} ${c.id}: training rows max |Δ| ${maxAbs(onnx.score, ts).toExponential(2)} (rel ${rel.toExponential(2)}); float32-only scaler: max |Δ| ${maxAbs(before.score, ts).toExponential(2)} (rel ${oldRel.toExponential(2)})`,
    );
  }
}

describe('float64 scalers: a scaled HBOS/ECOD scores its training rows as TypeScript', () => {
  it('on onnxruntime-node cpu', async () => {
    await parity('cpu');
  });

  it('on onnxruntime-web wasm', async () => {
    await parity('wasm');
  });

  it('keeps the float32 formula for specs without the float64 fields, and rejects malformed ones', async () => {
    const { X } = makeData(50, 3, 2);
    const scaler = new MinMaxScaler().fit(X);
    const spec = scaler.toExportSpec() as Extract<TransformerExportSpec, { kind: 'minmax' }>;
    expect(spec.offset64).toBe(0);
    expect(Array.from(spec.dataMin64!)).toEqual(Array.from(scaler.dataMin));
    const det = await new HBOS().fit(scaler.transform(X));
    const build = (t: TransformerExportSpec) => specsToOnnx({ transformers: [t], detector: det.toExportSpec(), nFeatures: 3 });
    expect(() => build({ ...spec, scale64: Float64Array.of(1, 2) })).toThrow(/scale64/);
    expect(() => build({ ...spec, dataMin64: Float32Array.of(0, 0, 0) as unknown as Float64Array })).toThrow(/dataMin64/);
    const std = new StandardScaler().fit(X).toExportSpec() as Extract<TransformerExportSpec, { kind: 'standard' }>;
    expect(() => build({ ...std, std64: Float64Array.of(1, 0, 1) })).toThrow(/std64/);
    // Both formulas export and run (the graphs differ: the float64 one casts to double).
    const a = await OnnxDetector.load(build(spec));
    const b = await OnnxDetector.load(build(float32Only(spec)));
    expect((await a.scoreSamples(X)).length).toBe(50);
    expect((await b.scoreSamples(X)).length).toBe(50);
    await a.close();
    await b.close();
  });

  it('keeps the float32 scaler before networks and trees (no double: WebGPU runs them alone)', async () => {
    const { X } = makeData(60, 3, 4);
    const scaler = new MinMaxScaler().fit(X);
    const spec = scaler.toExportSpec();
    const castsToDouble = (bytes: Uint8Array) => Buffer.from(bytes).includes('t0_minmax_x_f64');
    const hbos = await new HBOS().fit(scaler.transform(X));
    expect(castsToDouble(specsToOnnx({ transformers: [spec], detector: hbos.toExportSpec(), nFeatures: 3 }))).toBe(true);
    const abc = await new ABC({ hidden: [4], latent: 2, maxEpochs: 2, seed: 1 }).fit(scaler.transform(X), new Uint8Array(60));
    const dense = specsToOnnx({ transformers: [spec], detector: abc.toExportSpec(), nFeatures: 3 });
    expect(castsToDouble(dense)).toBe(false);
    expect(castsToDouble(specsToOnnx({ transformers: [float32Only(spec)], detector: hbos.toExportSpec(), nFeatures: 3 }))).toBe(
      false,
    );
  });
});

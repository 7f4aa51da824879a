import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendUnavailableError,
  ModelFormatError,
  NotFittedError,
  Pipeline,
  SimpleImputer,
  StandardScaler,
  ValidationError,
  deserialize,
  matrix,
  serialize,
  takeColumns,
  type Params,
} from '@abc/core';
import { checkDetector, makeCheckData } from '@abc/core/testing';
import { KNN } from '@abc/baselines';
import { ABC, Autoencoder } from '@abc/models';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTO_BATCH_BUDGET_BYTES,
  AUTO_BATCH_MAX_ROWS,
  CUDA_INSTALL_HINT,
  METADATA_KEYS,
  OnnxDetector,
  autoBatchSize,
  cudaProviderInstalled,
  inspectOnnx,
  loadRuntime,
  registerOnnxDetector,
  toOnnx,
  type OnnxDetectorParams,
  type OrtModule,
} from '../src/index.js';
import { FEATURES, makeData, maxAbs } from './helpers.js';

const data = makeCheckData();
let pipeline: Pipeline;
let bytes: Uint8Array;
const dir = mkdtempSync(join(tmpdir(), 'abc-onnx-det-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  registerOnnxDetector();
  pipeline = await new Pipeline([new StandardScaler(), new ABC({ hidden: [8, 4], latent: 1, maxEpochs: 60, seed: 3 })]).fit(
    data.X,
    data.y,
  );
  bytes = toOnnx(pipeline);
});

const factory = (params?: Params): OnnxDetector =>
  new OnnxDetector({ backend: 'cpu', ...(params as Partial<OnnxDetectorParams>) }).setModel(bytes);

describe('OnnxDetector on onnxruntime-node cpu', () => {
  it('passes checkDetector({ scoringOnly: true }), persistence included', async () => {
    const ran = await checkDetector(factory, { scoringOnly: true });
    expect(ran).toContain('save/load round-trips to identical scores');
    expect(ran).toContain('fit raises for a scoring-only detector');
  });

  it('stands in for the fitted pipeline: same scores, labels and threshold, the scaler inside the graph', async () => {
    const det = await OnnxDetector.load(bytes);
    expect(det.activeBackend).toBe('cpu');
    expect(det.hasProbability).toBe(true);
    expect(det.threshold).toBe(pipeline.threshold);
    expect(det.nFeatures).toBe(2);
    expect(maxAbs(await det.scoreSamples(data.Xtest), await pipeline.scoreSamples(data.Xtest))).toBeLessThanOrEqual(1e-4);
    expect(maxAbs(await det.predictProba(data.Xtest), await pipeline.predictProba(data.Xtest))).toBeLessThanOrEqual(1e-4);
    expect(await det.predict(data.Xtest)).toEqual(await pipeline.predict(data.Xtest));
    const L = await det.reconstructionError(data.Xtest);
    expect(L.length).toBe(data.Xtest.rows);
    expect(det.info.metadata['abc.detector']).toBe('abc');
  });

  it('loads from a file path and a file URL; the threshold param overrides the model', async () => {
    const path = join(dir, 'model.onnx');
    writeFileSync(path, bytes);
    const a = await OnnxDetector.load(path);
    const b = await OnnxDetector.load(new URL(`file://${path}`), { threshold: 0.9 });
    expect(await a.scoreSamples(data.Xtest)).toEqual(await b.scoreSamples(data.Xtest));
    expect(b.threshold).toBe(0.9);
    const s = await b.scoreSamples(data.Xtest);
    expect(await b.predict(data.Xtest)).toEqual(Uint8Array.from(s, (v) => (v > 0.9 ? 1 : 0)));
  });

  it('checks feature names by name, as a fitted detector does', async () => {
    const { X, y } = makeData(200, FEATURES.length, 4, 0.1, FEATURES);
    const named = await new Pipeline([new StandardScaler(), new ABC({ hidden: [4], latent: 2, maxEpochs: 5 })]).fit(X, y);
    const det = await OnnxDetector.load(toOnnx(named));
    expect(det.featureNames).toEqual(FEATURES);
    const reversed = takeColumns(
      X,
      FEATURES.map((_, j) => FEATURES.length - 1 - j),
    );
    expect(maxAbs(await det.scoreSamples(reversed), await named.scoreSamples(X))).toBeLessThanOrEqual(1e-4);
    const missing = matrix(X.data.subarray(0, 10 * 6).slice(), 10, 6, ['a', 'b', 'c', 'd', 'e', 'f']);
    await expect(det.scoreSamples(missing)).rejects.toThrow(/feature "f0"/);
  });

  it('takes NaN when the model imputes, and rejects it otherwise', async () => {
    const { X, y } = makeData(200, 3, 5);
    const Xm = matrix(
      Float32Array.from(X.data, (v, k) => (k % 5 === 0 ? NaN : v)),
      X.rows,
      X.cols,
    );
    const imputed = await new Pipeline([new SimpleImputer(), new Autoencoder({ hidden: [4], latent: 1, maxEpochs: 5 })]).fit(
      Xm,
      y,
    );
    const det = await OnnxDetector.load(toOnnx(imputed));
    expect(det.acceptsMissing).toBe(true);
    expect(maxAbs(await det.scoreSamples(Xm), await imputed.scoreSamples(Xm)) / 10).toBeLessThanOrEqual(1e-4);
    const plain = await OnnxDetector.load(bytes);
    await expect(plain.scoreSamples([[NaN, 1]])).rejects.toThrow(ValidationError);
  });

  it('fit raises; no model raises NotFittedError; garbage raises ModelFormatError; contamination is refused', async () => {
    const det = new OnnxDetector();
    await expect(det.fit()).rejects.toThrow(/scoring-only/);
    await expect(det.scoreSamples([[1, 2]])).rejects.toThrow(NotFittedError);
    expect(() => det.setModel(new Uint8Array([1, 2, 3, 4]))).toThrow(ModelFormatError);
    expect(() => new OnnxDetector({ contamination: 0.1 })).toThrow(/contamination/);
    expect(() => new OnnxDetector({ backend: 'tpu' as never })).toThrow(ValidationError);
  });

  it('serializes through the registry as "onnx" and loads back', async () => {
    const det = await OnnxDetector.load(bytes);
    const loaded = await deserialize(await serialize(det));
    expect(loaded).toBeInstanceOf(OnnxDetector);
    expect(await loaded.scoreSamples(data.Xtest)).toEqual(await det.scoreSamples(data.Xtest));
  });
});

/** onnxruntime-node with every `session.run` recorded (its batch's row count), to see the batches a detector runs. */
async function countingRuntime(): Promise<{ runtime: OrtModule; batches: number[] }> {
  const ort = await loadRuntime('cpu');
  const batches: number[] = [];
  const runtime: OrtModule = {
    Tensor: ort.Tensor,
    InferenceSession: {
      async create(model, options) {
        const session = await ort.InferenceSession.create(model, options);
        return {
          inputNames: session.inputNames,
          outputNames: session.outputNames,
          run(feeds, fetches) {
            batches.push(feeds.X.dims[0]);
            return session.run(feeds, fetches);
          },
          release: () => session.release?.() ?? Promise.resolve(),
        };
      },
    },
  };
  return { runtime, batches };
}

/** The model without one metadata key (the graph checksum covers the graph only): an export older than the key. */
function withoutMetadata(model: Uint8Array, key: string): Uint8Array {
  const m = fromBinary(ModelProtoSchema, model);
  m.metadataProps = m.metadataProps.filter((p) => p.key !== key);
  return toBinary(ModelProtoSchema, m);
}

describe('the batch size: automatic from the model, an explicit one wins', () => {
  // KNN on 4,000 reference rows × 2 features (k = 5): the graph's float64 distances alone are 32,000 bytes per
  // scored row, so 65,536 rows would need over 2 GB in one run; 8,000 test rows take two automatic batches.
  let knn: KNN;
  let knnBytes: Uint8Array;
  let Xknn: ReturnType<typeof makeData>['X'];
  beforeAll(async () => {
    knn = await new KNN().fit(makeData(4000, 2, 31).X);
    knnBytes = toOnnx(knn);
    Xknn = makeData(8000, 2, 32).X;
  });

  it('a model without a working-memory estimate (a dense ABC) gets 65,536 rows; the param defaults to null', async () => {
    const det = await OnnxDetector.load(bytes);
    expect(det.getParams().batchSize).toBeNull();
    expect(det.workBytesPerRow).toBeUndefined();
    expect(det.effectiveBatchSize).toBe(AUTO_BATCH_MAX_ROWS);
    expect(AUTO_BATCH_MAX_ROWS).toBe(65536);
    expect(new OnnxDetector().effectiveBatchSize).toBeUndefined(); // automatic, no model yet
    expect(new OnnxDetector({ batchSize: 7 }).effectiveBatchSize).toBe(7);
  });

  it('a KNN export gets the bounded batch, and scores as one large batch and as the TypeScript KNN', async () => {
    const { runtime, batches } = await countingRuntime();
    const det = await OnnxDetector.load(knnBytes, { runtime });
    const work = det.workBytesPerRow!;
    expect(work).toBe(Number(inspectOnnx(knnBytes).metadata[METADATA_KEYS.workBytesPerRow]));
    expect(work).toBeGreaterThanOrEqual(8 * 4000); // the [N, 4000] float64 distances
    const B = det.effectiveBatchSize!;
    expect(B).toBe(Math.floor(AUTO_BATCH_BUDGET_BYTES / work));
    expect(B).toBe(autoBatchSize(work));
    expect(B).toBeLessThan(Xknn.rows);
    expect(B * work).toBeLessThanOrEqual(AUTO_BATCH_BUDGET_BYTES);
    const auto = await det.scoreSamples(Xknn);
    expect(batches).toEqual([B, Xknn.rows - B]);
    const one = await (await OnnxDetector.load(knnBytes, { batchSize: 65536 })).scoreSamples(Xknn);
    expect(auto).toEqual(one);
    const ts = await knn.scoreSamples(Xknn);
    let rel = 0;
    for (let i = 0; i < ts.length; i++) rel = Math.max(rel, Math.abs(auto[i] - ts[i]) / Math.max(Math.abs(ts[i]), 1e-6));
    expect(rel).toBeLessThanOrEqual(1e-6);
  });

  it('an explicit batchSize wins, through the constructor, setParams and a clone; null is automatic again', async () => {
    const { runtime, batches } = await countingRuntime();
    const det = await OnnxDetector.load(knnBytes, { runtime, batchSize: 3000 });
    expect(det.effectiveBatchSize).toBe(3000);
    const X = matrix(Xknn.data.subarray(0, 7000 * 2), 7000, 2);
    await det.scoreSamples(X);
    expect(batches).toEqual([3000, 3000, 1000]);
    expect(det.clone().effectiveBatchSize).toBe(3000);
    det.setParams({ batchSize: null });
    expect(det.effectiveBatchSize).toBe(autoBatchSize(det.workBytesPerRow));
    det.setParams({ batchSize: 65536 });
    expect(det.effectiveBatchSize).toBe(65536);
    expect(() => det.setParams({ batchSize: 0 })).toThrow(ValidationError);
  });

  it('a model without the key (an older export) gets 65,536 rows and scores the same', async () => {
    const old = withoutMetadata(knnBytes, METADATA_KEYS.workBytesPerRow);
    expect(inspectOnnx(old).metadata[METADATA_KEYS.workBytesPerRow]).toBeUndefined();
    const det = await OnnxDetector.load(old);
    expect(det.workBytesPerRow).toBeUndefined();
    expect(det.effectiveBatchSize).toBe(65536);
    const X = matrix(Xknn.data.subarray(0, 500 * 2), 500, 2);
    expect(await det.scoreSamples(X)).toEqual(await (await OnnxDetector.load(knnBytes)).scoreSamples(X));
  });

  it('autoBatchSize: min(65,536, max(1, floor(budget / bytes))), 65,536 without an estimate', () => {
    expect(AUTO_BATCH_BUDGET_BYTES).toBe(256 * 1024 * 1024);
    expect(autoBatchSize(62_840)).toBe(4271);
    expect(autoBatchSize(1)).toBe(65536);
    expect(autoBatchSize(AUTO_BATCH_BUDGET_BYTES * 10)).toBe(1);
    expect(autoBatchSize(1000, 10_000)).toBe(10);
    for (const none of [undefined, 0, -5, Number.NaN, Number.POSITIVE_INFINITY]) expect(autoBatchSize(none)).toBe(65536);
  });
});

// These assume a machine without the CUDA provider (CI's); where it is installed they do not apply.
const cudaInstalled = (await cudaProviderInstalled()) === true;

describe('the cuda backend', () => {
  it.skipIf(cudaInstalled)(
    'raises BackendUnavailableError with the install hint where the CUDA provider is not installed',
    async () => {
      const err = await OnnxDetector.load(bytes, { backend: 'cuda' }).catch((e) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect(err.code).toBe('BACKEND_UNAVAILABLE');
      expect(err.backend).toBe('cuda');
      expect(err.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
      expect(err.message).toContain(CUDA_INSTALL_HINT);
      // lazily too: a detector set up by setState raises at the first score
      await expect(factory({ backend: 'cuda' }).scoreSamples(data.Xtest)).rejects.toThrow(BackendUnavailableError);
    },
  );

  it.skipIf(cudaInstalled)('falls back to cpu only when asked, and says so', async () => {
    const seen: BackendUnavailableError[] = [];
    const det = await OnnxDetector.load(bytes, { backend: 'cuda', fallback: 'cpu', onFallback: (e) => seen.push(e) });
    expect(det.activeBackend).toBe('cpu');
    expect(seen).toHaveLength(1);
    expect(seen[0].backend).toBe('cuda');
    expect(maxAbs(await det.scoreSamples(data.Xtest), await pipeline.scoreSamples(data.Xtest))).toBeLessThanOrEqual(1e-4);
  });

  it('webgpu is for the browser: in Node it raises BackendUnavailableError', async () => {
    await expect(OnnxDetector.load(bytes, { backend: 'webgpu' })).rejects.toThrow(/runs in the browser/);
  });

  it.skipIf(cudaInstalled)('setParams switches the backend and restarts the session', async () => {
    const det = await OnnxDetector.load(bytes);
    det.setParams({ backend: 'cuda', fallback: 'cpu' });
    expect(det.activeBackend).toBeUndefined();
    await det.ready();
    expect(det.activeBackend).toBe('cpu');
    expect(det.getParams()).toMatchObject({ backend: 'cuda', fallback: 'cpu', seed: 0 });
    expect(det.clone().fitted).toBe(true);
  });
});

/**
 * Reliability: bad inputs at every public door of @abc/core (docs/reliability.md lists each row and its test).
 * Every bad input gets a typed error (ValidationError with a stable reason, NotFittedError, ModelFormatError),
 * never a crash, a hang, a NaN score or a prototype change.
 */
import { describe, expect, it } from 'vitest';
import {
  AbcError,
  createDetector,
  crc32,
  deserialize,
  FORMAT_VERSION,
  matrix,
  MinMaxScaler,
  ModelFormatError,
  NotFittedError,
  OneHotEncoder,
  Pipeline,
  readHeader,
  serialize,
  SimpleImputer,
  StandardScaler,
  table,
  toMatrix,
  validateLabels,
  validateMatrix,
  ValidationError,
  type Detector,
  type ValidationReason,
} from '../src/index.js';
import { LogisticDetector, makeCheckData, MeanDistance, registerReferenceDetectors } from '../src/testing/index.js';

registerReferenceDetectors();
const { X, y, Xtest } = makeCheckData();

async function typed(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AbcError);
    return e as Error;
  }
  throw new Error('expected a typed error, got none');
}

async function reason(fn: () => unknown, expected: ValidationReason): Promise<string> {
  const e = await typed(fn);
  expect(e).toBeInstanceOf(ValidationError);
  expect((e as ValidationError).reason).toBe(expected);
  return e.message;
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

/** Rewrites a model file's header text and recomputes the checksum (a deliberate, "valid" edit). */
function reencode(bytes: Uint8Array, edit: (headerWithoutCrc: string) => string): Uint8Array {
  const h = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const text = new TextDecoder().decode(bytes.subarray(12, 12 + h));
  const body = edit(text.slice(0, text.lastIndexOf(',"crc32":')));
  const data = bytes.subarray((12 + h + 7) & ~7);
  const crc = crc32(data, crc32(new TextEncoder().encode(body)));
  const header = new TextEncoder().encode(`${body},"crc32":${crc}}`);
  const start = (12 + header.length + 7) & ~7;
  const out = new Uint8Array(start + data.length);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(data, start);
  return out;
}

describe('reliability: bad data at the detector door (fit, scoreSamples, predict)', () => {
  const detectors: [string, () => Detector, boolean][] = [
    ['ref-meandist', () => new MeanDistance(), false],
    ['ref-logistic', () => new LogisticDetector({ epochs: 2 }), true],
    ['pipeline(minmax, ref-logistic)', () => new Pipeline([new MinMaxScaler(), new LogisticDetector({ epochs: 2 })]), true],
  ];

  it.each(detectors)('empty matrix: %s raises ValidationError(empty) at fit and score', async (_n, make, sup) => {
    await reason(() => make().fit([], sup ? [] : undefined), 'empty');
    await reason(() => make().fit([[], []], sup ? [0, 1] : undefined), 'empty');
    await reason(() => make().fit(matrix(new Float32Array(0), 0, 3), sup ? [] : undefined), 'empty');
    const d = await make().fit(X, sup ? y : undefined);
    await reason(() => d.scoreSamples([]), 'empty');
    await reason(() => d.scoreSamples(matrix(new Float32Array(0), 0, 2)), 'empty');
  });

  it.each(detectors)('ragged rows and strings in a matrix: %s raises ValidationError(ragged/type)', async (_n, make, sup) => {
    await reason(() => make().fit([[1, 2], [3]], sup ? [0, 1] : undefined), 'ragged');
    await reason(
      () =>
        make().fit(
          [
            [1, 2],
            [3, '4' as unknown as number],
          ],
          sup ? [0, 1] : undefined,
        ),
      'type',
    );
    await reason(() => make().fit('1,2\n3,4' as never, sup ? [0, 1] : undefined), 'type');
    await reason(() => make().fit([1, 2, 3] as never, sup ? [0, 1, 0] : undefined), 'type');
    await reason(() => make().fit(null as never), 'type');
  });

  it.each(detectors)('NaN and ±Infinity: %s raises ValidationError(non-finite) naming row and column', async (_n, make, sup) => {
    for (const bad of [NaN, Infinity, -Infinity, 1e39 /* beyond float32: becomes Infinity */]) {
      const msg = await reason(
        () =>
          make().fit(
            [
              [0, 1],
              [2, bad],
              [1, 1],
            ],
            sup ? [0, 1, 0] : undefined,
          ),
        'non-finite',
      );
      expect(msg).toMatch(/row 1, column 1/);
    }
    const d = await make().fit(X, sup ? y : undefined);
    await reason(() => d.scoreSamples([[0, NaN]]), 'non-finite');
    await reason(() => d.predict([[-Infinity, 0]]), 'non-finite');
  });

  it('labels other than 0/1, of the wrong length or missing raise ValidationError(labels/label-length)', async () => {
    for (const bad of [2, -1, 0.5, NaN, '1', null]) {
      const labels = Array.from(y) as unknown[];
      labels[3] = bad;
      const msg = await reason(() => new LogisticDetector().fit(X, labels as number[]), 'labels');
      expect(msg).toMatch(/y\[3\]/);
    }
    await reason(() => new LogisticDetector().fit(X, y.subarray(1)), 'label-length');
    await reason(() => new LogisticDetector().fit(X, [...y, 0]), 'label-length');
    await reason(() => new LogisticDetector().fit(X), 'labels');
    await reason(() => new LogisticDetector().fit(X, 'abc' as never), 'type');
    // Unsupervised detectors check labels too, so a wrong call is not silent.
    await reason(() => new MeanDistance().fit(X, y.subarray(2)), 'label-length');
    await reason(() => validateLabels({ length: 2, 0: 0, 1: 7 } as never, 2), 'labels');
  });

  it('only anomalies (no normals) or only normals: supervised detectors raise ValidationError(labels)', async () => {
    const ones = new Uint8Array(X.rows).fill(1);
    expect(await reason(() => new LogisticDetector().fit(X, ones), 'labels')).toMatch(/no normal row/);
    expect(await reason(() => new LogisticDetector().fit(X, new Uint8Array(X.rows)), 'labels')).toMatch(/no anomaly/);
    const pipe = new Pipeline([new MinMaxScaler(), new LogisticDetector()]);
    expect(await reason(() => pipe.fit(X, ones), 'labels')).toMatch(/no normal row/);
    expect(pipe.fitted).toBe(false);
  });

  it('one row and one column: fit works (or is a typed error) and scores are finite', async () => {
    const one = await new MeanDistance().fit([[1, 2, 3]]);
    expect(
      allFinite(
        await one.scoreSamples([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    ).toBe(true);
    expect(Number.isFinite(one.threshold)).toBe(true);
    // A supervised detector cannot learn from one row: it has one class only.
    await reason(() => new LogisticDetector().fit([[1, 2]], [0]), 'labels');
    const col = matrix(
      Float32Array.from({ length: 50 }, (_, i) => i % 7),
      50,
      1,
    );
    const yc = Uint8Array.from({ length: 50 }, (_, i) => (i % 7 === 6 ? 1 : 0));
    for (const d of [
      new MeanDistance(),
      new LogisticDetector({ epochs: 3 }),
      new Pipeline([new StandardScaler(), new MeanDistance()]),
    ]) {
      await d.fit(col, d.supervision === 'supervised' ? yc : undefined);
      expect(allFinite(await d.scoreSamples(col))).toBe(true);
      await reason(() => d.scoreSamples(X), 'feature-count');
    }
    const pipeOne = await new Pipeline([new MinMaxScaler(), new StandardScaler(), new MeanDistance()]).fit([[5, -1]]);
    expect(
      allFinite(
        await pipeOne.scoreSamples([
          [5, -1],
          [6, 0],
        ]),
      ),
    ).toBe(true);
  });

  it('wrong feature count or a missing named feature at score time raises ValidationError', async () => {
    const d = await new MeanDistance().fit(X);
    await reason(() => d.scoreSamples([[1, 2, 3]]), 'feature-count');
    await reason(() => d.scoreSamples([[1]]), 'feature-count');
    const named = await new MeanDistance().fit(matrix(X.data, X.rows, 2, ['a', 'b']));
    expect(await reason(() => named.scoreSamples(matrix(Float32Array.of(1, 2), 1, 2, ['a', 'c'])), 'feature-names')).toMatch(
      /"b"/,
    );
    const pipe = await new Pipeline([new MinMaxScaler(), new MeanDistance()]).fit(X);
    await reason(() => pipe.scoreSamples([[1, 2, 3]]), 'feature-count');
  });

  it('constant columns (min-max with max = min): scaled to min, scores finite, no NaN', async () => {
    const n = 30;
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) data.set([7, i / n, -3], i * 3);
    const Xc = matrix(data, n, 3);
    const mm = new MinMaxScaler().fit(Xc);
    const t = mm.transform(Xc);
    expect(allFinite(t.data)).toBe(true);
    for (let i = 0; i < n; i++) expect([t.data[i * 3], t.data[i * 3 + 2]]).toEqual([0, 0]);
    expect(allFinite(mm.transform(toMatrix([[8, 0, -4]])).data)).toBe(true); // unseen value of a constant column: finite
    expect(allFinite(new StandardScaler().fitTransform(Xc).data)).toBe(true);
    for (const make of [() => new MinMaxScaler(), () => new StandardScaler()]) {
      const p = await new Pipeline([make(), new MeanDistance()]).fit(Xc);
      expect(allFinite(await p.scoreSamples(Xc))).toBe(true);
      expect(allFinite(await p.scoreSamples([[1e6, 0.5, 1e6]]))).toBe(true);
    }
    const allConst = matrix(new Float32Array(20).fill(2), 10, 2);
    const p = await new Pipeline([new MinMaxScaler(), new MeanDistance()]).fit(allConst);
    expect(allFinite(await p.scoreSamples(allConst))).toBe(true);
  });

  it('huge values (1e30, ±float32 max): scalers and the reference detector stay finite', async () => {
    const big = 3.4028234663852886e38;
    const rows = toMatrix([
      [1e30, -1e30],
      [2e30, 0],
      [-big, big],
      [0, 1],
    ]);
    const mm = new MinMaxScaler().fit(rows);
    expect(allFinite(mm.transform(rows).data)).toBe(true);
    const st = new StandardScaler().fit(rows);
    expect(allFinite(st.transform(rows).data)).toBe(true);
    const p = await new Pipeline([new MinMaxScaler(), new MeanDistance()]).fit(rows);
    expect(allFinite(await p.scoreSamples(rows))).toBe(true);
    const d = await new MeanDistance().fit([
      [1e30, 1],
      [2e30, 2],
      [3e30, 3],
    ]);
    expect(
      allFinite(
        await d.scoreSamples([
          [1e30, 1],
          [-3e30, 0],
        ]),
      ),
    ).toBe(true);
    const far = await new MeanDistance().fit([
      [-big, -big],
      [big, big],
    ]);
    expect(
      allFinite(
        await far.scoreSamples([
          [big, big],
          [-big, big],
        ]),
      ),
    ).toBe(true);
  });

  it('an unfitted detector, pipeline or transformer raises NotFittedError', async () => {
    for (const d of [
      new MeanDistance(),
      new LogisticDetector(),
      new Pipeline([new MinMaxScaler(), new MeanDistance()]),
    ] as Detector[]) {
      await expect(d.scoreSamples(X)).rejects.toBeInstanceOf(NotFittedError);
      await expect(d.predict(X)).rejects.toBeInstanceOf(NotFittedError);
      await expect(serialize(d)).rejects.toBeInstanceOf(AbcError);
    }
    expect(() => new MinMaxScaler().transform(X)).toThrow(NotFittedError);
    expect(() => new StandardScaler().inverseTransform(X)).toThrow(NotFittedError);
    expect(() => new MeanDistance().getState()).toThrow(NotFittedError);
  });

  it('string columns without an encoder raise ValidationError(type); with one they are encoded', async () => {
    const t = table(['x', 'proto'], [Float32Array.of(1, 2, 3), ['tcp', 'udp', 'tcp']]);
    await reason(() => new MeanDistance().fit(t), 'type');
    await reason(() => new Pipeline([new MinMaxScaler(), new MeanDistance()]).fit(t), 'type');
    const p = await new Pipeline([new OneHotEncoder(), new MeanDistance()]).fit(t);
    expect(allFinite(await p.scoreSamples(t))).toBe(true);
  });

  it('NaN is accepted only by a pipeline that starts with an imputer; Infinity never', async () => {
    const rows = [
      [1, NaN],
      [2, 3],
      [NaN, 4],
    ];
    const p = await new Pipeline([new SimpleImputer(), new MeanDistance()]).fit(rows);
    expect(allFinite(await p.scoreSamples(rows))).toBe(true);
    await reason(
      () =>
        new Pipeline([new SimpleImputer(), new MeanDistance()]).fit([
          [1, Infinity],
          [2, 3],
        ]),
      'non-finite',
    );
    await reason(() => validateMatrix([[NaN]], { allowMissing: false }), 'non-finite');
    expect(toMatrix([[NaN]]).data[0]).toBeNaN(); // toMatrix converts; validation is at the door
  });
});

describe('reliability: parameters and prototype safety', () => {
  it('params from JSON with __proto__/constructor keys are rejected without changing any prototype', async () => {
    const before = prototypeKeys();
    for (const text of [
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"seed":1,"__proto__":{"seed":2}}',
    ]) {
      const params = JSON.parse(text);
      expect(() => createDetector('ref-meandist', params)).toThrow(ValidationError);
      expect(() => new MeanDistance().setParams(params)).toThrow(ValidationError);
      expect(() => new Pipeline([new MinMaxScaler(), new MeanDistance()]).setParams(params)).toThrow(ValidationError);
      expect(() => new MinMaxScaler(params)).toThrow(ValidationError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeKeys()).toBe(before);
  });

  it('bad param values (NaN, Infinity, wrong type, out of range) raise ValidationError(param)', async () => {
    for (const p of [
      { seed: NaN },
      { seed: -1 },
      { seed: 1.5 },
      { epochs: Infinity },
      { lr: 0 },
      { lr: '0.1' },
      { contamination: 0.9 },
      { threshold: NaN },
    ]) {
      await reason(() => new LogisticDetector(p as never), 'param');
    }
    await reason(() => new MinMaxScaler({ min: 1, max: 1 }), 'param');
  });
});

describe('reliability: model bytes (deserialize, readHeader)', () => {
  async function modelBytes(): Promise<Uint8Array> {
    return serialize(await new Pipeline([new MinMaxScaler(), new LogisticDetector({ epochs: 2 })]).fit(X, y));
  }
  async function formatError(bytes: Uint8Array, pattern: RegExp): Promise<void> {
    const e = await deserialize(bytes).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ModelFormatError);
    expect((e as Error).message).toMatch(pattern);
    expect(() => readHeader(bytes)).toThrow(AbcError);
  }

  it('a truncated model file (every cut point) is a ModelFormatError', async () => {
    const bytes = await modelBytes();
    for (let cut = 0; cut < bytes.length; cut += 1 + Math.floor(cut / 16)) {
      const e = await deserialize(bytes.subarray(0, cut)).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e, `cut at ${cut}`).toBeInstanceOf(ModelFormatError);
    }
  });

  it('an edited model file (header or weights, without fixing the checksum) is a ModelFormatError', async () => {
    const bytes = await modelBytes();
    const h = new DataView(bytes.buffer).getUint32(8, true);
    for (const at of [20, 40, 12 + Math.floor(h / 2), bytes.length - 1, bytes.length - 5]) {
      const e = bytes.slice();
      e[at] ^= 0x04;
      await formatError(e, /checksum|corrupt|JSON|UTF-8|header/);
    }
  });

  it('a model file from a newer format version is a ModelFormatError asking to upgrade', async () => {
    const bytes = (await modelBytes()).slice();
    new DataView(bytes.buffer).setUint32(4, FORMAT_VERSION + 1, true);
    await formatError(bytes, /newer.*upgrade/);
    new DataView(bytes.buffer).setUint32(4, 0xffffffff, true);
    await formatError(bytes, /newer/);
    // A header that claims a newer version while the preamble does not is also refused.
    const mixed = reencode(await modelBytes(), (t) => t.replace(`"format":${FORMAT_VERSION}`, `"format":${FORMAT_VERSION + 1}`));
    await formatError(mixed, /format 2 but the preamble says 1/);
  });

  it('foreign files (ONNX protobuf, gzip, zip, text, empty) are a ModelFormatError "not an ABC model file"', async () => {
    // The start of a real ONNX file: field 1 (ir_version) = 8, field 2 (producer_name) = "pytorch".
    const onnx = Uint8Array.of(0x08, 0x08, 0x12, 0x07, ...new TextEncoder().encode('pytorch'), 0x1a, 0x03, 0x32, 0x2e, 0x31);
    for (const b of [
      onnx,
      Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3),
      new TextEncoder().encode('PK\u0003\u0004 zip'),
      new TextEncoder().encode('score\n1\n'),
      new Uint8Array(0),
    ]) {
      await formatError(b, /not an ABC model file/);
    }
    await expect(deserialize('ABCM' as never)).rejects.toBeInstanceOf(ModelFormatError);
  });

  it('a JSON header with __proto__ / constructor / prototype keys is refused and pollutes nothing', async () => {
    const before = prototypeKeys();
    const bytes = await modelBytes();
    const edits = [
      (t: string) =>
        t.replace(/"params":\{(\}?)/, (_m, close: string) => `"params":{"__proto__":{"polluted":true}${close ? '}' : ','}`),
      (t: string) =>
        t.replace(
          /"state":\{(\}?)/,
          (_m, close: string) => `"state":{"constructor":{"prototype":{"polluted":true}}${close ? '}' : ','}`,
        ),
      (t: string) =>
        t.replace('"tensors":[', '"tensors":[{"name":"x","dtype":"f32","shape":[0],"offset":0,"__proto__":{"polluted":true}},'),
      (t: string) => `{"__proto__":{"polluted":true},${t.slice(1)}`,
    ];
    for (const edit of edits) {
      const evil = reencode(bytes, edit);
      expect(new TextDecoder().decode(evil)).toMatch(/__proto__|constructor/);
      await formatError(evil, /forbidden key/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeKeys()).toBe(before);
  });

  it('a checksum-valid header whose tensor shapes do not fit the features is a typed error, never NaN scores', async () => {
    for (const d of [await new MeanDistance().fit(X), await new LogisticDetector({ epochs: 1 }).fit(X, y)]) {
      const bytes = await serialize(d);
      const name = d instanceof MeanDistance ? 'mean' : 'w';
      const n = d instanceof MeanDistance ? 2 : 3;
      for (const shape of [1, n + 1, 0]) {
        const edited = reencode(bytes, (t) =>
          t.replace(`"name":"${name}","dtype":"${d instanceof MeanDistance ? 'f64' : 'f32'}","shape":[${n}]`, (m) =>
            m.replace(`[${n}]`, `[${shape}]`),
          ),
        );
        expect(new TextDecoder().decode(edited)).toContain(`"shape":[${shape}]`);
        const loaded = await deserialize(edited).catch((e: unknown) => e);
        if (loaded instanceof Error) {
          expect(loaded).toBeInstanceOf(ModelFormatError);
          continue;
        }
        const s = await (loaded as Detector).scoreSamples(Xtest).catch((e: unknown) => e);
        if (s instanceof Error) expect(s).toBeInstanceOf(AbcError);
        else expect(allFinite(s as Float32Array)).toBe(true);
      }
    }
  });

  it('a checksum-valid header with inherited dtype names ("toString") is a ModelFormatError', async () => {
    const bytes = await modelBytes();
    const evil = reencode(bytes, (t) => t.replace('"dtype":"f64"', '"dtype":"toString"'));
    await formatError(evil, /unknown dtype "toString"/);
    const evil2 = reencode(bytes, (t) => t.replace('"dtype":"f64"', '"dtype":"constructor"'));
    await formatError(evil2, /forbidden|dtype/);
  });
});

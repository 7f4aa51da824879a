import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BaseDetector,
  CalibratedDetector,
  MinMaxScaler,
  ModelFormatError,
  NotFittedError,
  Pipeline,
  ValidationError,
  applyIsotonic,
  applyLinear,
  applyPlatt,
  applyUnify,
  calibrate,
  calibratorFromState,
  calibratorToState,
  deserialize,
  erf,
  fitCalibrator,
  fitIsotonic,
  fitLinear,
  fitPlatt,
  fitUnify,
  hasDetector,
  matrix,
  poolAdjacentViolators,
  readHeader,
  registerCalibratedDetector,
  registerDetector,
  serialize,
  tensor,
  type Matrix,
  type ModelState,
  type ParamSpace,
} from '../src/index.js';
import {
  checkDetector,
  LogisticDetector,
  makeCheckData,
  MeanDistance,
  registerReferenceDetectors,
} from '../src/testing/index.js';

interface PlattCase {
  name: string;
  scores: number[];
  labels: number[];
  sklearn: { a: number; b: number };
  exact: { a: number; b: number };
  test: number[];
  testProba: number[];
}
interface IsotonicCase {
  name: string;
  scores: number[];
  labels: number[];
  test: number[];
  predict: number[];
  knotsX: number[];
  knotsY: number[];
}
interface PyodCase {
  name: string;
  train: number[];
  test: number[];
  linear: number[];
  unify: number[];
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/calibration/calibration.json', import.meta.url), 'utf8')) as {
  platt: PlattCase[];
  isotonic: IsotonicCase[];
  pyod: PyodCase[];
};

type Cols = { seed: number; threshold: number | null; contamination: number | null };
/** Test-only detector whose score is the row's first column: lets a test feed chosen scores through a wrapper. */
class FirstColumn extends BaseDetector<Cols, null> {
  static readonly paramSpace: ParamSpace = BaseDetector.withCommonParams({});
  override readonly name: string = 'test-first-column';
  override readonly supervision = 'unsupervised' as const;
  constructor(params?: Partial<Cols>) {
    super(FirstColumn.paramSpace, params);
  }
  protected async fitModel(): Promise<null> {
    return null;
  }
  protected scoreModel(_: null, X: Matrix): Float32Array {
    return Float32Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols]);
  }
  protected modelToState(): ModelState {
    return { meta: {}, tensors: {} };
  }
  protected modelFromState(): null {
    return null;
  }
}

registerReferenceDetectors();
registerCalibratedDetector(); // explicit, as an app that saves or loads calibrated models does
if (!hasDetector('test-first-column')) {
  registerDetector({
    name: 'test-first-column',
    supervision: 'unsupervised',
    hasProbability: false,
    description: 'test: the first column',
    paramSpace: FirstColumn.paramSpace,
    create: (p) => new FirstColumn(p as Partial<Cols>),
  });
}

const column = (v: readonly number[]): Matrix => matrix(Float32Array.from(v), v.length, 1);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
/** Platt's objective with smoothed targets, for comparing two fits. */
function plattObjective(c: PlattCase, a: number, b: number): number {
  const n1 = c.labels.filter((v) => v === 1).length;
  const n0 = c.labels.length - n1;
  let s = 0;
  c.scores.forEach((f, i) => {
    const t = c.labels[i] === 1 ? (n1 + 1) / (n1 + 2) : 1 / (n0 + 2);
    const z = a * f + b;
    s += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - (1 - t) * z;
  });
  return s;
}

describe('Platt scaling', () => {
  it("reaches the optimum of scikit-learn's _sigmoid_calibration objective", () => {
    let devExact = 0;
    let devSklearnLarge = 0;
    let devProba = 0;
    for (const c of fixtures.platt) {
      const { a, b } = fitPlatt(c.scores, c.labels);
      const tol = 1e-9 * Math.max(1, Math.abs(c.exact.a), Math.abs(c.exact.b));
      expect(Math.abs(a - c.exact.a), `${c.name} a`).toBeLessThan(tol);
      expect(Math.abs(b - c.exact.b), `${c.name} b`).toBeLessThan(tol);
      devExact = Math.max(devExact, Math.abs(a - c.exact.a), Math.abs(b - c.exact.b));
      // scikit-learn's BFGS stops at a gradient norm of 1e-5: close on the larger sets, never better than ours.
      expect(plattObjective(c, a, b)).toBeLessThanOrEqual(plattObjective(c, c.sklearn.a, c.sklearn.b) + 1e-12);
      const dev = Math.max(Math.abs(a - c.sklearn.a), Math.abs(b - c.sklearn.b));
      if (c.scores.length >= 50) {
        expect(dev, c.name).toBeLessThan(2e-6);
        devSklearnLarge = Math.max(devSklearnLarge, dev);
      } else {
        expect(dev, c.name).toBeLessThan(1e-4);
      }
      expect(maxDiff(applyPlatt({ method: 'platt', a, b }, c.test), c.testProba)).toBeLessThan(1e-12);
      devProba = Math.max(
        devProba,
        maxDiff(applyPlatt({ method: 'platt', a, b }, c.test), applyPlatt({ method: 'platt', ...c.sklearn }, c.test)),
      );
    }
    console.info(
      `Platt: max |Δ a, b| vs exact optimum ${devExact.toExponential(2)}, vs sklearn (n ≥ 50) ${devSklearnLarge.toExponential(2)}; ` +
        `max |Δ p| vs sklearn's a, b (all cases) ${devProba.toExponential(2)}`,
    );
  });

  it('is increasing in the score for ranking scores, and stable at extreme scores', () => {
    const cal = fitPlatt([0, 1, 2, 3, 10, 11, 12, 13], [0, 0, 0, 0, 1, 1, 1, 1]);
    expect(cal.a).toBeLessThan(0);
    const p = applyPlatt(cal, [-1e6, 0, 6.5, 13, 1e6]);
    expect(p[0]).toBe(0);
    expect(p[4]).toBe(1);
    for (let i = 1; i < p.length; i++) expect(p[i]).toBeGreaterThan(p[i - 1]);
    // Separable classes: the smoothed targets keep the fit finite, and scaling scores scales a only.
    const big = fitPlatt([0, 1e3, 2e3, 3e3, 1e4, 1.1e4, 1.2e4, 1.3e4], [0, 0, 0, 0, 1, 1, 1, 1]);
    expect(big.a * 1000).toBeCloseTo(cal.a, 9);
    expect(big.b).toBeCloseTo(cal.b, 9);
  });

  it('validates its input', () => {
    expect(() => fitPlatt([1, 2], [0])).toThrow(ValidationError);
    expect(() => fitPlatt([1, NaN], [0, 1])).toThrow(/finite/);
    expect(() => fitPlatt([], [])).toThrow(/empty/);
    expect(() => fitPlatt([1, 2], [0, 2])).toThrow(/labels/);
  });
});

describe('isotonic regression', () => {
  it("matches scikit-learn's IsotonicRegression(out_of_bounds='clip')", () => {
    let dev = 0;
    for (const c of fixtures.isotonic) {
      const cal = fitIsotonic(c.scores, c.labels);
      expect(Array.from(cal.x), c.name).toEqual(c.knotsX);
      dev = Math.max(dev, maxDiff(cal.y, c.knotsY), maxDiff(applyIsotonic(cal, c.test), c.predict));
    }
    expect(dev).toBeLessThan(1e-12);
    console.info(`isotonic: max |Δ| vs sklearn ${dev.toExponential(2)}`);
  });

  it('pools adjacent violators by hand', () => {
    expect(Array.from(poolAdjacentViolators([1, 3, 2, 4], [1, 1, 1, 1]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(poolAdjacentViolators([3, 2, 1], [1, 1, 1]))).toEqual([2, 2, 2]);
    expect(Array.from(poolAdjacentViolators([1, 0], [3, 1]))).toEqual([0.75, 0.75]);
    const cal = fitIsotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1]);
    const p = applyIsotonic(cal, [0.15, 0.25, 0.9]);
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect([p[1], p[2]]).toEqual([0.5, 1]);
  });

  it("never leaves the two knots' values through rounding (a probability above 1 broke a benchmark run)", () => {
    // At the upper knot the interpolation (1 − 1/6) / (x1 − x0) · (x1 − x0) + 1/6 rounds to 1.0000000000000002.
    const x0 = 0.2544029951095581;
    const x1 = 0.25440359115600586;
    const cal = { method: 'isotonic' as const, x: Float64Array.of(x0, x1), y: Float64Array.of(1 / 6, 1) };
    expect(((1 - 1 / 6) / (x1 - x0)) * (x1 - x0) + 1 / 6).toBeGreaterThan(1);
    expect(Array.from(applyIsotonic(cal, [x1, x0, (x0 + x1) / 2])).every((p) => p >= 1 / 6 && p <= 1)).toBe(true);
    expect(applyIsotonic(cal, [x1])[0]).toBe(1);
  });
});

describe("PyOD's label-free rescalings", () => {
  it('linear and unify match predict_proba', () => {
    let dev = 0;
    for (const c of fixtures.pyod) {
      dev = Math.max(dev, maxDiff(applyLinear(fitLinear(c.train), c.test), c.linear));
      dev = Math.max(dev, maxDiff(applyUnify(fitUnify(c.train), c.test), c.unify));
    }
    expect(dev).toBeLessThan(1e-12);
    console.info(`linear/unify: max |Δ| vs PyOD ${dev.toExponential(2)}`);
  });

  it('through CalibratedDetector, fitted on the training scores', async () => {
    let dev = 0;
    for (const c of fixtures.pyod) {
      for (const method of ['linear', 'unify'] as const) {
        const det = await new CalibratedDetector(new FirstColumn(), { method }).fit(column(c.train));
        dev = Math.max(dev, maxDiff(await det.predictProba(column(c.test)), c[method]));
      }
    }
    expect(dev).toBeLessThan(1e-6); // float32 outputs
  });

  it('has an accurate erf, and the degenerate cases are defined', () => {
    const ref: [number, number][] = [
      [0, 0],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497148],
      [2.4, 0.999311486103355],
      [2.6, 0.9997639655834707],
      [3.5, 0.9999992569016276],
      [-1.2, -0.9103139782296353],
      [1.5811388300841898, 0.9746526813225318],
    ];
    for (const [x, v] of ref) expect(Math.abs(erf(x) - v)).toBeLessThan(5e-16);
    expect(Array.from(applyLinear(fitLinear([3, 3]), [2, 3, 3.5, 5]))).toEqual([0, 0, 0.5, 1]);
    expect(Array.from(applyUnify(fitUnify([3, 3]), [2, 3, 4]))).toEqual([0, 0, 1]);
  });
});

describe('calibrator state', () => {
  it('round-trips and rejects malformed state', () => {
    const cals = [
      fitCalibrator('platt', [1, 2, 3, 4], [0, 1, 0, 1]),
      fitCalibrator('isotonic', [1, 2, 3, 4], [0, 1, 0, 1]),
      fitCalibrator('linear', [1, 2, 3, 4]),
      fitCalibrator('unify', [1, 2, 3, 4]),
    ];
    for (const c of cals) {
      const { meta, tensors } = calibratorToState(c);
      const back = calibratorFromState(JSON.parse(JSON.stringify(meta)), tensors);
      expect(Array.from(calibrate(back, [0, 2.5, 9]))).toEqual(Array.from(calibrate(c, [0, 2.5, 9])));
    }
    expect(() => fitCalibrator('platt', [1, 2])).toThrow(/labels/);
    expect(() => calibratorFromState({ method: 'platt', a: 'x' }, {})).toThrow(ModelFormatError);
    expect(() => calibratorFromState({ method: 'nope' }, {})).toThrow(ModelFormatError);
    const x = tensor(Float64Array.of(2, 1));
    expect(() => calibratorFromState({ method: 'isotonic' }, { x, y: tensor(Float64Array.of(0, 1)) })).toThrow(/increasing/);
  });
});

describe('CalibratedDetector', () => {
  const data = makeCheckData();

  it('passes the conformance suite (platt, isotonic, linear around a supervised detector)', async () => {
    for (const method of ['platt', 'isotonic', 'linear'] as const) {
      await checkDetector((p) => new CalibratedDetector(new LogisticDetector({ epochs: 4, seed: 3 }), { method, ...p }));
    }
  });

  it('passes the conformance suite (unify around an unsupervised detector)', async () => {
    // The save/load check compares the registry entry's supervision ('supervised', the default method's) with
    // the instance's, which is the wrapped detector's for unify; the round trip is tested below instead.
    await checkDetector((p) => new CalibratedDetector(new MeanDistance(), { method: 'unify', ...p }), { skipPersistence: true });
  });

  it('fits the detector on one stratified part and the calibrator on the other', async () => {
    const base = new LogisticDetector({ epochs: 4, seed: 3 });
    const det = await new CalibratedDetector(base, { method: 'platt', calibrationFraction: 0.3, seed: 9 }).fit(data.X, data.y);
    expect(base.fitted).toBe(false); // the given instance is not touched
    expect(det.detector).not.toBe(base);
    // Rebuild by hand: 30% of each class (48 of 160 normals, 12 of 40 anomalies) held out.
    const held = await det.detector.scoreSamples(data.X);
    const all = fitPlatt(held, data.y);
    expect(det.calibrator!.method).toBe('platt');
    expect((det.calibrator as { a: number }).a).not.toBe(all.a);
    const raw = await det.detector.scoreSamples(data.Xtest);
    const p = await det.predictProba(data.Xtest);
    expect(maxDiff(p, Float32Array.from(calibrate(det.calibrator!, raw)))).toBe(0);
    expect(det.threshold).toBe(0.5);
    const c = await new CalibratedDetector(base, { method: 'isotonic', contamination: 0.2 }).fit(data.X, data.y);
    expect(c.threshold).toBeGreaterThan(0);
  });

  it('rejects what it cannot calibrate', async () => {
    const base = new MeanDistance();
    await expect(new CalibratedDetector(base, { method: 'platt' }).fit(data.X)).rejects.toThrow(/labels|required/);
    const y = new Uint8Array(data.y.length);
    y[0] = 1;
    await expect(new CalibratedDetector(base, { method: 'isotonic' }).fit(data.X, y)).rejects.toThrow(
      /at least 2 rows of each class/,
    );
    await expect(new CalibratedDetector(base).scoreSamples(data.Xtest)).rejects.toThrow(NotFittedError);
    expect(() => new CalibratedDetector(base, { calibrationFraction: 1 })).toThrow(ValidationError);
    expect(() => new CalibratedDetector(base, { method: 'beta' as never })).toThrow(/method/);
    await expect(new CalibratedDetector(null).fit(data.X)).rejects.toThrow(/new CalibratedDetector\(detector/);
  });

  it('saves and loads as one file, alone and as the last step of a pipeline', async () => {
    for (const method of ['platt', 'isotonic', 'linear', 'unify'] as const) {
      const base = method === 'unify' ? new MeanDistance() : new LogisticDetector({ epochs: 3, seed: 1 });
      const det = await new CalibratedDetector(base, { method, seed: 4 }).fit(data.X, method === 'unify' ? null : data.y);
      const bytes = await serialize(det);
      expect(readHeader(bytes).detector).toBe('calibrated');
      const loaded = (await deserialize(bytes)) as CalibratedDetector;
      expect(loaded).toBeInstanceOf(CalibratedDetector);
      expect(loaded.getParams()).toEqual(det.getParams());
      expect(loaded.detector.name).toBe(base.name);
      expect(loaded.supervision).toBe(det.supervision);
      expect(loaded.threshold).toBe(det.threshold);
      expect(await loaded.scoreSamples(data.Xtest)).toEqual(await det.scoreSamples(data.Xtest));
      // A loaded one can be cloned and refitted.
      const again = await loaded.clone().fit(data.X, method === 'unify' ? null : data.y);
      expect(await again.scoreSamples(data.Xtest)).toEqual(await det.scoreSamples(data.Xtest));
    }
    const pipe = await new Pipeline([
      new MinMaxScaler(),
      new CalibratedDetector(new LogisticDetector({ epochs: 3, seed: 2 }), { method: 'isotonic' }),
    ]).fit(data.X, data.y);
    expect(pipe.hasProbability).toBe(true);
    const loaded = await deserialize(await serialize(pipe));
    expect(loaded).toBeInstanceOf(Pipeline);
    expect(await loaded.predictProba(data.Xtest)).toEqual(await pipe.predictProba(data.Xtest));
    pipe.setParams({ calibrated__method: 'platt' });
    expect((pipe.detector as CalibratedDetector).getParams().method).toBe('platt');
  });

  it('refuses to save around an unregistered detector, and rejects a tampered state', async () => {
    class Unregistered extends FirstColumn {
      override readonly name = 'test-unregistered';
    }
    const det = await new CalibratedDetector(new Unregistered(), { method: 'linear' }).fit(data.X);
    expect(() => det.getState()).toThrow(/not registered/);
    const ok = await new CalibratedDetector(new MeanDistance(), { method: 'linear' }).fit(data.X);
    const state = ok.getState();
    const shell = new CalibratedDetector(null, { method: 'unify' });
    expect(() => shell.setState(state)).toThrow(/calibrator is "linear"/);
    expect(() =>
      new CalibratedDetector(null, { method: 'linear' }).setState({ ...state, meta: { ...state.meta, detector: 3 } }),
    ).toThrow(ModelFormatError);
  });
});

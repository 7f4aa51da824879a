import type { Detector } from '../detector.js';
import { AbortError, NotFittedError, ValidationError } from '../errors.js';
import { matrix, takeRows, type Matrix } from '../matrix.js';
import type { Params } from '../params.js';
import { deserialize, serialize } from '../persist.js';
import { Pipeline } from '../pipeline.js';
import { Random } from '../random.js';
import { createDetector, getDetectorEntry, listDetectors } from '../registry.js';

/** Data for the checks: training rows with labels (1 = anomaly) and test rows with labels. */
export interface CheckData {
  X: Matrix;
  y: Uint8Array;
  Xtest: Matrix;
  ytest: Uint8Array;
}

export interface CheckOptions {
  /** The detector uses its seed: two seeds must give different scores. Default false. */
  random?: boolean;
  /** The detector cannot fit (an ONNX-backed one): the factory returns a ready, fitted detector. */
  scoringOnly?: boolean;
  /**
   * Whether fit must report progress (so an abort after the first event can be tested): `true` requires
   * events, `false` skips that part, undefined (the default) tests it whenever the detector emits events.
   */
  progress?: boolean;
  /** AUROC floor on the built-in easy data (known anomalies far from the normals); null skips. Default 0.8. */
  minAuroc?: number | null;
  /** Replace the built-in data (for detectors with a fixed input width, say). */
  data?: CheckData;
  /** Skip the save/load round trip (for detectors that are not registered). Default false. */
  skipPersistence?: boolean;
  /** Run only this check (one of {@link CONFORMANCE_CHECKS}); the others are skipped. */
  only?: string;
}

/** The names of the conformance checks, in the order they run (each is one test id in the sweep). */
export const CONFORMANCE_CHECKS = [
  'declares its kind',
  'fit raises for a scoring-only detector',
  'is unfitted before fit',
  'fit returns the detector',
  'scores are a finite Float32Array of length n',
  'predict gives 0/1 labels at the threshold',
  'predictProba matches hasProbability',
  'separates the easy anomalies (AUROC floor)',
  'scores rows independently (permutation, single rows)',
  'accepts number[][] as well as a Matrix',
  'wrong feature count raises',
  'NaN and Infinity raise',
  'empty and ragged input raise',
  'bad labels raise',
  'same seed, same scores',
  'different seeds, different scores',
  'clone is unfitted with equal params',
  'getParams returns a copy; setParams validates',
  'abort stops fit with AbortError and leaves the detector as it was',
  'save/load round-trips to identical scores',
] as const;

/** Gives a new detector; `params` (such as `{ seed }`) override the factory's own. */
export type DetectorFactory = (params?: Params) => Detector;

/**
 * The conformance suite every detector passes, in the spirit of scikit-learn's estimator checks: fit
 * returns the detector; scores, probabilities and labels have the right types, lengths and ranges; a seed
 * makes fits repeatable (and different seeds differ, where the detector is random); clone is unfitted with
 * equal params; wrong feature count, NaN, empty input, bad labels and unfitted use raise the right typed
 * errors; save/load round-trips to identical scores; an abort after the first progress event stops fit
 * with an AbortError and leaves the detector as it was.
 *
 * It throws an `AggregateError` naming every failed check, and resolves to the names of the checks run.
 *
 * @example
 * import { checkDetector } from '@abc/core/testing';
 * it('conforms', () => checkDetector((p) => new MyDetector({ epochs: 3, ...p }), { random: true }));
 */
export async function checkDetector(factory: DetectorFactory, options: CheckOptions = {}): Promise<string[]> {
  const data = options.data ?? makeCheckData();
  const failures: Error[] = [];
  const ran: string[] = [];
  if (options.only !== undefined && !(CONFORMANCE_CHECKS as readonly string[]).includes(options.only)) {
    throw new ValidationError(
      'param',
      `checkDetector: unknown check "${options.only}"; checks: ${CONFORMANCE_CHECKS.join('; ')}`,
    );
  }
  const check = async (name: (typeof CONFORMANCE_CHECKS)[number], fn: () => Promise<void> | void) => {
    if (options.only !== undefined && name !== options.only) return;
    ran.push(name);
    try {
      await fn();
    } catch (e) {
      const err = new Error(`${name}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
      failures.push(err);
    }
  };
  const probe = factory();
  const supervised = probe.supervision === 'supervised';
  const fitY = supervised ? data.y : undefined;
  // Unsupervised detectors learn from the normal rows only (the paper's setting 1), so a dense cluster of
  // known anomalies in the training data does not count against them.
  const trainX = supervised
    ? data.X
    : takeRows(
        data.X,
        Array.from(data.y.keys()).filter((i) => data.y[i] === 0),
      );

  const fitFresh = async (params?: Params): Promise<Detector> => {
    const d = factory(params);
    if (!options.scoringOnly) await d.fit(trainX, fitY);
    return d;
  };

  await check('declares its kind', () => {
    assert(typeof probe.name === 'string' && probe.name.length > 0, 'name is empty');
    assert(probe.supervision === 'supervised' || probe.supervision === 'unsupervised', `supervision is ${probe.supervision}`);
    assert(typeof probe.hasProbability === 'boolean', 'hasProbability is not a boolean');
  });

  if (options.scoringOnly) {
    await check('fit raises for a scoring-only detector', async () => {
      await expectError(() => probe.fit(data.X, data.y), Error, 'fit');
    });
  } else {
    await check('is unfitted before fit', async () => {
      const d = factory();
      assert(!d.fitted, 'fitted is true before fit');
      await expectError(() => d.scoreSamples(data.Xtest), NotFittedError, 'scoreSamples before fit');
      await expectError(() => d.predict(data.Xtest), NotFittedError, 'predict before fit');
    });
    await check('fit returns the detector', async () => {
      const d = factory();
      const r = await d.fit(trainX, fitY);
      assert(r === d, 'fit did not resolve to the detector itself');
      assert(d.fitted, 'fitted is false after fit');
      assert(d.nFeatures === trainX.cols, `nFeatures is ${d.nFeatures}, expected ${trainX.cols}`);
      assert(typeof d.threshold === 'number' && Number.isFinite(d.threshold), `threshold is ${d.threshold}`);
    });
  }

  const fitted = await fitFresh().catch((e) => {
    failures.push(new Error(`fit on the check data: ${(e as Error).message}`, { cause: e }));
    return null;
  });
  if (fitted === null) throw new AggregateError(failures, summary(probe.name, failures));

  await check('scores are a finite Float32Array of length n', async () => {
    const s = await fitted.scoreSamples(data.Xtest);
    assert(s instanceof Float32Array, `scoreSamples gave ${s?.constructor?.name}`);
    assert(s.length === data.Xtest.rows, `length ${s.length}, expected ${data.Xtest.rows}`);
    assert(s.every(Number.isFinite), 'a score is not finite');
  });

  await check('predict gives 0/1 labels at the threshold', async () => {
    const s = await fitted.scoreSamples(data.Xtest);
    const p = await fitted.predict(data.Xtest);
    assert(p instanceof Uint8Array, `predict gave ${p?.constructor?.name}`);
    assert(p.length === data.Xtest.rows, `length ${p.length}`);
    for (let i = 0; i < p.length; i++) {
      assert(
        p[i] === (s[i] > fitted.threshold! ? 1 : 0),
        `row ${i}: label ${p[i]} but score ${s[i]} vs threshold ${fitted.threshold}`,
      );
    }
  });

  await check('predictProba matches hasProbability', async () => {
    if (fitted.hasProbability) {
      const p = await fitted.predictProba(data.Xtest);
      assert(p instanceof Float32Array && p.length === data.Xtest.rows, 'wrong type or length');
      assert(
        p.every((v) => v >= 0 && v <= 1),
        'a probability is outside [0, 1]',
      );
    } else {
      await expectValidation(() => fitted.predictProba(data.Xtest), 'type');
    }
  });

  if (options.minAuroc !== null) {
    const floor = options.minAuroc ?? 0.8;
    await check('separates the easy anomalies (AUROC floor)', async () => {
      const a = auroc(await fitted.scoreSamples(data.Xtest), data.ytest);
      assert(a >= floor, `AUROC ${a.toFixed(3)} below ${floor}`);
    });
  }

  await check('scores rows independently (permutation, single rows)', async () => {
    const s = await fitted.scoreSamples(data.Xtest);
    const order = new Random(7).permutation(data.Xtest.rows);
    const sp = await fitted.scoreSamples(takeRows(data.Xtest, order));
    for (let k = 0; k < order.length; k++) {
      assert(close(sp[k], s[order[k]]), `permuted row ${k}: ${sp[k]} vs ${s[order[k]]}`);
    }
    const one = await fitted.scoreSamples(takeRows(data.Xtest, [3]));
    assert(one.length === 1 && close(one[0], s[3]), `single row 3: ${one[0]} vs ${s[3]}`);
  });

  await check('accepts number[][] as well as a Matrix', async () => {
    const rows = Array.from({ length: 4 }, (_, i) =>
      Array.from(data.Xtest.data.subarray(i * data.Xtest.cols, (i + 1) * data.Xtest.cols)),
    );
    const a = await fitted.scoreSamples(rows);
    const b = await fitted.scoreSamples(takeRows(data.Xtest, [0, 1, 2, 3]));
    for (let i = 0; i < 4; i++) assert(a[i] === b[i], `row ${i}: ${a[i]} vs ${b[i]}`);
  });

  await check('wrong feature count raises', async () => {
    const wide = matrix(new Float32Array(data.Xtest.rows * (data.Xtest.cols + 1)), data.Xtest.rows, data.Xtest.cols + 1);
    await expectValidation(() => fitted.scoreSamples(wide), 'feature-count');
  });

  await check('NaN and Infinity raise', async () => {
    const bad = matrix(Float32Array.from(data.Xtest.data), data.Xtest.rows, data.Xtest.cols);
    bad.data[1] = NaN;
    await expectValidation(() => fitted.scoreSamples(bad), 'non-finite');
    bad.data[1] = Infinity;
    await expectValidation(() => fitted.scoreSamples(bad), 'non-finite');
    if (!options.scoringOnly) {
      const badTrain = matrix(Float32Array.from(data.X.data), data.X.rows, data.X.cols);
      badTrain.data[5] = NaN;
      await expectValidation(() => factory().fit(badTrain, fitY), 'non-finite');
    }
  });

  await check('empty and ragged input raise', async () => {
    await expectValidation(() => fitted.scoreSamples([]), 'empty');
    await expectValidation(() => fitted.scoreSamples([[1, 2], [1]]), 'ragged');
    if (!options.scoringOnly) await expectValidation(() => factory().fit([], fitY), 'empty');
  });

  if (!options.scoringOnly) {
    await check('bad labels raise', async () => {
      const y3 = Uint8Array.from(data.y);
      y3[0] = 2;
      await expectValidation(() => factory().fit(data.X, y3), 'labels');
      await expectValidation(() => factory().fit(data.X, data.y.subarray(1)), 'label-length');
      if (supervised) await expectValidation(() => factory().fit(data.X), 'labels');
    });

    await check('same seed, same scores', async () => {
      const a = await (await fitFresh({ seed: 11 })).scoreSamples(data.Xtest);
      const b = await (await fitFresh({ seed: 11 })).scoreSamples(data.Xtest);
      for (let i = 0; i < a.length; i++) assert(Object.is(a[i], b[i]), `row ${i}: ${a[i]} vs ${b[i]}`);
    });

    if (options.random) {
      await check('different seeds, different scores', async () => {
        const a = await (await fitFresh({ seed: 11 })).scoreSamples(data.Xtest);
        const b = await (await fitFresh({ seed: 12 })).scoreSamples(data.Xtest);
        assert(
          a.some((v, i) => v !== b[i]),
          'seeds 11 and 12 gave identical scores',
        );
      });
    }

    await check('clone is unfitted with equal params', async () => {
      const c = fitted.clone();
      assert(!c.fitted, 'clone of a fitted detector is fitted');
      assert(c !== fitted, 'clone returned the same object');
      assert(deepEqual(c.getParams(), fitted.getParams()), 'clone params differ');
      assert(c.name === fitted.name, 'clone has another name');
    });

    await check('getParams returns a copy; setParams validates', async () => {
      const d = factory();
      const p = d.getParams();
      assert('seed' in p, 'no seed param');
      (p as Record<string, unknown>).seed = 987654;
      assert(d.getParams().seed !== 987654, 'mutating getParams() changed the detector');
      await expectValidation(() => d.setParams({ noSuchParam__: 1 } as Params), 'param');
      d.setParams({ seed: 5 });
      assert(d.getParams().seed === 5, 'setParams did not set seed');
    });

    await check('abort stops fit with AbortError and leaves the detector as it was', async () => {
      const pre = new AbortController();
      pre.abort();
      const d = factory();
      await expectError(() => d.fit(trainX, fitY, { signal: pre.signal }), AbortError, 'fit with an aborted signal');
      assert(!d.fitted, 'detector is fitted after an aborted fit');
      let emitted = 0;
      if (options.progress !== false) await factory().fit(trainX, fitY, { onProgress: () => emitted++ });
      if (options.progress === true && emitted === 0) throw new Error('fit emitted no progress event');
      if (emitted > 0) {
        // A fitted detector that is refitted and aborted after the first event keeps its old model.
        const e = await fitFresh();
        const before = await e.scoreSamples(data.Xtest);
        const ctrl = new AbortController();
        let events = 0;
        const onProgress = () => {
          events++;
          ctrl.abort();
        };
        await expectError(
          () => e.fit(trainX, fitY, { signal: ctrl.signal, onProgress }),
          AbortError,
          'fit aborted after the first progress event',
        );
        assert(events >= 1, 'fit emitted no progress event');
        assert(events === 1, `fit went on after the abort (${events} events)`);
        assert(e.fitted, 'an aborted refit unfitted the detector');
        const after = await e.scoreSamples(data.Xtest);
        assert(
          after.every((v, i) => Object.is(v, before[i])),
          'an aborted refit changed the scores',
        );
        const f = factory();
        const c2 = new AbortController();
        await expectError(
          () => f.fit(trainX, fitY, { signal: c2.signal, onProgress: () => c2.abort() }),
          AbortError,
          'first fit aborted',
        );
        assert(!f.fitted, 'a detector whose first fit was aborted is fitted');
      }
    });
  }

  if (!options.skipPersistence) {
    await check('save/load round-trips to identical scores', async () => {
      if (!(fitted instanceof Pipeline)) {
        const entry = getDetectorEntry(fitted.name);
        assert(entry.supervision === fitted.supervision, `registry says ${entry.supervision}`);
      }
      const bytes = await serialize(fitted);
      const loaded = await deserialize(bytes);
      assert(loaded.name === fitted.name, `loaded a ${loaded.name}`);
      assert(loaded.threshold === fitted.threshold, `threshold ${loaded.threshold} vs ${fitted.threshold}`);
      assert(deepEqual(loaded.getParams(), fitted.getParams()), 'params differ after load');
      const a = await fitted.scoreSamples(data.Xtest);
      const b = await loaded.scoreSamples(data.Xtest);
      for (let i = 0; i < a.length; i++) assert(Object.is(a[i], b[i]), `row ${i}: ${a[i]} vs ${b[i]} after load`);
    });
  }

  if (failures.length > 0) throw new AggregateError(failures, summary(probe.name, failures));
  return ran;
}

function summary(name: string, failures: Error[]): string {
  return `${name} failed ${failures.length} conformance check(s):\n- ${failures.map((f) => f.message).join('\n- ')}`;
}

/** Easy two-class data: normals around the origin, known anomalies around (3.5, 3.5). */
export function makeCheckData(seed = 12345): CheckData {
  const rng = new Random(seed);
  const make = (nNormal: number, nAnomaly: number) => {
    const n = nNormal + nAnomaly;
    const X = new Float32Array(n * 2);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const anomaly = i >= nNormal;
      y[i] = anomaly ? 1 : 0;
      X[2 * i] = anomaly ? rng.normal(3.5, 0.5) : rng.normal(0, 1);
      X[2 * i + 1] = anomaly ? rng.normal(3.5, 0.5) : rng.normal(0, 1);
    }
    const order = rng.permutation(n);
    return { X: takeRows(matrix(X, n, 2), order), y: Uint8Array.from(order, (i) => y[i]) };
  };
  const train = make(160, 40);
  const test = make(60, 20);
  return { X: train.X, y: train.y, Xtest: test.X, ytest: test.y };
}

function auroc(scores: Float32Array, labels: Uint8Array): number {
  let pos = 0;
  let neg = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!labels[i]) continue;
    pos++;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j]) continue;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  for (let j = 0; j < labels.length; j++) if (!labels[j]) neg++;
  return wins / (pos * neg);
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b));
}

function assert(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

async function expectError(fn: () => unknown, type: abstract new (...args: never[]) => Error, what: string): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw new Error(`${what} raised ${(e as Error)?.name}: ${(e as Error)?.message}, expected ${type.name}`);
  }
  throw new Error(`${what} did not raise ${type.name}`);
}

async function expectValidation(fn: () => unknown, reason: ValidationError['reason']): Promise<void> {
  const e = (await expectError(fn, ValidationError, `expected ValidationError(${reason})`)) as ValidationError;
  if (e.reason !== reason) throw new Error(`ValidationError reason was "${e.reason}" (${e.message}), expected "${reason}"`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One conformance check of one registered detector: a test id and how to run it. */
export interface ConformanceCase {
  /** `detector › check`, unique across the sweep. */
  readonly id: string;
  readonly detector: string;
  readonly check: (typeof CONFORMANCE_CHECKS)[number];
  /** Runs the check on a fresh detector made from the registry with its declared quick params. */
  run(): Promise<void>;
}

/** Options of {@link detectorConformanceCases}. */
export interface ConformanceSweepOptions {
  /** Only these registered detectors (default: every registered one). */
  detectors?: readonly string[];
  /** Leave these out (e.g. a detector a package tests on its own data). */
  exclude?: readonly string[];
  /** Per-detector check options (`random`, `minAuroc`, ...). */
  options?: (name: string) => CheckOptions;
}

/**
 * The conformance sweep as test cases, one per check per registered detector (as scikit-learn's
 * `parametrize_with_checks`): each makes its detector through the registry with the declared `quickParams`
 * and runs one check of {@link checkDetector} (which throws its `AggregateError` on failure). Checks that do
 * not apply to a detector (labels for an unsupervised one, a second seed for a deterministic one) are left out.
 *
 * @example
 * import '@abc/models';
 * it.each(detectorConformanceCases().map((c) => [c.id, c] as const))('%s', (_id, c) => c.run());
 */
export function detectorConformanceCases(sweep: ConformanceSweepOptions = {}): ConformanceCase[] {
  const names = sweep.detectors ?? listDetectors().map((e) => e.name);
  const cases: ConformanceCase[] = [];
  for (const name of names) {
    if (sweep.exclude?.includes(name)) continue;
    const entry = getDetectorEntry(name);
    const options = sweep.options?.(name) ?? {};
    const factory: DetectorFactory = (params) => createDetector(name, { ...(entry.quickParams ?? {}), ...(params ?? {}) });
    const applies = (check: (typeof CONFORMANCE_CHECKS)[number]): boolean => {
      if (check === 'fit raises for a scoring-only detector') return Boolean(options.scoringOnly);
      if (check === 'bad labels raise') return entry.supervision === 'supervised';
      if (check === 'different seeds, different scores') return Boolean(options.random);
      if (check === 'separates the easy anomalies (AUROC floor)') return options.minAuroc !== null;
      if (check === 'save/load round-trips to identical scores') return !options.skipPersistence;
      return true;
    };
    for (const check of CONFORMANCE_CHECKS) {
      if (!applies(check)) continue;
      cases.push({
        id: `${name} › ${check}`,
        detector: name,
        check,
        run: async () => {
          await checkDetector(factory, { ...options, only: check });
        },
      });
    }
  }
  return cases;
}

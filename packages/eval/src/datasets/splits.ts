import { matrix, Random, takeRows, ValidationError, type Matrix } from '@abc/core';
import type { CifarData } from './cifar.js';
import { KDD_KNOWN_LABELS, KDD_R2L_LABELS, type KddData } from './kdd.js';
import type { MnistData } from './mnist.js';

/** Where a split's test set comes from (the `testSet` field of experiment records). */
export type TestSet = 'exact' | 'lossy-jpeg' | 'holdout' | 'generated';

/**
 * A dataset split as the paper's protocols use it: normals and known anomalies to train on; normals, known
 * and unknown anomalies to test on.
 */
export interface PaperSplit {
  readonly train: { readonly normal: Matrix; readonly known: Matrix };
  readonly test: { readonly normal: Matrix; readonly known: Matrix; readonly unknown: Matrix };
  /** `exact` unless the test images are lossy copies or were held out from the training images. */
  readonly testSet: TestSet;
}

/** Rows of X whose class is in `classes`, in order. */
function rowsOf<T>(labels: ArrayLike<T>, classes: readonly T[]): number[] {
  const set = new Set(classes);
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) if (set.has(labels[i])) out.push(i);
  return out;
}

function checkDisjoint<T>(groups: Record<string, readonly T[]>, who: string): void {
  const seen = new Map<T, string>();
  for (const [group, classes] of Object.entries(groups)) {
    for (const c of classes) {
      const other = seen.get(c);
      if (other !== undefined) {
        throw new ValidationError('param', `${who}: class ${String(c)} is in both ${other} and ${group}`);
      }
      seen.set(c, group);
    }
  }
}

/** Options of {@link mnistSplit}. */
export interface MnistSplitOptions {
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** Default [1, 3, 5, 7, 9]. */
  normal?: readonly number[];
  /** Default [0, 2, 6, 8]. */
  known?: readonly number[];
  /** Default [4]. */
  unknown?: readonly number[];
  /** Share of the normals and of the known anomalies that go to training (default 0.5). */
  trainFraction?: number;
}

/**
 * The paper's MNIST split: the 70,000 images of both official parts are pooled; the normal digits (1, 3, 5,
 * 7, 9) and the known-anomaly digits (0, 2, 6, 8) are each shuffled with `seed` and split in half between
 * training and test; every image of the unknown digit (4) goes to the test set. With the official files
 * this gives the paper's Table 1 sizes exactly: 17,791 / 13,797 train, 17,791 / 13,797 / 6,824 test.
 *
 * @example
 * const split = mnistSplit(parseMnist(files), { seed: 1 });
 * split.train.normal.rows;   // 17791
 */
export function mnistSplit(data: MnistData, options: MnistSplitOptions = {}): PaperSplit {
  const normal = options.normal ?? [1, 3, 5, 7, 9];
  const known = options.known ?? [0, 2, 6, 8];
  const unknown = options.unknown ?? [4];
  const fraction = options.trainFraction ?? 0.5;
  if (!(fraction > 0 && fraction < 1)) {
    throw new ValidationError('param', `mnistSplit: trainFraction must be in (0, 1), got ${fraction}`);
  }
  checkDisjoint({ normal, known, unknown }, 'mnistSplit');
  const { train, test } = data;
  if (train.X.cols !== test.X.cols) {
    throw new ValidationError('shape', `mnistSplit: train images have ${train.X.cols} pixels but test images ${test.X.cols}`);
  }
  // Pool the two parts without copying them: global row g is train row g, or test row g − train.X.rows.
  const nTrainRows = train.X.rows;
  const labels = new Uint8Array(nTrainRows + test.X.rows);
  labels.set(train.labels, 0);
  labels.set(test.labels, nTrainRows);
  const cols = train.X.cols;
  const gather = (idx: readonly number[]): Matrix => {
    const out = new Float32Array(idx.length * cols);
    idx.forEach((g, k) => {
      const src = g < nTrainRows ? train.X.data : test.X.data;
      const r = g < nTrainRows ? g : g - nTrainRows;
      out.set(src.subarray(r * cols, (r + 1) * cols), k * cols);
    });
    return matrix(out, idx.length, cols);
  };
  const rng = new Random(options.seed ?? 0);
  const halves = (classes: readonly number[]): [Matrix, Matrix] => {
    const idx = rowsOf(labels, classes);
    rng.shuffle(idx);
    const nTrain = Math.round(idx.length * fraction);
    return [gather(idx.slice(0, nTrain)), gather(idx.slice(nTrain))];
  };
  const [trainNormal, testNormal] = halves(normal);
  const [trainKnown, testKnown] = halves(known);
  const testUnknown = gather(rowsOf(labels, unknown));
  return {
    train: { normal: trainNormal, known: trainKnown },
    test: { normal: testNormal, known: testKnown, unknown: testUnknown },
    testSet: 'exact',
  };
}

/** Options of {@link kddSplit}. */
export interface KddSplitOptions {
  /** Normal label (default 'normal'). */
  normal?: readonly string[];
  /** Known anomaly labels (default ['neptune']). */
  known?: readonly string[];
  /** Unknown anomaly labels (default the R2L attacks, {@link KDD_R2L_LABELS}). */
  unknown?: readonly string[];
}

/**
 * The paper's KDD Cup '99 split from the parsed (deduplicated) '10 percent' file for training and 'corrected'
 * file for testing: normals and neptune rows of the training file; normals, neptune rows and R2L rows of the
 * test file. Measured with the UCI files: 87,721 / 47,869 train; 47,905 / 17,797 / 2,913 test (the paper's
 * 2,926 unknowns are 13 more: exactly the 13 deduplicated `xterm` rows, a U2R attack, so the paper's list
 * probably included it; pass `unknown: [...KDD_R2L_LABELS, 'xterm']` to reproduce that count).
 *
 * @example
 * const split = kddSplit(parseKdd(trainBytes), parseKdd(testBytes));
 * split.test.unknown.rows;   // 2913
 */
export function kddSplit(train: KddData, test: KddData, options: KddSplitOptions = {}): PaperSplit {
  const normal = options.normal ?? ['normal'];
  const known = options.known ?? KDD_KNOWN_LABELS;
  const unknown = options.unknown ?? KDD_R2L_LABELS;
  checkDisjoint({ normal, known, unknown }, 'kddSplit');
  return {
    train: {
      normal: takeRows(train.X, rowsOf(train.labels, normal)),
      known: takeRows(train.X, rowsOf(train.labels, known)),
    },
    test: {
      normal: takeRows(test.X, rowsOf(test.labels, normal)),
      known: takeRows(test.X, rowsOf(test.labels, known)),
      unknown: takeRows(test.X, rowsOf(test.labels, unknown)),
    },
    testSet: 'exact',
  };
}

/** Options of {@link cifarSplit}. */
export interface CifarSplitOptions {
  /** Normal class id (default 1, automobile). */
  normal?: number;
  /** Known anomaly class id (default 9, truck). */
  known?: number;
  /** Unknown anomaly class id (default 5, dog). */
  unknown?: number;
  /** Seed of the hold-out draw (default 0); used only when there is no test data. */
  seed?: number;
  /** Images per class held out as the test set when there is no test data (default 1,000, as the paper's test). */
  holdoutPerClass?: number;
}

/**
 * The paper's CIFAR-10 split: automobiles are normal, trucks known anomalies, dogs unknown anomalies.
 * With `test` data, training uses every automobile and truck image of `train` and the test set every
 * automobile, truck and dog of `test`, and `testSet` is what the caller says the test data is (`exact` for
 * the original test_batch, `lossy-jpeg` for the JPEG-decoded fallback). With `test` null, `holdoutPerClass`
 * images of each of the three classes are drawn (seeded) from the training images as the test set, the rest
 * of the automobiles and trucks train, and `testSet` is `holdout` (4,000 / 4,000 / 1,000 / 1,000 / 1,000).
 *
 * @example
 * const split = cifarSplit(parseCifar(trainBytes), parseCifar(lossyBytes), 'lossy-jpeg');
 * const heldOut = cifarSplit(parseCifar(trainBytes), null, 'holdout', { seed: 3 });
 */
export function cifarSplit(
  train: CifarData,
  test: CifarData | null,
  testSet: TestSet,
  options: CifarSplitOptions = {},
): PaperSplit {
  const normal = options.normal ?? 1;
  const known = options.known ?? 9;
  const unknown = options.unknown ?? 5;
  checkDisjoint({ normal: [normal], known: [known], unknown: [unknown] }, 'cifarSplit');
  if (test) {
    if (testSet === 'holdout') throw new ValidationError('param', "cifarSplit: testSet 'holdout' takes test = null");
    return {
      train: {
        normal: takeRows(train.X, rowsOf(train.labels, [normal])),
        known: takeRows(train.X, rowsOf(train.labels, [known])),
      },
      test: {
        normal: takeRows(test.X, rowsOf(test.labels, [normal])),
        known: takeRows(test.X, rowsOf(test.labels, [known])),
        unknown: takeRows(test.X, rowsOf(test.labels, [unknown])),
      },
      testSet,
    };
  }
  if (testSet !== 'holdout') {
    throw new ValidationError('param', `cifarSplit: without test data the test set is a hold-out; got testSet '${testSet}'`);
  }
  const perClass = options.holdoutPerClass ?? 1000;
  const rng = new Random(options.seed ?? 0);
  const draw = (cls: number): { rest: Matrix; held: Matrix } => {
    const idx = rowsOf(train.labels, [cls]);
    if (perClass < 1 || perClass > idx.length) {
      throw new ValidationError(
        'param',
        `cifarSplit: holdoutPerClass ${perClass} but class ${cls} has ${idx.length} training images`,
      );
    }
    const chosen = rng.sample(idx.length, perClass);
    const heldMask = new Uint8Array(idx.length);
    for (const k of chosen) heldMask[k] = 1;
    const held = idx.filter((_, k) => heldMask[k] === 1);
    const rest = idx.filter((_, k) => heldMask[k] === 0);
    return { rest: takeRows(train.X, rest), held: takeRows(train.X, held) };
  };
  const n = draw(normal);
  const k = draw(known);
  const u = draw(unknown);
  return {
    train: { normal: n.rest, known: k.rest },
    test: { normal: n.held, known: k.held, unknown: u.held },
    testSet: 'holdout',
  };
}

import { Random, takeRows, ValidationError, vstack, type Matrix } from '@abc/core';
import type { PaperSplit } from '../datasets/splits.js';
import { makeToyData } from '../datasets/toy.js';
import type { Setting } from './records.js';

/** The paper's dataset names as the CLI and the records spell them. */
export const DATASET_NAMES = ['toy2d', 'mnist', 'kdd99', 'cifar10'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The report's names of the datasets (the paper's). */
export const DATASET_LABELS: Readonly<Record<string, string>> = {
  toy2d: '2D-Toy',
  mnist: 'MNIST',
  kdd99: "KDD'99",
  cifar10: 'CIFAR-10',
};

/** Setting 3's numbers of known anomalies in training (the paper's Figure 4); `'all'` keeps them all. */
export const SETTING3_KNOWN_COUNTS: readonly (number | 'all')[] = [10, 50, 100, 500, 1000, 5000, 'all'];

/** Unknown anomalies mixed into the training normals in setting 2 (the paper's 100). */
export const SETTING2_UNKNOWN = 100;

/** The rows of the five parts of a split: Table 1's columns. */
export interface SplitSizes {
  trainNormal: number;
  trainKnown: number;
  testNormal: number;
  testKnown: number;
  testUnknown: number;
}

/** Table 1 of the paper: D and the sizes of the five parts per dataset. */
export const PAPER_TABLE1: Readonly<Record<DatasetName, SplitSizes & { D: number }>> = {
  toy2d: { D: 2, trainNormal: 10000, trainKnown: 10000, testNormal: 10000, testKnown: 10000, testUnknown: 10000 },
  mnist: { D: 784, trainNormal: 17791, trainKnown: 13797, testNormal: 17791, testKnown: 13797, testUnknown: 6824 },
  kdd99: { D: 38, trainNormal: 87721, trainKnown: 47869, testNormal: 47905, testKnown: 17797, testUnknown: 2926 },
  cifar10: { D: 3072, trainNormal: 5000, trainKnown: 5000, testNormal: 1000, testKnown: 1000, testUnknown: 1000 },
};

/**
 * The sizes of a split's parts.
 *
 * @example
 * splitSizes(toySplit(10000, 0));   // { trainNormal: 10000, trainKnown: 10000, testNormal: 10000, … }
 */
export function splitSizes(split: PaperSplit): SplitSizes {
  return {
    trainNormal: split.train.normal.rows,
    trainKnown: split.train.known.rows,
    testNormal: split.test.normal.rows,
    testKnown: split.test.known.rows,
    testUnknown: split.test.unknown.rows,
  };
}

/**
 * The 2D-Toy split of a run: training normals and known anomalies from one draw of {@link makeToyData}
 * (seed `2·seed + 1`), the three test sets from another (seed `2·seed + 2`), `size` rows each (the paper's
 * 10,000 by default). The test set is `generated`.
 *
 * @example
 * const split = toySplit(10000, 0);
 * split.test.unknown.rows;   // 10000
 */
export function toySplit(size = 10000, seed = 0): PaperSplit {
  const train = makeToyData({ nPerClass: size, seed: 2 * seed + 1 });
  const test = makeToyData({ nPerClass: size, seed: 2 * seed + 2 });
  return {
    train: { normal: train.normal, known: train.known },
    test: { normal: test.normal, known: test.known, unknown: test.unknown },
    testSet: 'generated',
  };
}

/** Independent streams for the protocol's random choices, derived from the run's seed. */
function streamSeed(seed: number, stream: number): number {
  return (seed * 1_000_003 + stream * 7919 + 17) % 2 ** 31;
}

/**
 * A copy of a split with each of its five parts cut to at most `maxRows` rows (a seeded random subset, kept
 * in the original order): the reduced sizes of quick checks and tests. Parts already that small are kept.
 *
 * @example
 * const small = subsampleSplit(split, 300, 1);   // every part at most 300 rows
 */
export function subsampleSplit(split: PaperSplit, maxRows: number, seed = 0): PaperSplit {
  if (!(Number.isInteger(maxRows) && maxRows >= 1)) {
    throw new ValidationError('param', `subsampleSplit: maxRows must be a positive integer, got ${maxRows}`);
  }
  const rng = new Random(streamSeed(seed, 1));
  const cut = (m: Matrix): Matrix => {
    if (m.rows <= maxRows) return m;
    const idx = Array.from(rng.sample(m.rows, maxRows)).sort((a, b) => a - b);
    return takeRows(m, idx);
  };
  return {
    train: { normal: cut(split.train.normal), known: cut(split.train.known) },
    test: { normal: cut(split.test.normal), known: cut(split.test.known), unknown: cut(split.test.unknown) },
    testSet: split.testSet,
  };
}

/** What one run of a setting trains and tests on. */
export interface SettingData {
  readonly setting: Setting;
  /** Training normals (label 0); in setting 2 the last `contamination` rows are unknown anomalies. */
  readonly trainNormal: Matrix;
  /** Training known anomalies (label 1): all of them, or setting 3's cut. */
  readonly trainKnown: Matrix;
  /** Unknown anomalies among the training normals (100 in setting 2, else 0). */
  readonly contamination: number;
  readonly test: PaperSplit['test'];
  readonly testSet: PaperSplit['testSet'];
}

/** Options of {@link settingData}. */
export interface SettingOptions {
  /** The run's seed: picks setting 2's unknown anomalies and setting 3's subset of known anomalies. */
  seed?: number;
  /** Setting 3: known anomalies kept in training (a number, or `'all'`). Ignored by settings 1 and 2. */
  nKnown?: number | 'all';
  /** Setting 2: unknown anomalies moved into the training normals (default 100, the paper's). */
  setting2Unknown?: number;
}

/**
 * The training and test sets of one run of a setting, from a dataset split.
 * - Setting 1: train on the split's normals and known anomalies; test on normals, known and unknown anomalies.
 *   Unknown anomalies appear only in the test set.
 * - Setting 2: as setting 1, but 100 unknown anomalies (drawn with the seed from the test unknowns) are
 *   appended to the training normals, labelled normal, and removed from the test set ("the remaining unknown
 *   anomalies were used for test").
 * - Setting 3: as setting 1 with the training known anomalies cut to `nKnown` (a seeded subset; the subsets of
 *   one seed are nested: the 10 are among the 50, …). The test set is setting 1's.
 *
 * @example
 * const s2 = settingData(split, 2, { seed: 1 });
 * s2.contamination;                 // 100
 * settingData(split, 3, { seed: 1, nKnown: 50 }).trainKnown.rows;   // 50
 */
export function settingData(split: PaperSplit, setting: Setting, options: SettingOptions = {}): SettingData {
  const seed = options.seed ?? 0;
  const base = { test: split.test, testSet: split.testSet };
  if (setting === 1) {
    return { setting, trainNormal: split.train.normal, trainKnown: split.train.known, contamination: 0, ...base };
  }
  if (setting === 2) {
    const k = options.setting2Unknown ?? SETTING2_UNKNOWN;
    const unknown = split.test.unknown;
    if (!(Number.isInteger(k) && k >= 1))
      throw new ValidationError('param', `setting 2: setting2Unknown must be a positive integer, got ${k}`);
    if (unknown.rows <= k) {
      throw new ValidationError(
        'param',
        `setting 2 moves ${k} unknown anomalies into training and tests on the rest, but the split has only ${unknown.rows}`,
      );
    }
    const rng = new Random(streamSeed(seed, 2));
    const chosen = new Uint8Array(unknown.rows);
    for (const i of rng.sample(unknown.rows, k)) chosen[i] = 1;
    const moved: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < unknown.rows; i++) (chosen[i] ? moved : kept).push(i);
    return {
      setting,
      trainNormal: vstack([split.train.normal, takeRows(unknown, moved)]),
      trainKnown: split.train.known,
      contamination: k,
      test: { normal: split.test.normal, known: split.test.known, unknown: takeRows(unknown, kept) },
      testSet: split.testSet,
    };
  }
  if (setting === 3) {
    const all = split.train.known;
    const want = options.nKnown ?? 'all';
    if (want === 'all' || want >= all.rows) {
      return { setting, trainNormal: split.train.normal, trainKnown: all, contamination: 0, ...base };
    }
    if (!(Number.isInteger(want) && want >= 1)) {
      throw new ValidationError('param', `setting 3: nKnown must be a positive integer or 'all', got ${String(want)}`);
    }
    const order = new Random(streamSeed(seed, 3)).permutation(all.rows);
    const idx = Array.from(order.subarray(0, want)).sort((a, b) => a - b);
    return { setting, trainNormal: split.train.normal, trainKnown: takeRows(all, idx), contamination: 0, ...base };
  }
  throw new ValidationError('param', `setting must be 1, 2 or 3, got ${String(setting)}`);
}

/**
 * Setting 3's distinct numbers of known anomalies for a split with `available` of them: each asked count
 * cut to `available` (so a count at or above it is the same run as `'all'`), duplicates dropped, ascending.
 *
 * @example
 * setting3Counts([10, 50, 100, 'all'], 60);   // [10, 50, 60]
 */
export function setting3Counts(levels: readonly (number | 'all')[], available: number): number[] {
  const out = new Set<number>();
  for (const l of levels) out.add(l === 'all' ? available : Math.min(l, available));
  return [...out].filter((n) => n >= 1).sort((a, b) => a - b);
}

import { parseKdd, type KddData, type ParseKddOptions } from '../datasets/kdd.js';
import { kddSplit, type KddSplitOptions, type PaperSplit } from '../datasets/splits.js';
import { collectWarnings, readDataFile, requireDataFile, type LoadOptions } from './files.js';

const SUBDIRS = ['kddcup99', 'kdd', 'kddcup'];
const TRAIN_NAMES = ['kddcup.data_10_percent', 'kddcup.data_10_percent_corrected', 'kddcup.data_10_percent.csv'];
const TEST_NAMES = ['corrected', 'corrected.csv'];

/** KDD Cup '99 as loaded from files: the parsed training ('10 percent') and test ('corrected') files. */
export interface LoadedKdd {
  readonly train: KddData;
  readonly test: KddData;
  readonly warnings: string[];
  readonly files: { train: string; test: string };
}

/**
 * Loads the KDD Cup '99 '10 percent' training file and the labelled 'corrected' test file (gzipped or not)
 * from a folder holding them, or from a parent holding them in `kddcup99/`, with the paper's preprocessing
 * ({@link parseKdd}: 38 numeric features, exact duplicates dropped unless `dedup: false`).
 *
 * @example
 * const kdd = await loadKdd('data');
 * kdd.train.X.cols;   // 38
 */
export async function loadKdd(dir: string, options: LoadOptions & Pick<ParseKddOptions, 'dedup'> = {}): Promise<LoadedKdd> {
  const files = {
    train: await requireDataFile(dir, TRAIN_NAMES, SUBDIRS, "KDD Cup '99 training ('10 percent')"),
    test: await requireDataFile(dir, TEST_NAMES, SUBDIRS, "KDD Cup '99 test ('corrected')"),
  };
  const [trainFile, testFile] = await Promise.all([readDataFile(files.train, options), readDataFile(files.test, options)]);
  return {
    train: parseKdd(trainFile.bytes, { name: files.train, dedup: options.dedup }),
    test: parseKdd(testFile.bytes, { name: files.test, dedup: options.dedup }),
    warnings: collectWarnings([trainFile, testFile]),
    files,
  };
}

/**
 * Loads KDD Cup '99 and returns the paper's split ({@link kddSplit}: normal vs neptune for training; normal,
 * neptune and the R2L attacks for testing).
 *
 * @example
 * const { train, test } = await loadKddSplit('data');
 * test.unknown.rows;   // 2913
 */
export async function loadKddSplit(
  dir: string,
  options: LoadOptions & KddSplitOptions = {},
): Promise<PaperSplit & { warnings: string[] }> {
  const data = await loadKdd(dir, options);
  return { ...kddSplit(data.train, data.test, options), warnings: data.warnings };
}

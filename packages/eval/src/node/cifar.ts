import { vstack } from '@abc/core';
import { parseCifar, type CifarData } from '../datasets/cifar.js';
import { DatasetFormatError } from '../datasets/checksums.js';
import { cifarSplit, type CifarSplitOptions, type PaperSplit, type TestSet } from '../datasets/splits.js';
import { readTar } from '../datasets/tar.js';
import { findDataFile, readDataFile, requireDataFile, type DataFile, type LoadOptions } from './files.js';

const SUBDIRS = ['cifar10', 'cifar-10-batches-bin', 'cifar10/cifar-10-batches-bin'];
const BATCHES = [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`);
/** The official binary tarball, as `abc data fetch cifar10` stores it: read in place, never unpacked. */
const TARBALL = 'cifar-10-binary.tar.gz';

/** Which CIFAR-10 test set to use: `auto` takes `exact` when test_batch.bin is there, else `lossy-jpeg`, else `holdout`. */
export type CifarTestSetChoice = 'auto' | 'exact' | 'lossy-jpeg' | 'holdout';

/** Options of {@link loadCifar} and {@link loadCifarSplit}. */
export interface LoadCifarOptions extends LoadOptions {
  /** Default `auto`. */
  testSet?: CifarTestSetChoice;
  /** Class ids to keep (default: all ten; the split loader keeps only its three). */
  classes?: readonly number[];
}

/** CIFAR-10 as loaded from files. `test` is null for a hold-out split. */
export interface LoadedCifar {
  readonly train: CifarData;
  readonly test: CifarData | null;
  readonly testSet: TestSet;
  readonly warnings: string[];
  readonly files: { train: string[]; test: string | null };
}

/**
 * Loads CIFAR-10 binary records (gzipped or not) from a folder, or from a parent holding them in `cifar10/`
 * or `cifar-10-batches-bin/`. Training images come from `train.bin` (our filtered copy of the five batches)
 * or else the original `data_batch_1.bin` … `data_batch_5.bin`, or else the official `cifar-10-binary.tar.gz`
 * (as `abc data fetch cifar10` stores it), read in place with its exact `test_batch.bin`. The test images: `exact` is the original
 * `test_batch.bin`; `lossy-jpeg` is `test_jpeg_q75_lossy.bin`, JPEG-decoded copies (about 8 RMSE per pixel on
 * the 0–255 scale), so results on it are marked `testSet: 'lossy-jpeg'`; `holdout` loads no test file.
 *
 * @example
 * const cifar = await loadCifar('data', { testSet: 'lossy-jpeg', classes: [1, 5, 9] });
 * cifar.testSet;   // 'lossy-jpeg'
 */
export async function loadCifar(dir: string, options: LoadCifarOptions = {}): Promise<LoadedCifar> {
  const choice = options.testSet ?? 'auto';
  const trainBin = await findDataFile(dir, ['train.bin'], SUBDIRS);
  const firstBatch = trainBin ? undefined : await findDataFile(dir, [BATCHES[0]], SUBDIRS);
  const tarball = trainBin || firstBatch ? undefined : await findDataFile(dir, [TARBALL], SUBDIRS);
  if (tarball) return loadCifarTarball(tarball, choice, options);
  const parseOptions = options.classes ? { classes: options.classes } : {};
  let trainPaths: string[];
  if (trainBin) trainPaths = [trainBin];
  else {
    trainPaths = [];
    for (const b of BATCHES) {
      trainPaths.push(
        await requireDataFile(dir, [b], SUBDIRS, `CIFAR-10 training (train.bin, ${b}, or ${TARBALL}: abc data fetch cifar10)`),
      );
    }
  }
  let testPath: string | null = null;
  let testSet: TestSet = 'holdout';
  if (choice === 'exact' || choice === 'auto') {
    const exact = await (choice === 'exact'
      ? requireDataFile(dir, ['test_batch.bin'], SUBDIRS, 'CIFAR-10 exact test (test_batch.bin)')
      : findDataFile(dir, ['test_batch.bin'], SUBDIRS));
    if (exact) {
      testPath = exact;
      testSet = 'exact';
    }
  }
  if (!testPath && (choice === 'lossy-jpeg' || choice === 'auto')) {
    const lossy = await (choice === 'lossy-jpeg'
      ? requireDataFile(dir, ['test_jpeg_q75_lossy.bin'], SUBDIRS, 'CIFAR-10 lossy test (test_jpeg_q75_lossy.bin)')
      : findDataFile(dir, ['test_jpeg_q75_lossy.bin'], SUBDIRS));
    if (lossy) {
      testPath = lossy;
      testSet = 'lossy-jpeg';
    }
  }
  const read: DataFile[] = [];
  const parts: CifarData[] = [];
  for (const p of trainPaths) {
    const f = await readDataFile(p, options);
    read.push(f);
    parts.push(parseCifar(f.bytes, p, parseOptions));
  }
  let test: CifarData | null = null;
  if (testPath) {
    const f = await readDataFile(testPath, options);
    read.push(f);
    test = parseCifar(f.bytes, testPath, parseOptions);
  }
  return assemble(
    parts,
    test,
    testSet,
    read.flatMap((f) => f.warnings),
    { train: trainPaths, test: testPath },
  );
}

/** Joins the training parts and checks that test and training images have the same size. */
function assemble(
  parts: CifarData[],
  test: CifarData | null,
  testSet: TestSet,
  warnings: string[],
  files: LoadedCifar['files'],
): LoadedCifar {
  const train: CifarData =
    parts.length === 1
      ? parts[0]
      : { X: vstack(parts.map((p) => p.X)), labels: Uint8Array.from(parts.flatMap((p) => Array.from(p.labels))) };
  if (test && test.X.cols !== train.X.cols) {
    throw new DatasetFormatError(
      files.test ?? 'test',
      'format',
      `${test.X.cols} values per image but the training images have ${train.X.cols}`,
      'shape',
    );
  }
  return { train, test, testSet, warnings, files };
}

/**
 * Reads the official `cifar-10-binary.tar.gz` in place: `data_batch_1..5.bin` for training and `test_batch.bin`,
 * the exact test set (so `lossy-jpeg` cannot be asked of it; `holdout` ignores its test batch). Files are named
 * `TARBALL:member` in the result.
 */
async function loadCifarTarball(path: string, choice: CifarTestSetChoice, options: LoadCifarOptions): Promise<LoadedCifar> {
  if (choice === 'lossy-jpeg') {
    throw new DatasetFormatError(
      path,
      'missing',
      'the official tarball holds the exact test set, not the lossy JPEG copies: use --cifar-test exact (or auto)',
    );
  }
  const file = await readDataFile(path, options);
  const members = readTar(file.bytes, path);
  const member = (base: string): { name: string; bytes: Uint8Array } => {
    const m = members.find((x) => x.name === base || x.name.endsWith(`/${base}`));
    if (!m)
      throw new DatasetFormatError(
        path,
        'missing',
        `the tarball has no ${base} (members: ${members.map((x) => x.name).join(', ')})`,
      );
    return { name: `${path}:${m.name}`, bytes: m.bytes };
  };
  const parseOptions = options.classes ? { classes: options.classes } : {};
  const batches = BATCHES.map(member);
  const parts = batches.map((b) => parseCifar(b.bytes, b.name, parseOptions));
  let test: CifarData | null = null;
  let testName: string | null = null;
  if (choice !== 'holdout') {
    const t = member('test_batch.bin');
    test = parseCifar(t.bytes, t.name, parseOptions);
    testName = t.name;
  }
  return assemble(parts, test, test ? 'exact' : 'holdout', file.warnings, { train: batches.map((b) => b.name), test: testName });
}

/**
 * Loads CIFAR-10 and returns the paper's split ({@link cifarSplit}: automobile normal, truck known, dog
 * unknown). `testSet` picks the test images (see {@link loadCifar}); `holdout` draws 1,000 images per class
 * from the exact training images with `seed` instead.
 *
 * @example
 * const split = await loadCifarSplit('data', { testSet: 'holdout', seed: 2 });
 * split.testSet;   // 'holdout'; split.train.normal.rows 4000
 */
export async function loadCifarSplit(
  dir: string,
  options: LoadCifarOptions & CifarSplitOptions = {},
): Promise<PaperSplit & { warnings: string[] }> {
  const classes = [options.normal ?? 1, options.known ?? 9, options.unknown ?? 5];
  const data = await loadCifar(dir, { ...options, classes });
  return { ...cifarSplit(data.train, data.test, data.testSet, options), warnings: data.warnings };
}

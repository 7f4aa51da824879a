import { parseMnist, type MnistData } from '../datasets/mnist.js';
import { mnistSplit, type MnistSplitOptions, type PaperSplit } from '../datasets/splits.js';
import { collectWarnings, readDataFile, requireDataFile, type LoadOptions } from './files.js';

const SUBDIRS = ['mnist', 'MNIST', 'MNIST/raw', 'fashion-mnist'];
const NAMES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;

/** MNIST as loaded from files, with the checksum warnings and the paths read. */
export interface LoadedMnist extends MnistData {
  readonly warnings: string[];
  readonly files: { trainImages: string; trainLabels: string; testImages: string; testLabels: string };
}

/**
 * Loads MNIST (or a drop-in in the same IDX format, such as Fashion-MNIST) from a folder holding the four IDX
 * files (gzipped or not; also the `train-images.idx3-ubyte` spelling), or from a parent holding them in
 * `mnist/`. Images are scaled to [0, 1]. Checksums are compared with the official files' (a mismatch is a
 * warning). A missing file is a {@link @abc/eval!DatasetFormatError | DatasetFormatError} naming the folder and the names looked for.
 *
 * @example
 * const mnist = await loadMnist(process.env.ABC_DATA_DIR ?? 'data');
 * mnist.train.X.rows;   // 60000
 */
export async function loadMnist(dir: string, options: LoadOptions = {}): Promise<LoadedMnist> {
  const paths = {
    trainImages: await requireDataFile(dir, NAMES.trainImages, SUBDIRS, 'MNIST training images'),
    trainLabels: await requireDataFile(dir, NAMES.trainLabels, SUBDIRS, 'MNIST training labels'),
    testImages: await requireDataFile(dir, NAMES.testImages, SUBDIRS, 'MNIST test images'),
    testLabels: await requireDataFile(dir, NAMES.testLabels, SUBDIRS, 'MNIST test labels'),
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    readDataFile(paths.trainImages, options),
    readDataFile(paths.trainLabels, options),
    readDataFile(paths.testImages, options),
    readDataFile(paths.testLabels, options),
  ]);
  const data = parseMnist({
    trainImages: trainImages.bytes,
    trainLabels: trainLabels.bytes,
    testImages: testImages.bytes,
    testLabels: testLabels.bytes,
    names: paths,
  });
  return { ...data, warnings: collectWarnings([trainImages, trainLabels, testImages, testLabels]), files: paths };
}

/**
 * Loads MNIST and returns the paper's split ({@link mnistSplit}: normal 1, 3, 5, 7, 9; known 0, 2, 6, 8;
 * unknown 4; half of the pooled 70,000 for training, seeded).
 *
 * @example
 * const { train, test, testSet, warnings } = await loadMnistSplit('data', { seed: 0 });
 */
export async function loadMnistSplit(
  dir: string,
  options: LoadOptions & MnistSplitOptions = {},
): Promise<PaperSplit & { warnings: string[] }> {
  const data = await loadMnist(dir, options);
  return { ...mnistSplit(data, options), warnings: data.warnings };
}

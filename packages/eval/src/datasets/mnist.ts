import { matrix, type Matrix } from '@abc/core';
import { DatasetFormatError } from './checksums.js';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from './idx.js';

/**
 * Parses an MNIST-style IDX image file (magic 0x00000803, N × rows × cols unsigned bytes) into an N × (rows·cols)
 * matrix scaled to [0, 1] (float32 = byte / 255), the paper's scaling. Fashion-MNIST and other drop-ins in the
 * same format parse the same way. Takes the raw (gunzipped) bytes.
 *
 * @example
 * const X = parseMnistImages(bytes, 't10k-images-idx3-ubyte');   // X.rows 10000, X.cols 784
 */
export function parseMnistImages(bytes: Uint8Array, name = 'MNIST images'): Matrix {
  const { dims, data } = parseIdx(bytes, name, IDX_IMAGES_MAGIC);
  const [n, h, w] = dims;
  const cols = h * w;
  const out = new Float32Array(n * cols);
  for (let k = 0; k < out.length; k++) out[k] = data[k] / 255;
  return matrix(out, n, cols);
}

/**
 * Parses an MNIST-style IDX label file (magic 0x00000801, N unsigned bytes) into a copy of the labels.
 *
 * @example
 * const digits = parseMnistLabels(bytes, 't10k-labels-idx1-ubyte');   // Uint8Array of 10000 digits
 */
export function parseMnistLabels(bytes: Uint8Array, name = 'MNIST labels'): Uint8Array {
  return parseIdx(bytes, name, IDX_LABELS_MAGIC).data.slice();
}

/** One part (train or test) of MNIST: images and the digit of each. */
export interface MnistPart {
  /** N × 784 in [0, 1]. */
  readonly X: Matrix;
  /** The class (digit) of each row. */
  readonly labels: Uint8Array;
}

/** MNIST's two official parts. */
export interface MnistData {
  readonly train: MnistPart;
  readonly test: MnistPart;
}

/** The raw (gunzipped) bytes of the four MNIST files; the names are used in error messages. */
export interface MnistFiles {
  readonly trainImages: Uint8Array;
  readonly trainLabels: Uint8Array;
  readonly testImages: Uint8Array;
  readonly testLabels: Uint8Array;
  readonly names?: { trainImages?: string; trainLabels?: string; testImages?: string; testLabels?: string };
}

/**
 * Parses MNIST from the bytes of its four IDX files, checking that images and labels agree in number.
 *
 * @example
 * const mnist = parseMnist({ trainImages, trainLabels, testImages, testLabels });
 * mnist.train.X.rows;   // 60000
 */
export function parseMnist(files: MnistFiles): MnistData {
  const names = {
    trainImages: files.names?.trainImages ?? 'train-images-idx3-ubyte',
    trainLabels: files.names?.trainLabels ?? 'train-labels-idx1-ubyte',
    testImages: files.names?.testImages ?? 't10k-images-idx3-ubyte',
    testLabels: files.names?.testLabels ?? 't10k-labels-idx1-ubyte',
  };
  const part = (images: Uint8Array, labels: Uint8Array, imagesName: string, labelsName: string): MnistPart => {
    const X = parseMnistImages(images, imagesName);
    const y = parseMnistLabels(labels, labelsName);
    if (y.length !== X.rows) {
      throw new DatasetFormatError(
        labelsName,
        'format',
        `${y.length} labels for the ${X.rows} images of ${imagesName}`,
        'label-length',
      );
    }
    return { X, labels: y };
  };
  return {
    train: part(files.trainImages, files.trainLabels, names.trainImages, names.trainLabels),
    test: part(files.testImages, files.testLabels, names.testImages, names.testLabels),
  };
}

import { hasDetector, registerDetector, type DetectorEntry } from '@abc/core';
import { ABC } from './abc.js';
import { Autoencoder, DenoisingAutoencoder } from './autoencoder.js';
import { LRC } from './lrc.js';
import { DNN } from './dnn.js';

/** The registry entries of this package: `abc`, `ae`, `dae`, `lrc`, `dnn`. */
export const modelEntries: readonly DetectorEntry[] = [
  {
    name: 'abc',
    supervision: 'supervised',
    hasProbability: true,
    description: "Autoencoding Binary Classifier (Yamanaka et al. 2019); variant 'ae' or 'dae'; score p(anomaly | x) = 1 − exp(−L)",
    paramSpace: ABC.paramSpace,
    create: (params) => new ABC(params as never),
  },
  {
    name: 'ae',
    supervision: 'unsupervised',
    hasProbability: false,
    description: 'autoencoder; score = reconstruction error L',
    paramSpace: Autoencoder.paramSpace,
    create: (params) => new Autoencoder(params as never),
  },
  {
    name: 'dae',
    supervision: 'unsupervised',
    hasProbability: false,
    description: 'denoising autoencoder (Gaussian input noise); score = reconstruction error L',
    paramSpace: DenoisingAutoencoder.paramSpace,
    create: (params) => new DenoisingAutoencoder(params as never),
  },
  {
    name: 'lrc',
    supervision: 'supervised',
    hasProbability: false,
    description: 'LRC baseline (Munawar et al. 2017): autoencoder with loss L for normals and −L for anomalies; score = L',
    paramSpace: LRC.paramSpace,
    create: (params) => new LRC(params as never),
  },
  {
    name: 'dnn',
    supervision: 'supervised',
    hasProbability: true,
    description: 'DNN: three fully connected layers, sigmoid cross-entropy, Adam, early stopping; score = p(anomaly)',
    paramSpace: DNN.paramSpace,
    create: (params) => new DNN(params as never),
  },
];

/**
 * Registers `abc`, `ae`, `dae`, `lrc` and `dnn` in the core registry. Idempotent: a name already registered (by an
 * earlier import of this package) is left alone. Runs on import of `@abc/models`.
 */
export function registerModels(): void {
  for (const entry of modelEntries) if (!hasDetector(entry.name)) registerDetector(entry);
}

registerModels();

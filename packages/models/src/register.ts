import { detectorEntry, hasDetector, registerDetector, type DetectorEntry } from '@abc/core';
import { ABC } from './abc.js';
import { Autoencoder, DenoisingAutoencoder } from './autoencoder.js';
import { DNN } from './dnn.js';
import { LRC } from './lrc.js';
import { DeepSAD } from './deepsad.js';
import { DevNet } from './devnet.js';
import { PReNet } from './prenet.js';
import { FeaWAD } from './feawad.js';
import { RoSAS } from './rosas.js';

/** This package's detectors, each declaring itself (name, supervision, budget, quick params, params). */
export const modelClasses = [ABC, Autoencoder, DenoisingAutoencoder, LRC, DNN, DeepSAD, DevNet, FeaWAD, PReNet, RoSAS] as const;

/** The registry entries of this package: `abc`, `ae`, `dae`, `lrc`, `dnn`, `deepsad`, `devnet`, `feawad`, `prenet`, `rosas` (from the classes' declarations). */
export const modelEntries: readonly DetectorEntry[] = modelClasses.map((cls) => detectorEntry(cls));

/**
 * Registers `abc`, `ae`, `dae`, `lrc`, `dnn`, `deepsad`, `devnet`, `feawad`, `prenet` and `rosas` in the core registry. Idempotent: a name already registered (by an
 * earlier import of this package) is left alone. Runs on import of `@abc/models`.
 */
export function registerModels(): void {
  for (const entry of modelEntries) if (!hasDetector(entry.name)) registerDetector(entry);
}

registerModels();

import type { Dataset } from '../data/dataset.js';
import { type Split, splitRows } from '../data/split.js';
import { type Box, boxAround, makeGrid } from '../ui/heatmap.js';
import type { DetectorRequest, FitJob, ScalerChoice } from './protocol.js';

/** What the form says about a fit, apart from the data. */
export interface FitForm {
  /** The detectors to fit, with the parameters the user set for each. */
  detectors: DetectorRequest[];
  /** Epoch budget of the networks (their `maxEpochs` unless set per detector). */
  epochs: number;
  seed: number;
  /** Share of the normal rows and known anomalies held out for the metrics. */
  testFraction: number;
  scaler: ScalerChoice;
}

/** A planned fit: the job for the training worker, and the split and heatmap grid the page draws results with. */
export interface FitPlan {
  job: FitJob;
  split: Split;
  /** The heatmap's grid (two-feature data only). */
  grid: { size: number; box: Box } | null;
}

/** Points per side of the heatmap grid. */
export const GRID_SIZE = 64;

/**
 * Turns a dataset and the form into the training worker's job: the seeded stratified split (`splitRows`), a copy
 * of the features (the job's arrays are transferred to the worker; the page keeps its own), and for two-feature
 * data the heatmap's grid. The page and the training-speed benchmark both plan fits with it, so the benchmark's
 * Node run fits exactly what the page fits.
 *
 * @example
 * const { job, split } = planFit(ds, { detectors: [{ name: 'abc' }], epochs: 100, seed: 0, testFraction: 0.3, scaler: 'standard' });
 */
export function planFit(ds: Dataset, form: FitForm): FitPlan {
  const split = splitRows(ds.labels, ds.unknown, { testFraction: form.testFraction, seed: form.seed });
  const cols = ds.X.cols;
  const grid = cols === 2 ? { size: GRID_SIZE, box: boxAround(ds.X.data, ds.X.rows) } : null;
  const job: FitJob = {
    X: Float32Array.from(ds.X.data),
    rows: ds.X.rows,
    cols,
    featureNames: [...(ds.X.featureNames ?? [])],
    labels: ds.labels ? Uint8Array.from(ds.labels) : null,
    train: Uint32Array.from(split.train),
    detectors: form.detectors.map((d) => ({ name: d.name, params: { ...d.params } })),
    settings: { epochs: form.epochs, seed: form.seed },
    scaler: form.scaler,
    grid: grid ? makeGrid(grid.size, grid.box) : null,
  };
  return { job, split, grid };
}

import type { Params } from '@abc/core';
import type { BenchmarkRunSpec, BenchmarkTaskOutcome, GridSpec, MethodSpec, Setting } from '@abc/eval';
import type { RunTaskOutcome } from '@abc/eval/node';
import type { Objective, TrialOutcome, Validation } from '@abc/search';

/** A run of the paper's protocols, as a job: everything a worker needs to redo it from the dataset's name. */
export interface ReproduceJobData {
  kind: 'reproduce';
  /** `toy2d`, `mnist`, `kdd99` or `cifar10`. */
  dataset: string;
  protocol: {
    setting: Setting;
    run: number;
    seed: number;
    /** Setting 3: known anomalies in training (supervised methods). */
    nKnown?: number;
    setting2Unknown?: number;
    maxEpochs?: number;
    /** Min-max scaling in front of the detector. */
    scale: boolean;
    /** The dataset's protocol params (`toySize`, `maxRowsPerPart`), recorded in each record's params. */
    protocolParams: Params;
    /** CIFAR-10's test images (see `reproduce`'s `cifarTestSet`). */
    cifarTestSet?: string;
    /** Score Figure 3's grid and return the toy points (setting 1, run 0 of 2-D data). */
    grid?: GridSpec;
  };
  method: MethodSpec;
  /** The plugin modules (as the submitter named them) that register the job's detector; none for built-ins. */
  plugins?: string[];
}

/** One configuration of a search, as a job: the data is stored once in Redis under `dataset`. */
export interface SearchJobData {
  kind: 'search-trial';
  /** The key of the search's data in Redis (a hash of its bytes). */
  dataset: string;
  protocol: {
    validation: Validation;
    seed: number;
    syntheticCount?: number;
    objective: Objective;
    /** The preprocessing in front of every candidate: mean imputation, then the scaler. */
    impute: boolean;
    scaler: 'minmax' | 'standard' | 'none';
  };
  /** The trial's key (detector and params). */
  key: string;
  detector: string;
  params: Params;
  /** The plugin modules (as the submitter named them) that register the job's detector; none for built-ins. */
  plugins?: string[];
}

/** One run of `abc benchmark`, as a job: the dataset file's bytes are stored once in Redis under `dataset`. */
export interface BenchmarkJobData {
  kind: 'benchmark';
  /** The SHA-256 of the dataset file's bytes: their key in Redis. */
  dataset: string;
  /** The run (its dataset name, seed, ratios, method, epoch cap), as `runBenchmarkJob` takes it. */
  run: BenchmarkRunSpec;
  /** The plugin modules (as the submitter named them) that register the job's detector; none for built-ins. */
  plugins?: string[];
}

/** Any job of the queue. */
export type JobData = ReproduceJobData | SearchJobData | BenchmarkJobData;

/** What a reproduce job returns: the run's record, artifacts and (2-D data) points. */
export type ReproduceJobResult = RunTaskOutcome;

/** What a search job returns: the measured part of the trial. */
export type SearchJobResult = TrialOutcome;

/** What a benchmark job returns: the run's records (one per output and ratio) and a reliability diagram per output with a probability. */
export type BenchmarkJobResult = BenchmarkTaskOutcome;

/** A job's result by its data's kind. */
export type JobResult<D extends JobData> = D extends ReproduceJobData
  ? ReproduceJobResult
  : D extends BenchmarkJobData
    ? BenchmarkJobResult
    : SearchJobResult;

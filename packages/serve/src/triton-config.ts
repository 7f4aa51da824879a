/**
 * Triton's model configuration (config.pbtxt, the `ModelConfig` message of Triton's model_config.proto): reading
 * the fields abc serve uses from the text, checking them against the served model, and the JSON that
 * `GET /v2/models/{name}[/versions/{v}]/config` answers (Triton's model configuration extension: the JSON form
 * of `ModelConfig`, field names as in the .proto, enums as their names, int64 values as JSON numbers).
 */
import { ModelFormatError } from '@abc/core';
import { PbIdentifier, parsePbtxt, type PbMessage, type PbValue } from './pbtxt.js';
import type { TensorSpec } from './runners.js';

/** `ModelTensorReshape`. */
export interface TritonReshape {
  shape: number[];
}

/** `ModelInput` / `ModelOutput`, the fields abc serve reads and reports. */
export interface TritonTensorConfig {
  name: string;
  /** `TYPE_FP32`, `TYPE_INT64`, ... */
  data_type: string;
  dims: number[];
  reshape?: TritonReshape;
}

/** `ModelDynamicBatching`, the fields abc serve honours. */
export interface TritonDynamicBatching {
  preferred_batch_size: number[];
  max_queue_delay_microseconds: number;
}

/** What a config.pbtxt says, in the fields abc serve reads (every one optional, as in the file). */
export interface TritonConfigFile {
  name?: string;
  platform?: string;
  backend?: string;
  /** 0 (or absent): the batch axis is part of `dims`; > 0: the most rows per request, `dims` leave the batch axis out. */
  max_batch_size?: number;
  input?: TritonTensorConfig[];
  output?: TritonTensorConfig[];
  dynamic_batching?: TritonDynamicBatching;
}

/** `ModelInstanceGroup`, as reported. */
export interface TritonInstanceGroup {
  name: string;
  kind: 'KIND_CPU';
  count: number;
}

/** The JSON answer of the model configuration endpoint: the configuration the server runs the model with. */
export interface TritonModelConfig {
  name: string;
  platform: string;
  backend: string;
  version_policy: { latest: { num_versions: number } };
  max_batch_size: number;
  input: (TritonTensorConfig & {
    format: 'FORMAT_NONE';
    is_shape_tensor: boolean;
    allow_ragged_batch: boolean;
    optional: boolean;
  })[];
  output: (TritonTensorConfig & { label_filename: string; is_shape_tensor: boolean })[];
  dynamic_batching: TritonDynamicBatching & { preserve_ordering: boolean };
  instance_group: TritonInstanceGroup[];
  default_model_filename: string;
}

function bad(file: string, msg: string): never {
  throw new ModelFormatError(`${file}: ${msg}`);
}

function one(m: PbMessage, field: string, file: string): PbValue | undefined {
  const v = m[field];
  if (v === undefined || v.length === 0) return undefined;
  if (v.length > 1) bad(file, `"${field}" is given ${v.length} times`);
  return v[0];
}

function str(m: PbMessage, field: string, file: string): string | undefined {
  const v = one(m, field, file);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') bad(file, `"${field}" must be a quoted string`);
  return v;
}

function int(v: PbValue, field: string, file: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(file, `"${field}" must be an integer >= ${min}`);
  return v;
}

function ints(m: PbMessage, field: string, file: string, min: number): number[] {
  return (m[field] ?? []).map((v) => int(v, field, file, min));
}

function msg(v: PbValue, field: string, file: string): PbMessage {
  if (typeof v !== 'object' || v instanceof PbIdentifier) bad(file, `"${field}" must be a message ({ ... })`);
  return v;
}

function tensor(v: PbValue, field: 'input' | 'output', file: string): TritonTensorConfig {
  const m = msg(v, field, file);
  const name = str(m, 'name', file);
  if (!name) bad(file, `every ${field} needs a "name"`);
  const type = one(m, 'data_type', file);
  if (!(type instanceof PbIdentifier) || !/^TYPE_[A-Z0-9]+$/.test(type.text))
    bad(file, `${field} "${name}": "data_type" must be a TYPE_... value`);
  const t: TritonTensorConfig = { name, data_type: type.text, dims: ints(m, 'dims', file, -1) };
  const reshape = one(m, 'reshape', file);
  if (reshape !== undefined) t.reshape = { shape: ints(msg(reshape, 'reshape', file), 'shape', file, -1) };
  return t;
}

/**
 * Reads the fields abc serve uses from a config.pbtxt: `name`, `platform`, `backend`, `max_batch_size`, `input`,
 * `output` (name, data_type, dims, reshape) and `dynamic_batching` (`max_queue_delay_microseconds`,
 * `preferred_batch_size`); other fields are allowed and left alone. Throws a `ModelFormatError` naming the file and
 * what is wrong.
 *
 * @example
 * const cfg = readTritonConfig('name: "fraud"\nmax_batch_size: 256\ndynamic_batching { max_queue_delay_microseconds: 100 }');
 * cfg.max_batch_size;                                     // 256
 * cfg.dynamic_batching?.max_queue_delay_microseconds;     // 100
 */
export function readTritonConfig(text: string, file = 'config.pbtxt'): TritonConfigFile {
  const m = parsePbtxt(text, file);
  const cfg: TritonConfigFile = {};
  const name = str(m, 'name', file);
  if (name !== undefined) cfg.name = name;
  const platform = str(m, 'platform', file);
  if (platform !== undefined) cfg.platform = platform;
  const backend = str(m, 'backend', file);
  if (backend !== undefined) cfg.backend = backend;
  const mbs = one(m, 'max_batch_size', file);
  if (mbs !== undefined) cfg.max_batch_size = int(mbs, 'max_batch_size', file, 0);
  if (m.input) cfg.input = m.input.map((v) => tensor(v, 'input', file));
  if (m.output) cfg.output = m.output.map((v) => tensor(v, 'output', file));
  const db = one(m, 'dynamic_batching', file);
  if (db !== undefined) {
    const d = msg(db, 'dynamic_batching', file);
    const delay = one(d, 'max_queue_delay_microseconds', file);
    cfg.dynamic_batching = {
      preferred_batch_size: ints(d, 'preferred_batch_size', file, 1),
      max_queue_delay_microseconds: delay === undefined ? 0 : int(delay, 'max_queue_delay_microseconds', file, 0),
    };
  }
  return cfg;
}

const DATA_TYPES: Record<TensorSpec['datatype'], string> = { FP32: 'TYPE_FP32', INT64: 'TYPE_INT64' };

/** What the server knows of a loaded model version, to check a config against and report. */
export interface ServedModelFacts {
  /** The model folder's name. */
  name: string;
  platform: 'onnxruntime_onnx' | 'abc';
  nFeatures: number;
  outputs: readonly TensorSpec[];
  /** The batching the server applies (config.pbtxt's, or the server's defaults). */
  batching: { maxQueueDelayMs: number; preferredBatchSizes: readonly number[] };
  /** Scoring instances: worker threads for ONNX models, 1 for saved models (scored on the main thread). */
  instances: number;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Checks a config.pbtxt against the model it configures, as Triton does when it loads a model: the name is the
 * folder's, the input is `X` TYPE_FP32 with the model's feature count (`dims: [ D ]` when max_batch_size > 0, else
 * `[ -1, D ]`), every listed output is one the model gives, with its type, and no preferred batch size exceeds
 * max_batch_size. Throws a `ModelFormatError` naming the
 * mismatch.
 */
export function checkTritonConfig(cfg: TritonConfigFile, model: ServedModelFacts, file = 'config.pbtxt'): void {
  if (cfg.name !== undefined && cfg.name !== model.name)
    bad(file, `name is "${cfg.name}" but the model folder is "${model.name}" (Triton requires them to match)`);
  const batched = (cfg.max_batch_size ?? 0) > 0;
  const xDims = batched ? [model.nFeatures] : [-1, model.nFeatures];
  for (const t of cfg.input ?? []) {
    if (t.name !== 'X') bad(file, `input "${t.name}" is not the model's input; it takes one input, "X"`);
    if (t.data_type !== 'TYPE_FP32') bad(file, `input "X" has data_type ${t.data_type}; the model takes TYPE_FP32`);
    if (!sameDims(t.dims, xDims))
      bad(
        file,
        `input "X" has dims [${t.dims.join(', ')}]; the model takes ${model.nFeatures} features, so dims [${xDims.join(', ')}]`,
      );
  }
  const mbs = cfg.max_batch_size ?? 0;
  for (const p of cfg.dynamic_batching?.preferred_batch_size ?? []) {
    if (mbs > 0 && p > mbs) bad(file, `dynamic_batching: preferred_batch_size ${p} is larger than max_batch_size ${mbs}`);
  }
  for (const t of cfg.output ?? []) {
    const o = model.outputs.find((s) => s.name === t.name);
    if (!o) bad(file, `output "${t.name}" is not one the model gives (${model.outputs.map((s) => `"${s.name}"`).join(', ')})`);
    if (t.data_type !== DATA_TYPES[o.datatype])
      bad(file, `output "${t.name}" has data_type ${t.data_type}; the model gives ${DATA_TYPES[o.datatype]}`);
  }
}

/**
 * The configuration the server runs a model version with, in the JSON form of Triton's `ModelConfig`: the
 * config.pbtxt's platform, max_batch_size, input and outputs where it gives them, the model's own where it does
 * not (Triton's auto-complete; every output the server answers with is listed), the dynamic batching in effect, one CPU instance group.
 *
 * @example
 * const json = tritonModelConfig(readTritonConfig(text), facts);   // served at GET /v2/models/NAME/config
 */
export function tritonModelConfig(cfg: TritonConfigFile | undefined, model: ServedModelFacts): TritonModelConfig {
  const maxBatchSize = cfg?.max_batch_size ?? 0;
  const batched = maxBatchSize > 0;
  // Every output the server answers with: as config.pbtxt declares it, else in Triton's form for an [N] tensor.
  const outputs: TritonTensorConfig[] = model.outputs.map(
    (o) =>
      cfg?.output?.find((t) => t.name === o.name) ??
      (batched
        ? { name: o.name, data_type: DATA_TYPES[o.datatype], dims: [1], reshape: { shape: [] } }
        : { name: o.name, data_type: DATA_TYPES[o.datatype], dims: [-1] }),
  );
  const input = cfg?.input?.[0] ?? {
    name: 'X',
    data_type: 'TYPE_FP32',
    dims: batched ? [model.nFeatures] : [-1, model.nFeatures],
  };
  const onnx = model.platform === 'onnxruntime_onnx';
  return {
    name: model.name,
    platform: cfg?.platform ?? model.platform,
    backend: cfg?.backend ?? (onnx ? 'onnxruntime' : 'abc'),
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: maxBatchSize,
    input: [{ ...input, format: 'FORMAT_NONE', is_shape_tensor: false, allow_ragged_batch: false, optional: false }],
    output: outputs.map((o) => ({ ...o, label_filename: '', is_shape_tensor: false })),
    dynamic_batching: {
      preferred_batch_size: [...model.batching.preferredBatchSizes],
      max_queue_delay_microseconds: Math.round(model.batching.maxQueueDelayMs * 1000),
      preserve_ordering: false,
    },
    instance_group: [{ name: `${model.name}_0`, kind: 'KIND_CPU', count: model.instances }],
    default_model_filename: onnx ? 'model.onnx' : 'model.abc',
  };
}

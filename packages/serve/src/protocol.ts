/**
 * KServe's Open Inference Protocol v2 (REST) for the models served here, with Triton's binary tensor data
 * extension. Field names follow the protocol (`model_name`, `model_version`, `inputs`, `outputs`, `datatype`,
 * `shape`, `data`, `parameters`) and the extension (`binary_data`, `binary_data_output`, `binary_data_size`,
 * the `Inference-Header-Content-Length` header).
 */
import { badRequest } from './errors.js';
import type { TensorSpec } from './runners.js';
import type { OutputArray } from './worker-protocol.js';

/** The header giving the length of the JSON part of a request or response that carries binary tensors. */
export const INFERENCE_HEADER = 'inference-header-content-length';

/** `$request_input` of the protocol. */
export interface OipRequestInput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Record<string, unknown>;
  data?: unknown;
}

/** `$request_output` of the protocol. */
export interface OipRequestOutput {
  name: string;
  parameters?: Record<string, unknown>;
}

/** `$inference_request` of the protocol. */
export interface OipInferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: OipRequestInput[];
  outputs?: OipRequestOutput[];
}

/** `$response_output` of the protocol (`data` left out when the tensor travels as binary data). */
export interface OipResponseOutput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Record<string, unknown>;
  data?: number[];
}

/** `$inference_response` of the protocol. */
export interface OipInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: OipResponseOutput[];
}

/** `$metadata_model_tensor` of the protocol. */
export interface OipTensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** What a model takes and gives, as the parser checks it. */
export interface ModelSignature {
  nFeatures: number;
  outputs: readonly TensorSpec[];
  /** Requests with more rows are refused (config.pbtxt's max_batch_size). */
  maxBatchSize: number | undefined;
}

/** A checked inference request: X float32 [rows, cols] and the outputs to answer with. */
export interface ParsedInferRequest {
  id: string | undefined;
  X: Float32Array;
  rows: number;
  cols: number;
  outputs: { name: string; binary: boolean }[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw badRequest(`the request body is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function readFlatData(data: unknown, n: number, d: number): Float32Array {
  if (!Array.isArray(data)) throw badRequest('input "X": "data" must be an array of numbers (row-major, or one array per row)');
  const out = new Float32Array(n * d);
  let k = 0;
  const put = (v: unknown) => {
    if (typeof v !== 'number') throw badRequest(`input "X": "data" must hold numbers; found ${v === null ? 'null' : typeof v}`);
    if (k >= out.length) throw badRequest(`input "X": "data" has more than the ${n * d} values of shape [${n}, ${d}]`);
    out[k++] = v;
  };
  for (const a of data) {
    if (Array.isArray(a)) for (const b of a) put(b);
    else put(a);
  }
  if (k !== out.length) throw badRequest(`input "X": "data" has ${k} values; shape [${n}, ${d}] needs ${n * d}`);
  return out;
}

function checkFinite(X: Float32Array, d: number): void {
  for (let i = 0; i < X.length; i++) {
    if (!Number.isFinite(X[i])) {
      throw badRequest(
        `input "X" has a non-finite value (${X[i]}) at row ${Math.floor(i / d)}, column ${i % d}; values must be finite float32`,
      );
    }
  }
}

/**
 * Parses and checks an inference request: JSON, or Triton's binary form (`headerLength` from
 * `Inference-Header-Content-Length`: that many bytes of JSON, then the binary tensors in input order).
 * Throws a 400 {@link ServeError} naming what is wrong (malformed JSON, an unknown input or output, a datatype
 * other than FP32, a shape other than [N, D], the wrong feature count, non-finite values, too many rows).
 */
export function parseInferRequest(body: Uint8Array, headerLength: string | undefined, model: ModelSignature): ParsedInferRequest {
  let jsonPart = body;
  let binary: Uint8Array | undefined;
  if (headerLength !== undefined) {
    const hl = Number(headerLength);
    if (!Number.isInteger(hl) || hl < 0 || hl > body.length) {
      throw badRequest(`Inference-Header-Content-Length is ${headerLength}, but the body has ${body.length} bytes`);
    }
    jsonPart = body.subarray(0, hl);
    binary = body.subarray(hl);
  }
  const req = parseJson(jsonPart);
  if (!isRecord(req)) throw badRequest('the request body must be a JSON object with "inputs"');
  if (req.id !== undefined && typeof req.id !== 'string') throw badRequest('"id" must be a string');
  if (req.parameters !== undefined && !isRecord(req.parameters)) throw badRequest('"parameters" must be an object');
  if (!Array.isArray(req.inputs) || req.inputs.length === 0) throw badRequest('"inputs" must be a non-empty array');
  let X: Float32Array | undefined;
  let rows = 0;
  let offset = 0;
  const d = model.nFeatures;
  for (const input of req.inputs as unknown[]) {
    if (!isRecord(input) || typeof input.name !== 'string') throw badRequest('every input must be an object with a "name"');
    if (input.name !== 'X') throw badRequest(`unknown input "${input.name}"; the model takes one input, "X"`);
    if (X) throw badRequest('input "X" is given twice');
    if (input.datatype !== 'FP32') throw badRequest(`input "X" must have datatype "FP32", got ${JSON.stringify(input.datatype)}`);
    const shape = input.shape;
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw badRequest(`input "X" must have shape [N, D] of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const [n, cols] = shape as [number, number];
    if (n < 1) throw badRequest('input "X" has no rows (shape [0, D])');
    if (cols !== d) throw badRequest(`input "X" has ${cols} features per row; the model takes ${d}`);
    if (model.maxBatchSize !== undefined && n > model.maxBatchSize) {
      throw badRequest(`input "X" has ${n} rows, more than the model's max_batch_size ${model.maxBatchSize}`);
    }
    const params = input.parameters;
    if (params !== undefined && !isRecord(params)) throw badRequest('input "X": "parameters" must be an object');
    const size = params?.binary_data_size;
    if (size !== undefined) {
      if (!binary) throw badRequest('input "X" has binary_data_size but the request has no Inference-Header-Content-Length');
      if (size !== n * d * 4)
        throw badRequest(`input "X": binary_data_size is ${String(size)}; shape [${n}, ${d}] of FP32 needs ${n * d * 4} bytes`);
      if (offset + size > binary.length) throw badRequest(`input "X": binary_data_size ${size} runs past the end of the body`);
      const own = new Uint8Array(size);
      own.set(binary.subarray(offset, offset + size));
      offset += size;
      X = new Float32Array(own.buffer);
    } else {
      X = readFlatData(input.data, n, d);
    }
    rows = n;
  }
  if (!X) throw badRequest('the request has no input "X"');
  if (binary && offset !== binary.length)
    throw badRequest(`the body has ${binary.length - offset} bytes of binary data that no input claims`);
  checkFinite(X, d);

  const known = new Set(model.outputs.map((o) => o.name));
  const allBinary = req.parameters?.binary_data_output === true;
  let outputs: { name: string; binary: boolean }[];
  if (req.outputs === undefined) {
    outputs = model.outputs.map((o) => ({ name: o.name, binary: allBinary }));
  } else {
    if (!Array.isArray(req.outputs)) throw badRequest('"outputs" must be an array');
    outputs = [];
    for (const o of req.outputs as unknown[]) {
      if (!isRecord(o) || typeof o.name !== 'string') throw badRequest('every requested output must be an object with a "name"');
      if (!known.has(o.name))
        throw badRequest(`unknown output "${o.name}"; the model gives ${[...known].map((k) => `"${k}"`).join(', ')}`);
      const p = o.parameters;
      const b = isRecord(p) && typeof p.binary_data === 'boolean' ? p.binary_data : allBinary;
      outputs.push({ name: o.name, binary: b });
    }
  }
  return { id: req.id as string | undefined, X, rows, cols: d, outputs };
}

/**
 * The response to an inference request: JSON, or (when any output is asked as binary) the JSON header followed by
 * the binary tensors, with `Inference-Header-Content-Length`. Outputs have shape [N] as the ONNX model gives them.
 */
export function encodeInferResponse(
  modelName: string,
  modelVersion: string,
  req: ParsedInferRequest,
  specs: readonly TensorSpec[],
  values: Record<string, OutputArray>,
): { body: Buffer; headers: Record<string, string> } {
  const response: OipInferResponse = { model_name: modelName, model_version: modelVersion, outputs: [] };
  if (req.id !== undefined) response.id = req.id;
  const chunks: Uint8Array[] = [];
  for (const o of req.outputs) {
    const arr = values[o.name];
    const datatype = specs.find((s) => s.name === o.name)!.datatype;
    const out: OipResponseOutput = { name: o.name, shape: [arr.length], datatype };
    if (o.binary) {
      const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
      out.parameters = { binary_data_size: bytes.byteLength };
      chunks.push(bytes);
    } else {
      out.data = arr instanceof BigInt64Array ? Array.from(arr, Number) : Array.from(arr);
    }
    response.outputs.push(out);
  }
  const json = Buffer.from(JSON.stringify(response));
  if (chunks.length === 0) return { body: json, headers: { 'content-type': 'application/json' } };
  return {
    body: Buffer.concat([json, ...chunks]),
    headers: { 'content-type': 'application/octet-stream', [INFERENCE_HEADER]: String(json.length) },
  };
}

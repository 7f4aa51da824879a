/**
 * A small typed client for the Open Inference Protocol v2 `infer` endpoint: this server's, Triton's or KServe's.
 * Sends X as JSON or as Triton binary tensor data and decodes the outputs into typed arrays.
 */
import type { Matrix } from '@abc/core';
import { INFERENCE_HEADER, type OipInferRequest, type OipInferResponse } from './protocol.js';

export interface InferOipOptions {
  /** A model version (default: the server's choice, the newest). */
  version?: string;
  /** Outputs to ask for (default: every output of the model). */
  outputs?: string[];
  /** Send X and receive the outputs as binary tensor data (Triton's extension) instead of JSON numbers. */
  binary?: boolean;
  /** A bearer token (`Authorization: Bearer ...`). */
  token?: string;
  /** The request id, echoed in the response. */
  id?: string;
  signal?: AbortSignal;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/** The outputs by name: `score` and `reconstruction_error` as float32, `label` as int64. */
export type OipOutputs = { score?: Float32Array; reconstruction_error?: Float32Array; label?: BigInt64Array } & Record<
  string,
  Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | undefined
>;

export interface InferOipResult {
  modelName: string;
  modelVersion: string | undefined;
  id: string | undefined;
  outputs: OipOutputs;
  /** Each output's shape as the server gave it ([N] here; Triton gives [N, 1] for its reshaped outputs). */
  shapes: Record<string, number[]>;
}

/** A non-2xx answer: its status and the server's `error` message. */
export class OipError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'OipError';
    this.status = status;
  }
}

function toFlat(X: Matrix | readonly (readonly number[])[]): { data: Float32Array; rows: number; cols: number } {
  if ('data' in X && X.data instanceof Float32Array) return { data: X.data, rows: X.rows, cols: X.cols };
  const rows = X as readonly (readonly number[])[];
  const cols = rows.length ? rows[0].length : 0;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new RangeError(`row ${i} has ${r.length} values; row 0 has ${cols}`);
    data.set(r, i * cols);
  });
  return { data, rows: rows.length, cols };
}

function decode(datatype: string, bytes: Uint8Array): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array {
  const own = bytes.slice();
  switch (datatype) {
    case 'FP32':
      return new Float32Array(own.buffer);
    case 'FP64':
      return new Float64Array(own.buffer);
    case 'INT64':
      return new BigInt64Array(own.buffer);
    case 'INT32':
      return new Int32Array(own.buffer);
    default:
      return own;
  }
}

function fromJson(
  datatype: string,
  data: readonly unknown[],
): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array {
  const flat = data.flat(Infinity) as number[];
  switch (datatype) {
    case 'FP32':
      return Float32Array.from(flat);
    case 'FP64':
      return Float64Array.from(flat);
    case 'INT64':
      return BigInt64Array.from(flat, (v) => BigInt(v));
    case 'INT32':
      return Int32Array.from(flat);
    default:
      return Uint8Array.from(flat, (v) => (typeof v === 'boolean' ? Number(v) : v));
  }
}

/**
 * Scores X (rows of D features) on a model served over the Open Inference Protocol v2: posts to
 * `{url}/v2/models/{model}[/versions/{version}]/infer` and returns the outputs as typed arrays.
 * Throws {@link OipError} with the status and message of an error answer.
 *
 * @example
 * const { outputs } = await inferOip('http://127.0.0.1:8000', 'fraud_abc', [[0.1, 0.2], [3, -3]]);
 * outputs.score;   // Float32Array [2]
 * outputs.label;   // BigInt64Array [2] of 0n / 1n, when the model has a threshold
 * await inferOip(url, 'fraud_abc', X, { binary: true, outputs: ['score'] });   // Triton binary tensors
 */
export async function inferOip(
  url: string,
  model: string,
  X: Matrix | readonly (readonly number[])[],
  options: InferOipOptions = {},
): Promise<InferOipResult> {
  const { data, rows, cols } = toFlat(X);
  const path = `/v2/models/${encodeURIComponent(model)}${options.version !== undefined ? `/versions/${encodeURIComponent(options.version)}` : ''}/infer`;
  const req: OipInferRequest = {
    inputs: [{ name: 'X', shape: [rows, cols], datatype: 'FP32' }],
  };
  if (options.id !== undefined) req.id = options.id;
  if (options.outputs)
    req.outputs = options.outputs.map((name) => (options.binary ? { name, parameters: { binary_data: true } } : { name }));
  else if (options.binary) req.parameters = { binary_data_output: true };
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array<ArrayBuffer>;
  if (options.binary) {
    req.inputs[0].parameters = { binary_data_size: data.byteLength };
    const json = new TextEncoder().encode(JSON.stringify(req));
    const bytes = new Uint8Array(json.length + data.byteLength);
    bytes.set(json, 0);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), json.length);
    body = bytes;
    headers['content-type'] = 'application/octet-stream';
    headers[INFERENCE_HEADER] = String(json.length);
  } else {
    req.inputs[0].data = Array.from(data);
    body = JSON.stringify(req);
    headers['content-type'] = 'application/json';
  }
  const res = await (options.fetch ?? fetch)(url.replace(/\/$/, '') + path, {
    method: 'POST',
    headers,
    body,
    signal: options.signal,
  });
  const raw = new Uint8Array(await res.arrayBuffer());
  const hl = res.headers.get(INFERENCE_HEADER);
  const jsonEnd = hl !== null ? Number(hl) : raw.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw.subarray(0, jsonEnd)));
  } catch {
    throw new OipError(res.status, `the server answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const msg = (parsed as { error?: unknown }).error;
    throw new OipError(res.status, typeof msg === 'string' ? msg : `HTTP ${res.status}`);
  }
  const response = parsed as OipInferResponse;
  const outputs: OipOutputs = {};
  const shapes: Record<string, number[]> = {};
  let offset = jsonEnd;
  for (const o of response.outputs) {
    shapes[o.name] = o.shape;
    const size = o.parameters?.binary_data_size;
    if (typeof size === 'number') {
      outputs[o.name] = decode(o.datatype, raw.subarray(offset, offset + size));
      offset += size;
    } else {
      outputs[o.name] = fromJson(o.datatype, o.data ?? []);
    }
  }
  return { modelName: response.model_name, modelVersion: response.model_version, id: response.id, outputs, shapes };
}

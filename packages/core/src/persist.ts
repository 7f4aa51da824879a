import type { Detector } from './detector.js';
import { AbcError, ModelFormatError, ValidationError } from './errors.js';
import { crc32 } from './crc32.js';
import type { Params } from './params.js';
import { Pipeline } from './pipeline.js';
import { createDetector, createTransformer, getDetectorEntry } from './registry.js';
import type { JsonValue, ModelState, Tensor, TensorDtype, TypedArray } from './state.js';
import type { Transformer } from './transformer.js';
import { VERSION } from './version.js';

/**
 * The model file format (see docs/contracts.md):
 *
 *   bytes 0-3   magic "ABCM"
 *   bytes 4-7   u32 LE format version
 *   bytes 8-11  u32 LE header length H
 *   12..12+H    JSON header (UTF-8) { format, detector, params, packageVersion, featureNames, state,
 *               tensors: [{ name, dtype, shape, offset }], [pipeline], crc32 }
 *   padding     zeros up to a multiple of 8
 *   data        raw little-endian tensors; `offset` counts from the start of this section
 *
 * `crc32` is the CRC-32 of the header text before its `,"crc32":` member, followed by the data section, so
 * a flipped bit anywhere (a parameter, a weight) or a truncation is caught.
 */
export const FORMAT_VERSION = 1;
const MAGIC = [0x41, 0x42, 0x43, 0x4d]; // "ABCM"
const CRC_KEY = ',"crc32":';
const DTYPE_SIZE: Record<TensorDtype, number> = { f32: 4, f64: 8, i32: 4, u8: 1 };
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

interface HeaderTensor {
  name: string;
  dtype: TensorDtype;
  shape: number[];
  offset: number;
}

interface PipelineStepHeader {
  role: 'transformer' | 'detector';
  name: string;
  params: Params;
  state: { [key: string]: JsonValue };
  tensorPrefix: string;
}

/** The JSON header of a model file. */
export interface ModelHeader {
  format: number;
  detector: string;
  params: Params;
  packageVersion: string;
  featureNames: string[] | null;
  state: { [key: string]: JsonValue };
  tensors: HeaderTensor[];
  pipeline?: { steps: PipelineStepHeader[] };
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new AbcError('MODEL_FORMAT', '@abc/core model files need a little-endian platform');
}

/**
 * Serializes a fitted detector or pipeline to bytes (works in Node and the browser). The detector must be
 * registered under its `name`, since loading goes through the registry.
 *
 * @example
 * const bytes = await serialize(detector);
 * const again = await deserialize(bytes);   // scores exactly as `detector`
 */
export async function serialize(detector: Detector): Promise<Uint8Array> {
  const tensors: { name: string; tensor: Tensor }[] = [];
  let header: Omit<ModelHeader, 'tensors'>;
  if (detector instanceof Pipeline) {
    const steps: PipelineStepHeader[] = [];
    const parts: (Transformer | Detector)[] = [...detector.transformers, detector.detector];
    parts.forEach((part, i) => {
      const role = i < detector.transformers.length ? 'transformer' : 'detector';
      if (role === 'detector') requireRegistered(part.name);
      const state = part.getState();
      const prefix = `${i}/`;
      for (const [name, t] of Object.entries(state.tensors)) tensors.push({ name: prefix + name, tensor: t });
      steps.push({ role, name: part.name, params: part.getParams(), state: state.meta, tensorPrefix: prefix });
    });
    header = {
      format: FORMAT_VERSION,
      detector: 'pipeline',
      params: {},
      packageVersion: VERSION,
      featureNames: detector.featureNames ? [...detector.featureNames] : null,
      state: {},
      pipeline: { steps },
    };
  } else {
    requireRegistered(detector.name);
    const state = detector.getState();
    for (const [name, t] of Object.entries(state.tensors)) tensors.push({ name, tensor: t });
    header = {
      format: FORMAT_VERSION,
      detector: detector.name,
      params: detector.getParams(),
      packageVersion: VERSION,
      featureNames: detector.featureNames ? [...detector.featureNames] : null,
      state: state.meta,
    };
  }
  return encode(header, tensors);
}

function requireRegistered(name: string): void {
  try {
    getDetectorEntry(name);
  } catch {
    throw new ValidationError(
      'param',
      `cannot save detector "${name}": it is not registered, so it could not be loaded again; call registerDetector first`,
    );
  }
}

function encode(header: Omit<ModelHeader, 'tensors'>, tensors: { name: string; tensor: Tensor }[]): Uint8Array {
  const layout: HeaderTensor[] = [];
  let offset = 0;
  for (const { name, tensor } of tensors) {
    checkTensor(name, tensor);
    layout.push({ name, dtype: tensor.dtype, shape: [...tensor.shape], offset });
    offset = align8(offset + tensor.data.byteLength);
  }
  const data = new Uint8Array(offset);
  tensors.forEach(({ tensor }, i) => {
    data.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), layout[i].offset);
  });
  const body = JSON.stringify({ ...header, tensors: layout });
  const prefix = body.slice(0, -1); // without the closing brace
  const crc = crc32(data, crc32(utf8(prefix)));
  const headerBytes = utf8(`${prefix}${CRC_KEY}${crc}}`);
  const dataStart = align8(12 + headerBytes.length);
  const out = new Uint8Array(dataStart + data.length);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  out.set(data, dataStart);
  return out;
}

function checkTensor(name: string, t: Tensor): void {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const expected = expectedCtor(t.dtype);
  if (!(t.data instanceof expected) || t.data.length !== n) {
    throw new ValidationError(
      'shape',
      `tensor "${name}": ${t.dtype} data of length ${t.data.length} does not match shape [${t.shape}]`,
    );
  }
}

function expectedCtor(dtype: TensorDtype) {
  return dtype === 'f32' ? Float32Array : dtype === 'f64' ? Float64Array : dtype === 'i32' ? Int32Array : Uint8Array;
}

/** Reads only the header of a model file (detector name, params, versions), checking magic and version. */
export function readHeader(bytes: Uint8Array | ArrayBuffer): ModelHeader {
  return parse(toBytes(bytes)).header;
}

/**
 * Loads a detector or pipeline from bytes made by {@link serialize}, through the registry (never `eval`).
 * Corrupt, truncated, foreign or newer-version bytes raise a {@link ModelFormatError} saying which.
 */
export async function deserialize(bytes: Uint8Array | ArrayBuffer): Promise<Detector> {
  const { header, tensorsAt } = parse(toBytes(bytes));
  try {
    if (header.pipeline) {
      const steps = header.pipeline.steps;
      if (!Array.isArray(steps) || steps.length === 0 || steps[steps.length - 1].role !== 'detector') {
        throw new ModelFormatError('pipeline model has no detector step');
      }
      const transformers = steps.slice(0, -1).map((s) => {
        if (s.role !== 'transformer') throw new ModelFormatError('pipeline model: a detector step stands before the last step');
        const t = createTransformer(s.name, s.params);
        t.setState({ meta: s.state, tensors: tensorsAt(s.tensorPrefix) });
        return t;
      });
      const last = steps[steps.length - 1];
      const detector = createDetector(last.name, last.params);
      detector.setState({ meta: last.state, tensors: tensorsAt(last.tensorPrefix) });
      return Pipeline.fromFitted(transformers, detector, header.featureNames ?? undefined);
    }
    const detector = createDetector(header.detector, header.params);
    detector.setState({ meta: header.state, tensors: tensorsAt('') });
    return detector;
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`model file for "${header.detector}" could not be loaded: ${(e as Error).message}`, { cause: e });
  }
}

function toBytes(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new ModelFormatError('expected the model as a Uint8Array or ArrayBuffer');
}

function parse(bytes: Uint8Array): { header: ModelHeader; tensorsAt: (prefix: string) => ModelState['tensors'] } {
  if (bytes.length < 12) throw new ModelFormatError(`not an ABC model file: ${bytes.length} bytes is too short for the header`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i]) throw new ModelFormatError('not an ABC model file: the magic bytes "ABCM" are missing');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version > FORMAT_VERSION) {
    throw new ModelFormatError(
      `model file format version ${version} is newer than this @abc/core (${VERSION}) reads (up to ${FORMAT_VERSION}): upgrade @abc/core`,
    );
  }
  if (version < 1) throw new ModelFormatError(`model file format version ${version} is invalid`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) {
    throw new ModelFormatError(
      `model file is truncated: its header needs ${12 + headerLength} bytes, the file has ${bytes.length}`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength));
  } catch (e) {
    throw new ModelFormatError('model file header is not valid UTF-8: the file is corrupt', { cause: e });
  }
  const crcAt = text.lastIndexOf(CRC_KEY);
  const crcText = crcAt < 0 ? '' : text.slice(crcAt + CRC_KEY.length, -1);
  if (crcAt < 0 || !text.endsWith('}') || !/^\d+$/.test(crcText)) {
    throw new ModelFormatError('model file header has no checksum: the file is corrupt');
  }
  const dataStart = align8(12 + headerLength);
  const data = bytes.subarray(Math.min(dataStart, bytes.length));
  const expectedCrc = Number(crcText);
  let raw: unknown;
  try {
    raw = JSON.parse(text, (key, value) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ModelFormatError(`model file header holds the forbidden key "${key}"`);
      return value;
    });
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError('model file header is not valid JSON: the file is corrupt', { cause: e });
  }
  const header = checkHeader(raw);
  let needed = 0;
  for (const t of header.tensors) {
    needed = Math.max(needed, t.offset + t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[t.dtype]);
  }
  if (dataStart + needed > bytes.length) {
    throw new ModelFormatError(
      `model file is truncated: its tensors need ${dataStart + needed} bytes, the file has ${bytes.length}`,
    );
  }
  const crc = crc32(data, crc32(utf8(text.slice(0, crcAt))));
  if (crc !== expectedCrc) {
    throw new ModelFormatError(
      `model file checksum mismatch (stored ${expectedCrc}, computed ${crc}): the file is corrupt or was edited`,
    );
  }
  if (header.format !== version) {
    throw new ModelFormatError(`model file header says format ${header.format} but the preamble says ${version}`);
  }
  const tensorsAt = (prefix: string): ModelState['tensors'] => {
    const out: ModelState['tensors'] = Object.create(null);
    for (const t of header.tensors) {
      if (!t.name.startsWith(prefix)) continue;
      const rest = t.name.slice(prefix.length);
      const n = t.shape.reduce((a, b) => a * b, 1);
      const start = dataStart + t.offset;
      const copy = bytes.slice(start, start + n * DTYPE_SIZE[t.dtype]); // copy: aligned and detached from the file
      const Ctor = expectedCtor(t.dtype);
      out[rest] = { dtype: t.dtype, shape: t.shape, data: new Ctor(copy.buffer, 0, n) as TypedArray };
    }
    return out;
  };
  return { header, tensorsAt };
}

function checkHeader(raw: unknown): ModelHeader {
  const bad = (what: string): never => {
    throw new ModelFormatError(`model file header is invalid: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not an object');
  const h = raw as Record<string, unknown>;
  if (typeof h.format !== 'number') bad('"format" is missing');
  if (typeof h.detector !== 'string' || h.detector === '') bad('"detector" is missing');
  if (typeof h.params !== 'object' || h.params === null || Array.isArray(h.params)) bad('"params" is not an object');
  if (typeof h.state !== 'object' || h.state === null || Array.isArray(h.state)) bad('"state" is not an object');
  if (h.featureNames !== null && !(Array.isArray(h.featureNames) && h.featureNames.every((n) => typeof n === 'string'))) {
    bad('"featureNames" is not a list of strings');
  }
  if (!Array.isArray(h.tensors)) bad('"tensors" is not a list');
  for (const t of h.tensors as unknown[]) {
    const x = t as HeaderTensor;
    if (typeof x !== 'object' || x === null || typeof x.name !== 'string') bad('a tensor has no name');
    // Reliability fix: an own-property check, since `in` also accepted inherited names such as "toString".
    if (typeof x.dtype !== 'string' || !Object.hasOwn(DTYPE_SIZE, x.dtype)) {
      bad(`tensor "${x.name}" has unknown dtype ${JSON.stringify(x.dtype)}`);
    }
    if (!Array.isArray(x.shape) || !x.shape.every((d) => Number.isInteger(d) && d >= 0))
      bad(`tensor "${x.name}" has an invalid shape`);
    if (!Number.isInteger(x.offset) || x.offset < 0 || x.offset % 8 !== 0) bad(`tensor "${x.name}" has an invalid offset`);
  }
  if (h.pipeline !== undefined) {
    const p = h.pipeline as { steps?: unknown };
    if (typeof p !== 'object' || p === null || !Array.isArray(p.steps)) bad('"pipeline.steps" is not a list');
    for (const s of (p as { steps: PipelineStepHeader[] }).steps) {
      if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || typeof s.tensorPrefix !== 'string')
        bad('a pipeline step is invalid');
      if (typeof s.params !== 'object' || s.params === null || typeof s.state !== 'object' || s.state === null)
        bad(`pipeline step "${s.name}" is invalid`);
    }
  }
  return h as unknown as ModelHeader;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

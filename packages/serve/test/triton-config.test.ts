import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '@abc/core';
import { parsePbtxt, PbIdentifier, type PbMessage } from '../src/pbtxt.js';
import {
  checkTritonConfig,
  readTritonConfig,
  tritonModelConfig,
  type ServedModelFacts,
  type TritonConfigFile,
} from '../src/triton-config.js';

// config.pbtxt texts parsed by Google's protobuf library into Triton's ModelConfig message and printed as the JSON
// Triton's model configuration endpoint answers (fixtures/triton-config.py): our reader must read the same values,
// and the configuration we report must be exactly that JSON for the "served" case.
interface TritonJsonTensor {
  name: string;
  data_type: string;
  dims: number[];
  reshape?: { shape: number[] };
}
interface TritonJson {
  name: string;
  platform: string;
  backend: string;
  max_batch_size: number;
  input: TritonJsonTensor[];
  output: TritonJsonTensor[];
  dynamic_batching?: { preferred_batch_size: number[]; max_queue_delay_microseconds: number };
}
const here = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(join(here, 'fixtures/triton-config.json'), 'utf8')) as {
  cases: { name: string; pbtxt: string; json: TritonJson & Record<string, unknown> }[];
};
const byName = (n: string) => fixture.cases.find((c) => c.name === n)!;

const tensor = (t: TritonJsonTensor) => ({
  name: t.name,
  data_type: t.data_type,
  dims: t.dims,
  ...(t.reshape ? { reshape: t.reshape } : {}),
});

const FACTS: ServedModelFacts = {
  name: 'cfg',
  platform: 'onnxruntime_onnx',
  nFeatures: 2,
  outputs: [
    { name: 'score', datatype: 'FP32' },
    { name: 'reconstruction_error', datatype: 'FP32' },
    { name: 'label', datatype: 'INT64' },
  ],
  batching: { maxQueueDelayMs: 2.5, preferredBatchSizes: [4, 8] },
  instances: 2,
};

describe('readTritonConfig against protobuf text_format', () => {
  for (const c of fixture.cases) {
    it(`reads the "${c.name}" config as protobuf does`, () => {
      const cfg = readTritonConfig(c.pbtxt);
      const j = c.json;
      expect(cfg.name ?? '').toBe(j.name);
      expect(cfg.platform ?? '').toBe(j.platform);
      expect(cfg.backend ?? '').toBe(j.backend);
      expect(cfg.max_batch_size ?? 0).toBe(j.max_batch_size);
      expect(cfg.input ?? []).toEqual(j.input.map(tensor));
      expect(cfg.output ?? []).toEqual(j.output.map(tensor));
      expect(cfg.dynamic_batching).toEqual(
        j.dynamic_batching && {
          preferred_batch_size: j.dynamic_batching.preferred_batch_size,
          max_queue_delay_microseconds: j.dynamic_batching.max_queue_delay_microseconds,
        },
      );
    });
  }

  it('the configuration reported for a served model is the JSON Triton gives for the same ModelConfig', () => {
    const served = byName('served');
    expect(tritonModelConfig(readTritonConfig(served.pbtxt), FACTS)).toEqual(served.json);
  });

  it("fills in what a config leaves out in Triton's form (the batch axis, [N] outputs as dims [1] reshaped to [])", () => {
    const minimal = tritonModelConfig({ max_batch_size: 16 }, FACTS);
    const served = byName('served').json;
    expect(minimal.input).toEqual(served.input);
    expect(minimal.output).toEqual(served.output);
    const none = tritonModelConfig(undefined, { ...FACTS, platform: 'abc', instances: 1 });
    expect(none.max_batch_size).toBe(0);
    expect(none.platform).toBe('abc');
    expect(none.backend).toBe('abc');
    expect(none.default_model_filename).toBe('model.abc');
    expect(none.input[0].dims).toEqual([-1, 2]);
    expect(none.output.map((o) => [o.name, o.dims, o.reshape])).toEqual([
      ['score', [-1], undefined],
      ['reconstruction_error', [-1], undefined],
      ['label', [-1], undefined],
    ]);
  });
});

describe('parsePbtxt', () => {
  it('gives every field as a list, identifiers apart from strings, nested messages', () => {
    const m = parsePbtxt('a: "x" a: 2 b: [ 1, -2.5e1, 0x1F ] c { d: TYPE_FP32 e < f: true > } g: []');
    expect(m.a).toEqual(['x', 2]);
    expect(m.b).toEqual([1, -25, 31]);
    const c = m.c[0] as PbMessage;
    expect(c.d[0]).toBeInstanceOf(PbIdentifier);
    expect((c.d[0] as PbIdentifier).text).toBe('TYPE_FP32');
    expect(((c.e[0] as PbMessage).f[0] as PbIdentifier).text).toBe('true');
    expect(m.g).toEqual([]);
    expect(Object.getPrototypeOf(m)).toBeNull();
  });

  it('a field named __proto__ is a plain key (no prototype pollution)', () => {
    const m = parsePbtxt('__proto__ { polluted: 1 }');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.entries(m)).toEqual([['__proto__', [{ polluted: [1] }]]]);
  });

  it.each([
    ['name: "open', /line 1: a string is not closed/],
    ['name "x"', /line 1: field "name" needs ":" before a scalar value/],
    ['input [\n  { name: "X" }\n  { name: "Y" }\n]', /line 3: expected "," or "\]" in the list of "input"/],
    ['dynamic_batching {\n  max_queue_delay_microseconds: 100\n', /line 2: expected "\}" before the end of the file/],
    ['name: "a\\q"', /unknown escape/],
    ['max_batch_size: 8 }', /line 1: expected a field name, found "\}"/],
    ['name: @', /unexpected character "@"/],
  ])('a syntax error names the file and line: %j', (text, pattern) => {
    expect(() => parsePbtxt(text, 'm/config.pbtxt')).toThrow(ModelFormatError);
    expect(() => parsePbtxt(text, 'm/config.pbtxt')).toThrow(pattern);
  });
});

describe('readTritonConfig and checkTritonConfig: clear errors', () => {
  it.each([
    ['max_batch_size: -1', /"max_batch_size" must be an integer >= 0/],
    ['max_batch_size: 1.5', /"max_batch_size" must be an integer >= 0/],
    ['max_batch_size: 2 max_batch_size: 3', /"max_batch_size" is given 2 times/],
    ['name: fraud', /"name" must be a quoted string/],
    ['input [ { name: "X" data_type: "TYPE_FP32" dims: [ 2 ] } ]', /input "X": "data_type" must be a TYPE_\.\.\. value/],
    ['input [ { data_type: TYPE_FP32 } ]', /every input needs a "name"/],
    ['dynamic_batching { preferred_batch_size: [ 0 ] }', /"preferred_batch_size" must be an integer >= 1/],
    ['dynamic_batching: 3', /"dynamic_batching" must be a message/],
  ])('%j', (text, pattern) => {
    expect(() => readTritonConfig(text, 'm/config.pbtxt')).toThrow(ModelFormatError);
    expect(() => readTritonConfig(text, 'm/config.pbtxt')).toThrow(pattern);
  });

  const check = (cfg: TritonConfigFile) => () => checkTritonConfig(cfg, FACTS, 'cfg/config.pbtxt');
  it('refuses a config that does not fit the model, naming the mismatch', () => {
    expect(check(readTritonConfig(byName('served').pbtxt))).not.toThrow();
    expect(check(readTritonConfig(byName('export').pbtxt))).toThrow(/name is "fraud_abc" but the model folder is "cfg"/);
    const base = { max_batch_size: 16 };
    expect(check({ ...base, input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [3] }] })).toThrow(
      /input "X" has dims \[3\]; the model takes 2 features, so dims \[2\]/,
    );
    expect(check({ input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [2] }] })).toThrow(/so dims \[-1, 2\]/);
    expect(check({ ...base, input: [{ name: 'X', data_type: 'TYPE_FP64', dims: [2] }] })).toThrow(/data_type TYPE_FP64/);
    expect(check({ ...base, input: [{ name: 'input', data_type: 'TYPE_FP32', dims: [2] }] })).toThrow(/one input, "X"/);
    expect(check({ ...base, output: [{ name: 'prob', data_type: 'TYPE_FP32', dims: [1] }] })).toThrow(
      /output "prob" is not one the model gives \("score", "reconstruction_error", "label"\)/,
    );
    expect(check({ ...base, output: [{ name: 'label', data_type: 'TYPE_INT32', dims: [1] }] })).toThrow(
      /output "label" has data_type TYPE_INT32; the model gives TYPE_INT64/,
    );
    expect(check({ ...base, dynamic_batching: { preferred_batch_size: [32], max_queue_delay_microseconds: 0 } })).toThrow(
      /preferred_batch_size 32 is larger than max_batch_size 16/,
    );
  });
});

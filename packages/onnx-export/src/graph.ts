import { create, toBinary } from '@bufbuild/protobuf';
import { crc32 } from '@abc/core';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { ONNX_TARGET } from './target.js';

/**
 * A small typed builder over the ONNX protobuf schema (the generated `onnx-buf` messages, no hand-written
 * encoder): unique value names, initializers, nodes, typed inputs and outputs, model metadata. Converters
 * (`convert/`) add nodes to one builder; {@link GraphBuilder.toBytes} writes an IR 8 / opset 17 /
 * `ai.onnx.ml` 3 model.
 */

/** The ONNX element types this package writes. */
export const ElemType = {
  float: TensorProto_DataType.FLOAT,
  int64: TensorProto_DataType.INT64,
  bool: TensorProto_DataType.BOOL,
  double: TensorProto_DataType.DOUBLE,
} as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/** A dimension: a fixed size or a symbolic name (the dynamic batch axis `N`). */
export type Dim = number | string;

/** A node attribute, typed explicitly since ONNX distinguishes float from int. */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: ArrayLike<number> }
  | { kind: 'floats'; value: ArrayLike<number> }
  | { kind: 'strings'; value: readonly string[] };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  ints: (value: ArrayLike<number>): Attr => ({ kind: 'ints', value }),
  floats: (value: ArrayLike<number>): Attr => ({ kind: 'floats', value }),
  strings: (value: readonly string[]): Attr => ({ kind: 'strings', value }),
};

const utf8 = new TextEncoder();

export interface ModelInfo {
  /** Model-level `metadata_props` (string → string). */
  metadata: Record<string, string>;
  producerName: string;
  producerVersion: string;
  docString?: string;
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();
  private usesMl = false;

  constructor(readonly graphName: string) {}

  /** A value name not used yet, from a readable prefix (`dense0_matmul`, `dense0_matmul_2`, ...). */
  fresh(prefix: string): string {
    let name = prefix;
    let k = this.counters.get(prefix) ?? 1;
    while (this.used.has(name)) name = `${prefix}_${++k}`;
    this.counters.set(prefix, k);
    this.used.add(name);
    return name;
  }

  /** Reserves an exact name (graph inputs and outputs); raises if it is taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`GraphBuilder: value name "${name}" is already used`);
    this.used.add(name);
    return name;
  }

  /** A float32 initializer of the given shape (raw little-endian data). */
  floatConstant(prefix: string, data: ArrayLike<number>, dims: readonly number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    checkSize(values.length, dims, prefix);
    return this.addInitializer(prefix, ElemType.float, littleEndianBytes(values), dims);
  }

  /** An int64 initializer (axes, shapes). */
  int64Constant(prefix: string, data: readonly number[], dims: readonly number[] = [data.length]): string {
    checkSize(data.length, dims, prefix);
    return this.addInitializer(prefix, ElemType.int64, littleEndianBytes(BigInt64Array.from(data, (v) => BigInt(v))), dims);
  }

  /** A float64 initializer (exact float64 constants for the graphs that compute in float64). */
  doubleConstant(prefix: string, data: ArrayLike<number>, dims: readonly number[]): string {
    const values = data instanceof Float64Array ? data : Float64Array.from(data);
    checkSize(values.length, dims, prefix);
    return this.addInitializer(prefix, ElemType.double, littleEndianBytes(values), dims);
  }

  /** A float32 scalar initializer (shape []), for broadcasting constants. */
  floatScalar(prefix: string, value: number): string {
    return this.floatConstant(prefix, [value], []);
  }

  /**
   * Adds a node; returns its output names (fresh names from `outputs` prefixes unless `exactOutputs` says
   * to keep them as given, which graph outputs need).
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number = 1,
    attributes: Record<string, Attr> = {},
    options: { domain?: string; exactOutputs?: boolean; name?: string } = {},
  ): string[] {
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.fresh(`${opType.toLowerCase()}${outputs > 1 ? `_out${i}` : ''}`))
        : outputs.map((o) => (options.exactOutputs ? o : this.fresh(o)));
    if (options.domain === ONNX_TARGET.mlDomain) this.usesMl = true;
    this.nodes.push(
      create(NodeProtoSchema, {
        name: options.name ?? this.fresh(`node_${opType}`),
        opType,
        domain: options.domain ?? '',
        input: [...inputs],
        output: outNames,
        attribute: Object.entries(attributes).map(([name, a]) => toAttribute(name, a)),
      }),
    );
    return outNames;
  }

  /** One-output shorthand of {@link node}. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, Attr> = {}, outputPrefix?: string): string {
    return this.node(opType, inputs, [outputPrefix ?? opType.toLowerCase()], attributes)[0];
  }

  /** A graph input of the given element type and shape. */
  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.reserve(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares an existing value (already produced by a node with this exact name) as a graph output. */
  output(name: string, elemType: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  get usesMlDomain(): boolean {
    return this.usesMl;
  }

  /** Serializes the model: IR 8, opset 17 and `ai.onnx.ml` 3 (see `ONNX_TARGET`). */
  toBytes(info: ModelInfo): Uint8Array {
    const graph = create(GraphProtoSchema, {
      name: this.graphName,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
    const model = create(ModelProtoSchema, {
      irVersion: BigInt(ONNX_TARGET.irVersion),
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(ONNX_TARGET.opset) }),
        create(OperatorSetIdProtoSchema, { domain: ONNX_TARGET.mlDomain, version: BigInt(ONNX_TARGET.mlOpset) }),
      ],
      producerName: info.producerName,
      producerVersion: info.producerVersion,
      domain: 'ai.abc-anomaly',
      modelVersion: 1n,
      docString: info.docString ?? '',
      graph,
      // The graph's CRC-32 (nodes, weights, inputs, outputs), so that a corrupted file is refused on load
      // rather than scoring different numbers (see OnnxDetector.setModel).
      metadataProps: Object.entries({ ...info.metadata, [GRAPH_CRC_KEY]: String(graphCrc32(graph)) }).map(([key, value]) =>
        create(StringStringEntryProtoSchema, { key, value }),
      ),
    });
    return toBinary(ModelProtoSchema, model);
  }

  private addInitializer(prefix: string, dataType: number, rawData: Uint8Array<ArrayBuffer>, dims: readonly number[]): string {
    const name = this.fresh(prefix);
    this.initializers.push(create(TensorProtoSchema, { name, dataType, dims: dims.map((d) => BigInt(d)), rawData }));
    return name;
  }
}

function checkSize(n: number, dims: readonly number[], what: string): void {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== n) throw new Error(`GraphBuilder: ${what} has ${n} values for shape [${dims.join(', ')}]`);
}

function littleEndianBytes(values: Float32Array | Float64Array | BigInt64Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(values.length * values.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  if (values instanceof Float64Array) {
    for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  } else if (values instanceof Float32Array) {
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  } else {
    for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, values[i], true);
  }
  return out;
}

function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

function toAttribute(name: string, a: Attr): AttributeProto {
  const T = AttributeProto_AttributeType;
  switch (a.kind) {
    case 'int':
      return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(a.value) });
    case 'float':
      return create(AttributeProtoSchema, { name, type: T.FLOAT, f: a.value });
    case 'string':
      return create(AttributeProtoSchema, { name, type: T.STRING, s: utf8.encode(a.value) as Uint8Array<ArrayBuffer> });
    case 'ints':
      return create(AttributeProtoSchema, { name, type: T.INTS, ints: Array.from(a.value, (v) => BigInt(v)) });
    case 'floats':
      return create(AttributeProtoSchema, { name, type: T.FLOATS, floats: Array.from(a.value, (v) => Math.fround(v)) });
    case 'strings':
      return create(AttributeProtoSchema, {
        name,
        type: T.STRINGS,
        strings: a.value.map((s) => utf8.encode(s) as Uint8Array<ArrayBuffer>),
      });
  }
}

/** Metadata key of the graph checksum written by {@link GraphBuilder.toBytes}. */
export const GRAPH_CRC_KEY = 'abc.graph_crc32';

/** CRC-32 of a graph's protobuf serialization (deterministic: the same graph gives the same bytes). */
export function graphCrc32(graph: GraphProto): number {
  return crc32(toBinary(GraphProtoSchema, graph));
}

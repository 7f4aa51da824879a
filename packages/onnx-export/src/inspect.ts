import { ModelFormatError } from '@abc/core';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ValueInfoProto } from 'onnx-buf';
import { graphCrc32 } from './graph.js';

/** A tensor input or output of an ONNX graph: name, ONNX element type number and dims (a name where symbolic). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

/** What {@link inspectOnnx} reads from a model file without starting a runtime. */
export interface OnnxModelInfo {
  irVersion: number;
  /** Opset per domain ('' is the default domain). */
  opsets: Record<string, number>;
  producerName: string;
  producerVersion: string;
  docString: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  metadata: Record<string, string>;
  /** Op types used, with their domains (`ai.onnx.ml.TreeEnsembleRegressor`). */
  ops: string[];
  /** CRC-32 of the graph as stored; our exports record the expected value in `abc.graph_crc32`. */
  graphCrc32: number;
}

/** Parses an ONNX model's header, inputs, outputs and metadata (with the generated ONNX schema). */
export function inspectOnnx(bytes: Uint8Array): OnnxModelInfo {
  let model: ReturnType<typeof fromBinary<typeof ModelProtoSchema>>;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new ModelFormatError(`not an ONNX model: ${(e as Error).message}`, { cause: e });
  }
  const graph = model.graph;
  if (!graph) throw new ModelFormatError('ONNX model has no graph');
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport) opsets[o.domain] = Number(o.version);
  const metadata: Record<string, string> = Object.create(null);
  for (const p of model.metadataProps) metadata[p.key] = p.value;
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const ops = [...new Set(graph.node.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)))];
  return {
    irVersion: Number(model.irVersion),
    opsets,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    docString: model.docString,
    inputs: graph.input.filter((v) => !initializers.has(v.name)).map(valueInfo),
    outputs: graph.output.map(valueInfo),
    metadata,
    ops,
    graphCrc32: graphCrc32(graph),
  };
}

function valueInfo(v: ValueInfoProto): OnnxValueInfo {
  const t = v.type?.value;
  if (!t || v.type?.value.case !== 'tensorType') return { name: v.name, elemType: 0, dims: [] };
  const tensor = v.type.value.value;
  return {
    name: v.name,
    elemType: tensor.elemType,
    dims: (tensor.shape?.dim ?? []).map((d) =>
      d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?',
    ),
  };
}

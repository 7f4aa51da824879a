import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadFile, writeFileAtomic } from '@abc/core/node';
import { inspectOnnx, toOnnx, type OnnxValueInfo } from '@abc/onnx-export';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';
import { required } from './fit.js';

export const exportHelp = `abc export: convert a saved model to ONNX

Usage: abc export --model model.abc --out model.onnx [--no-label]
       abc export --model model.abc --triton DIR [--name NAME] [--max-batch-size N] [--out model.onnx]

The ONNX file (IR 8, opset 17, ai.onnx.ml 3) takes input "X" float32 [N, D] with the scaler inside the
graph and gives "score" float32 [N], "reconstruction_error" float32 [N] for autoencoders and "label" int64 [N]
(score > the model's threshold). Feature names, the detector and its params are in the metadata. Steps
that cannot be expressed in ONNX (one-hot encoding of text columns, say) are refused with a clear error.

  --no-label           leave out the "label" output
  --triton DIR         also write a Triton Inference Server model repository entry: DIR/NAME/1/model.onnx
                       and DIR/NAME/config.pbtxt (platform "onnxruntime_onnx", dynamic batching; see docs/deploy.md)
  --name NAME          the Triton model name (default: abc_<detector>); letters, digits, '_', '-', '.'
  --max-batch-size N   the Triton max_batch_size (default 1024)
`;

/** Triton's data_type for an ONNX TensorProto element type (the ones an exported model uses, and a few more). */
const TRITON_TYPES: Record<number, string> = {
  1: 'TYPE_FP32',
  2: 'TYPE_UINT8',
  3: 'TYPE_INT8',
  5: 'TYPE_INT16',
  6: 'TYPE_INT32',
  7: 'TYPE_INT64',
  9: 'TYPE_BOOL',
  10: 'TYPE_FP16',
  11: 'TYPE_FP64',
};

function tritonTensor(v: OnnxValueInfo): string {
  const type = TRITON_TYPES[v.elemType];
  if (!type)
    throw new UsageError(`--triton: ONNX value "${v.name}" has element type ${v.elemType}, which has no Triton data_type here`);
  // The first ONNX dim is the batch axis, which Triton leaves out of dims when max_batch_size > 0.
  const rest = v.dims.slice(1);
  if (rest.some((d) => typeof d !== 'number' || d < 1)) {
    throw new UsageError(`--triton: ONNX value "${v.name}" has dims [${v.dims.join(', ')}]; only the batch axis may be dynamic`);
  }
  // A tensor that is only the batch axis ([N]) is declared as dims [1] reshaped to [] (Triton's documented form).
  const shape = rest.length ? `    dims: [ ${rest.join(', ')} ]` : '    dims: [ 1 ]\n    reshape: { shape: [ ] }';
  return `  {\n    name: "${v.name}"\n    data_type: ${type}\n${shape}\n  }`;
}

/**
 * The config.pbtxt of a Triton Inference Server model (protobuf text format) for an exported ONNX file, read
 * from the file itself: its inputs and outputs with their types and dims (batch axis implicit), dynamic batching.
 */
export function tritonConfig(onnx: Uint8Array, name: string, maxBatchSize: number): string {
  const info = inspectOnnx(onnx);
  return [
    `# Triton Inference Server model configuration, written by \`abc export --triton\` (see docs/deploy.md).`,
    `# Detector: ${info.metadata['abc.detector'] ?? 'unknown'}; features: ${info.metadata['abc.feature_names'] ?? info.metadata['abc.n_features'] ?? '?'}`,
    `name: "${name}"`,
    `platform: "onnxruntime_onnx"`,
    `max_batch_size: ${maxBatchSize}`,
    `input [\n${info.inputs.map(tritonTensor).join(',\n')}\n]`,
    `output [\n${info.outputs.map(tritonTensor).join(',\n')}\n]`,
    `dynamic_batching {\n  max_queue_delay_microseconds: 100\n}`,
    '',
  ].join('\n');
}

export async function runExport(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      model: { type: 'string' },
      out: { type: 'string' },
      'no-label': { type: 'boolean' },
      triton: { type: 'string' },
      name: { type: 'string' },
      'max-batch-size': { type: 'string' },
    },
    'export',
  );
  if (values.help) {
    out(exportHelp);
    return 0;
  }
  const modelPath = required(values, 'model', 'export');
  const tritonDir = str(values, 'triton');
  const outPath = tritonDir ? str(values, 'out') : required(values, 'out', 'export');
  const name = str(values, 'name');
  if (name !== undefined && !tritonDir)
    throw new UsageError('--name is the Triton model name: it needs --triton DIR; see abc export --help');
  if (name !== undefined && !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new UsageError(
      `--name must be letters, digits, '_', '-' or '.' (a folder name in the model repository), got "${name}"`,
    );
  }
  const mbsText = str(values, 'max-batch-size');
  const maxBatchSize = mbsText === undefined ? 1024 : Number(mbsText);
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1)
    throw new UsageError(`--max-batch-size must be a positive integer, got "${mbsText}"`);
  const model = await loadFile(modelPath);
  const bytes = toOnnx(model, { label: values['no-label'] ? false : undefined });
  const what = model.name === 'pipeline' ? 'the pipeline' : model.name;
  if (outPath) {
    await writeFileAtomic(outPath, bytes);
    out(`exported ${what} (${model.nFeatures} features) to ${outPath} (${bytes.length} bytes)`);
  }
  if (tritonDir) {
    const detector = inspectOnnx(bytes).metadata['abc.detector'] ?? model.name;
    const modelName = name ?? `abc_${detector.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    await mkdir(join(tritonDir, modelName, '1'), { recursive: true });
    await writeFileAtomic(join(tritonDir, modelName, '1', 'model.onnx'), bytes);
    await writeFileAtomic(
      join(tritonDir, modelName, 'config.pbtxt'),
      new TextEncoder().encode(tritonConfig(bytes, modelName, maxBatchSize)),
    );
    out(`wrote the Triton model "${modelName}" of ${what} to ${join(tritonDir, modelName)} (config.pbtxt, 1/model.onnx)`);
  }
  return 0;
}

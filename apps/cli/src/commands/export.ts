import { loadFile, writeFileAtomic } from '@abc/core/node';
import { toOnnx } from '@abc/onnx-export';
import { parseFlags } from '../args.js';
import { required } from './fit.js';

export const exportHelp = `abc export: convert a saved model to ONNX

Usage: abc export --model model.abc --out model.onnx [--no-label]

The ONNX file (IR 8, opset 17, ai.onnx.ml 3) takes input "X" float32 [N, D] with the scaler inside the
graph and gives "score" float32 [N], "reconstruction_error" float32 [N] for autoencoders and "label" int64 [N]
(score > the model's threshold). Feature names, the detector and its params are in the metadata. Steps
that cannot be expressed in ONNX (one-hot encoding of text columns, say) are refused with a clear error.

  --no-label   leave out the "label" output
`;

export async function runExport(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(argv, { model: { type: 'string' }, out: { type: 'string' }, 'no-label': { type: 'boolean' } }, 'export');
  if (values.help) {
    out(exportHelp);
    return 0;
  }
  const modelPath = required(values, 'model', 'export');
  const outPath = required(values, 'out', 'export');
  const model = await loadFile(modelPath);
  const bytes = toOnnx(model, { label: values['no-label'] ? false : undefined });
  await writeFileAtomic(outPath, bytes);
  out(`exported ${model.name === 'pipeline' ? 'the pipeline' : model.name} (${model.nFeatures} features) to ${outPath} (${bytes.length} bytes)`);
  return 0;
}

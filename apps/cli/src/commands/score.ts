import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';
import { formatScore, loadModel, scoreCsv } from '../model-io.js';
import { classList } from '../data-input.js';
import { required } from './fit.js';

export const scoreHelp = `abc score: score the rows of a CSV file with a saved model

Usage: abc score --model model.abc|model.onnx --data rows.csv [--out scores.csv] [--chunk-rows N]
                 [--backend cpu|wasm|cuda] [--fallback cpu|wasm]

  --model FILE       a model saved by abc fit (or an exported .onnx)
  --data FILE        CSV with a header; the model's feature columns are picked by name, others (a label
                     column, say) are ignored; a missing feature column is an error that names it. Also an
                     IDX image file or CIFAR-10 binary records (for a model fitted on such a file)
  --classes LIST     for IDX and CIFAR-10: score only the rows of these classes (IDX: with --labels FILE)
  --out FILE         where to write the scores (default: standard output); written atomically
  --chunk-rows N     rows scored at a time (default 10000): files larger than memory stream through
  --backend NAME     for .onnx models: onnxruntime-node cpu (default) or cuda, or onnxruntime-web wasm;
                     cuda needs the CUDA provider (install with ONNXRUNTIME_NODE_INSTALL=cuda12), else exit 4
  --fallback NAME    opt-in backend to use when --backend is unavailable (onnxruntime never falls back itself)

Output: a CSV with a "score" column (higher = more anomalous) and a "label" column (1 = score > the
model's threshold), one row per input row, numbers with up to 9 significant digits.
`;

export async function runScore(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      model: { type: 'string' },
      data: { type: 'string' },
      backend: { type: 'string' },
      fallback: { type: 'string' },
      labels: { type: 'string' },
      classes: { type: 'string' },
      'anomaly-classes': { type: 'string' },
      out: { type: 'string' },
      'chunk-rows': { type: 'string' },
    },
    'score',
  );
  if (values.help) {
    out(scoreHelp);
    return 0;
  }
  const modelPath = required(values, 'model', 'score');
  const data = required(values, 'data', 'score');
  const outPath = str(values, 'out');
  const chunkText = str(values, 'chunk-rows') ?? '10000';
  const chunkRows = Number(chunkText);
  if (!Number.isInteger(chunkRows) || chunkRows < 1)
    throw new UsageError(`--chunk-rows must be a positive integer, got "${chunkText}"`);
  const model = await loadModel(modelPath, { backend: str(values, 'backend'), fallback: str(values, 'fallback') });
  const threshold = model.threshold;
  const header = threshold === undefined ? 'score\n' : 'score,label\n';
  const tmp = outPath ? join(dirname(outPath), `.${basename(outPath)}.${process.pid}.tmp`) : null;
  const sink = tmp ? createWriteStream(tmp) : null;
  const write = async (text: string) => {
    if (!sink) return void out(text.replace(/\n$/, ''));
    if (!sink.write(text)) await once(sink, 'drain');
  };
  let rows = 0;
  try {
    // Reliability fix: wait until the temporary file is open, so that an --out in a missing folder is a clear
    // error (exit 2) instead of an unhandled stream error and a scoring loop that never finishes.
    if (sink) {
      await once(sink, 'open').catch((e: Error) => {
        throw new UsageError(`cannot write the scores to ${outPath}: ${e.message}`);
      });
    }
    await write(header);
    for await (const { scores } of scoreCsv(model, data, {
      chunkRows,
      labels: str(values, 'labels'),
      classes: classList(str(values, 'classes'), '--classes'),
    })) {
      let text = '';
      for (let i = 0; i < scores.length; i++) {
        text +=
          threshold === undefined
            ? `${formatScore(scores[i])}\n`
            : `${formatScore(scores[i])},${scores[i] > threshold ? 1 : 0}\n`;
      }
      await write(text);
      rows += scores.length;
    }
    if (sink) {
      sink.end();
      await once(sink, 'finish');
      await rename(tmp!, outPath!);
      out(`scored ${rows} rows; scores written to ${outPath}`);
    }
  } catch (e) {
    sink?.destroy();
    if (tmp) await rm(tmp, { force: true });
    throw e;
  }
  return 0;
}

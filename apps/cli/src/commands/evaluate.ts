import { auroc, averagePrecision } from '@abc/eval';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';
import { loadModel, scoreCsv } from '../model-io.js';
import { classList } from '../data-input.js';
import { required } from './fit.js';

export const evaluateHelp = `abc evaluate: AUROC, AUPR and the confusion matrix of a model on labelled rows

Usage: abc evaluate --model model.abc|model.onnx --data test.csv --label COLUMN [--json]
                    [--backend cpu|wasm|cuda] [--fallback cpu|wasm]   (for .onnx models, as in abc score)

  --label COLUMN   1 = anomaly, 0 = normal
  --labels FILE, --classes LIST, --anomaly-classes LIST
                   for IDX and CIFAR-10 files, as in abc fit
  --json           print the figures as JSON
`;

export async function runEvaluate(argv: string[], out: (s: string) => void): Promise<number> {
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
      label: { type: 'string' },
      json: { type: 'boolean' },
    },
    'evaluate',
  );
  if (values.help) {
    out(evaluateHelp);
    return 0;
  }
  const model = await loadModel(required(values, 'model', 'evaluate'), {
    backend: str(values, 'backend'),
    fallback: str(values, 'fallback'),
  });
  const data = required(values, 'data', 'evaluate');
  const label = str(values, 'label');
  const anomalyClasses = classList(str(values, 'anomaly-classes'), '--anomaly-classes');
  if (!label && !anomalyClasses)
    throw new UsageError(
      'abc evaluate needs --label COLUMN (or, for IDX and CIFAR-10 files, --anomaly-classes LIST); see abc evaluate --help',
    );
  const scoreParts: Float32Array[] = [];
  const labelParts: Uint8Array[] = [];
  for await (const chunk of scoreCsv(model, data, {
    label,
    labels: str(values, 'labels'),
    classes: classList(str(values, 'classes'), '--classes'),
    anomalyClasses,
  })) {
    scoreParts.push(chunk.scores);
    labelParts.push(chunk.labels!);
  }
  const scores = concat(scoreParts, Float32Array);
  const labels = concat(labelParts, Uint8Array);
  let positives = 0;
  for (const v of labels) positives += v;
  if (positives === 0 || positives === labels.length) {
    throw new UsageError(
      `${data}: the label column "${label}" holds only ${positives === 0 ? 'normals (0)' : 'anomalies (1)'}; AUROC needs both`,
    );
  }
  const t = model.threshold;
  let tp = 0,
    fp = 0,
    tn = 0,
    fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = t !== undefined && scores[i] > t;
    if (labels[i]) flagged ? tp++ : fn++;
    else flagged ? fp++ : tn++;
  }
  const result = {
    rows: scores.length,
    anomalies: positives,
    auroc: auroc(scores, labels),
    aupr: averagePrecision(scores, labels),
    threshold: t ?? null,
    confusion: { tp, fp, tn, fn },
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: tp / (tp + fn),
  };
  if (values.json) {
    out(JSON.stringify(result, null, 2));
    return 0;
  }
  out(`rows ${result.rows} (${positives} anomalies)`);
  out(`AUROC ${result.auroc.toFixed(4)}   AUPR (average precision) ${result.aupr.toFixed(4)}`);
  out(`at threshold ${t}:`);
  out(`                predicted normal  predicted anomaly`);
  out(`  normal        ${String(tn).padStart(16)}  ${String(fp).padStart(17)}`);
  out(`  anomaly       ${String(fn).padStart(16)}  ${String(tp).padStart(17)}`);
  out(`precision ${result.precision === null ? 'n/a' : result.precision.toFixed(4)}   recall ${result.recall.toFixed(4)}`);
  return 0;
}

function concat<T extends Float32Array | Uint8Array>(parts: T[], Ctor: { new (n: number): T }): T {
  const out = new Ctor(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p as never, o);
    o += p.length;
  }
  return out;
}

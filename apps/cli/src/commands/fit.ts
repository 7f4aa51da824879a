import { basename } from 'node:path';
import { AbortError, getDetectorEntry, parseParamText, Pipeline, countLabels, type Detector, type Params } from '@abc/core';
import { saveFile } from '@abc/core/node';
import { classList, readInput } from '../data-input.js';
import { parseFlags, str, type FlagValues } from '../args.js';
import { UsageError } from '../errors.js';
import { progressPrinter } from '../progress.js';
import { countMissing, preprocessing, rowsWithLabel } from '../training.js';

export const fitHelp = `abc fit: fit a detector on a CSV file and save the model

Usage: abc fit --data train.csv [--label COLUMN] --detector NAME [--param key=value ...]
               [--scaler minmax|standard|none] --out model.abc
       abc fit --data images-idx3-ubyte.gz --labels labels-idx1-ubyte.gz [--classes LIST]
               [--anomaly-classes LIST] --detector NAME ... --out model.abc     (also CIFAR-10 .bin files)

  --data FILE        CSV with a header (gzipped is fine); numeric columns are features, text columns are
                     one-hot encoded, empty cells are imputed with the column mean
  --label COLUMN     the label column: 1 = known anomaly, 0 = normal (required by supervised detectors;
                     unsupervised ones are fitted on the rows labelled 0 when it is given)
  --labels FILE      for an IDX image file (MNIST, Fashion-MNIST): its IDX label file
  --classes LIST     for IDX and CIFAR-10 (binary records, .bin or .bin.gz): keep the rows of these classes
  --anomaly-classes LIST   for IDX and CIFAR-10: the classes that are (known) anomalies, labelled 1; the
                     other kept classes are normal (e.g. --classes 0,1,2,3,5,6,7,8,9 --anomaly-classes 0,2,6,8);
                     features are the pixels scaled to [0, 1], named px0, px1, ...
  --detector NAME    a registered detector (abc list shows them)
  --param key=value  a detector parameter, repeatable (e.g. --param hidden=10,10 --param latent=1)
  --scaler KIND      feature scaling fitted on the training data: minmax (default, the paper's), standard, none
  --out FILE         where to write the model (written atomically: an interrupted fit leaves no file)

Progress shows on a terminal as a bar; Ctrl-C stops the fit cleanly (exit 130) and writes nothing.
`;

export async function runFit(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      data: { type: 'string' },
      label: { type: 'string' },
      labels: { type: 'string' },
      classes: { type: 'string' },
      'anomaly-classes': { type: 'string' },
      detector: { type: 'string' },
      param: { type: 'string', multiple: true },
      scaler: { type: 'string' },
      out: { type: 'string' },
    },
    'fit',
  );
  if (values.help) {
    out(fitHelp);
    return 0;
  }
  const data = required(values, 'data', 'fit');
  const name = required(values, 'detector', 'fit');
  const outPath = required(values, 'out', 'fit');
  const label = str(values, 'label');
  const entry = getDetectorEntry(name);
  const params: Params = {};
  for (const text of (values.param as string[] | undefined) ?? []) {
    const [k, v] = parseParamText(entry.paramSpace, text, name);
    params[k] = v;
  }
  const { table, labels } = await readInput(data, {
    label,
    labels: str(values, 'labels'),
    classes: classList(str(values, 'classes'), '--classes'),
    anomalyClasses: classList(str(values, 'anomaly-classes'), '--anomaly-classes'),
  });
  if (entry.supervision === 'supervised' && !labels) {
    throw new UsageError(
      `detector "${name}" is supervised: name the label column with --label COLUMN (or, for IDX and CIFAR-10 files, the anomaly classes with --anomaly-classes)`,
    );
  }
  if (table.columns.length === 0) throw new UsageError(`${data}: no feature columns besides the label`);
  const steps = preprocessing(table, str(values, 'scaler') ?? 'minmax')();
  const missing = countMissing(table.columns);
  const detector = entry.create(params);
  const model: Detector = steps.length > 0 ? new Pipeline([...steps, detector]) : detector;

  let X = table;
  let y = labels;
  if (entry.supervision === 'unsupervised' && labels) {
    // Unsupervised detectors learn what normal looks like: give them the rows labelled normal.
    X = rowsWithLabel(table, labels, 0);
    y = undefined;
  }
  const counts = labels ? countLabels(labels) : null;
  out(
    `fitting ${name} on ${X.rows} rows x ${table.columns.length} columns of ${basename(data)}` +
      (counts
        ? ` (${counts.normal} normal, ${counts.anomaly} known anomalies${entry.supervision === 'unsupervised' ? '; unsupervised: normals only' : ''})`
        : '') +
      (missing > 0 ? `; ${missing} missing values imputed with column means` : ''),
  );
  const ctrl = new AbortController();
  const onSigint = () => ctrl.abort(new AbortError('interrupted (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  const progress = progressPrinter(process.stderr);
  const t0 = performance.now();
  try {
    await model.fit(X, y ?? null, { signal: ctrl.signal, onProgress: progress.onProgress });
  } catch (e) {
    progress.done();
    if (ctrl.signal.aborted) throw new AbortError(`interrupted: the fit was stopped and no model was written to ${outPath}`);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  progress.done();
  await saveFile(model, outPath);
  out(`fitted in ${((performance.now() - t0) / 1000).toFixed(1)} s; threshold ${model.threshold}; model written to ${outPath}`);
  return 0;
}

export function required(values: FlagValues, name: string, command: string): string {
  const v = str(values, name);
  if (!v) throw new UsageError(`abc ${command} needs --${name}; see abc ${command} --help`);
  return v;
}

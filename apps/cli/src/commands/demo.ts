import { createDetector, hasDetector, type Params } from '@abc/core';
import { auroc, makeToyData, toyTrainingSet } from '@abc/eval';
import { parseFlags, str } from '../args.js';
import { UsageError } from '../errors.js';

export const demoHelp = `abc demo: the paper's 2-D toy experiment on embedded (generated) data

Trains ABC (supervised autoencoder), a plain autoencoder (unsupervised) and, when one is registered, a
supervised classifier (gtb or dnn) on normals + known anomalies, then prints the AUROC on known anomalies
and on unknown anomalies (a cluster at (-3, 3) never seen in training) side by side.

Usage: abc demo [--n ROWS] [--seed N] [--max-epochs N]

  --n ROWS         training rows per class (default 1000; the test set has as many)
  --seed N         seed of the data and the models (default 0)
  --max-epochs N   epoch limit of the networks (default 100)
`;

export async function runDemo(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(
    argv,
    { n: { type: 'string' }, seed: { type: 'string' }, 'max-epochs': { type: 'string' } },
    'demo',
  );
  if (values.help) {
    out(demoHelp);
    return 0;
  }
  const n = positiveInt(str(values, 'n') ?? '1000', '--n');
  const seed = positiveInt(str(values, 'seed') ?? '0', '--seed', true);
  const maxEpochs = positiveInt(str(values, 'max-epochs') ?? '100', '--max-epochs');
  const train = makeToyData({ nPerClass: n, seed });
  const test = makeToyData({ nPerClass: n, seed: seed + 1 });
  const { X, y } = toyTrainingSet(train);
  const normalsOnly = train.normal;
  const net: Params = { hidden: [10, 10], latent: 1, maxEpochs, seed };
  const methods: { name: string; params: Params; unsupervised: boolean }[] = [
    { name: 'abc', params: { ...net, variant: 'ae' }, unsupervised: false },
    { name: 'ae', params: net, unsupervised: true },
  ];
  const classifier = ['gtb', 'dnn'].find(hasDetector);
  if (classifier) methods.push({ name: classifier, params: { seed }, unsupervised: false });

  out(`ABC demo: 2-D toy data (the paper's Figure 3 setting), ${n} rows per class, seed ${seed}`);
  out('Known anomalies are in training (supervised methods see them); unknown ones appear only in the test set.\n');
  out(`${pad('method', 8) + pad('trained on', 27) + pad('AUROC known', 13) + pad('AUROC unknown', 15)}fit s`);
  for (const m of methods) {
    const det = createDetector(m.name, m.params);
    const t0 = performance.now();
    if (m.unsupervised) await det.fit(normalsOnly);
    else await det.fit(X, y);
    const seconds = (performance.now() - t0) / 1000;
    const known = auroc(await det.scoreSamples(stack(test.normal, test.known)), labels(n, n));
    const unknown = auroc(await det.scoreSamples(stack(test.normal, test.unknown)), labels(n, n));
    out(
      pad(m.name, 8) +
        pad(m.unsupervised ? 'normals only' : 'normals + known anomalies', 27) +
        pad(known.toFixed(3), 13) +
        pad(unknown.toFixed(3), 15) +
        seconds.toFixed(1),
    );
  }
  out(
    '\nABC should be high on both; the autoencoder misses known anomalies near the normals; a supervised classifier misses the unknown ones.',
  );
  return 0;
}

function stack(a: { data: Float32Array; rows: number; cols: number }, b: { data: Float32Array; rows: number; cols: number }) {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, rows: a.rows + b.rows, cols: a.cols };
}

function labels(nNormal: number, nAnomaly: number): Uint8Array {
  const y = new Uint8Array(nNormal + nAnomaly);
  y.fill(1, nNormal);
  return y;
}

function pad(s: string, w: number): string {
  return s.padEnd(w);
}

function positiveInt(text: string, flag: string, allowZero = false): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1))
    throw new UsageError(`${flag} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got "${text}"`);
  return v;
}

import { ValidationError, type ValidationReason } from '@abc/core';

/**
 * What was wrong with a dataset file: `missing` (not found under any of the names looked for), `truncated`
 * (shorter than its header says), `format` (a foreign file: wrong magic, wrong record size, bad CSV syntax),
 * `gzip` (a corrupt or truncated gzip stream), `value` (a value that cannot be read, e.g. a label outside 0/1).
 */
export type DatasetProblem = 'missing' | 'truncated' | 'format' | 'gzip' | 'value';

const REASON: Record<DatasetProblem, ValidationReason> = {
  missing: 'param',
  truncated: 'shape',
  format: 'type',
  gzip: 'type',
  value: 'labels',
};

/**
 * A dataset file that cannot be read. It is a core {@link ValidationError} (code `VALIDATION`, with `reason`
 * 'param' for a missing file, 'shape' for a truncated one, 'type' for a foreign or corrupt one, 'labels' for a
 * bad value; or the reason given), so generic handlers keep working; `file` names the file (or folder) and
 * `problem` says what was wrong. The message always starts with the file name.
 *
 * @example
 * try { await loadMnist('data/'); }
 * catch (e) { if (e instanceof DatasetFormatError && e.problem === 'missing') console.error(e.message); }
 */
export class DatasetFormatError extends ValidationError {
  readonly file: string;
  readonly problem: DatasetProblem;
  constructor(file: string, problem: DatasetProblem, message: string, reason?: ValidationReason) {
    super(reason ?? REASON[problem], `${file}: ${message}`);
    this.file = file;
    this.problem = problem;
  }
}

/**
 * True when the bytes start with the gzip magic number 1f 8b.
 *
 * @example
 * if (isGzip(bytes)) bytes = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Throws a clear error when a browser-safe parser is handed gzip-compressed bytes: decompress them first
 * (`DecompressionStream('gzip')` in the browser, or use the loaders of `@abc/eval/node`).
 *
 * @example
 * assertNotGzip(bytes, 'train.bin');   // throws DatasetFormatError (problem 'format') for gzip bytes
 */
export function assertNotGzip(bytes: Uint8Array, file: string): void {
  if (isGzip(bytes)) {
    throw new DatasetFormatError(
      file,
      'format',
      'the bytes are gzip-compressed; decompress them first (DecompressionStream in the browser) or use the ' +
        'file loaders of @abc/eval/node, which gunzip',
    );
  }
}

/** The known SHA-256 of a dataset file: of the file as distributed (`gz`) and of its gunzipped content (`raw`). */
export interface KnownChecksum {
  readonly gz?: string;
  readonly raw: string;
}

/**
 * SHA-256 checksums of the dataset files the paper's protocols use, keyed by base name without `.gz`
 * (values checked on the copies the project's CI holds: the official MNIST files, the UCI KDD Cup '99 files, and our
 * filtered CIFAR-10 files). A file under another name is not checked.
 *
 * @example
 * KNOWN_CHECKSUMS['train-labels-idx1-ubyte'].raw;   // '65a50cbb…'
 */
export const KNOWN_CHECKSUMS: Readonly<Record<string, KnownChecksum>> = {
  'train-images-idx3-ubyte': {
    gz: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
    raw: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  },
  'train-labels-idx1-ubyte': {
    gz: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
    raw: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  },
  't10k-images-idx3-ubyte': {
    gz: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
    raw: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  },
  't10k-labels-idx1-ubyte': {
    gz: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
    raw: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
  },
  'kddcup.data_10_percent': {
    gz: '7bfaa8cef1350f72842018c32893e2fa4539d57efbb22f998eb74ecefc3da3b4',
    raw: 'f8c8267ebcd9c0ed1fd7d6277fe5bfff8732e9b7db8e61b873542b2a534b6f9a',
  },
  corrected: {
    gz: '74f0daef49b242badc09f2adbd457dea6a45b4f77177efbd11216d333651044b',
    raw: '547dfb9c0f0dc1d9944219ec79e851191faebaeb8acbfa1cd171c418397052a4',
  },
  'train.bin': {
    gz: '4d2903f344de109f9e95396ad02ce0fd401eed690cef5e571dfa1b3057f426f7',
    raw: 'd52c216b8132cc196602cb78248367ce4e6309c6a5ec7ad5366195425a201457',
  },
  'test_partial_first1000.bin': {
    gz: '20f9e7cfcee2cbf0ba8e880f87706185ee632059f56980e0643d27d956728919',
    raw: '415445db5179bea5010a41c4fb0c1e3c3756de9e66951d4732b313036c1f5328',
  },
  'test_jpeg_q75_lossy.bin': {
    gz: '1bef6572ad40f696690e9a8e3882ca82b8610726f2958bda7021074a09a6ebe9',
    raw: '0192ac770252daef2bbc73886f4e5aa293761cf94fd529eec25e3b7e05684ae0',
  },
};

/**
 * The checksum entry for a file path or name (`…/train-images-idx3-ubyte.gz` → its entry), if known.
 *
 * @example
 * knownChecksum('data/mnist/t10k-labels-idx1-ubyte.gz')?.gz;   // 'f7ae60f9…'
 * knownChecksum('my.csv');                                    // undefined
 */
export function knownChecksum(fileName: string): KnownChecksum | undefined {
  const base = fileName.split(/[\\/]/).pop()!.replace(/\.gz$/i, '');
  return Object.hasOwn(KNOWN_CHECKSUMS, base) ? KNOWN_CHECKSUMS[base] : undefined;
}

/**
 * Compares a file's SHA-256 (hex) with the known one and returns a warning, or `null` when it matches or the
 * name is unknown. `kind` says whether `sha256` is of the file as stored gzipped (`gz`) or of raw content.
 * A mismatch is never an error: drop-ins such as Fashion-MNIST under MNIST's names are legitimate.
 *
 * @example
 * checksumWarning('mnist/train-labels-idx1-ubyte.gz', 'gz', sha);   // null, or "checksum mismatch: …"
 */
export function checksumWarning(file: string, kind: 'gz' | 'raw', sha256: string): string | null {
  const known = knownChecksum(file);
  if (!known) return null;
  const expected = kind === 'gz' ? known.gz : known.raw;
  if (expected === undefined || expected === sha256.toLowerCase()) return null;
  return (
    `${file}: checksum mismatch (sha256 of the ${kind === 'gz' ? 'gzip file' : 'content'} is ${sha256}, the ` +
    `reference copy's is ${expected}); reading it anyway: fine for a drop-in such as Fashion-MNIST, otherwise ` +
    'the file may be damaged or a different version'
  );
}

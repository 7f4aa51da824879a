import { matrix, type Matrix } from '@abc/core';
import { assertNotGzip, DatasetFormatError } from './checksums.js';

/** The 41 feature names of KDD Cup '99, in file order (from the UCI `kddcup.names` list). */
export const KDD_FEATURE_NAMES = [
  'duration',
  'protocol_type',
  'service',
  'flag',
  'src_bytes',
  'dst_bytes',
  'land',
  'wrong_fragment',
  'urgent',
  'hot',
  'num_failed_logins',
  'logged_in',
  'num_compromised',
  'root_shell',
  'su_attempted',
  'num_root',
  'num_file_creations',
  'num_shells',
  'num_access_files',
  'num_outbound_cmds',
  'is_host_login',
  'is_guest_login',
  'count',
  'srv_count',
  'serror_rate',
  'srv_serror_rate',
  'rerror_rate',
  'srv_rerror_rate',
  'same_srv_rate',
  'diff_srv_rate',
  'srv_diff_host_rate',
  'dst_host_count',
  'dst_host_srv_count',
  'dst_host_same_srv_rate',
  'dst_host_diff_srv_rate',
  'dst_host_same_src_port_rate',
  'dst_host_srv_diff_host_rate',
  'dst_host_serror_rate',
  'dst_host_srv_serror_rate',
  'dst_host_rerror_rate',
  'dst_host_srv_rerror_rate',
] as const;

/** The three symbolic columns the paper drops (0-based file columns 1, 2, 3). */
export const KDD_DROPPED_FEATURES = ['protocol_type', 'service', 'flag'] as const;

/** The 38 numeric features the paper keeps, in file order. */
export const KDD_NUMERIC_FEATURES: readonly string[] = KDD_FEATURE_NAMES.filter(
  (n) => !(KDD_DROPPED_FEATURES as readonly string[]).includes(n),
);

/** The paper's known anomaly class. */
export const KDD_KNOWN_LABELS: readonly string[] = ['neptune'];

/** The paper's unknown anomalies: the R2L (remote-to-local) attacks of the training and test files. */
export const KDD_R2L_LABELS: readonly string[] = [
  'ftp_write',
  'guess_passwd',
  'imap',
  'multihop',
  'phf',
  'spy',
  'warezclient',
  'warezmaster',
  'named',
  'sendmail',
  'snmpgetattack',
  'snmpguess',
  'worm',
  'xlock',
  'xsnoop',
];

/** Options of {@link parseKdd}. */
export interface ParseKddOptions {
  /** The file name for error messages. */
  name?: string;
  /** Drop exact duplicate rows (the 38 features and the label); default true, as in the paper. */
  dedup?: boolean;
}

/** Parsed KDD Cup '99 rows. */
export interface KddData {
  /** The 38 numeric features (feature names attached), float32. */
  readonly X: Matrix;
  /** The label of each row, without the trailing dot (`normal`, `neptune`, …). */
  readonly labels: readonly string[];
  /** Data lines read from the file. */
  readonly rowsRead: number;
  /** Rows dropped as duplicates (0 when `dedup` is false). */
  readonly duplicatesDropped: number;
}

const KEEP: number[] = [];
for (let c = 0; c < 41; c++) if (c < 1 || c > 3) KEEP.push(c);
const D = KEEP.length; // 38
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Parses a KDD Cup '99 file (`kddcup.data_10_percent`, `corrected`, `kddcup.data`: CSV without a header, 42
 * columns, the last the label with a trailing dot) with the paper's preprocessing: the symbolic columns
 * protocol_type, service and flag are dropped, leaving 38 numeric features, and exact duplicate rows are
 * dropped (first occurrence kept).
 *
 * Duplicates are rows equal in all 38 features (as float64 numbers, so `1` and `1.0` are equal) and in the
 * label: pandas' `drop_duplicates()` on the whole row after dropping the three columns. This reproduces the
 * paper's Table 1 counts for normal and neptune rows exactly (87,721 / 47,869 train; 47,905 / 17,797 test).
 * Features are stored as float32 after deduplication (large byte counts round to 24 bits of precision).
 *
 * Takes the raw (gunzipped) bytes or text. A row with another number of columns or a non-numeric feature is a
 * {@link DatasetFormatError} naming the line and the column.
 *
 * @example
 * const { X, labels } = parseKdd(bytes, { name: 'corrected' });   // X.cols 38; labels[0] 'normal'
 */
export function parseKdd(input: Uint8Array | string, options: ParseKddOptions = {}): KddData {
  const name = options.name ?? 'KDD Cup 99 data';
  const dedup = options.dedup ?? true;
  let bytes: Uint8Array;
  if (typeof input === 'string') bytes = new TextEncoder().encode(input);
  else {
    assertNotGzip(input, name);
    bytes = input;
  }
  const n = bytes.length;
  // Reliability fix: start small for small inputs (a KDD row has at least 83 bytes); the arrays grow by
  // doubling. A fixed 65,536-row start zero-filled 20 MB on every call, even for a one-line input.
  const capacity = Math.min(65536, Math.max(16, Math.ceil(n / 64)));
  let store = new Float64Array(D * capacity);
  let labelIds: Int32Array = new Int32Array(capacity);
  let chain: Int32Array = new Int32Array(capacity); // next kept row with the same hash, or -1
  const heads = new Map<number, number>();
  const labelNames: string[] = [];
  const labelIndex = new Map<string, number>();
  const row = new Float64Array(D);
  const rowWords = new Uint32Array(row.buffer);
  let kept = 0;
  let rowsRead = 0;
  let line = 0;
  let pos = 0;
  while (pos < n) {
    line++;
    let end = bytes.indexOf(10, pos);
    if (end < 0) end = n;
    let stop = end;
    if (stop > pos && bytes[stop - 1] === 13) stop--;
    if (stop === pos) {
      pos = end + 1;
      continue; // blank line (the final newline)
    }
    // Split the line into fields.
    let col = 0;
    let k = 0;
    let fieldStart = pos;
    let label = '';
    for (let i = pos; i <= stop; i++) {
      if (i < stop && bytes[i] !== 44) continue;
      if (col < 41) {
        if (col < 1 || col > 3) row[k++] = parseNumber(bytes, fieldStart, i, name, line, col);
      } else if (col === 41) {
        let labelEnd = i;
        if (labelEnd > fieldStart && bytes[labelEnd - 1] === 46) labelEnd--; // trailing '.'
        label = latin1(bytes, fieldStart, labelEnd);
      }
      col++;
      fieldStart = i + 1;
    }
    if (col !== 42) {
      throw new DatasetFormatError(
        name,
        'format',
        `line ${line} has ${col} comma-separated columns; KDD Cup '99 rows have 42 (41 features and the label)`,
      );
    }
    rowsRead++;
    pos = end + 1;
    let labelId = labelIndex.get(label);
    if (labelId === undefined) {
      labelId = labelNames.length;
      labelNames.push(label);
      labelIndex.set(label, labelId);
    }
    // Hash the 38 float64 values and the label; compare exactly on a hash hit.
    let h = 0x811c9dc5 ^ labelId;
    for (let w = 0; w < rowWords.length; w++) h = Math.imul(h ^ rowWords[w], 0x01000193);
    h = (h ^ (h >>> 15)) | 0;
    if (dedup) {
      let duplicate = false;
      for (let j = heads.get(h) ?? -1; j >= 0; j = chain[j]) {
        if (labelIds[j] !== labelId) continue;
        const off = j * D;
        let same = true;
        for (let c = 0; c < D; c++) {
          const a = store[off + c];
          const b = row[c];
          if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
            same = false;
            break;
          }
        }
        if (same) {
          duplicate = true;
          break;
        }
      }
      if (duplicate) continue;
    }
    if (kept === labelIds.length) {
      const grown = new Float64Array(store.length * 2);
      grown.set(store);
      store = grown;
      labelIds = grow(labelIds);
      chain = grow(chain);
    }
    store.set(row, kept * D);
    labelIds[kept] = labelId;
    if (dedup) {
      chain[kept] = heads.get(h) ?? -1;
      heads.set(h, kept);
    }
    kept++;
  }
  const X = matrix(Float32Array.from(store.subarray(0, kept * D)), kept, D, KDD_NUMERIC_FEATURES);
  const labels = Array.from(labelIds.subarray(0, kept), (id) => labelNames[id]);
  return { X, labels, rowsRead, duplicatesDropped: rowsRead - kept };
}

function grow(a: Int32Array): Int32Array {
  const g = new Int32Array(a.length * 2);
  g.set(a);
  return g;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Parses a decimal number from bytes[start, end); a fast exact path for plain decimals, else Number(). */
function parseNumber(bytes: Uint8Array, start: number, end: number, name: string, line: number, col: number): number {
  let i = start;
  let negative = false;
  if (i < end && (bytes[i] === 45 || bytes[i] === 43)) {
    negative = bytes[i] === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let seenDot = false;
  let ok = i < end;
  for (; i < end; i++) {
    const c = bytes[i];
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (seenDot) fraction++;
    } else if (c === 46 && !seenDot) {
      seenDot = true;
    } else {
      ok = false;
      break;
    }
  }
  // Exact: an integer mantissa below 2^53 divided by an exact power of ten is correctly rounded.
  if (ok && digits > 0 && digits <= 15 && fraction <= 22) {
    const v = fraction === 0 ? mantissa : mantissa / POW10[fraction];
    return negative ? 0 - v : v;
  }
  const text = latin1(bytes, start, end).trim();
  const v = text === '' ? NaN : Number(text);
  // Reliability fix: "Infinity", "1e999" or values beyond float32 (which become Infinity in the float32
  // matrix) are rejected here, naming the line and column, rather than failing later at a detector's door.
  if (!Number.isFinite(v) || Math.abs(v) > 3.4028234663852886e38) {
    throw new DatasetFormatError(
      name,
      'format',
      `line ${line}, column ${col + 1} (${KDD_FEATURE_NAMES[col]}) is ${JSON.stringify(text.slice(0, 40))}, not a ${Number.isNaN(v) ? '' : 'finite float32 '}number`,
    );
  }
  return v + 0;
}

import { ValidationError, table, tableToMatrix, validateMatrix, type Matrix, type TableColumn } from '@abc/core';
import { parseCsv } from '@abc/eval';

/** The role of one value of a kind column: a normal row, an anomaly shown in training, or one held out of it. */
export type KindRole = 'normal' | 'known' | 'unknown';

/** What the user chose on the page. */
export interface DatasetChoice {
  /** A 0/1 (or true/false) label column, 1 = anomaly; null for none. */
  label: string | null;
  /** A column whose values say normal / known / unknown (see `roles`); null for none. */
  kind: string | null;
  /** The role of each value of the kind column; a value left out counts as `known` unless it is `normal`. */
  roles: Readonly<Record<string, KindRole>>;
  /** Feature columns, by name. */
  features: readonly string[];
}

/** A dataset ready for fitting: features, optional labels and which rows are unknown anomalies. */
export interface Dataset {
  X: Matrix;
  /** 1 = anomaly, 0 = normal; null when the file has no labels. */
  labels: Uint8Array | null;
  /** 1 = an anomaly of a held-out kind: never used in training, reported apart. */
  unknown: Uint8Array;
  /** Each row's kind (or label) as an index into {@link Dataset.tagNames}, for the tables. */
  tagCodes: Uint32Array;
  /** The distinct kind (or label) texts; `''` where the file has neither. */
  tagNames: string[];
}

/** The kind (or label) text of row `i`. */
export function tagOf(ds: Pick<Dataset, 'tagCodes' | 'tagNames'>, i: number): string {
  return ds.tagNames[ds.tagCodes[i]];
}

/** The role a kind value has unless the user says otherwise: `normal` and `unknown` by name, others `known`. */
export function defaultRole(value: string): KindRole {
  const v = value.trim().toLowerCase();
  if (v === 'normal' || v === '0' || v === 'inlier') return 'normal';
  if (v === 'unknown' || v === 'novel' || v === 'unseen') return 'unknown';
  return 'known';
}

function cellText(column: TableColumn, i: number): string {
  const v = column[i];
  return v === null ? '' : String(v);
}

/** Interns texts: each distinct one gets a code, in order of first appearance. */
class Tags {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  code(text: string): number {
    let k = this.index.get(text);
    if (k === undefined) {
      k = this.names.length;
      this.names.push(text);
      this.index.set(text, k);
    }
    return k;
  }
}

/**
 * Builds the dataset the worker fits on from a CSV (text or UTF-8 bytes). The errors are the library's own, with their messages: `parseCsv`'s for
 * an empty or ragged file and for a label column that is not 0/1, core's `tableToMatrix` for a text column
 * chosen as a feature, core's `validateMatrix` for missing or infinite values and a file without rows.
 *
 * @example
 * const ds = buildDataset(text, 'toy.csv', { label: null, kind: 'kind', roles: {}, features: ['x', 'y'] });
 */
export function buildDataset(text: string | Uint8Array, name: string, choice: DatasetChoice): Dataset {
  const { table: t, labels: fileLabels } = parseCsv(text, { name, label: choice.label ?? undefined });
  if (choice.features.length === 0) throw new ValidationError('empty', 'no feature column is chosen: tick at least one');
  const index = new Map(t.names.map((n, j) => [n, j]));
  const pick = (n: string): TableColumn => {
    const j = index.get(n);
    if (j === undefined)
      throw new ValidationError(
        'feature-names',
        `${name}: no column "${n}"; the header has ${t.names.map((h) => `"${h}"`).join(', ')}`,
      );
    return t.columns[j];
  };
  for (const f of choice.features) {
    if (f === choice.kind) throw new ValidationError('param', `column "${f}" is the kind column; it cannot also be a feature`);
  }
  const X = validateMatrix(tableToMatrix(table(choice.features, choice.features.map(pick))));
  const n = X.rows;
  const unknown = new Uint8Array(n);
  let labels: Uint8Array | null = fileLabels ?? null;
  const tags = new Tags();
  const tagCodes = new Uint32Array(n);
  if (choice.kind !== null) {
    const kinds = pick(choice.kind);
    const derived = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = cellText(kinds, i);
      const role = choice.roles[v] ?? defaultRole(v);
      derived[i] = role === 'normal' ? 0 : 1;
      unknown[i] = role === 'unknown' ? 1 : 0;
      tagCodes[i] = tags.code(v);
    }
    labels ??= derived;
  } else {
    for (let i = 0; i < n; i++) tagCodes[i] = tags.code(labels ? String(labels[i]) : '');
  }
  return { X, labels, unknown, tagCodes, tagNames: tags.names };
}

import { type Matrix, table, tableToMatrix, ValidationError, validateMatrix } from '@abc/core';
import { parseCsv } from '@abc/eval';

/**
 * The rows of a CSV to score with a fitted model: its fit-time feature columns picked by name (the others, a
 * label column included, are ignored), as the command line does; a missing one is a `ValidationError` naming it.
 * Without feature names the first `nFeatures` columns are taken (all of them when that is unknown too).
 *
 * @example
 * const X = matrixForModel(text, 'new.csv', ['x', 'y'], 2); // columns x and y, in that order, whatever the file's order
 */
export function matrixForModel(
  input: string | Uint8Array,
  name: string,
  featureNames: readonly string[] | null,
  nFeatures: number | null,
): Matrix {
  const { table: t } = parseCsv(input, { name });
  const names = featureNames ?? t.names.slice(0, nFeatures ?? t.names.length);
  const index = new Map(t.names.map((n, j) => [n, j]));
  const missing = names.find((n) => !index.has(n));
  if (missing !== undefined) {
    throw new ValidationError(
      'feature-names',
      `${name}: column "${missing}" that the model was fitted on is missing; the header has ${t.names.map((h) => `"${h}"`).join(', ')}`,
    );
  }
  return validateMatrix(
    tableToMatrix(
      table(
        names,
        names.map((n) => t.columns[index.get(n) as number]),
      ),
    ),
  );
}

import { readFileSync } from 'node:fs';

/** The lines of a JSONL file as objects, without the given (timing) fields, as sorted JSON texts. */
export function recordsWithout(path: string, fields: readonly string[]): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      for (const f of fields) delete r[f];
      return JSON.stringify(r);
    })
    .sort();
}

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { catalogueEntry } from '../datasets/catalogue.js';

/** Whether a data folder holds a dataset in a layout the loaders read, and which files. */
export interface DatasetPresence {
  readonly name: string;
  readonly dir: string;
  readonly present: boolean;
  /** The files found (of the first complete layout, or of the catalogue's layout when none is complete). */
  readonly found: string[];
  /** The catalogue's files that are missing (empty when present). */
  readonly missing: string[];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A file of a layout: under its folder or directly in `dir`, with or without `.gz`. */
function findFile(dir: string, relative: string): string | undefined {
  const [folder, file] = relative.split('/');
  const names = file.endsWith('.gz') ? [file, file.slice(0, -3)] : [file, `${file}.gz`];
  for (const base of [join(dir, folder), dir]) {
    for (const n of names) if (isFile(join(base, n))) return join(base, n);
  }
  return undefined;
}

/**
 * The layouts each loader accepts, besides the catalogue's own: CIFAR-10 is also read from our filtered
 * `train.bin` (the copy the project's CI holds) or from the unpacked batches.
 */
function layouts(name: string): string[][] {
  const own = catalogueEntry(name).files.map((f) => f.path);
  if (name === 'cifar10') {
    return [own, ['cifar10/train.bin'], [1, 2, 3, 4, 5].map((k) => `cifar10/data_batch_${k}.bin`)];
  }
  return [own];
}

/**
 * Checks, without reading them, whether `dir` holds a dataset's files in a layout the loaders read (a
 * `--data-dir` folder with `mnist/`, `kddcup99/`, ..., or the files directly). Unknown names are a
 * ValidationError listing the known ones.
 *
 * @example
 * findDataset('mnist', defaultDataDir().dir).present;   // true once `abc data fetch mnist` ran
 */
export function findDataset(name: string, dir: string): DatasetPresence {
  const all = layouts(name);
  for (const layout of all) {
    const found = layout.map((p) => findFile(dir, p));
    if (found.every((f) => f !== undefined)) return { name, dir, present: true, found: found as string[], missing: [] };
  }
  const own = all[0];
  const found = own.map((p) => findFile(dir, p));
  return {
    name,
    dir,
    present: false,
    found: found.filter((f): f is string => f !== undefined),
    missing: own.filter((_, i) => found[i] === undefined).map((p) => join(dir, p)),
  };
}

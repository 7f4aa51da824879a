/**
 * Node-only helpers of @abc/core: saving and loading model files. The rest of core runs in the browser too.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Detector } from '../detector.js';
import { ModelFormatError } from '../errors.js';
import { deserialize, serialize } from '../persist.js';

/**
 * Writes bytes to `path` atomically: to a temporary file in the same folder, flushed to disk, then renamed
 * over the target. A crash or an error midway leaves the old file whole and no partial file behind.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tmp, 'wx', 0o644);
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * Saves a fitted detector or pipeline to a model file, atomically.
 *
 * @example
 * await saveFile(detector, 'model.abc');
 * const again = await loadFile('model.abc');
 */
export async function saveFile(detector: Detector, path: string): Promise<void> {
  await writeFileAtomic(path, await serialize(detector));
}

/** Loads a model file written by {@link saveFile}; errors name the file. */
export async function loadFile(path: string): Promise<Detector> {
  const bytes = await readFile(path);
  try {
    return await deserialize(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

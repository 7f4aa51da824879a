/**
 * Node-only helpers of @abc/core: saving and loading model files. The rest of core runs in the browser too.
 *
 * @module @abc/core/node
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Detector } from '../detector.js';
import { ModelFormatError, ValidationError } from '../errors.js';
import { deserialize, serialize } from '../persist.js';

/**
 * Writes bytes to `path` atomically: to a temporary file in the same folder, flushed to disk, then renamed
 * over the target. A crash or an error midway leaves the old file whole and no partial file behind.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
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
  const bytes = await serialize(detector);
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    // Reliability fix: a path that cannot be written (no such folder, a folder, no permission) is a bad
    // argument, reported as a ValidationError naming the path, not a raw file-system error.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EACCES' || code === 'EROFS') {
      throw new ValidationError('param', `cannot write the model to ${path}: ${(e as Error).message}`);
    }
    throw e;
  }
}

/** Loads a model file written by {@link saveFile}; errors name the file. */
export async function loadFile(path: string): Promise<Detector> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    // Reliability fix: a missing model file (or a folder) is a ValidationError naming the path, not a raw
    // file-system error (which the CLI reported as an internal error with a stack trace).
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
      throw new ValidationError('param', `${path}: ${code === 'ENOENT' ? 'no such model file' : 'not a model file (a folder)'}`);
    }
    throw e;
  }
  try {
    return await deserialize(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

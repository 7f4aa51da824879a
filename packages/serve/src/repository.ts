import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '@abc/core';
import { readTritonConfig, type TritonConfigFile } from './triton-config.js';

/** One version of a model in the repository: `DIR/NAME/VERSION/model.onnx` or `DIR/NAME/VERSION/model.abc`. */
export interface RepositoryVersion {
  name: string;
  /** The version folder's name: a positive integer, as Triton requires. */
  version: string;
  /** The model file. */
  file: string;
  kind: 'onnx' | 'abc';
  /** The model file's size and modification time and config.pbtxt's content: a changed signature is a changed model. */
  signature: string;
}

/** A model folder: its versions (ascending) and what its `config.pbtxt` says that the server uses. */
export interface RepositoryModel {
  name: string;
  versions: RepositoryVersion[];
  /** `max_batch_size` of `DIR/NAME/config.pbtxt`, when present and > 0: requests with more rows are refused. */
  maxBatchSize: number | undefined;
  /** What `DIR/NAME/config.pbtxt` says (undefined without one, or when it cannot be read: see `configError`). */
  config: TritonConfigFile | undefined;
  /** Why config.pbtxt could not be read (a syntax error, a field of the wrong kind): its versions are not loaded. */
  configError: string | undefined;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const VERSION = /^[1-9][0-9]*$/;
const FILES: readonly [string, RepositoryVersion['kind']][] = [
  ['model.onnx', 'onnx'],
  ['model.abc', 'abc'],
];

async function fileSignature(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? `${s.size}:${s.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Reads a Triton-layout model repository: every `NAME/VERSION/` folder that holds `model.onnx` (preferred) or
 * `model.abc`, and each model's `NAME/config.pbtxt` (see {@link readTritonConfig}). A version folder without a
 * model file yet (being written) is left out; so are hidden folders.
 *
 * @example
 * const models = await scanRepository('models');   // Map { 'fraud_abc' => { versions: [{ version: '1', kind: 'onnx', ... }] } }
 */
export async function scanRepository(dir: string): Promise<Map<string, RepositoryModel>> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new ValidationError('param', `model repository "${dir}": no such folder`);
  }
  const models = new Map<string, RepositoryModel>();
  for (const name of (await subfolders(dir)).sort()) {
    if (!NAME.test(name)) continue;
    const versions: RepositoryVersion[] = [];
    for (const version of await subfolders(join(dir, name))) {
      if (!VERSION.test(version)) continue;
      for (const [fileName, kind] of FILES) {
        const file = join(dir, name, version, fileName);
        const signature = await fileSignature(file);
        if (signature) {
          versions.push({ name, version, file, kind, signature });
          break;
        }
      }
    }
    if (versions.length === 0) continue;
    versions.sort((a, b) => Number(a.version) - Number(b.version));
    let config: TritonConfigFile | undefined;
    let configError: string | undefined;
    let text: string | undefined;
    try {
      text = await readFile(join(dir, name, 'config.pbtxt'), 'utf8');
    } catch {
      text = undefined; // no config.pbtxt: the model's own inputs and outputs, the server's batching
    }
    if (text !== undefined) {
      // The config's content is part of each version's signature: an edited config reloads the model (a config
      // rewritten with the same text does not).
      const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
      for (const v of versions) v.signature += `|config:${digest}`;
      try {
        config = readTritonConfig(text, `${name}/config.pbtxt`);
      } catch (e) {
        configError = e instanceof Error ? e.message : String(e);
      }
    }
    const mbs = config?.max_batch_size;
    models.set(name, { name, versions, maxBatchSize: mbs !== undefined && mbs > 0 ? mbs : undefined, config, configError });
  }
  return models;
}

/** Reads a model file's bytes. */
export async function readModelBytes(v: RepositoryVersion): Promise<Uint8Array> {
  const b = await readFile(v.file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

import { createHash } from 'node:crypto';
import { ValidationError, type Matrix } from '@abc/core';
import { Redis } from 'ioredis';
import { redisOptions } from './connection.js';

/** Labelled rows as a search ships them to its workers. */
export interface StoredData {
  X: Matrix;
  y: Uint8Array;
}

/** How long stored data stays in Redis after its last upload (seconds): a week. */
export const DATA_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Bytes of labelled rows: a u32 LE header length, a JSON header `{ rows, cols }`, float32 LE values, u8 labels.
 *
 * @example
 * const bytes = encodeData({ X: matrix([[1, 2]]), y: Uint8Array.of(0) });
 */
export function encodeData(data: StoredData): Buffer {
  const header = Buffer.from(JSON.stringify({ rows: data.X.rows, cols: data.X.cols }));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(header.length, 0);
  const values = Buffer.from(data.X.data.buffer, data.X.data.byteOffset, data.X.data.byteLength);
  return Buffer.concat([head, header, values, Buffer.from(data.y.buffer, data.y.byteOffset, data.y.byteLength)]);
}

/**
 * Reads {@link encodeData}'s bytes back.
 *
 * @example
 * const { X, y } = decodeData(encodeData(data));
 */
export function decodeData(bytes: Buffer): StoredData {
  let rows: number;
  let cols: number;
  let n: number;
  try {
    n = bytes.readUInt32LE(0);
    ({ rows, cols } = JSON.parse(bytes.subarray(4, 4 + n).toString('utf8')) as { rows: number; cols: number });
  } catch (e) {
    throw new ValidationError('type', `stored search data: unreadable header (${(e as Error).message})`);
  }
  const start = 4 + n;
  if (bytes.length !== start + rows * cols * 4 + rows)
    throw new ValidationError('shape', `stored search data: ${bytes.length} bytes do not hold ${rows} x ${cols} rows and labels`);
  const values = new Float32Array(rows * cols);
  Buffer.from(values.buffer).set(bytes.subarray(start, start + rows * cols * 4));
  const y = Uint8Array.from(bytes.subarray(start + rows * cols * 4));
  return { X: { data: values, rows, cols }, y };
}

/** The Redis key of stored data. */
function dataKey(hash: string): string {
  return `abc-queue:data:${hash}`;
}

/**
 * The SHA-256 (hex) of bytes: the key they are stored under.
 *
 * @example
 * bytesHash(Buffer.from('abc')); // 'ba7816bf…'
 */
export function bytesHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Stores bytes in Redis under their SHA-256 (uploaded only when not there yet; a rerun refreshes the expiry of
 * {@link DATA_TTL_SECONDS}) and returns the hash, for jobs to name them.
 *
 * @example
 * const hash = await putBytes('redis://127.0.0.1:6379', await readFile('data/29_Pima.npz'));
 */
export async function putBytes(queueUrl: string, bytes: Uint8Array): Promise<string> {
  const hash = bytesHash(bytes);
  const redis = new Redis(redisOptions(queueUrl));
  redis.on('error', () => undefined); // reconnects; the command waits
  try {
    // Already there (same content): keep it another week; else upload.
    if ((await redis.expire(dataKey(hash), DATA_TTL_SECONDS)) === 0)
      await redis.set(dataKey(hash), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', DATA_TTL_SECONDS);
  } finally {
    redis.disconnect();
  }
  return hash;
}

/**
 * Reads bytes stored by {@link putBytes} and checks them against their hash. Missing (expired) bytes are a
 * {@link ValidationError} that says `what` they were and `rerun` what to rerun.
 *
 * @example
 * const bytes = await getBytes('redis://127.0.0.1:6379', hash, { what: 'the dataset 29_Pima', rerun: 'rerun abc benchmark' });
 */
export async function getBytes(queueUrl: string, hash: string, names: { what: string; rerun: string }): Promise<Buffer> {
  const redis = new Redis(redisOptions(queueUrl));
  redis.on('error', () => undefined);
  let bytes: Buffer | null;
  try {
    bytes = await redis.getBuffer(dataKey(hash));
  } finally {
    redis.disconnect();
  }
  if (!bytes)
    throw new ValidationError(
      'param',
      `${names.what} (${hash}) is not in Redis (expired after a week, or another Redis): ${names.rerun}`,
    );
  if (bytesHash(bytes) !== hash)
    throw new ValidationError('type', `${names.what}: the bytes stored under ${hash} do not have that SHA-256`);
  return bytes;
}

/**
 * Stores labelled rows in Redis (once per content; a rerun refreshes the expiry) and returns their key for jobs.
 *
 * @example
 * const key = await putData('redis://127.0.0.1:6379', { X, y });
 */
export async function putData(queueUrl: string, data: StoredData): Promise<string> {
  return putBytes(queueUrl, encodeData(data));
}

/**
 * Reads labelled rows stored by {@link putData}; missing (expired) data is a {@link ValidationError}.
 *
 * @example
 * const { X, y } = await getData('redis://127.0.0.1:6379', key);
 */
export async function getData(queueUrl: string, hash: string): Promise<StoredData> {
  return decodeData(await getBytes(queueUrl, hash, { what: 'the search data', rerun: 'rerun the search' }));
}

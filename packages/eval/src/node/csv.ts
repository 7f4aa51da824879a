import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { DatasetFormatError } from '../datasets/checksums.js';
import { parseCsv, readCsvChunks, type CsvChunk, type CsvChunkOptions, type CsvData, type CsvOptions } from '../datasets/csv.js';
import { readDataFile } from './files.js';

/**
 * Reads a whole CSV file (gzipped or not) into a table and optional labels ({@link parseCsv}); errors name
 * the file, the line and the column.
 *
 * @example
 * const { table, labels } = await readCsvFile('train.csv', { label: 'label' });
 */
export async function readCsvFile(path: string, options: Omit<CsvOptions, 'name'> = {}): Promise<CsvData> {
  const { bytes } = await readDataFile(path, { verify: false });
  return parseCsv(bytes, { ...options, name: path });
}

async function gzipped(path: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DatasetFormatError(path, 'missing', 'no such file');
    throw e;
  }
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Streams a CSV file (gzipped or not) as chunks of rows ({@link readCsvChunks}), so that files larger than
 * memory can be scored chunk by chunk. A corrupt gzip stream is a {@link DatasetFormatError} naming the file.
 *
 * @example
 * for await (const chunk of streamCsvFile('big.csv.gz', { chunkRows: 50_000 })) console.log(chunk.table.rows);
 */
export async function* streamCsvFile(
  path: string,
  options: Omit<CsvChunkOptions, 'name'> = {},
): AsyncGenerator<CsvChunk, void, undefined> {
  const gz = await gzipped(path);
  const file = createReadStream(path);
  const source = gz ? file.pipe(createGunzip()) : file;
  if (gz) file.on('error', (e) => source.destroy(e));
  try {
    yield* readCsvChunks(source, { ...options, name: path });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('Z_') || /unexpected end of file/i.test((e as Error).message)) {
      throw new DatasetFormatError(path, 'gzip', `corrupt or truncated gzip data (${(e as Error).message})`);
    }
    throw e;
  } finally {
    file.destroy();
    source.destroy();
  }
}

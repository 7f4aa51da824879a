import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * The SHA-256 recorded beside a downloaded file the catalogue has no checksum for (`FILE.sha256`, in
 * sha256sum's format, with a comment line saying where it came from): trust on first use, checked by every
 * later fetch and by `abc data list`.
 */
const sidecar = (path: string): string => `${path}.sha256`;

/**
 * The SHA-256 recorded for `path` at its first download, if any.
 *
 * @example
 * await readRecordedSha256('cache/adbench/6_cardio.npz');   // 'ab12…' or undefined
 */
export async function readRecordedSha256(path: string): Promise<string | undefined> {
  try {
    return /^([0-9a-f]{64})\b/.exec(await readFile(sidecar(path), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Records the SHA-256 of a file downloaded without a published checksum (written atomically); `source` says
 * where it came from (its address, or that it was already in place).
 *
 * @example
 * await writeRecordedSha256('cache/adbench/6_cardio.npz', sha256, url);
 */
export async function writeRecordedSha256(path: string, sha256: string, source: string): Promise<void> {
  const base = path.split(/[\\/]/).pop()!;
  const tmp = `${sidecar(path)}.${process.pid}.tmp`;
  await writeFile(
    tmp,
    `${sha256}  ${base}\n# recorded at its first download from ${source}, ${new Date().toISOString()}: no published checksum to verify it against\n`,
  );
  await rename(tmp, sidecar(path));
}

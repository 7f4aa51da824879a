import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '@abc/core';
import { catalogueEntry, DATASET_CATALOGUE, resolveDatasetNames } from '../src/datasets/catalogue.js';
import { KNOWN_CHECKSUMS } from '../src/datasets/checksums.js';
import { REAL_DATA, realData } from './fixtures/real-data.js';

const SHARED = realData('mnist', { exactCopy: true });

describe('the dataset catalogue', () => {
  it('knows mnist, fashion-mnist, kdd99, cifar10 and the 43 ADBench files (31 with checksums checked here)', () => {
    const names = DATASET_CATALOGUE.map((e) => e.name);
    expect(names.slice(0, 4)).toEqual(['mnist', 'fashion-mnist', 'kdd99', 'cifar10']);
    const adbench = DATASET_CATALOGUE.filter((e) => e.name.startsWith('adbench/'));
    expect(adbench).toHaveLength(43);
    expect(adbench.filter((e) => e.files[0].verifiedHere)).toHaveLength(31);
    expect(adbench.filter((e) => e.files[0].checksum === null)).toHaveLength(12);
    for (const missing of ['13_fraud', '9_census', '3_backdoor', '36_speech']) expect(names).not.toContain(`adbench/${missing}`);
    // ADBench's numeric order.
    expect(adbench[0].name).toBe('adbench/1_ALOI');
    expect(adbench[42].name).toBe('adbench/47_yeast');
  });

  it('every file has at least one address, a path in its folder, a well-formed checksum; most have a mirror', () => {
    for (const e of DATASET_CATALOGUE) {
      for (const f of e.files) {
        expect(f.path.startsWith(`${e.folder}/`)).toBe(true);
        expect(f.urls.length).toBeGreaterThan(0);
        for (const u of f.urls) expect(new URL(u).protocol).toMatch(/^https?:$/);
        if (f.checksum) expect(f.checksum.hex).toMatch(f.checksum.algorithm === 'md5' ? /^[0-9a-f]{32}$/ : /^[0-9a-f]{64}$/);
        else expect(f.verifiedHere).toBe(false);
        if (e.name !== 'cifar10') expect(f.urls.length, e.name).toBeGreaterThan(1);
      }
    }
  });

  it('names: adbench expands, .npz is accepted, duplicates collapse, unknown names list the known ones', () => {
    expect(resolveDatasetNames(['mnist', 'adbench/29_Pima.npz', 'mnist']).map((e) => e.name)).toEqual([
      'mnist',
      'adbench/29_Pima',
    ]);
    expect(resolveDatasetNames(['adbench'])).toHaveLength(43);
    expect(() => catalogueEntry('mnits')).toThrow(ValidationError);
    expect(() => catalogueEntry('mnits')).toThrow(
      /unknown dataset "mnits": known are mnist, fashion-mnist, kdd99, cifar10, adbench/,
    );
    expect(() => resolveDatasetNames([' '])).toThrow(/no dataset named/);
  });

  it('the checksums the loaders check agree with the catalogue (MNIST gz, KDD content)', () => {
    const kdd = catalogueEntry('kdd99').files;
    expect(kdd.map((f) => f.checksum!.hex)).toEqual([
      KNOWN_CHECKSUMS['kddcup.data_10_percent'].raw,
      KNOWN_CHECKSUMS.corrected.raw,
    ]);
  });
});

describe.skipIf(!SHARED.dir)(`${REAL_DATA} the catalogue's verified checksums match the project's copies`, () => {
  const digest = (algorithm: string, bytes: Uint8Array) => createHash(algorithm).update(bytes).digest('hex');
  it.each(['mnist', 'kdd99'])('%s', (name) => {
    for (const f of catalogueEntry(name).files) {
      const bytes = readFileSync(join(SHARED.dir!, f.path));
      expect(bytes.length).toBe(f.bytes);
      const content = f.checksum!.of === 'gunzipped' ? gunzipSync(bytes) : bytes;
      expect(digest(f.checksum!.algorithm, content), f.path).toBe(f.checksum!.hex);
    }
  });
  it('the 31 ADBench files', () => {
    const verified = DATASET_CATALOGUE.filter((e) => e.name.startsWith('adbench/') && e.files[0].verifiedHere);
    for (const e of verified) {
      const bytes = readFileSync(join(SHARED.dir!, e.files[0].path));
      expect(bytes.length, e.name).toBe(e.files[0].bytes);
      expect(digest('sha256', bytes), e.name).toBe(e.files[0].checksum!.hex);
    }
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../src/datasets/checksums.js';
import { KDD_NUMERIC_FEATURES, KDD_R2L_LABELS, parseKdd } from '../src/datasets/kdd.js';
import { kddSplit } from '../src/datasets/splits.js';
import { loadKdd, loadKddSplit, type LoadedKdd } from '../src/node/index.js';
import { tempDir } from './fixtures/paths.js';
import { REAL_DATA, realData } from './fixtures/real-data.js';

const KDD = realData('kdd99', { exactCopy: true });

function count(labels: readonly string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const l of labels) c[l] = (c[l] ?? 0) + 1;
  return c;
}

/** A KDD row: 41 features (protocol, service, flag symbolic) and the label with its dot. */
function row(values: number[], label: string, proto = 'tcp'): string {
  const f = values.map(String);
  return [f[0], proto, 'http', 'SF', ...f.slice(1), `${label}.`].join(',');
}
const zeros38 = () => new Array(38).fill(0);

describe.skipIf(!KDD.dir)(`${REAL_DATA} KDD Cup '99 on the real files`, () => {
  let kdd: LoadedKdd;
  beforeAll(async () => {
    kdd = await loadKdd(KDD.dir!);
  }, 120_000);

  it('reads every row, keeps 38 named features, verifies checksums', () => {
    expect(kdd.train.rowsRead).toBe(494021);
    expect(kdd.test.rowsRead).toBe(311029);
    expect(kdd.train.X.cols).toBe(38);
    expect(kdd.train.X.featureNames).toEqual(KDD_NUMERIC_FEATURES);
    expect(KDD_NUMERIC_FEATURES).not.toContain('service');
    expect(kdd.warnings).toEqual([]);
  });

  it('drops exact duplicates (38 features + label): the measured counts', () => {
    expect(kdd.train.X.rows).toBe(141482);
    expect(kdd.test.X.rows).toBe(74735);
    const tr = count(kdd.train.labels);
    const te = count(kdd.test.labels);
    // The paper's Table 1: 87,721 / 47,869 train, 47,905 / 17,797 test: matched exactly.
    expect([tr.normal, tr.neptune, te.normal, te.neptune]).toEqual([87721, 47869, 47905, 17797]);
    expect(KDD_R2L_LABELS.reduce((s, l) => s + (te[l] ?? 0), 0)).toBe(2913);
    expect(te.xterm).toBe(13); // 2913 + 13 = the paper's 2,926
  });

  it("the paper's split", () => {
    const s = kddSplit(kdd.train, kdd.test);
    const sizes = [s.train.normal.rows, s.train.known.rows, s.test.normal.rows, s.test.known.rows, s.test.unknown.rows];
    expect(sizes).toEqual([87721, 47869, 47905, 17797, 2913]);
    expect(s.testSet).toBe('exact');
    expect(s.train.normal.featureNames).toEqual(KDD_NUMERIC_FEATURES);
    expect(kddSplit(kdd.train, kdd.test, { unknown: [...KDD_R2L_LABELS, 'xterm'] }).test.unknown.rows).toBe(2926);
  });
});

describe('parseKdd', () => {
  it('drops the symbolic columns and strips the label dot', () => {
    const v = zeros38().map((_, k) => k + 0.5);
    const d = parseKdd(`${row(v, 'normal')}\n`, { name: 'one' });
    expect(d.labels).toEqual(['normal']);
    expect(Array.from(d.X.data)).toEqual(v);
  });

  it('dedup compares values (1 = 1.0), the label included, and keeps the first occurrence', () => {
    const a = zeros38();
    a[0] = 1;
    const text = [
      row(a, 'normal'),
      row(a, 'normal', 'udp').replace(/^1,/, '1.0,'), // differs only in a dropped column and in spelling
      row(a, 'neptune'),
      row(zeros38(), 'normal'),
    ].join('\r\n');
    const d = parseKdd(text);
    expect(d.rowsRead).toBe(4);
    expect(d.labels).toEqual(['normal', 'neptune', 'normal']);
    expect(d.duplicatesDropped).toBe(1);
    expect(parseKdd(text, { dedup: false }).X.rows).toBe(4);
  });

  it('errors name the file, the line and the column', () => {
    const good = row(zeros38(), 'normal');
    expect(() => parseKdd(`${good}\n1,2,3\n`, { name: 'kdd.csv' })).toThrow(/^kdd\.csv: line 2 has 3 comma-separated columns/);
    const bad = good.replace(/^0,tcp,http,SF,0,/, '0,tcp,http,SF,abc,');
    expect(() => parseKdd(`${good}\n${bad}`, { name: 'kdd.csv' })).toThrow(/line 2, column 5 \(src_bytes\) is "abc"/);
    expect(() => parseKdd(gzipSync(good), { name: 'g' })).toThrow(DatasetFormatError);
  });
});

describe('KDD loader errors', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('a missing test file names the names looked for; a corrupt gz names the file', async () => {
    writeFileSync(join(tmp.dir, 'kddcup.data_10_percent'), `${row(zeros38(), 'normal')}\n`);
    await expect(loadKdd(tmp.dir)).rejects.toThrow(/no KDD Cup '99 test \('corrected'\) file: looked for corrected/);
    const gz = gzipSync(`${row(zeros38(), 'normal')}\n`);
    writeFileSync(join(tmp.dir, 'corrected.gz'), gz.subarray(0, 20));
    const e = await loadKdd(tmp.dir).catch((x: unknown) => x);
    expect((e as DatasetFormatError).problem).toBe('gzip');
    expect((e as DatasetFormatError).message).toContain('corrected.gz');
  });

  it('loadKddSplit works on a folder holding the files directly (a checksum mismatch warns)', async () => {
    const v = zeros38();
    const train = [row(v, 'normal'), row(v, 'neptune'), row(v, 'smurf')].join('\n');
    const test = [row(v, 'normal'), row(v, 'neptune'), row(v, 'guess_passwd'), row(v, 'snmpgetattack')].join('\n');
    writeFileSync(join(tmp.dir, 'kddcup.data_10_percent'), train);
    writeFileSync(join(tmp.dir, 'corrected.gz'), gzipSync(test));
    const s = await loadKddSplit(tmp.dir);
    expect([s.train.normal.rows, s.train.known.rows, s.test.normal.rows, s.test.known.rows, s.test.unknown.rows]).toEqual([
      1, 1, 1, 1, 2,
    ]);
    expect(s.warnings).toHaveLength(2);
  });
});

import { ValidationError } from '@abc/core';

/**
 * The dataset catalogue: every dataset `abc data fetch` knows, with its files, their download addresses (the
 * publisher's first, then mirrors), byte sizes and checksums. Browser-safe plain data; the Node fetcher is
 * `fetchDatasets` in `@abc/eval/node`.
 *
 * Checksums are the publisher's MD5 of the file where one is published (MNIST, Fashion-MNIST, CIFAR-10), else
 * the SHA-256 of the gunzipped content (KDD Cup '99, whose files have been recompressed by mirrors over the
 * years, so only the content is stable), else the SHA-256 of the file (ADBench's `.npz`, which are not gzipped).
 * `verifiedHere` says whether the checksum was checked against a real copy by this project (the copies its CI
 * holds); an unverified one is the publisher's word (or, for 12 ADBench files, unknown: the first download
 * records the file's SHA-256 beside it and says it was not verified).
 */

/** How a catalogue file is checked. `of: 'gunzipped'` hashes the gunzip of the file's bytes. */
export interface CatalogueChecksum {
  readonly algorithm: 'md5' | 'sha256';
  readonly hex: string;
  readonly of: 'file' | 'gunzipped';
}

/** One file of a dataset. */
export interface CatalogueFile {
  /** Where it goes under the data folder, `/`-separated (`mnist/train-images-idx3-ubyte.gz`): the `--data-dir` layout. */
  readonly path: string;
  /** Download addresses, tried in order: the publisher's, then mirrors. */
  readonly urls: readonly string[];
  /** The size in bytes of the copy the checksum describes, when known. */
  readonly bytes: number | null;
  /** null when no checksum is known (the first download records one). */
  readonly checksum: CatalogueChecksum | null;
  /** True when this project checked the checksum against a real copy; false for a published value taken on trust. */
  readonly verifiedHere: boolean;
}

/** One dataset of the catalogue. */
export interface CatalogueEntry {
  /** The name `abc data fetch` takes: `mnist`, `fashion-mnist`, `kdd99`, `cifar10`, `adbench/<file name without .npz>`. */
  readonly name: string;
  /** The folder under the data folder (the `--data-dir` layout of DESIGN's firm contracts). */
  readonly folder: string;
  readonly title: string;
  /** Where the data come from and under which terms, in a line. */
  readonly source: string;
  readonly files: readonly CatalogueFile[];
  /** Rows, features and anomalies of ADBench's files (from their README); absent for the others. */
  readonly shape?: { readonly rows: number; readonly features: number; readonly anomalies: number };
}

const md5 = (hex: string): CatalogueChecksum => ({ algorithm: 'md5', hex, of: 'file' });

const MNIST_BASES = ['http://yann.lecun.com/exdb/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'];
// Publisher's MD5s (checked here against the byte-identical copies the project's CI holds).
const MNIST_FILES: readonly [string, number, string][] = [
  ['train-images-idx3-ubyte.gz', 9912422, 'f68b3c2dcbeaaa9fbdd348bbdeb94873'],
  ['train-labels-idx1-ubyte.gz', 28881, 'd53e105ee54ea40749a09fcbcd1e9432'],
  ['t10k-images-idx3-ubyte.gz', 1648877, '9fb629c4189551a2d022fa330f9573f3'],
  ['t10k-labels-idx1-ubyte.gz', 4542, 'ec29112dd5afa0611ce80d1b7f02629c'],
];

const FASHION_BASES = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
];
// Zalando's published MD5s (its README, and torchvision's); not checked here: upstream cannot be downloaded on
// this project's machines, and Debian's package recompresses the files.
const FASHION_FILES: readonly [string, number, string][] = [
  ['train-images-idx3-ubyte.gz', 26421880, '8d4fb7e6c68d591d4c3dfef9ec88bf0d'],
  ['train-labels-idx1-ubyte.gz', 29515, '25c81989df183df01b3e8a0aad5dffbe'],
  ['t10k-images-idx3-ubyte.gz', 4422102, 'bef4ecab320f06d8554ea6380940ec79'],
  ['t10k-labels-idx1-ubyte.gz', 5148, 'bb300cfdad3c16e7a12a480ee83cd310'],
];

const KDD_BASES = [
  'http://kdd.ics.uci.edu/databases/kddcup99/',
  'https://archive.ics.uci.edu/ml/machine-learning-databases/kddcup99-mld/',
];
// UCI publishes no checksum: the SHA-256 of the gunzipped content of the copies checked here.
const KDD_FILES: readonly [string, number, string][] = [
  ['kddcup.data_10_percent.gz', 2144893, 'f8c8267ebcd9c0ed1fd7d6277fe5bfff8732e9b7db8e61b873542b2a534b6f9a'],
  ['corrected.gz', 1409035, '547dfb9c0f0dc1d9944219ec79e851191faebaeb8acbfa1cd171c418397052a4'],
];

/** ADBench's repository, and the same files at the commit whose copies were checked here. */
const ADBENCH_BASES = [
  'https://raw.githubusercontent.com/Minqi824/ADBench/main/adbench/datasets/Classical/',
  'https://raw.githubusercontent.com/Minqi824/ADBench/f7fed68dea6901fe9a81ed51b251b1d2456790cd/adbench/datasets/Classical/',
];

// [file name without .npz, bytes, sha256 of the file, rows, features, anomalies]: the 31 copies checked here
// (the copies the project's CI holds, from ADBench at 3dac822).
const ADBENCH_VERIFIED: readonly [string, number, string, number, number, number][] = [
  ['2_annthyroid', 66547, 'e738f7c58a8740d2c4aac4c71ff49ce5e1d1aa16f44178135fc9c09df05fad1b', 7200, 6, 534],
  ['4_breastw', 3023, '4f37ce07dbc25ddad8178fdc6d664ab46d2d0000ee28c2787c3c7ff3c03ef9f6', 683, 9, 239],
  ['5_campaign', 728999, '74dd4d0072d6c6f1aabab63bc102f9633454f32bb936fa9bcfbd38f9f2386bcd', 41188, 62, 4640],
  ['7_Cardiotocography', 37911, '5ae84910430f05923e11b6f537243263977c9136949dabd891e3570aeec51e29', 2114, 21, 466],
  ['10_cover', 2537258, '945a097c3542ae81a551bf1c06dcad78a755d94f84fcaf1d60687e42d1a656df', 286048, 10, 2747],
  ['12_fault', 192040, 'ec27301f9a4cf7c5d8b22c360cf37ddb043b7fb062465723dfd8b34e2771e5dd', 1941, 27, 673],
  ['14_glass', 10755, 'aa7a8db1d475ba01a10488af454bc15220a3d5951b010b03b7020567d8152cdc', 214, 7, 9],
  ['15_Hepatitis', 1644, '4a87a2f7d8013e5bfde63294fae61ec7a612322de72f338a7f9491749025ad98', 80, 19, 13],
  ['16_http', 2179269, '9d98710091551587f4740cfc851a6b064fff6319a337c2dc77ee6da4bcc2e02c', 567498, 3, 2211],
  ['17_InternetAds', 78157, 'bdd8ad5cf5bf2cb96cba53dde30d522d0f6a279083a8e2bc7efbac5981b04385', 1966, 1555, 368],
  ['18_Ionosphere', 42913, 'bca46cb0cfd1bf9ddef6cde5ad2215d54fb0189508d0d4c4eb98e788cad69001', 351, 32, 126],
  ['19_landsat', 223827, 'ba17e2158c07469597b89db49d3982c874c6b713ff6670721ddc88969da77987', 6435, 36, 1333],
  ['20_letter', 23946, 'f986d3da80cf1fa2aea83a5ebe73b7d4800e0d4c01fdd1ae074b58d20f10d039', 1600, 32, 100],
  ['21_Lymphography', 1895, 'dad977b04f4ea65b78ccd0e9f76b45175bad605165b37e63f3cc177845e67037', 148, 18, 6],
  ['22_magic.gamma', 1296704, '0be375984d7af9ea7a63b12206c240840d8b7daa3607021c5fb8756407dd86f1', 19020, 10, 6688],
  ['24_mnist', 455359, 'be7706272325fdd3592c1be555ae1a82f916a2f8545f4f8cbaa548ab102cc44c', 7603, 100, 700],
  ['25_musk', 736255, '2ed3f4392197b76a1e59116ff880c7720a4b026cf4842073a53b56fdea265017', 3062, 166, 97],
  ['27_PageBlocks', 102998, '10a9b4d5bb5d3b9083caab4c4062f665610eada703c3d927bf7c34b1f2d0d223', 5393, 10, 510],
  ['28_pendigits', 653509, 'c4936b89dcdad59d303020e492f763a0f54170080d787c77497609acbb9c2d79', 6870, 16, 156],
  ['29_Pima', 11023, '215454bb263a2f040945c9ea7bd7f06f1e89a61a3143bdb6f196e3887e801a7d', 768, 8, 268],
  ['34_smtp', 496392, 'd2569fc9bc12115419e3f5b37d19921e10e6c26e5ad1e61064cfb0fbc402dfdd', 95156, 3, 30],
  ['35_SpamBase', 152038, 'd0c46c7928e43f6496bcd06e09de0b70f6bc8143792dfa0a43f450263d254e9b', 4207, 57, 1679],
  ['37_Stamps', 20569, '99fe739447284f613fa54bf2dccdb51c5120175ce6260adec6dad77576c42509', 340, 9, 31],
  ['39_vertebral', 4868, '0816286f92b96fe6867664a41a031ac7228dcfbf1a5feefe50ca3883b2e9073d', 240, 6, 30],
  ['40_vowels', 134268, '4bfc4244d1c882773bbbc50d4a5db5e52276e53506e46b2d45e02d074cfcb1b6', 1456, 12, 50],
  ['41_Waveform', 145028, '6c9d867337ad1a2f8372c1d27f4c032f0401237e2041b7c45f00de8d319ff30f', 3443, 21, 100],
  ['42_WBC', 1444, '650f9dcb129248f67a291be0974f533ef259fcbde50fce5c8ad2a1cb2652d03b', 223, 9, 10],
  ['43_WDBC', 46770, '78d4606a1ab516f5b60b00c196497f3bbd6bd5e4548fd04cf5f2475209b34b85', 367, 30, 10],
  ['45_wine', 4072, 'd5ad8965d92cc57122fe1e6572bb301adbaf795b3e166d187ae00a704d8f6e20', 129, 13, 10],
  ['46_WPBC', 44367, '68a6d67242643855713bcdad07d89ecc472bd00000dccc17ba87916eb2693d19', 198, 33, 47],
  ['47_yeast', 14707, 'bbb15c873d78a4f6a589f46d0f75814595e2282d2ae7ce7779c750f276c3770d', 1484, 8, 507],
];

// The other 12 of the 43 classical files in ADBench's repository (fraud, census, backdoor and speech are not in
// it): no checksum is known here.
const ADBENCH_UNVERIFIED: readonly string[] = [
  '1_ALOI',
  '6_cardio',
  '8_celeba',
  '11_donors',
  '23_mammography',
  '26_optdigits',
  '30_satellite',
  '31_satimage-2',
  '32_shuttle',
  '33_skin',
  '38_thyroid',
  '44_Wilt',
];

const ADBENCH_SOURCE =
  'ADBench (Han et al., NeurIPS 2022), GitHub Minqi824/ADBench adbench/datasets/Classical (BSD-2-Clause; the data ' +
  'from ODDS, UCI and the sources its paper lists)';

function adbenchEntry(
  file: string,
  known?: { bytes: number; sha256: string; rows: number; features: number; anomalies: number },
): CatalogueEntry {
  return {
    name: `adbench/${file}`,
    folder: 'adbench',
    title: `ADBench ${file.replace(/^\d+_/, '')}`,
    source: ADBENCH_SOURCE,
    files: [
      {
        path: `adbench/${file}.npz`,
        urls: ADBENCH_BASES.map((b) => `${b}${file}.npz`),
        bytes: known?.bytes ?? null,
        checksum: known ? { algorithm: 'sha256', hex: known.sha256, of: 'file' } : null,
        verifiedHere: known !== undefined,
      },
    ],
    ...(known ? { shape: { rows: known.rows, features: known.features, anomalies: known.anomalies } } : {}),
  };
}

/** ADBench's numeric order (its files are named by number). */
const adbenchNumber = (name: string): number => Number(name.split('/')[1].split('_')[0]);

/**
 * Every dataset `abc data fetch` knows, in the order `abc data list` shows them.
 *
 * @example
 * DATASET_CATALOGUE.find((e) => e.name === 'mnist')!.files.length;   // 4
 */
export const DATASET_CATALOGUE: readonly CatalogueEntry[] = [
  {
    name: 'mnist',
    folder: 'mnist',
    title: 'MNIST handwritten digits (LeCun et al.), the four IDX files',
    source: "Yann LeCun's page, mirrored by torchvision (ossci-datasets)",
    files: MNIST_FILES.map(([file, bytes, hex]) => ({
      path: `mnist/${file}`,
      urls: MNIST_BASES.map((b) => b + file),
      bytes,
      checksum: md5(hex),
      verifiedHere: true,
    })),
  },
  {
    name: 'fashion-mnist',
    folder: 'fashion-mnist',
    title: 'Fashion-MNIST (Xiao et al. 2017), the four IDX files (a drop-in for MNIST)',
    source: 'Zalando Research, MIT licence: its S3 bucket, mirrored in its GitHub repository',
    files: FASHION_FILES.map(([file, bytes, hex]) => ({
      path: `fashion-mnist/${file}`,
      urls: FASHION_BASES.map((b) => b + file),
      bytes,
      checksum: md5(hex),
      verifiedHere: false,
    })),
  },
  {
    name: 'kdd99',
    folder: 'kddcup99',
    title: "KDD Cup '99: the '10 percent' training file and the labelled 'corrected' test file",
    source: 'the UCI KDD archive',
    files: KDD_FILES.map(([file, bytes, hex]) => ({
      path: `kddcup99/${file}`,
      urls: KDD_BASES.map((b) => b + file),
      bytes,
      checksum: { algorithm: 'sha256', hex, of: 'gunzipped' },
      verifiedHere: true,
    })),
  },
  {
    name: 'cifar10',
    folder: 'cifar10',
    title: 'CIFAR-10 (Krizhevsky 2009), the official binary tarball (read in place: data_batch_1..5 and test_batch)',
    source: "the University of Toronto (Alex Krizhevsky's page); no official mirror",
    files: [
      {
        path: 'cifar10/cifar-10-binary.tar.gz',
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
        bytes: 170052171,
        // The page's published MD5; the tarball cannot be downloaded on this project's machines.
        checksum: md5('c32a1d4ab5d03f1284b67883e8d87530'),
        verifiedHere: false,
      },
    ],
  },
  ...[
    ...ADBENCH_VERIFIED.map(([file, bytes, sha256, rows, features, anomalies]) =>
      adbenchEntry(file, { bytes, sha256, rows, features, anomalies }),
    ),
    ...ADBENCH_UNVERIFIED.map((file) => adbenchEntry(file)),
  ].sort((a, b) => adbenchNumber(a.name) - adbenchNumber(b.name)),
];

/**
 * The catalogue entry of a dataset name (in `catalogue`, by default this one); an unknown name is a
 * ValidationError listing the known ones.
 *
 * @example
 * catalogueEntry('kdd99').folder;   // 'kddcup99'
 */
export function catalogueEntry(name: string, catalogue: readonly CatalogueEntry[] = DATASET_CATALOGUE): CatalogueEntry {
  const entry = catalogue.find((e) => e.name === name);
  if (!entry) {
    const plain = catalogue.filter((e) => !e.name.startsWith('adbench/')).map((e) => e.name);
    const adbench = catalogue.length - plain.length;
    throw new ValidationError(
      'param',
      `unknown dataset "${name}": known are ${plain.join(', ')}` +
        (adbench ? `, adbench (all ${adbench} ADBench files) and adbench/<name>` : '') +
        ' (abc data list shows them all)',
    );
  }
  return entry;
}

/**
 * Expands names as `abc data fetch` takes them (`adbench` = every ADBench file; `adbench/29_Pima.npz` is read as
 * `adbench/29_Pima`) into catalogue entries, without duplicates, in the order given.
 *
 * @example
 * resolveDatasetNames(['mnist', 'adbench/29_Pima']).map((e) => e.name);   // ['mnist', 'adbench/29_Pima']
 */
export function resolveDatasetNames(
  names: readonly string[],
  catalogue: readonly CatalogueEntry[] = DATASET_CATALOGUE,
): CatalogueEntry[] {
  const out = new Map<string, CatalogueEntry>();
  for (const raw of names) {
    const name = raw.trim().replace(/\.npz$/i, '');
    if (name === '') continue;
    const entries =
      name === 'adbench' ? catalogue.filter((e) => e.name.startsWith('adbench/')) : [catalogueEntry(name, catalogue)];
    for (const e of entries) out.set(e.name, e);
  }
  if (out.size === 0) throw new ValidationError('param', 'no dataset named: give at least one name (abc data list shows them)');
  return [...out.values()];
}

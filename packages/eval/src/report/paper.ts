import { METHOD_IDS } from '../protocols/methods.js';

/** A value of the paper's Table 2: AUROC mean and std over five runs. */
export interface PaperValue {
  mean: number;
  std: number;
}

// Table 2's columns are the paper's eleven method ids, in their order (one list: protocols/methods.ts).
const COLUMNS = METHOD_IDS;

// Transcribed from the paper's Table 2 in its own notation: "0.965(004)" is 0.965 with std 0.004.
const RAW: Record<1 | 2, Record<string, { A: string; U: string }>> = {
  1: {
    toy2d: {
      A: '0.965(004) 0.966(001) 0.914(002) 0.972(000) 0.970(000) 0.972(000) 0.961(002) 0.859(005) 0.888(005) 0.833(000) 0.895(006)',
      U: '1.000(000) 0.999(000) 0.857(044) 0.000(001) 0.907(000) 0.005(000) 0.006(002) 1.000(000) 1.000(000) 1.000(000) 1.000(000)',
    },
    mnist: {
      A: '0.998(000) 0.999(000) 0.972(006) 0.998(000) 0.985(000) 0.991(000) 0.958(001) 0.968(001) 0.970(001) 0.805(001) 0.817(014)',
      U: '0.835(030) 0.856(016) 0.630(055) 0.758(033) 0.705(009) 0.704(009) 0.663(041) 0.892(011) 0.886(010) 0.623(002) 0.662(012)',
    },
    kdd99: {
      A: '1.000(000) 1.000(000) 0.999(001) 1.000(000) 1.000(000) 1.000(000) 1.000(000) 0.998(002) 0.998(001) 1.000(000) 0.999(001)',
      U: '0.884(017) 0.788(013) 0.781(018) 0.624(180) 0.893(000) 0.621(000) 0.735(044) 0.841(041) 0.793(009) 0.762(000) 0.842(015)',
    },
    cifar10: {
      A: '0.847(008) 0.842(010) 0.658(123) 0.780(006) 0.788(000) 0.826(000) 0.656(027) 0.534(002) 0.533(001) 0.490(000) 0.498(010)',
      U: '0.793(028) 0.785(026) 0.624(097) 0.613(041) 0.550(000) 0.628(000) 0.557(052) 0.465(003) 0.465(002) 0.495(000) 0.531(009)',
    },
  },
  2: {
    toy2d: {
      A: '0.965(002) 0.967(001) 0.836(171) 0.972(000) 0.970(000) 0.972(000) 0.964(001) 0.839(026) 0.848(040) 0.833(000) 0.893(006)',
      U: '0.988(019) 0.997(001) 0.762(125) 0.000(001) 0.755(000) 0.001(000) 0.001(001) 0.767(214) 0.750(228) 1.000(000) 1.000(000)',
    },
    mnist: {
      A: '0.999(000) 0.999(000) 0.972(004) 0.998(000) 0.985(000) 0.991(000) 0.955(002) 0.969(002) 0.970(001) 0.805(001) 0.821(008)',
      U: '0.799(013) 0.823(016) 0.645(058) 0.708(059) 0.685(009) 0.689(013) 0.655(031) 0.862(011) 0.857(010) 0.619(002) 0.660(013)',
    },
    kdd99: {
      A: '1.000(000) 1.000(000) 1.000(000) 1.000(000) 1.000(000) 1.000(000) 1.000(000) 0.998(000) 0.998(001) 1.000(000) 1.000(000)',
      U: '0.845(019) 0.781(016) 0.786(040) 0.598(185) 0.892(001) 0.622(001) 0.763(049) 0.844(030) 0.794(010) 0.762(000) 0.840(009)',
    },
    cifar10: {
      A: '0.836(009) 0.844(004) 0.602(138) 0.780(005) 0.787(000) 0.823(002) 0.660(013) 0.532(002) 0.531(001) 0.492(000) 0.503(016)',
      U: '0.727(029) 0.700(031) 0.544(070) 0.575(024) 0.521(005) 0.600(007) 0.514(015) 0.458(002) 0.458(002) 0.494(003) 0.533(014)',
    },
  },
};

function parseRow(text: string): PaperValue[] {
  return text.split(' ').map((cell) => {
    const m = /^([0-9.]+)\((\d+)\)$/.exec(cell);
    if (!m) throw new Error(`paper table: cannot read "${cell}"`);
    return { mean: Number(m[1]), std: Number(m[2]) / 1000 };
  });
}

/** Table 2 of the paper: `PAPER_TABLE2[setting][dataset][method]` = { A, U } (AUROC mean and std). */
export const PAPER_TABLE2: Readonly<Record<1 | 2, Record<string, Record<string, { A: PaperValue; U: PaperValue }>>>> = (() => {
  const out: Record<1 | 2, Record<string, Record<string, { A: PaperValue; U: PaperValue }>>> = { 1: {}, 2: {} };
  for (const setting of [1, 2] as const) {
    for (const [dataset, rows] of Object.entries(RAW[setting])) {
      const A = parseRow(rows.A);
      const U = parseRow(rows.U);
      out[setting][dataset] = {};
      COLUMNS.forEach((m, i) => {
        out[setting][dataset][m] = { A: A[i], U: U[i] };
      });
    }
  }
  return out;
})();

/**
 * The paper's AUROC for a cell of Table 2, or undefined where the paper has none (setting 3, ablations).
 *
 * @example
 * paperValue(1, 'cifar10', 'abc-ae', 'A');   // { mean: 0.847, std: 0.008 }
 */
export function paperValue(setting: number, dataset: string, method: string, kind: 'A' | 'U'): PaperValue | undefined {
  if (setting !== 1 && setting !== 2) return undefined;
  return PAPER_TABLE2[setting][dataset]?.[method]?.[kind];
}

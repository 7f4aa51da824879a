import { UnsupportedExportError, type TransformerExportSpec } from '@abc/core';
import { attr, ElemType, type GraphBuilder } from '../graph.js';
import { checkFinite, checkVector, describeKind, typeName } from './checks.js';

/**
 * Adds one transformer spec to the graph: `minmax` → (x − min) · scale; `standard` → (x − mean) / std;
 * `impute` → Where(IsNaN(x), fill, x). The width stays `d`. Anything else raises `UnsupportedExportError`.
 * With `exact`, a `minmax` spec with `dataMin64`/`scale64` or a `standard` one with `mean64`/`std64` is computed in
 * float64 as TypeScript's `transform` (Cast to double, (x − dataMin) · scale + offset or (x − mean) / std, Cast to
 * float); without it (or without those fields) in float32, which every execution provider runs (WebGPU has no
 * double).
 */
export function addTransformer(
  b: GraphBuilder,
  spec: TransformerExportSpec,
  input: string,
  d: number,
  step: string,
  exact = false,
): string {
  switch (spec.kind) {
    case 'minmax': {
      if (exact && (spec.dataMin64 !== undefined || spec.scale64 !== undefined)) return addMinMax64(b, spec, input, d, step);
      const min = checkVector(spec.min, d, `${step}: minmax "min"`);
      const scale = checkVector(spec.scale, d, `${step}: minmax "scale"`);
      const shifted = b.op('Sub', [input, b.floatConstant(`${step}_min`, min, [d])], {}, `${step}_shifted`);
      return b.op('Mul', [shifted, b.floatConstant(`${step}_scale`, scale, [d])], {}, `${step}_out`);
    }
    case 'standard': {
      if (exact && (spec.mean64 !== undefined || spec.std64 !== undefined)) return addStandard64(b, spec, input, d, step);
      const mean = checkVector(spec.mean, d, `${step}: standard "mean"`);
      const std = checkVector(spec.std, d, `${step}: standard "std"`);
      for (let j = 0; j < d; j++) {
        if (std[j] === 0) throw new UnsupportedExportError(`${step}: standard "std"[${j}] is 0; the scaler would divide by zero`);
      }
      const centred = b.op('Sub', [input, b.floatConstant(`${step}_mean`, mean, [d])], {}, `${step}_centred`);
      return b.op('Div', [centred, b.floatConstant(`${step}_std`, std, [d])], {}, `${step}_out`);
    }
    case 'impute': {
      const fill = checkVector(spec.fill, d, `${step}: impute "fill"`);
      const missing = b.op('IsNaN', [input], {}, `${step}_missing`);
      return b.op('Where', [missing, b.floatConstant(`${step}_fill`, fill, [d]), input], {}, `${step}_out`);
    }
    default:
      throw new UnsupportedExportError(
        `${step}: transformer export spec of kind ${describeKind(spec)} has no ONNX converter (supported: minmax, standard, impute)`,
      );
  }
}

type MinMaxSpec = Extract<TransformerExportSpec, { kind: 'minmax' }>;
type StandardSpec = Extract<TransformerExportSpec, { kind: 'standard' }>;

function checkVector64(v: unknown, d: number, what: string): Float64Array {
  if (!(v instanceof Float64Array) || v.length !== d) {
    throw new UnsupportedExportError(
      `${what} must be a Float64Array of ${d} values, got ${typeName(v)} of ${(v as { length?: number } | undefined)?.length}`,
    );
  }
  checkFinite(v, what);
  return v;
}

/** x' = fround((x − dataMin64) · scale64 + offset64), in float64 as `MinMaxScaler.transform`. */
function addMinMax64(b: GraphBuilder, spec: MinMaxSpec, input: string, d: number, step: string): string {
  const dataMin = checkVector64(spec.dataMin64, d, `${step}: minmax "dataMin64"`);
  const scale = checkVector64(spec.scale64, d, `${step}: minmax "scale64"`);
  const offset = spec.offset64 ?? 0;
  if (typeof offset !== 'number' || !Number.isFinite(offset))
    throw new UnsupportedExportError(`${step}: minmax "offset64" must be a finite number, got ${String(offset)}`);
  const x = b.op('Cast', [input], { to: attr.int(ElemType.double) }, `${step}_x_f64`);
  const shifted = b.op('Sub', [x, b.doubleConstant(`${step}_data_min`, dataMin, [d])], {}, `${step}_shifted`);
  let y = b.op('Mul', [shifted, b.doubleConstant(`${step}_scale64`, scale, [d])], {}, `${step}_scaled`);
  if (offset !== 0) y = b.op('Add', [y, b.doubleConstant(`${step}_offset`, [offset], [])], {}, `${step}_moved`);
  return b.op('Cast', [y], { to: attr.int(ElemType.float) }, `${step}_out`);
}

/** x' = fround((x − mean64) / std64), in float64 as `StandardScaler.transform`. */
function addStandard64(b: GraphBuilder, spec: StandardSpec, input: string, d: number, step: string): string {
  const mean = checkVector64(spec.mean64, d, `${step}: standard "mean64"`);
  const std = checkVector64(spec.std64, d, `${step}: standard "std64"`);
  std.forEach((v, j) => {
    if (v === 0) throw new UnsupportedExportError(`${step}: standard "std64"[${j}] is 0; the scaler would divide by zero`);
  });
  const x = b.op('Cast', [input], { to: attr.int(ElemType.double) }, `${step}_x_f64`);
  const centred = b.op('Sub', [x, b.doubleConstant(`${step}_mean64`, mean, [d])], {}, `${step}_centred`);
  const y = b.op('Div', [centred, b.doubleConstant(`${step}_std64`, std, [d])], {}, `${step}_scaled`);
  return b.op('Cast', [y], { to: attr.int(ElemType.float) }, `${step}_out`);
}

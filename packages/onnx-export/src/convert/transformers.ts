import { UnsupportedExportError, type TransformerExportSpec } from '@abc/core';
import type { GraphBuilder } from '../graph.js';
import { checkVector, describeKind } from './checks.js';

/**
 * Adds one transformer spec to the graph: `minmax` → (x − min) · scale; `standard` → (x − mean) / std;
 * `impute` → Where(IsNaN(x), fill, x). The width stays `d`. Anything else raises `UnsupportedExportError`.
 */
export function addTransformer(b: GraphBuilder, spec: TransformerExportSpec, input: string, d: number, step: string): string {
  switch (spec.kind) {
    case 'minmax': {
      const min = checkVector(spec.min, d, `${step}: minmax "min"`);
      const scale = checkVector(spec.scale, d, `${step}: minmax "scale"`);
      const shifted = b.op('Sub', [input, b.floatConstant(`${step}_min`, min, [d])], {}, `${step}_shifted`);
      return b.op('Mul', [shifted, b.floatConstant(`${step}_scale`, scale, [d])], {}, `${step}_out`);
    }
    case 'standard': {
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

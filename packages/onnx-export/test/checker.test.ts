import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toOnnx } from '../src/index.js';
import { buildCases, hasPythonOnnx, PYTHON, tool } from './helpers.js';

// Every exported kind through Debian's ONNX checker (python3-onnx 1.12): check_model with full_check, then
// strict shape inference with type checks, which must give score float [N] (and the other outputs' types).
const CHECK = String.raw`
import json, sys, onnx
from onnx import shape_inference, TensorProto
out = {}
for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    inferred = shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    outs = {}
    for o in inferred.graph.output:
        t = o.type.tensor_type
        outs[o.name] = [TensorProto.DataType.Name(t.elem_type), [d.dim_param or d.dim_value for d in t.shape.dim]]
    values = {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in inferred.graph.value_info}
    out[path] = {"ir": m.ir_version, "opsets": {o.domain: o.version for o in m.opset_import}, "outputs": outs, "inferred": len(values)}
print(json.dumps({"onnx": onnx.__version__, "models": out}))
`;

const checker = tool('python3-onnx (/usr/bin/python3 with onnx)', hasPythonOnnx(), 'apt-get install -y python3-onnx');
const dir = mkdtempSync(join(tmpdir(), 'abc-onnx-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Debian's ONNX checker", () => {
  it.skipIf(checker.skip)('accepts every exported kind with full_check and strict shape inference', async () => {
    checker.require();
    const cases = await buildCases(20);
    const files = cases.map((c) => {
      const path = join(dir, `${c.id}.onnx`);
      writeFileSync(path, toOnnx(c.model));
      return { c, path };
    });
    // The variants without label and with a threshold override too.
    const noLabel = join(dir, 'abc-ae-nolabel.onnx');
    writeFileSync(noLabel, toOnnx(cases[0].model, { label: false }));
    const r = spawnSync(PYTHON, ['-c', CHECK, ...files.map((f) => f.path), noLabel], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      onnx: string;
      models: Record<
        string,
        { ir: number; opsets: Record<string, number>; outputs: Record<string, [string, (string | number)[]]>; inferred: number }
      >;
    };
    for (const { c, path } of files) {
      const m = report.models[path];
      expect(m.ir, c.id).toBe(8);
      expect(m.opsets, c.id).toEqual({ '': 17, 'ai.onnx.ml': 3 });
      expect(m.outputs.score, c.id).toEqual(['FLOAT', ['N']]);
      expect(m.outputs.label, c.id).toEqual(['INT64', ['N']]);
      if (c.error) expect(m.outputs.reconstruction_error, c.id).toEqual(['FLOAT', ['N']]);
      expect(m.inferred, c.id).toBeGreaterThan(0);
    }
    expect(Object.keys(report.models[noLabel].outputs)).toEqual(['score', 'reconstruction_error']);
    console.log(
      `[onnx-export] onnx ${report.onnx} checker: ${files.length + 1} models pass full_check and strict shape inference`,
    );
  });
});

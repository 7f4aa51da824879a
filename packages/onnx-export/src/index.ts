/**
 * @abc/onnx-export: trained detectors and pipelines to ONNX, and a detector that scores an ONNX file in
 * onnxruntime. The converters arrive with the ONNX issue; the target versions below are a firm contract
 * (DESIGN.md): what onnxruntime 1.30 and Debian's onnx 1.12 checker both accept.
 */
export const ONNX_TARGET = {
  irVersion: 8,
  opset: 17,
  mlOpset: 3,
  inputName: 'X',
  outputs: { score: 'score', reconstructionError: 'reconstruction_error', label: 'label' },
} as const;

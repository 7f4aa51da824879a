/**
 * The ONNX target every exported file meets (a firm contract, docs/contracts.md): what onnxruntime 1.30 and Debian's
 * onnx 1.12 checker both accept. Input `X` float32 [N, D]; outputs `score` float32 [N],
 * `reconstruction_error` float32 [N] for autoencoders, `label` int64 [N] when a threshold is set.
 */
export const ONNX_TARGET = {
  irVersion: 8,
  opset: 17,
  mlOpset: 3,
  mlDomain: 'ai.onnx.ml',
  inputName: 'X',
  batchDim: 'N',
  outputs: { score: 'score', reconstructionError: 'reconstruction_error', label: 'label' },
} as const;

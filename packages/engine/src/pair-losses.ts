/**
 * The loss of pairwise relation learning (PReNet, Pang et al., KDD 2023): an absolute-error regression of each
 * pair's predicted relation score on its target, with its gradient with respect to the scores. It plugs into
 * `PairNetwork.trainStep` through a closure (a `LossFn`). Browser-safe.
 */

/**
 * PReNet's relation loss on a batch of pair scores: `mean_i |s_i − y_i|`, with `y_i` the pair's target relation
 * (8 anomaly-anomaly, 4 anomaly-unlabelled, 0 unlabelled-unlabelled in the paper). Writes dLoss/ds into `dOutput`,
 * `sign(s_i − y_i) / rows` (0 where `s_i = y_i`, as TensorFlow's and PyTorch's subgradient of |·|), and returns the
 * value (the authors' Keras `regression_loss`, PyTorch's `L1Loss(reduction='mean')`).
 *
 * @example
 * const loss: LossFn = (out, rows, _cols, dOut) => relationLoss(out, rows, batchTargets, dOut);
 * net.trainStep(pairs, rows, loss, optimizer);
 */
export function relationLoss(scores: Float32Array, rows: number, targets: ArrayLike<number>, dOutput: Float32Array): number {
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const r = scores[i] - targets[i];
    total += Math.abs(r);
    dOutput[i] = Math.sign(r) / rows;
  }
  return total / rows;
}

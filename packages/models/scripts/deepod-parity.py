"""DeepOD 0.5.0's DeepSAD and DevNet on ADBench's Pima, for the parity test of `deepsad` and `devnet`.

Writes packages/models/test/fixtures/deepod-pima.json: the split (standardised with the training rows' mean and sd,
10% of the training anomalies labelled, rounded up, as ADBench's la = 0.1 with at_least_one_labeled) and DeepOD's
test AUROCs over seeds 0..4:
- deepsad: DeepOD's DeepSAD with its defaults (no pre-training, class-balanced sampling, ReLU, 100,50 -> 128);
- devnet: DeepOD's DevNet with its defaults (the (B, 1) x (B,) broadcasting loss);
- devnet_per_sample: the same with the loss made per sample (y_pred.view(-1)), the paper's formula.

Run from the repository root (needs apt's python3-torch and python3-sklearn):
  PYTHONPATH=../shared/reference:../shared/reference/stubs /usr/bin/python3 packages/models/scripts/deepod-parity.py
"""
import json
import math
import os
import sys

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from deepod.models.tabular import DeepSAD, DevNet
from deepod.models.tabular import devnet as devnet_module

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get('PIMA', os.path.join(HERE, '../../../../shared/datasets/adbench/29_Pima.npz'))
OUT = os.path.join(HERE, '../test/fixtures/deepod-pima.json')
SEEDS = range(5)

torch.set_num_threads(1)
z = np.load(DATA)
X, y = z['X'].astype(np.float64), z['y'].astype(np.int64)
rng = np.random.RandomState(0)
train, test = [], []
for label in (0, 1):
    idx = rng.permutation(np.where(y == label)[0])
    cut = int(round(0.7 * len(idx)))
    train += list(idx[:cut])
    test += list(idx[cut:])
train, test = np.array(sorted(train)), np.array(sorted(test))
mu, sd = X[train].mean(0), X[train].std(0)
sd[sd == 0] = 1
Xtr, Xte = ((X[train] - mu) / sd).astype(np.float32), ((X[test] - mu) / sd).astype(np.float32)
ytr_full, yte = y[train], y[test]
anomalies = np.where(ytr_full == 1)[0]
n_lab = math.ceil(0.1 * len(anomalies))
labelled = rng.choice(anomalies, n_lab, replace=False)
ysemi = np.zeros_like(ytr_full)
ysemi[labelled] = 1


BROADCAST_FORWARD = devnet_module.DevLoss.forward


def per_sample_forward(self, y_true, y_pred):
    return BROADCAST_FORWARD(self, y_true, y_pred.view(-1))


def run(make, seed):
    model = make(seed)
    model.fit(Xtr, ysemi)
    return float(roc_auc_score(yte, model.decision_function(Xte)))


results = {'deepsad': [], 'devnet': [], 'devnet_per_sample': []}
for seed in SEEDS:
    results['deepsad'].append(run(lambda s: DeepSAD(device='cpu', verbose=0, random_state=s), seed))
    results['devnet'].append(run(lambda s: DevNet(device='cpu', verbose=0, random_state=s), seed))
    devnet_module.DevLoss.forward = per_sample_forward
    try:
        results['devnet_per_sample'].append(run(lambda s: DevNet(device='cpu', verbose=0, random_state=s), seed))
    finally:
        devnet_module.DevLoss.forward = BROADCAST_FORWARD
    print(seed, {k: round(v[-1], 4) for k, v in results.items()}, file=sys.stderr)

r6 = lambda a: [round(float(v), 6) for v in np.asarray(a).ravel()]
json.dump({
    'source': 'DeepOD 0.5.0 (bb8c20c) on ADBench 29_Pima; made by packages/models/scripts/deepod-parity.py',
    'torch': torch.__version__,
    'cols': int(Xtr.shape[1]),
    'train': {'X': r6(Xtr), 'y': [int(v) for v in ysemi], 'nAnomalies': int(ytr_full.sum())},
    'test': {'X': r6(Xte), 'y': [int(v) for v in yte]},
    'auroc': results,
}, open(OUT, 'w'))
print({k: (round(float(np.mean(v)), 4), round(float(np.std(v)), 4)) for k, v in results.items()})

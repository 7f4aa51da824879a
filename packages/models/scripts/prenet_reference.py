"""A PyTorch reference of PReNet as its paper defines it (Pang, Shen, Jin & van den Hengel, "Deep Weakly-supervised
Anomaly Detection", KDD 2023), for the training comparison of the `prenet` detector.

Written from the paper's formulas and the authors' Keras defaults (github.com/mala-lab/PReNet, `reg_network`), not
from DeepOD: a feature learner psi (one Dense layer of 20 ReLU units) shared by both inputs of a pair, a linear relation
head on the concatenation [psi(x1), psi(x2)] (with bias), the absolute-error loss mean |phi(x1, x2) - y| against the
targets 8 (anomaly-anomaly), 4 (anomaly-unlabelled, the anomaly first) and 0 (unlabelled-unlabelled), plus Keras'
l2(0.01) penalty on the feature learner's weights; RMSprop (lr 1e-3, rho 0.9, eps 1e-7: torch.optim.RMSprop with
alpha=0.9, eps=1e-7 is Keras' update) after Keras 2's clipnorm (the norm over every gradient together, scaled by
clipnorm / norm when above it). Batches: with b = B // 4, the first 2b pairs unlabelled-unlabelled (two distinct
rows), the next b anomaly-unlabelled, the rest anomaly-anomaly (two distinct anomalies). Score of a row x against E
stored references: (1 / 2E) [sum_e phi(a_e, x) + sum_e phi(x, u_e)].

Writes packages/models/test/fixtures/prenet-reference.json: the data, the initial weights (W as [in, out] row-major,
the layout of the TypeScript engine), every batch's pair indices, the per-epoch mean losses (without the penalty) of
the first 3 epochs, the number of clipped steps, the references and the final scores.

Run from the repository root (needs apt's python3-torch):
  /usr/bin/python3 packages/models/scripts/prenet_reference.py
"""
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '../test/fixtures/prenet-reference.json')

torch.set_num_threads(1)
rng = np.random.RandomState(11)

# Data: 120 unlabelled rows around 0 and 6 labelled anomalies around 2.5, five features, shuffled.
D, N0, N1 = 5, 120, 6
X = np.concatenate([rng.normal(0, 1, (N0, D)), rng.normal(2.5, 0.5, (N1, D))]).astype(np.float32)
y = np.concatenate([np.zeros(N0), np.ones(N1)]).astype(np.int64)
order = rng.permutation(N0 + N1)
X, y = X[order], y[order]

HIDDEN = 20
# clipnorm 4.75 instead of the default 1: the gradient norms here lie around 4.5-5, so about half the steps clip and
# both branches of the clip are compared (with 1 every step clips).
SCHEDULE = {'epochs': 3, 'batchesPerEpoch': 10, 'batchSize': 64, 'lr': 1e-3, 'clipnorm': 4.75, 'l2': 0.01}
TARGETS = {'aa': 8.0, 'au': 4.0, 'uu': 0.0}
E = 4


def glorot(fan_in, fan_out):
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, (fan_in, fan_out)).astype(np.float32)


# Keras' Dense defaults: Glorot-uniform kernels, zero biases. W is [in, out] (x @ W).
W1 = torch.tensor(glorot(D, HIDDEN), requires_grad=True)
b1 = torch.zeros(HIDDEN, requires_grad=True)
W2 = torch.tensor(glorot(2 * HIDDEN, 1), requires_grad=True)
b2 = torch.zeros(1, requires_grad=True)
params = [W1, b1, W2, b2]
initial = {'feature': [{'W': W1.detach().flatten().tolist(), 'b': b1.detach().tolist()}],
           'head': {'W': W2.detach().flatten().tolist(), 'b': b2.detach().tolist()}}


def psi(x):
    return torch.relu(x @ W1 + b1)


def phi(x1, x2):
    return (torch.cat([psi(x1), psi(x2)], dim=1) @ W2 + b2).flatten()


anomalies = np.where(y == 1)[0]
unlabelled = np.where(y == 0)[0]


def distinct(pool):
    i, j = rng.choice(len(pool), 2, replace=False)
    return pool[i], pool[j]


def batch_pairs(B):
    b = B // 4
    first, second, target = [], [], []
    for k in range(B):
        if k < 2 * b:
            i, j = distinct(unlabelled)
            t = TARGETS['uu']
        elif k < 3 * b:
            i, j = anomalies[rng.randint(len(anomalies))], unlabelled[rng.randint(len(unlabelled))]
            t = TARGETS['au']
        else:
            i, j = distinct(anomalies)
            t = TARGETS['aa']
        first.append(int(i))
        second.append(int(j))
        target.append(t)
    return first, second, np.array(target, dtype=np.float32)


opt = torch.optim.RMSprop(params, lr=SCHEDULE['lr'], alpha=0.9, eps=1e-7, momentum=0, centered=False)
Xt = torch.from_numpy(X)
batches, losses, clipped = [], [], 0
for epoch in range(SCHEDULE['epochs']):
    total = 0.0
    for _ in range(SCHEDULE['batchesPerEpoch']):
        first, second, target = batch_pairs(SCHEDULE['batchSize'])
        batches.append([first, second])
        opt.zero_grad()
        loss = torch.mean(torch.abs(phi(Xt[first], Xt[second]) - torch.from_numpy(target)))
        (loss + SCHEDULE['l2'] * torch.sum(W1 * W1)).backward()
        norm = torch.sqrt(sum(torch.sum(p.grad * p.grad) for p in params))
        if norm > SCHEDULE['clipnorm']:
            clipped += 1
            for p in params:
                p.grad.mul_(SCHEDULE['clipnorm'] / norm)
        opt.step()
        total += loss.item()
    losses.append(total / SCHEDULE['batchesPerEpoch'])
    print(f'epoch {epoch + 1}: loss {losses[-1]:.6f}')
print(f'{clipped} of {len(batches)} steps clipped')

ref_a = [int(i) for i in rng.choice(anomalies, E)]
ref_u = [int(i) for i in rng.choice(unlabelled, E)]
with torch.no_grad():
    s = torch.zeros(len(X), dtype=torch.float64)
    for e in range(E):
        a = Xt[ref_a[e]].expand(len(X), D)
        u = Xt[ref_u[e]].expand(len(X), D)
        s += phi(a, Xt).double() + phi(Xt, u).double()
    scores = (s / (2 * E)).tolist()

with open(OUT, 'w') as f:
    json.dump({
        'torch': torch.__version__,
        'X': [float(v) for v in X.flatten()],
        'y': y.tolist(),
        'cols': D,
        'hidden': [HIDDEN],
        'schedule': SCHEDULE,
        'targets': TARGETS,
        'initial': initial,
        'batches': batches,
        'losses': losses,
        'clippedSteps': clipped,
        'refAnomalies': ref_a,
        'refUnlabelled': ref_u,
        'finalScores': scores,
    }, f)
print('wrote', os.path.relpath(OUT))

"""A PyTorch reference of DevNet's training (Pang, Shen & van den Hengel, KDD 2019), for test/devnet-torch.test.ts.

Written from the paper's formulas and the defaults of the authors' code, not from any implementation:
- network: dense layers with bias, ReLU on the hidden layers, one linear output = the anomaly score s(x);
- each batch: position k is an unlabelled row (y = 0) when k is even and a labelled anomaly (y = 1) when k is odd,
  each drawn uniformly with replacement from its class;
- reference scores r_1..r_l ~ N(0, 1) drawn afresh for each batch, mu_R their mean, sigma_R their population
  standard deviation; dev(x) = (s(x) - mu_R) / sigma_R;
- deviation loss per row, each row against its own label: |dev| when y = 0, max(0, a - dev) when y = 1 (margin
  a = 5); the batch loss is the mean over its rows;
- objective = batch loss + l2 * sum of the squared weights of the hidden layers (Keras' kernel_regularizer l2;
  not on the output layer nor on biases);
- update: the whole gradient clipped to L2 norm `clipnorm` (Keras' clipnorm: g * c / ||g|| when ||g|| > c), then
  RMSprop with Keras' constants (torch.optim.RMSprop with alpha = rho = 0.9, eps = 1e-7).

The recorded loss of an epoch is the mean of its batches' deviation losses (without the L2 term).

Writes packages/models/test/fixtures/devnet-torch.json: the data (float32), the parameters, the initial weights in
the engine's flat layout (per layer W as [in, out] row-major, then b), every batch's row indices and reference
scores, the per-epoch losses, and the scores of the first 16 rows after training. Float arrays are base64 of
little-endian float32.

Run from the repository root (needs apt's python3-torch):
  /usr/bin/python3 packages/models/scripts/devnet_torch_reference.py
"""
import base64
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '../test/fixtures/devnet-torch.json')
torch.set_num_threads(1)


def f32(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode('ascii')


def make_data(seed, n_normal=280, n_anomaly=20, d=8):
    """Correlated Gaussian normals and shifted, wider anomalies, all anomalies labelled 1."""
    rng = np.random.RandomState(seed)
    mix = rng.normal(0, 0.5, size=(d, d))
    normal = rng.normal(0, 1, size=(n_normal, d)) @ mix
    anomaly = rng.normal(0, 1, size=(n_anomaly, d)) @ mix * 1.5 + rng.normal(1.5, 1, size=(1, d))
    X = np.vstack([normal, anomaly]).astype(np.float32)
    y = np.zeros(len(X), dtype=np.int64)
    y[n_normal:] = 1
    perm = rng.permutation(len(X))
    return X[perm], y[perm]


p = {'hidden': [20], 'activation': 'relu', 'l2': 0.01, 'lr': 1e-3, 'clipnorm': 1.0, 'batchSize': 64,
     'epochs': 3, 'batchesPerEpoch': 5, 'margin': 5.0, 'nReference': 1000}
X, y = make_data(3)
n, d = X.shape
rng = np.random.RandomState(4)
torch.manual_seed(4)

sizes = [d] + p['hidden'] + [1]
linears = [torch.nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
for m in linears:
    torch.nn.init.xavier_uniform_(m.weight)
    torch.nn.init.zeros_(m.bias)
layers = []
for i, m in enumerate(linears):
    layers.append(m)
    if i < len(linears) - 1:
        layers.append(torch.nn.ReLU())
net = torch.nn.Sequential(*layers)
initial = np.concatenate(
    [np.concatenate([m.weight.detach().numpy().T.reshape(-1), m.bias.detach().numpy()]) for m in linears])
opt = torch.optim.RMSprop(net.parameters(), lr=p['lr'], alpha=0.9, eps=1e-7)
hidden_weights = [m.weight for m in linears[:-1]]

Xt = torch.from_numpy(X)
normals, anomalies = np.where(y == 0)[0], np.where(y == 1)[0]
batches, references, losses = [], [], []
clipped = 0  # steps whose gradient was clipped: the comparison covers clipping when > 0
for epoch in range(p['epochs']):
    total = 0.0
    for b in range(p['batchesPerEpoch']):
        idx = np.array([rng.choice(normals) if k % 2 == 0 else rng.choice(anomalies) for k in range(p['batchSize'])])
        ref = rng.standard_normal(p['nReference']).astype(np.float32)
        batches.append(idx.tolist())
        references.append(ref)
        ref_t = torch.from_numpy(ref)
        mu, sigma = torch.mean(ref_t), torch.std(ref_t, unbiased=False)
        s = net(Xt[idx]).view(-1)  # one score per row: no (B, 1) x (B,) broadcasting
        dev = (s - mu) / sigma
        yb = torch.from_numpy(y[idx])
        loss = torch.mean(torch.where(yb == 1, torch.relu(p['margin'] - dev), torch.abs(dev)))
        objective = loss + p['l2'] * sum(torch.sum(w ** 2) for w in hidden_weights)
        opt.zero_grad()
        objective.backward()
        norm = torch.sqrt(sum(torch.sum(q.grad ** 2) for q in net.parameters()))
        if norm > p['clipnorm']:
            clipped += 1
            for q in net.parameters():
                q.grad.mul_(p['clipnorm'] / norm)
        opt.step()
        total += float(loss.item())
    losses.append(total / p['batchesPerEpoch'])
with torch.no_grad():
    scores16 = net(Xt[:16]).view(-1).numpy().astype(np.float64).tolist()

fixture = {
    'source': 'packages/models/scripts/devnet_torch_reference.py',
    'torch': torch.__version__,
    'n': int(n),
    'd': int(d),
    'X': f32(X),
    'y': y.tolist(),
    'params': p,
    'initial': f32(initial),
    'batches': batches,
    'references': f32(np.concatenate(references)),
    'losses': losses,
    'clippedSteps': clipped,
    'scores16': scores16,
}
with open(OUT, 'w') as f:
    json.dump(fixture, f, separators=(',', ':'))
    f.write('\n')
print('losses', ['%.6g' % v for v in losses], 'clipped steps', clipped, 'of', len(batches))

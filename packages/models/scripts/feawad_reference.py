"""A PyTorch reference of FeaWAD as its paper defines it (Zhou et al., "Feature Encoding with Autoencoders for Weakly
Supervised Anomaly Detection", IEEE TNNLS 2021), for the training comparison of the `feawad` detector.

Written from the paper's formulas, not from DeepOD: per row, r = x - x_hat, e = ||r||_2, the scoring network sees
[r / max(e, 1e-12), h, e] and e again at the input of each later layer; stage 1 trains the autoencoder with the mean
squared error on batches of unlabelled rows; stage 2 trains everything with
    (1 - y) (|dev| + e) + y (max(0, a - dev) + max(0, a - e)),   dev = (s - mean_R) / std_R,
averaged over the batch, every row against its own label (the score is a (B,) tensor, the labels (B,): no
broadcasting). Fresh Adam optimizers in each stage.

Writes packages/models/test/fixtures/feawad-reference.json: the data, the initial weights (W as [in, out]
row-major, the layout of the TypeScript engine), every batch's row indices, every end-to-end batch's reference
scores, the per-epoch mean losses of the first 3 epochs of each stage, and the final scores.

Run from the repository root (needs apt's python3-torch):
  /usr/bin/python3 packages/models/scripts/feawad_reference.py
"""
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '../test/fixtures/feawad-reference.json')

torch.set_num_threads(1)
torch.manual_seed(0)
rng = np.random.RandomState(7)

# Data: 56 unlabelled rows around 0 and 8 labelled anomalies around 2, five features.
D, N0, N1 = 5, 56, 8
X = np.concatenate([rng.normal(0, 1, (N0, D)), rng.normal(2, 0.5, (N1, D))]).astype(np.float32)
y = np.concatenate([np.zeros(N0), np.ones(N1)]).astype(np.int64)
order = rng.permutation(N0 + N1)
X, y = X[order], y[order]

ARCH = {'inputLayer': True, 'hidden': [6, 3], 'headHidden': [8, 4], 'activation': 'relu', 'outputActivation': 'linear'}
SCHEDULE = {'aeEpochs': 3, 'epochs': 3, 'batchesPerEpoch': 4, 'batchSize': 16, 'aeLr': 1e-3, 'lr': 1e-3, 'margin': 5.0}
N_REFERENCE = 64
EPS = 1e-12


def sizes():
    hidden, head = ARCH['hidden'], ARCH['headHidden']
    enc = [D, D] + hidden if ARCH['inputLayer'] else [D] + hidden
    dec = [hidden[-1]] + hidden[:-1][::-1] + [D]
    heads, width = [], D + hidden[-1] + 1
    for n in head:
        heads.append([width, n])
        width = n + 1
    heads.append([width, 1])
    return enc, dec, heads


def linears(dims):
    layers = []
    for a, b in zip(dims[:-1], dims[1:]):
        lin = torch.nn.Linear(a, b)
        torch.nn.init.xavier_normal_(lin.weight)
        torch.nn.init.uniform_(lin.bias, -0.1, 0.1)  # non-zero, so the bias gradients are compared too
        layers.append(lin)
    return torch.nn.ModuleList(layers)


enc_dims, dec_dims, head_dims = sizes()
encoder, decoder = linears(enc_dims), linears(dec_dims)
head = torch.nn.ModuleList([linears(d)[0] for d in head_dims])


def run_stack(layers, x, last_linear):
    for k, lin in enumerate(layers):
        x = lin(x)
        if not (last_linear and k == len(layers) - 1):
            x = torch.relu(x)
    return x


def forward(x):
    h = run_stack(encoder, x, last_linear=False)
    x_hat = run_stack(decoder, h, last_linear=ARCH['outputActivation'] == 'linear')
    r = x - x_hat
    e = torch.linalg.vector_norm(r, dim=1)
    z = torch.cat([r / e.clamp_min(EPS).unsqueeze(1), h, e.unsqueeze(1)], dim=1)
    for k, lin in enumerate(head):
        z = lin(z)
        if k < len(head) - 1:
            z = torch.cat([torch.relu(z), e.unsqueeze(1)], dim=1)
    return z.squeeze(1), e, x_hat


def feawad_loss(s, e, yb, mean, std, a):
    assert s.shape == e.shape == yb.shape == (yb.shape[0],)
    dev = (s - mean) / std
    dev_term = (1 - yb) * dev.abs() + yb * torch.relu(a - dev)
    rec_term = (1 - yb) * e + yb * torch.relu(a - e)
    return (dev_term + rec_term).mean(), dev_term.mean(), rec_term.mean()


def dump_layers(layers):
    return [{'W': [float(v) for v in lin.weight.detach().numpy().T.ravel()],
             'b': [float(v) for v in lin.bias.detach().numpy()]} for lin in layers]


initial = {'encoder': dump_layers(encoder), 'decoder': dump_layers(decoder), 'head': dump_layers(head)}
Xt = torch.from_numpy(X)
yt = torch.from_numpy(y).float()
normals, anomalies = np.where(y == 0)[0], np.where(y == 1)[0]
B, nb = SCHEDULE['batchSize'], SCHEDULE['batchesPerEpoch']

pre_batches, pre_losses = [], []
opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=SCHEDULE['aeLr'])
for epoch in range(SCHEDULE['aeEpochs']):
    total = 0.0
    for _ in range(nb):
        idx = normals[rng.randint(len(normals), size=B)]
        pre_batches.append([int(i) for i in idx])
        xb = Xt[idx]
        x_hat = run_stack(decoder, run_stack(encoder, xb, False), ARCH['outputActivation'] == 'linear')
        loss = torch.nn.functional.mse_loss(x_hat, xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    pre_losses.append(total / nb)

train_batches, references, train_losses = [], [], []
params = list(encoder.parameters()) + list(decoder.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=SCHEDULE['lr'])
for epoch in range(SCHEDULE['epochs']):
    sums = np.zeros(3)
    for _ in range(nb):
        # Even positions an unlabelled row, odd positions a labelled anomaly, each with replacement.
        idx = np.array([normals[rng.randint(len(normals))] if k % 2 == 0 else anomalies[rng.randint(len(anomalies))]
                        for k in range(B)])
        ref = rng.normal(0, 1, N_REFERENCE)
        train_batches.append([int(i) for i in idx])
        references.append([float(v) for v in ref])
        s, e, _ = forward(Xt[idx])
        loss, dev, rec = feawad_loss(s, e, yt[idx], float(ref.mean()), float(ref.std()), SCHEDULE['margin'])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sums += [loss.item(), dev.item(), rec.item()]
    train_losses.append([float(v) for v in sums / nb])

with torch.no_grad():
    final_scores = forward(Xt)[0]

json.dump({
    'source': 'packages/models/scripts/feawad_reference.py (PyTorch, float32, one thread)',
    'torch': torch.__version__,
    'X': [float(v) for v in X.ravel()],
    'y': [int(v) for v in y],
    'cols': D,
    'arch': ARCH,
    'schedule': SCHEDULE,
    'initial': initial,
    'pretrainBatches': pre_batches,
    'trainBatches': train_batches,
    'references': references,
    'pretrainLosses': pre_losses,
    'trainLosses': [{'loss': t[0], 'deviation': t[1], 'reconstruction': t[2]} for t in train_losses],
    'finalScores': [float(v) for v in final_scores.numpy()],
}, open(OUT, 'w'))
print('pretrain', [round(v, 6) for v in pre_losses])
print('train', [[round(v, 6) for v in t] for t in train_losses])

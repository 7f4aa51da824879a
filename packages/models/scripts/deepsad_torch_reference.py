"""A PyTorch reference of Deep SAD's training (Ruff et al., ICLR 2020), for test/deepsad-torch.test.ts.

Written from the paper's formulas, not from any implementation:
- network phi: bias-free dense layers, leaky ReLU (slope 0.01) or ReLU between them, a linear representation layer;
- pre-training: phi plus a mirrored bias-free decoder (the same activation on its hidden layers, a linear output;
  the representation layer stays linear) trained as an autoencoder, loss = mean over the batch of
  sum over the features of (x_hat - x)^2, Adam with coupled weight decay (torch.optim.Adam's weight_decay);
  phi then starts from the autoencoder's first layers;
- centre c = mean of phi(x) over all training rows, every coordinate with |c_j| < 0.1 pushed to +-0.1 by its sign;
- Deep SAD loss per row: ||phi(x) - c||^2 when unlabelled (y = 0), eta / (||phi(x) - c||^2 + 1e-6) when a labelled
  anomaly (y = 1); the batch loss is the mean over its rows; Adam with coupled weight decay.
- without pre-training (DeepOD's DeepSAD behaviour): phi keeps its random initial weights and c is taken from it.
- learning-rate milestones (run 'milestone'): each phase's Adam under torch.optim.lr_scheduler.MultiStepLR(gamma=0.1),
  stepped at the start of every epoch, before its batches, in the call order of the authors' trainers
  (Deep-SAD-PyTorch, optim/DeepSAD_trainer.py and optim/ae_trainer.py); the lr of each epoch is recorded.

An epoch visits the rows in one random permutation, in consecutive batches of `batchSize` (the last may be
shorter); the epoch's loss is the row-weighted mean of the batch losses, sum(loss_b * rows_b) / n.

Writes packages/models/test/fixtures/deepsad-torch.json with three runs, 'pretrain', 'nopretrain' and 'milestone'
(the 'pretrain' run with milestones inside its epochs): the data (float32), the parameters, the initial weights in the engine's flat layout (per layer W as [in, out] row-major,
no biases), each epoch's permutation and the per-epoch losses of both phases, the centre, and the scores of the
first 16 rows after training. Float arrays are base64 of little-endian float32.

Run from the repository root (needs apt's python3-torch):
  /usr/bin/python3 packages/models/scripts/deepsad_torch_reference.py
"""
import base64
import json
import os
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '../test/fixtures/deepsad-torch.json')
torch.set_num_threads(1)


def f32(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode('ascii')


def make_data(seed, n_normal=270, n_anomaly=30, n_labelled=12, d=8):
    """Correlated Gaussian normals and shifted, wider anomalies; the first n_labelled anomalies labelled 1."""
    rng = np.random.RandomState(seed)
    mix = rng.normal(0, 0.5, size=(d, d))
    normal = rng.normal(0, 1, size=(n_normal, d)) @ mix + 0.5
    anomaly = rng.normal(0, 1, size=(n_anomaly, d)) @ mix * 1.5 + rng.normal(2, 1, size=(1, d))
    X = np.vstack([normal, anomaly]).astype(np.float32)
    y = np.zeros(len(X), dtype=np.int64)
    y[n_normal:n_normal + n_labelled] = 1  # the other anomalies stay unlabelled (0)
    perm = rng.permutation(len(X))
    return X[perm], y[perm]


def dense_stack(sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1], bias=False))
        if i < len(sizes) - 2:
            layers.append(torch.nn.LeakyReLU(0.01) if act == 'leakyRelu' else torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def flat_params(net):
    """The engine's layout: per layer W as [in, out] row-major (torch stores [out, in])."""
    return np.concatenate([m.weight.detach().numpy().T.reshape(-1) for m in net if isinstance(m, torch.nn.Linear)])


def run_epoch(X, perm, batch, step):
    total = 0.0
    for start in range(0, len(X), batch):
        idx = perm[start:start + batch]
        total += step(idx) * len(idx)
    return total / len(X)


def step_scheduler(sched):
    """scheduler.step() before the epoch's optimizer steps, as the authors' trainers call it (PyTorch warns that
    this order skips the schedule's first value: that shift is their behaviour, which we reproduce)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        sched.step()


def train(X, y, p, seed):
    n, d = X.shape
    rng = np.random.RandomState(seed + 1)
    torch.manual_seed(seed)
    enc_sizes = [d] + p['hidden'] + [p['repDim']]
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y)
    out = {'params': p, 'orders': {'pretrain': [], 'sad': []}, 'losses': {'pretrain': [], 'sad': []},
           'lrs': {'pretrain': [], 'sad': []}}
    phi = dense_stack(enc_sizes, p['activation'])
    if p['pretrain']:
        # encoder (linear code layer) then the mirrored decoder (linear output layer)
        ae = torch.nn.Sequential(*dense_stack(enc_sizes, p['activation']),
                                 *dense_stack([p['repDim']] + list(reversed(p['hidden'])) + [d], p['activation']))
        for m in ae:
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(m.weight)
        out['initial'] = f32(flat_params(ae))
        opt = torch.optim.Adam(ae.parameters(), lr=p['aeLr'], weight_decay=p['aeWeightDecay'])
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=p['aeLrMilestones'], gamma=0.1)

        def ae_step(idx):
            xb = Xt[idx]
            loss = torch.mean(torch.sum((ae(xb) - xb) ** 2, dim=1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            return float(loss.item())

        for _ in range(p['aeEpochs']):
            step_scheduler(sched)
            out['lrs']['pretrain'].append(opt.param_groups[0]['lr'])
            perm = rng.permutation(n)
            out['orders']['pretrain'].append(perm.tolist())
            out['losses']['pretrain'].append(run_epoch(X, perm, p['batchSize'], ae_step))
        # phi = the autoencoder's encoder layers
        enc_linear = [m for m in phi if isinstance(m, torch.nn.Linear)]
        ae_linear = [m for m in ae if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for a, b in zip(enc_linear, ae_linear):
                a.weight.copy_(b.weight)
    else:
        for m in phi:
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(m.weight)
        out['initial'] = f32(flat_params(phi))

    with torch.no_grad():
        c = torch.mean(phi(Xt), dim=0)
        small = torch.abs(c) < 0.1
        c = torch.where(small, torch.where(c < 0, torch.tensor(-0.1), torch.tensor(0.1)), c)
    out['centre'] = c.numpy().astype(np.float64).tolist()
    opt = torch.optim.Adam(phi.parameters(), lr=p['lr'], weight_decay=p['weightDecay'])
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=p['lrMilestones'], gamma=0.1)

    def sad_step(idx):
        dist = torch.sum((phi(Xt[idx]) - c) ** 2, dim=1)
        per_row = torch.where(yt[idx] == 1, p['eta'] / (dist + 1e-6), dist)
        loss = torch.mean(per_row)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())

    for _ in range(p['epochs']):
        step_scheduler(sched)
        out['lrs']['sad'].append(opt.param_groups[0]['lr'])
        perm = rng.permutation(n)
        out['orders']['sad'].append(perm.tolist())
        out['losses']['sad'].append(run_epoch(X, perm, p['batchSize'], sad_step))
    with torch.no_grad():
        out['scores16'] = torch.sum((phi(Xt[:16]) - c) ** 2, dim=1).numpy().astype(np.float64).tolist()
    return out


common = {'hidden': [32, 16], 'repDim': 8, 'eta': 1.0, 'lr': 1e-3, 'weightDecay': 5e-7, 'batchSize': 32,
          'epochs': 3, 'aeEpochs': 3, 'aeLr': 1e-3, 'aeWeightDecay': 5e-4, 'lrMilestones': [], 'aeLrMilestones': []}
X, y = make_data(7)
runs = {
    # the paper: leaky ReLU, autoencoder pre-training
    'pretrain': train(X, y, {**common, 'activation': 'leakyRelu', 'pretrain': True}, 11),
    # DeepOD's behaviour: no pre-training (centre from the random network), its ReLU
    'nopretrain': train(X, y, {**common, 'activation': 'relu', 'pretrain': False}, 12),
    # the 'pretrain' run (same seed: same initial weights and orders) with lr milestones inside the compared epochs:
    # pre-training x0.1 from epoch 3, Deep SAD x0.1 from epoch 2 and again from epoch 3
    'milestone': train(X, y, {**common, 'activation': 'leakyRelu', 'pretrain': True, 'aeLrMilestones': [3],
                              'lrMilestones': [2, 3]}, 11),
}
fixture = {
    'source': 'packages/models/scripts/deepsad_torch_reference.py',
    'torch': torch.__version__,
    'n': int(X.shape[0]),
    'd': int(X.shape[1]),
    'X': f32(X),
    'y': y.tolist(),
    'runs': runs,
}
with open(OUT, 'w') as f:
    json.dump(fixture, f, separators=(',', ':'))
    f.write('\n')
for name, r in runs.items():
    print(name, 'pretrain', ['%.6g' % v for v in r['losses']['pretrain']], 'sad', ['%.6g' % v for v in r['losses']['sad']],
          'lr', r['lrs'])

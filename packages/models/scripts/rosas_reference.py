"""A PyTorch reference of RoSAS's training objective (Xu, Wang, Pang, Jian, Liu & Wang, "RoSAS: Deep semi-supervised
anomaly detection with contamination-resilient continuous supervision", Information Processing & Management 2023),
for the training comparison of the `rosas` detector.

Written from the method's formulas (not from DeepOD or the authors' code), with the authors' code's choices where
the formulas leave one open. Per batch of B triplets (unlabelled anchor a, unlabelled positive p, labelled anomaly n):
    x = [a; p; n] (3B rows), y = [-1 (2B times); +1 (B times)]
    mixed row r: x~_r = sum_m lam[m, r] x[pi_m(r)], y~_r = sum_m lam[m, r] y[pi_m(r)]   (pi_0 = identity)
    L_triplet = mean_b max(0, ||z_a - z_p + eps|| - ||z_a - z_n + eps|| + margin)   (z = psi(x), eps = 1e-6)
    L_score   = mean_r l(phi(x~_r), y~_r) + mean_r l(phi(x~_r), sum_m lam[m, r] phi(x[pi_m(r)]))   (l: smooth L1)
    dynamic:  L = (e_t L_triplet + e_s L_score) / (e_t + e_s),  e_i = exp(L_i / (prev_i T)),  prev_i the previous
              epoch's mean of the term (1 in the first); the weights are not detached (as the authors' code)
    fixed:    L = 0.5 L_triplet + 0.5 L_score
    total = L + c ||z_a + z_p + z_n||  (Frobenius norm; c = 0.01 in the authors' code)
Network: psi = bias-free Linear/LeakyReLU layers then a bias-free linear layer to E; phi = tanh(Linear(LeakyReLU(
bias-free Linear(E -> E/2)))). Optimizer: torch.optim.Adam with weight_decay.

Two configurations: the paper's (k = 2 rows per mix with Beta(alpha, alpha) weights, dynamic weighting, the
penalty, weight decay) and a second one (k = 3 with Dirichlet weights, fixed weighting, no penalty, no decay, ReLU).
Writes packages/models/test/fixtures/rosas-reference.json: the data, and per configuration the initial weights
(W as [in, out] row-major, the TypeScript engine's layout), every batch's rows, partners and weights, the per-epoch
mean losses and terms of 3 epochs, and the final scores.

Run from the repository root (needs apt's python3-torch):
  /usr/bin/python3 packages/models/scripts/rosas_reference.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '../test/fixtures/rosas-reference.json')
EPS = 1e-6

torch.set_num_threads(1)
torch.manual_seed(0)
rng = np.random.RandomState(11)

# 60 unlabelled rows (56 around 0, 4 unlabelled anomalies around 2: contamination) and 6 labelled anomalies.
D = 5
X = np.concatenate([rng.normal(0, 1, (56, D)), rng.normal(2, 0.5, (4, D)), rng.normal(2, 0.5, (6, D))]).astype(np.float32)
y = np.concatenate([np.zeros(60), np.ones(6)]).astype(np.int64)
order = rng.permutation(len(y))
X, y = X[order], y[order]
U, A = np.where(y == 0)[0], np.where(y == 1)[0]

CONFIGS = [
    {'name': 'paper', 'hidden': [7], 'embeddingSize': 6, 'activation': 'leakyRelu', 'batchSize': 8,
     'batchesPerEpoch': 4, 'epochs': 3, 'lr': 0.005, 'weightDecay': 1e-4, 'margin': 1.0, 'alpha': 0.5, 'mixSize': 2,
     'temperature': 2.0, 'weighting': 'dynamic', 'embeddingPenalty': 0.01},
    {'name': 'k3-fixed', 'hidden': [6, 5], 'embeddingSize': 4, 'activation': 'relu', 'batchSize': 6,
     'batchesPerEpoch': 4, 'epochs': 3, 'lr': 0.01, 'weightDecay': 0.0, 'margin': 2.0, 'alpha': 1.0, 'mixSize': 3,
     'temperature': 2.0, 'weighting': 'fixed', 'embeddingPenalty': 0.0},
]


def act(name):
    return torch.nn.LeakyReLU(0.01) if name == 'leakyRelu' else torch.nn.ReLU()


def build(c):
    sizes = [D] + c['hidden'] + [c['embeddingSize']]
    feature = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        feature.append(torch.nn.Linear(a, b, bias=False))
        if k < len(sizes) - 2:
            feature.append(act(c['activation']))
    E = c['embeddingSize']
    head = [torch.nn.Linear(E, E // 2, bias=False), act(c['activation']), torch.nn.Linear(E // 2, 1), torch.nn.Tanh()]
    return torch.nn.Sequential(*feature), torch.nn.Sequential(*head)


def dump(seq):
    out = []
    for m in seq:
        if isinstance(m, torch.nn.Linear):
            out.append({'W': [float(v) for v in m.weight.detach().numpy().T.ravel()],
                        'b': [] if m.bias is None else [float(v) for v in m.bias.detach().numpy()]})
    return out


def run(c):
    feature, head = build(c)
    initial = {'feature': dump(feature), 'head': dump(head)}
    params = list(feature.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=c['lr'], weight_decay=c['weightDecay'])
    Xt = torch.from_numpy(X)
    B, k = c['batchSize'], c['mixSize']
    n = 3 * B
    targets = torch.tensor([-1.0] * (2 * B) + [1.0] * B)
    prev = [1.0, 1.0]
    batches, epochs = [], []
    for _ in range(c['epochs']):
        sums = np.zeros(6)
        for _ in range(c['batchesPerEpoch']):
            anchors = rng.choice(U, B, replace=False)
            positives = rng.choice(U, B, replace=False)
            negatives = rng.choice(A, B)
            partners = np.stack([np.arange(n)] + [rng.permutation(n) for _ in range(k - 1)])
            if k == 2:
                lam = rng.beta(c['alpha'], c['alpha'], size=n).astype(np.float32)
                lambdas = np.stack([lam, np.float32(1) - lam])
            else:
                lambdas = rng.dirichlet([c['alpha']] * k, size=n).T.astype(np.float32)
            batches.append({'anchors': [int(v) for v in anchors], 'positives': [int(v) for v in positives],
                            'negatives': [int(v) for v in negatives],
                            'partners': [int(v) for v in partners.ravel()],
                            'lambdas': [float(v) for v in lambdas.ravel()]})
            x = Xt[np.concatenate([anchors, positives, negatives])]
            lam_t = torch.from_numpy(lambdas)
            pt = torch.from_numpy(partners)
            x_mix = sum(lam_t[m].unsqueeze(1) * x[pt[m]] for m in range(k))
            y_mix = sum(lam_t[m] * targets[pt[m]] for m in range(k))
            z = feature(x)
            s = head(z).squeeze(1)
            s_mix = head(feature(x_mix)).squeeze(1)
            s_interp = sum(lam_t[m] * s[pt[m]] for m in range(k))
            za, zp, zn = z[:B], z[B:2 * B], z[2 * B:]
            d_p = torch.linalg.vector_norm(za - zp + EPS, dim=1)
            d_n = torch.linalg.vector_norm(za - zn + EPS, dim=1)
            triplet = torch.clamp_min(d_p - d_n + c['margin'], 0).mean()
            assert abs(triplet.item() - F.triplet_margin_loss(za, zp, zn, margin=c['margin']).item()) < 1e-6
            target = F.smooth_l1_loss(s_mix, y_mix)
            consistency = F.smooth_l1_loss(s_mix, s_interp)
            score = target + consistency
            penalty = torch.linalg.norm(za + zp + zn)
            if c['weighting'] == 'dynamic':
                e_t = torch.exp(triplet / (prev[0] * c['temperature']))
                e_s = torch.exp(score / (prev[1] * c['temperature']))
                loss = (e_t * triplet + e_s * score) / (e_t + e_s)
            else:
                loss = 0.5 * triplet + 0.5 * score
            loss = loss + c['embeddingPenalty'] * penalty
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += [loss.item(), triplet.item(), score.item(), target.item(), consistency.item(), penalty.item()]
        means = sums / c['batchesPerEpoch']
        epochs.append(dict(zip(['loss', 'triplet', 'score', 'target', 'consistency', 'penalty'],
                               [float(v) for v in means])))
        prev = [float(means[1]), float(means[2])]
    with torch.no_grad():
        final = head(feature(Xt)).squeeze(1)
    print(c['name'], [[round(e[key], 6) for key in ('loss', 'triplet', 'score')] for e in epochs])
    return {'config': c, 'initial': initial, 'batches': batches, 'epochs': epochs,
            'finalScores': [float(v) for v in final.numpy()]}


runs = [run(c) for c in CONFIGS]
json.dump({
    'source': 'packages/models/scripts/rosas_reference.py (PyTorch, float32, one thread)',
    'torch': torch.__version__,
    'X': [float(v) for v in X.ravel()],
    'y': [int(v) for v in y],
    'cols': D,
    'runs': runs,
}, open(OUT, 'w'))

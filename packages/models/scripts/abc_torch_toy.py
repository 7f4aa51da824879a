#!/usr/bin/env python3
"""A PyTorch ABC on the rows that abc_toy_ablation.ts exports (issue 20 item 6; not a test).

Run with Debian's /usr/bin/python3 (PyTorch 1.13, NumPy, SciPy, scikit-learn), one thread, from the repository root:

    /usr/bin/python3 packages/models/scripts/abc_torch_toy.py train --work out/abc-toy --seeds 9 --inits glorot,torch \
        --out docs/benchmark/ablations/toy-torch.jsonl
    /usr/bin/python3 packages/models/scripts/abc_torch_toy.py trace --work out/abc-toy --seed 0 \
        --ours out/abc-toy/trace-ours-0.json --out docs/benchmark/ablations/toy-trace-0.json
    /usr/bin/python3 packages/models/scripts/abc_torch_toy.py summary --ours docs/benchmark/ablations/toy-ours.jsonl \
        --torch docs/benchmark/ablations/toy-torch.jsonl --out docs/benchmark/ablations/toy-summary.json

The model follows ours (packages/models/src/autoencoder-base.ts, trainReconstruction): 2-300-100-20-100-300-2,
tanh hidden and code layers, linear output; L = mean over the 2 attributes of the squared error; per-sample loss
L for normals and -log(max(1 - exp(-L), 1e-12)) for known anomalies, averaged over the batch; Adam (lr 1e-3,
betas 0.9/0.999, eps 1e-8); batches of 100 in a fresh random order each epoch; a stratified validation split of
round(0.2 n) rows per class; after each epoch the mean per-sample loss on it; stop when it has not decreased for 10
epochs (at most 300), then restore the weights of the best epoch. Score p(anomaly) = 1 - exp(-L) in float32.

- `train`: the random streams are PyTorch's (torch.manual_seed(seed): init, split, shuffles). `glorot` is
  xavier_uniform_ weights and zero biases (ours and Keras'); `torch` is nn.Linear's default (weights and biases
  U(+-1/sqrt(fan_in))).
- `trace`: the initial weights, validation rows and per-epoch orders of our own fit (written by the TS `trace`
  command), so both sides run the same arithmetic; prints and writes the per-epoch losses of both.
- `summary`: per-seed AUROCs of every variant, means and stds, and paired differences (paired t-test, sign test,
  Wilcoxon signed-rank) between variants on the same rows.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

torch.set_num_threads(1)
SIZES = [2, 300, 100, 20, 100, 300, 2]
CLAMP = 1e-12


def build(init):
    layers = []
    for l in range(len(SIZES) - 1):
        lin = torch.nn.Linear(SIZES[l], SIZES[l + 1])
        if init == 'glorot':
            torch.nn.init.xavier_uniform_(lin.weight)
            torch.nn.init.zeros_(lin.bias)
        elif init != 'torch':
            raise ValueError(f'unknown init {init}')
        layers.append(lin)
        if l < len(SIZES) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def sample_losses(model, x, y):
    L = ((model(x) - x) ** 2).mean(1)
    anomaly = -torch.log(torch.clamp(-torch.expm1(-L), min=CLAMP))
    return torch.where(y == 1, anomaly, L), L


def train(model, X, y, val, orders, max_epochs=300, patience=10, batch=100, lr=1e-3):
    """orders(epoch) -> the training rows of that epoch in order. Returns the history and the best epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    Xv, yv = X[val], y[val]
    best, best_state, best_epoch, wait, history = math.inf, copy.deepcopy(model.state_dict()), 0, 0, []
    for epoch in range(1, max_epochs + 1):
        order = orders(epoch)
        total, n = 0.0, 0
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            per, _ = sample_losses(model, X[idx], y[idx])
            loss = per.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += per.double().sum().item()
            n += len(idx)
        with torch.no_grad():
            vper, _ = sample_losses(model, Xv, yv)
            vloss = vper.double().mean().item()
        history.append({'epoch': epoch, 'loss': total / n, 'valLoss': vloss})
        if vloss < best:
            best, best_epoch, wait = vloss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            wait += 1
        if wait >= patience:
            break
    model.load_state_dict(best_state)
    return history, best_epoch, best


def load_rows(work, seed):
    d = os.path.join(work, f'seed{seed}')
    g = lambda name: torch.from_numpy(np.load(os.path.join(d, f'{name}.npy')))
    return g('Xtrain'), g('ytrain').long(), g('Xnormal'), g('Xknown'), g('Xunknown')


def evaluate(model, normal, known, unknown):
    with torch.no_grad():
        s = lambda X: (-torch.expm1(-((model(X) - X) ** 2).mean(1))).numpy().astype(np.float32)
        sN, sK, sU = s(normal), s(known), s(unknown)
    out = {}
    for name, sA in (('Known', sK), ('Unknown', sU)):
        scores = np.concatenate([sN, sA]).astype(np.float64)
        labels = np.concatenate([np.zeros(len(sN)), np.ones(len(sA))])
        out[f'auroc{name}'] = round(float(roc_auc_score(labels, scores)), 6)
        out[f'aupr{name}'] = round(float(average_precision_score(labels, scores)), 6)
    return out


def preact_spread(model, X, layers=3):
    """Std of the hidden pre-activations on (up to 2,000 of) the rows, share with |z| > 2 and with |z| < 0.1."""
    a, out = X[:2000].double(), []
    with torch.no_grad():
        for l in range(layers):
            lin = model[2 * l]
            z = a @ lin.weight.double().t() + lin.bias.double()
            out.append({'layer': l + 1, 'std': round(z.std(unbiased=False).item(), 4),
                        'saturated': round((z.abs() > 2).double().mean().item(), 4),
                        'linear': round((z.abs() < 0.1).double().mean().item(), 4)})
            a = torch.tanh(z)
    return out


def stratified_val(y, fraction, gen):
    val = []
    for c in (0, 1):
        rows = torch.nonzero(y == c).flatten()
        rows = rows[torch.randperm(len(rows), generator=gen)]
        n_val = min(len(rows) - 1, max(0, int(math.floor(fraction * len(rows) + 0.5))))
        val.append(rows[:n_val])
    val = torch.cat(val)
    mask = torch.ones(len(y), dtype=torch.bool)
    mask[val] = False
    return torch.nonzero(mask).flatten(), val


def cmd_train(a):
    done = set()
    if os.path.exists(a.out):
        with open(a.out) as f:
            done = {(r['init'], r['seed'], r['size']) for r in map(json.loads, filter(None, f.read().split('\n')))}
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        X, y, normal, known, unknown = load_rows(a.work, seed)
        for init in a.inits.split(','):
            if (init, seed, len(normal)) in done:
                continue
            torch.manual_seed(seed)
            model = build(init)
            pre_init = preact_spread(model, X)
            gen = torch.Generator().manual_seed(seed)
            tr, val = stratified_val(y, 0.2, gen)
            t0 = time.process_time()
            history, best_epoch, best = train(model, X, y, val, lambda e: tr[torch.randperm(len(tr), generator=gen)])
            rec = {'side': 'torch', 'init': init, 'seed': seed, 'size': len(normal), **evaluate(model, normal, known, unknown),
                   'epochs': len(history), 'bestEpoch': best_epoch, 'bestValLoss': round(best, 8),
                   'fitSeconds': round(time.process_time() - t0, 2), 'preactInit': pre_init,
                   'preactFitted': preact_spread(model, X)}
            with open(a.out, 'a') as f:
                f.write(json.dumps(rec) + '\n')
            print(f"seed {seed} {init}: unknown {rec['aurocUnknown']:.4f} known {rec['aurocKnown']:.4f} "
                  f"epochs {rec['epochs']} ({rec['fitSeconds']} s)", flush=True)


def cmd_trace(a):
    X, y, normal, known, unknown = load_rows(a.work, a.seed)
    d = os.path.join(a.work, f'trace{a.seed}')
    model = build('glorot')
    with torch.no_grad():
        for l in range(len(SIZES) - 1):
            model[2 * l].weight.copy_(torch.from_numpy(np.load(os.path.join(d, f'W{l}.npy'))).t())
            model[2 * l].bias.copy_(torch.from_numpy(np.load(os.path.join(d, f'b{l}.npy'))))
    val = torch.from_numpy(np.load(os.path.join(d, 'val.npy'))).long()
    orders = torch.from_numpy(np.load(os.path.join(d, 'orders.npy'))).long()
    history, best_epoch, _ = train(model, X, y, val, lambda e: orders[e - 1])
    with open(a.ours) as f:
        ours = json.load(f)
    rows = []
    for o, t in zip(ours['history'], history):
        rows.append({'epoch': o['epoch'], 'oursLoss': o['loss'], 'torchLoss': t['loss'], 'oursValLoss': o['valLoss'],
                     'torchValLoss': t['valLoss'], 'relDiffLoss': abs(o['loss'] - t['loss']) / abs(t['loss']),
                     'relDiffValLoss': abs(o['valLoss'] - t['valLoss']) / abs(t['valLoss'])})
    worst = lambda k, n: max(r[k] for r in rows[:n])
    res = {'seed': a.seed, 'size': len(normal), 'epochsOurs': len(ours['history']), 'epochsTorch': len(history),
           'bestEpochOurs': ours['bestEpoch'], 'bestEpochTorch': best_epoch,
           'ours': {k: ours[k] for k in ('aurocKnown', 'aurocUnknown')}, 'torch': evaluate(model, normal, known, unknown),
           'maxRelDiff': {f'first{n}': {'loss': worst('relDiffLoss', n), 'valLoss': worst('relDiffValLoss', n)}
                          for n in (1, 5, 10, len(rows))},
           'epochs': rows}
    with open(a.out, 'w') as f:
        json.dump(res, f, indent=1)
    print(json.dumps({k: v for k, v in res.items() if k != 'epochs'}, indent=1))
    for r in rows[:5] + rows[-3:]:
        print(f"epoch {r['epoch']:3d} loss {r['oursLoss']:.7f} / {r['torchLoss']:.7f}  val {r['oursValLoss']:.7f} / "
              f"{r['torchValLoss']:.7f}")


def paired(a, b):
    d = np.asarray(a) - np.asarray(b)
    n = len(d)
    t = stats.ttest_rel(a, b)
    half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
    pos, neg = int((d > 0).sum()), int((d < 0).sum())
    sign = stats.binomtest(pos, pos + neg, 0.5).pvalue if pos + neg > 0 else 1.0
    w = stats.wilcoxon(d).pvalue if np.any(d != 0) else 1.0
    return {'n': n, 'meanDiff': round(float(d.mean()), 4), 'ci95': [round(float(d.mean() - half), 4), round(float(d.mean() + half), 4)],
            'sdDiff': round(float(d.std(ddof=1)), 4), 'tP': round(float(t.pvalue), 4), 'positive': pos, 'negative': neg,
            'signP': round(float(sign), 4), 'wilcoxonP': round(float(w), 4)}


def cmd_summary(a):
    recs = []
    for path in (a.ours, a.torch):
        with open(path) as f:
            recs += [json.loads(l) for l in f if l.strip()]
    by = {}
    for r in recs:
        by.setdefault(f"{r['side']}-{r['init']}", {})[r['seed']] = r
    names = [n for n in ('ours-glorot', 'torch-glorot', 'ours-torch', 'torch-torch', 'ours-lecun') if n in by]
    seeds = sorted(set.intersection(*(set(by[n]) for n in names)))
    out = {'seeds': seeds, 'variants': {}, 'pairs': {}}
    print(f"seeds {seeds}\n\n| seed | " + ' | '.join(names) + ' |\n|---|' + '---:|' * len(names))
    for s in seeds:
        print(f'| {s} | ' + ' | '.join(f"{by[n][s]['aurocUnknown']:.3f} / {by[n][s]['aurocKnown']:.3f}" for n in names) + ' |')
    for n in names:
        v = {}
        for m in ('aurocUnknown', 'aurocKnown', 'epochs'):
            x = np.array([by[n][s][m] for s in seeds], dtype=float)
            v[m] = {'mean': round(float(x.mean()), 4), 'std': round(float(x.std(ddof=1)), 4)}
        # Runs that early stopping ended on the early plateau (known AUROC about 0.93 instead of 0.97).
        v['plateauRuns'] = int(sum(by[n][s]['aurocKnown'] < 0.95 for s in seeds))
        v['preactInitStd'] = [round(float(np.mean([by[n][s]['preactInit'][l]['std'] for s in seeds])), 4) for l in range(3)]
        v['preactFittedStd'] = [round(float(np.mean([by[n][s]['preactFitted'][l]['std'] for s in seeds])), 4) for l in range(3)]
        v['preactFittedLinear'] = [round(float(np.mean([by[n][s]['preactFitted'][l]['linear'] for s in seeds])), 4) for l in range(3)]
        v['preactFittedSaturated'] = [round(float(np.mean([by[n][s]['preactFitted'][l]['saturated'] for s in seeds])), 4) for l in range(3)]
        out['variants'][n] = v
        print(f"{n}: unknown {v['aurocUnknown']['mean']:.4f} ± {v['aurocUnknown']['std']:.4f}, known "
              f"{v['aurocKnown']['mean']:.4f} ± {v['aurocKnown']['std']:.4f}, epochs {v['epochs']['mean']:.1f}, "
              f"plateau {v['plateauRuns']}/{len(seeds)}; "
              f"pre-activation std at init {v['preactInitStd']}, fitted {v['preactFittedStd']}, "
              f"fitted |z|<0.1 {v['preactFittedLinear']}, |z|>2 {v['preactFittedSaturated']}")
    for x, y in (('ours-glorot', 'torch-glorot'), ('ours-torch', 'torch-torch'), ('torch-torch', 'torch-glorot'),
                 ('ours-torch', 'ours-glorot'), ('ours-lecun', 'ours-glorot')):
        if x in by and y in by:
            for m in ('aurocUnknown', 'aurocKnown'):
                p = paired([by[x][s][m] for s in seeds], [by[y][s][m] for s in seeds])
                out['pairs'][f'{x} - {y} ({m})'] = p
                print(f'{x} - {y} ({m}): {json.dumps(p)}')
    if a.out:
        with open(a.out, 'w') as f:
            json.dump(out, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('train')
    t.add_argument('--work', required=True)
    t.add_argument('--seeds', type=int, default=9)
    t.add_argument('--first-seed', type=int, default=0)
    t.add_argument('--inits', default='glorot,torch')
    t.add_argument('--out', required=True)
    r = sub.add_parser('trace')
    r.add_argument('--work', required=True)
    r.add_argument('--seed', type=int, default=0)
    r.add_argument('--ours', required=True)
    r.add_argument('--out', required=True)
    s = sub.add_parser('summary')
    s.add_argument('--ours', required=True)
    s.add_argument('--torch', required=True)
    s.add_argument('--out')
    a = p.parse_args()
    {'train': cmd_train, 'trace': cmd_trace, 'summary': cmd_summary}[a.cmd](a)


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
"""DeepOD 0.5.0's side of scripts/deepsad-devnet-speed.ts (run by it; not a test).

    PYTHONPATH=<reference>:<reference>/stubs /usr/bin/python3 deepsad_devnet_speed_deepod.py JOB.json

JOB.json: {"method": "deepsad" | "devnet", "x": raw float32 file, "y": raw uint8 file, "rows", "cols", "epochs",
"batchSize", "lr", "hiddenDims" (list), "repDim" (deepsad), "act", "repeat"}. Trains DeepOD's tabular DeepSAD or
DevNet (its own class-balanced WeightedRandomSampler loader over all rows, network, loss and Adam) on one thread: an
epoch is ceil(rows / batchSize) batches. Times the training only (`training_prepare`, which for DeepSAD includes its
centre pass, and `_training`, as its `fit` runs them, without the scoring of the training data that follows) and
prints one JSON line: the smallest `process_time` CPU seconds of `repeat` runs and the number of rows trained on.
"""
import json
import sys
import time

import numpy as np
import torch

from deepod.models.tabular import DeepSAD, DevNet

torch.set_num_threads(1)
job = json.load(open(sys.argv[1]))
X = np.fromfile(job['x'], dtype=np.float32).reshape(job['rows'], job['cols'])
y = np.fromfile(job['y'], dtype=np.uint8).astype(np.int64)
hidden = ','.join(str(h) for h in job['hiddenDims'])

best = float('inf')
for r in range(job['repeat']):
    common = dict(epochs=job['epochs'], batch_size=job['batchSize'], lr=job['lr'], hidden_dims=hidden, act=job['act'],
                  device='cpu', verbose=0, random_state=r)
    if job['method'] == 'deepsad':
        m = DeepSAD(rep_dim=job['repDim'], **common)
    else:
        m = DevNet(**common)
    m.train_data, m.train_label = X, y
    m.n_samples, m.n_features = X.shape
    t0 = time.process_time()
    m.train_loader, m.net, m.criterion = m.training_prepare(X, y)
    m._training()
    best = min(best, time.process_time() - t0)
print(json.dumps({'seconds': best, 'samples': job['epochs'] * job['rows'], 'torch': torch.__version__}))

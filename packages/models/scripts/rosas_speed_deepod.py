#!/usr/bin/python3
"""DeepOD 0.5.0's side of scripts/rosas-speed.ts (run by it; not a test).

    PYTHONPATH=<reference>:<reference>/stubs /usr/bin/python3 rosas_speed_deepod.py JOB.json

JOB.json: {"x": raw float32 file, "y": raw uint8 file, "rows", "cols", "epochs", "batchSize", "hidden", "repDim",
"repeat"}. Trains DeepOD's tabular RoSAS (its own loader, network, loss and Adam) on one thread for `epochs` epochs of
its own int(rows / batchSize) batches, timing the training only (`training_prepare` and `_training`, as its `fit`
runs them, without the scoring of the training data that follows), and prints one JSON line: the smallest
`process_time` CPU seconds of `repeat` runs, the seconds its loader alone takes to draw the same batches, and the
number of training rows (3 per triplet) trained on.
"""
import json
import sys
import time

import numpy as np
import torch

from deepod.models.tabular import RoSAS

torch.set_num_threads(1)
job = json.load(open(sys.argv[1]))
X = np.fromfile(job['x'], dtype=np.float32).reshape(job['rows'], job['cols'])
y = np.fromfile(job['y'], dtype=np.uint8).astype(np.int64)

best = float('inf')
for r in range(job['repeat']):
    m = RoSAS(epochs=job['epochs'], batch_size=job['batchSize'], lr=0.005, rep_dim=job['repDim'],
              hidden_dims=str(job['hidden']), device='cpu', verbose=0, random_state=r)
    m.train_data, m.train_label = X, y
    m.n_samples, m.n_features = X.shape
    t0 = time.process_time()
    m.train_loader, m.net, m.criterion = m.training_prepare(X, y)
    m._training()
    best = min(best, time.process_time() - t0)
# The share of its batch drawing: the loader alone, as many epochs.
t0 = time.process_time()
for _ in range(job['epochs']):
    for _batch in m.train_loader:
        pass
loader = time.process_time() - t0
steps = int(job['rows'] / job['batchSize'])
print(json.dumps({'seconds': best, 'loaderSeconds': loader, 'samples': job['epochs'] * steps * 3 * job['batchSize'],
                  'stepsPerEpoch': steps, 'torch': torch.__version__}))

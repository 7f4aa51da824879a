#!/usr/bin/python3
"""DeepOD 0.5.0's side of scripts/feawad-speed.ts (run by it; not a test).

    PYTHONPATH=<reference>:<reference>/stubs /usr/bin/python3 feawad_speed_deepod.py JOB.json

JOB.json: {"x": raw float32 file, "y": raw uint8 file, "rows", "cols", "batches", "batchSize", "hiddenDims" (list),
"repDim", "repeat"}. Trains DeepOD's tabular FeaWAD (its own balanced loader, network, loss and Adam) on one thread.
Its loader draws `batch_size` rows per epoch, so an epoch is one batch: it runs `batches` epochs. Times the training
only (`training_prepare` and `_training`, as its `fit` runs them, without the scoring of the training data that
follows) and prints one JSON line: the smallest `process_time` CPU seconds of `repeat` runs and the number of rows
trained on.
"""
import json
import sys
import time

import numpy as np
import torch

from deepod.models.tabular import FeaWAD

torch.set_num_threads(1)
job = json.load(open(sys.argv[1]))
X = np.fromfile(job['x'], dtype=np.float32).reshape(job['rows'], job['cols'])
y = np.fromfile(job['y'], dtype=np.uint8).astype(np.int64)

best = float('inf')
for r in range(job['repeat']):
    m = FeaWAD(epochs=job['batches'], batch_size=job['batchSize'], lr=1e-3, rep_dim=job['repDim'],
               hidden_dims=job['hiddenDims'], device='cpu', verbose=0, random_state=r)
    m.train_data, m.train_label = X, y
    m.n_samples, m.n_features = X.shape
    t0 = time.process_time()
    m.train_loader, m.net, m.criterion = m.training_prepare(X, y)
    m._training()
    best = min(best, time.process_time() - t0)
print(json.dumps({'seconds': best, 'samples': job['batches'] * job['batchSize'], 'torch': torch.__version__}))

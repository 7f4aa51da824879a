#!/usr/bin/python3
"""scikit-learn's side of bench/svm.ts: the same data, SVC and OneClassSVM with default parameters.

    /usr/bin/python3 bench/svm_sklearn.py [--n 10000] [--out /tmp/svm-bench]

libsvm is single-threaded; OMP/BLAS threads are pinned to 1 anyway. With --out, when the TypeScript run wrote
svm.f64 / ocsvm.f64 there, prints the Pearson correlation of the decision values and both AUROCs.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import argparse
import gzip
import json
import time

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.svm import SVC, OneClassSVM

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=10000)
p.add_argument("--out", default="")
p.add_argument("--which", default="svm,ocsvm")
a = p.parse_args()
# ABC_DATA_DIR, the project's ../shared/datasets beside the repository, or the cache `abc data fetch` fills.
here = os.path.dirname(os.path.abspath(__file__))
cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "abc")
candidates = [os.environ.get("ABC_DATA_DIR", ""), os.path.join(here, "../../../../shared/datasets"), cache]
found = [c for c in candidates if c and os.path.exists(os.path.join(c, "mnist", "t10k-images-idx3-ubyte.gz"))]
if not found:
    raise SystemExit("MNIST t10k files not found: run `pnpm abc data fetch mnist` or set ABC_DATA_DIR")
base = os.path.join(found[0], "mnist")
with gzip.open(os.path.join(base, "t10k-images-idx3-ubyte.gz")) as f:
    img = np.frombuffer(f.read(), np.uint8, offset=16)
with gzip.open(os.path.join(base, "t10k-labels-idx1-ubyte.gz")) as f:
    lab = np.frombuffer(f.read(), np.uint8, offset=8)
n = a.n
X = (img[: n * 784].reshape(n, 784).astype(np.float32) / np.float32(255)).astype(np.float64)
y = np.isin(lab[:n], [0, 2, 6, 8]).astype(int)
res = {"n": n, "d": 784}
for name in a.which.split(","):
    m = SVC() if name == "svm" else OneClassSVM()
    t0, c0 = time.perf_counter(), time.process_time()
    m.fit(X, y) if name == "svm" else m.fit(X)
    t1, c1 = time.perf_counter(), time.process_time()
    dec = m.decision_function(X)
    t2, c2 = time.perf_counter(), time.process_time()
    r = {"fitSeconds": t1 - t0, "scoreSeconds": t2 - t1, "fitCpuSeconds": c1 - c0, "scoreCpuSeconds": c2 - c1,
         "nSupport": int(m.support_.size), "gamma": float(m._gamma)}
    ours = os.path.join(a.out, name + ".f64") if a.out else ""
    if ours and os.path.exists(ours):
        d2 = np.fromfile(ours, dtype=np.float64)
        r["pearson"] = float(np.corrcoef(dec, d2)[0, 1])
        s1, s2 = (dec, d2) if name == "svm" else (-dec, -d2)
        lab_eval = y if name == "svm" else y  # OCSVM: rows of digits 0, 2, 6, 8 as the anomalies
        r["aurocSklearn"] = float(roc_auc_score(lab_eval, s1))
        r["aurocOurs"] = float(roc_auc_score(lab_eval, s2))
    res[name] = r
    print(name, json.dumps(r))
if a.out:
    with open(os.path.join(a.out, "sklearn.json"), "w") as f:
        json.dump(res, f, indent=2)

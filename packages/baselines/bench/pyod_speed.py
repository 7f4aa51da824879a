#!/usr/bin/python3
"""PyOD's side of bench/pyod-speed.ts (run by it; not a test).

    /usr/bin/python3 bench/pyod_speed.py REFERENCE JOBS.json OUT_DIR

REFERENCE is the folder holding PyOD's `pyod` package (../shared/reference). JOBS.json lists the jobs, each
{"name", "detector", "x", "y", "q", "cols", "repeat"}: `x` a raw float32 file of rows (row-major, `cols` per
row), `y` a raw uint8 label file (used by XGBOD only), `q` the raw float32 rows scored as new rows. Each
detector has PyOD 3.6.5's defaults (n_jobs=1 where it has the parameter, random_state=0 where random), with one
exception: OCSVM gets gamma='auto' explicitly (1 / features, PyOD's default, named here because ours defaults to
'scale'). For each job, `process_time` CPU seconds of fit(X[, y]) and of decision_function(Q), the
smallest of `repeat` runs, go to stdout as one JSON line per job; the scores go to OUT_DIR/<name>.f64.

The caller sets OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=NUMBA_NUM_THREADS=1 (one thread).
"""
import json
import os
import sys
import time
import warnings

import numpy as np


def make(detector):
    if detector == "knn":
        from pyod.models.knn import KNN
        return KNN(n_jobs=1)
    if detector == "lof":
        from pyod.models.lof import LOF
        return LOF(n_jobs=1)
    if detector == "hbos":
        from pyod.models.hbos import HBOS
        return HBOS()
    if detector == "ecod":
        from pyod.models.ecod import ECOD
        return ECOD(n_jobs=1)
    if detector == "copod":
        from pyod.models.copod import COPOD
        return COPOD(n_jobs=1)
    if detector == "iforest":
        from pyod.models.iforest import IForest
        return IForest(n_jobs=1, random_state=0)
    if detector == "ocsvm":
        from pyod.models.ocsvm import OCSVM
        return OCSVM(gamma="auto")
    if detector == "xgbod":
        from pyod.models.xgbod import XGBOD
        return XGBOD(n_jobs=1, random_state=0, verbosity=0)  # verbosity: xgboost warns that `silent` is unused
    raise ValueError("unknown detector " + detector)


def main():
    sys.path.insert(0, os.path.abspath(sys.argv[1]))
    with open(sys.argv[2]) as f:
        jobs = json.load(f)
    out = sys.argv[3]
    for job in jobs:
        X = np.fromfile(job["x"], dtype=np.float32).reshape(-1, job["cols"]).astype(np.float64)
        y = np.fromfile(job["y"], dtype=np.uint8).astype(int)
        Q = np.fromfile(job["q"], dtype=np.float32).reshape(-1, job["cols"]).astype(np.float64)
        fit = score = float("inf")
        for _ in range(job["repeat"]):
            det = make(job["detector"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = time.process_time()
                det.fit(X, y) if job["detector"] == "xgbod" else det.fit(X)
                fit = min(fit, time.process_time() - t)
                t = time.process_time()
                s = det.decision_function(Q)
                score = min(score, time.process_time() - t)
        np.asarray(s, dtype=np.float64).tofile(os.path.join(out, job["name"] + ".f64"))
        print(json.dumps({"name": job["name"], "fit": fit, "score": score}), flush=True)


if __name__ == "__main__":
    main()

"""DeepOD's DeepSAD, DevNet, PReNet, FeaWAD and RoSAS on the rows of `abc reproduce`'s setting-1 splits.

Reads the folders `export-splits.ts` writes (OUT/DATASET/seed-R/), fits each DeepOD detector on the training
rows (y: 1 = known anomaly, 0 = normal, as ours), scores the test rows and appends one JSON line per run to
--runs-file (rerunning skips the runs already there). AUROC / AP of test normals against test known and
against test unknown anomalies, as `abc reproduce`. DeepOD's own defaults (epochs 100 each, its batch sizes,
networks and learning rates); `--epochs N` caps them (recorded). One thread, on the CPU.

DeepOD's DevNet and FeaWAD have a defect (../shared/reference/README.md): their network output is (B, 1) and
the labels (B,), so the deviation loss broadcasts to (B, B) and each sample is trained against the batch's
mean label. They run as shipped; their records carry "defect": "broadcast (B,1) vs (B,)".

Run from the repository root:
  PYTHONPATH=../shared/reference:../shared/reference/stubs nice -n 5 /usr/bin/python3 \
    docs/reproduction/semi-supervised/scripts/deepod_runs.py --splits out/ss-splits --dataset toy2d \
    --runs-file docs/reproduction/semi-supervised/deepod/runs.jsonl
"""

import argparse
import json
import os
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one thread for numpy's BLAS too (set before numpy loads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

torch.set_num_threads(1)

from deepod.models.tabular.devnet import DevNet  # noqa: E402
from deepod.models.tabular.dsad import DeepSAD  # noqa: E402
from deepod.models.tabular.feawad import FeaWAD  # noqa: E402
from deepod.models.tabular.prenet import PReNet  # noqa: E402
from deepod.models.tabular.rosas import RoSAS  # noqa: E402

METHODS = {
    "deepsad": (DeepSAD, None),
    "devnet": (DevNet, "broadcast (B,1) vs (B,): each sample trained against the batch's mean label"),
    "prenet": (PReNet, None),
    "feawad": (FeaWAD, "broadcast (B,1) vs (B,): each sample trained against the batch's mean label"),
    "rosas": (RoSAS, None),
}


def load(folder):
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    d = meta["cols"]
    train = np.fromfile(os.path.join(folder, "train.f32"), dtype="<f4").reshape(-1, d)
    y = np.fromfile(os.path.join(folder, "train_y.u8"), dtype=np.uint8).astype(np.int64)
    test = np.fromfile(os.path.join(folder, "test.f32"), dtype="<f4").reshape(-1, d)
    part = np.fromfile(os.path.join(folder, "test_part.u8"), dtype=np.uint8)
    return meta, train, y, test, part


def versus(scores, part, k):
    keep = (part == 0) | (part == k)
    lab = (part[keep] == k).astype(int)
    s = scores[keep]
    return float(roc_auc_score(lab, s)), float(average_precision_score(lab, s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--splits", required=True)
    ap.add_argument("--dataset", default="toy2d")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--epochs", type=int, default=None, help="cap DeepOD's epochs (default: its own, 100)")
    ap.add_argument("--runs-file", required=True)
    a = ap.parse_args()

    done = set()
    if os.path.exists(a.runs_file):
        with open(a.runs_file) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    done.add((r["dataset"], r["method"], r["seed"]))
    os.makedirs(os.path.dirname(a.runs_file) or ".", exist_ok=True)

    for seed in range(a.runs):
        meta, train, y, test, part = load(os.path.join(a.splits, a.dataset, f"seed-{seed}"))
        for name in a.methods.split(","):
            if (a.dataset, name, seed) in done:
                continue
            cls, defect = METHODS[name]
            params = {"device": "cpu", "verbose": 0, "random_state": seed}
            if a.epochs is not None:
                params["epochs"] = min(100, a.epochs)
            model = cls(**params)
            t0, c0 = time.perf_counter(), time.process_time()
            model.fit(train, y)
            fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
            t1 = time.perf_counter()
            scores = np.asarray(model.decision_function(test), dtype=np.float64)
            score_s = time.perf_counter() - t1
            bad = int((~np.isfinite(scores)).sum())
            scores = np.nan_to_num(scores, nan=0.0, posinf=1e300, neginf=-1e300)
            ak, pk = versus(scores, part, 1)
            au, pu = versus(scores, part, 2)
            rec = {
                "impl": "deepod-0.5.0",
                "dataset": a.dataset,
                "setting": 1,
                "method": name,
                "seed": seed,
                "aurocKnown": ak,
                "aurocUnknown": au,
                "auprKnown": pk,
                "auprUnknown": pu,
                "fitSeconds": fit_s,
                "fitCpuSeconds": fit_cpu,
                "scoreSeconds": score_s,
                "nonFiniteScores": bad,
                "epochs": model.epochs,
                "epochCap": a.epochs,
                "params": {
                    k: getattr(model, k)
                    for k in ("epochs", "batch_size", "lr", "rep_dim", "hidden_dims", "act", "bias")
                    if hasattr(model, k)
                },
                "defect": defect,
                "threads": torch.get_num_threads(),
                "rows": {k: meta[k] for k in ("trainNormal", "trainKnown", "testNormal", "testKnown", "testUnknown")},
            }
            with open(a.runs_file, "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(f"{a.dataset} {name} seed {seed}: A {ak:.3f} U {au:.3f} fit {fit_s:.1f} s (cpu {fit_cpu:.1f} s)", flush=True)


if __name__ == "__main__":
    main()

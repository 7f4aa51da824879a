"""The README's table: known / unknown AUROC, mean ± std (sample std, n - 1, as results.json) over the runs of
ours (`abc reproduce`'s runs.jsonl) and DeepOD's (`deepod_runs.py`'s runs.jsonl), per dataset and method.

Run from the repository root:
  python3 docs/reproduction/semi-supervised/scripts/table.py
"""

import json
import os
import statistics

HERE = os.path.join(os.path.dirname(__file__), "..")
METHODS = ["abc-ae", "deepsad", "devnet", "prenet", "feawad", "rosas"]
LABELS = {"abc-ae": "ABC(AE)", "deepsad": "DeepSAD", "devnet": "DevNet", "prenet": "PReNet", "feawad": "FeaWAD",
          "rosas": "RoSAS"}
DEFECT = {"devnet", "feawad"}


def read(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def cell(runs, key):
    v = [r[key] for r in runs]
    if not v:
        return "—"
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return f"{statistics.mean(v):.3f} ± {sd:.3f}" + ("" if len(v) == 3 else f" (n={len(v)})")


def main():
    for ds in ["toy2d", "mnist", "mnist-uncapped"]:
        ours = read(os.path.join(HERE, ds, "runs.jsonl"))
        theirs = read(os.path.join(HERE, "deepod", ds, "runs.jsonl"))
        if ds == "mnist-uncapped":  # ABC(AE) without a cap: the paper reproduction's runs
            ours += [r for r in read(os.path.join(HERE, "..", "mnist", "runs.jsonl"))
                     if r["method"] == "abc-ae" and r["setting"] == 1]
        if not ours and not theirs:
            continue
        print(f"\n{ds}\n")
        print("| method | ours: known | ours: unknown | DeepOD: known | DeepOD: unknown | ours: fit s/run | DeepOD: fit s/run |")
        print("|---|---|---|---|---|---|---|")
        for m in METHODS:
            o = [r for r in ours if r["method"] == m and r["setting"] == 1]
            t = [r for r in theirs if r["method"] == m]
            mark = " ²" if m in DEFECT and t else ""
            fo = f"{statistics.mean(r['fitSeconds'] for r in o):.0f}" if o else "—"
            ft = f"{statistics.mean(r['fitSeconds'] for r in t):.0f}" if t else "—"
            print(
                f"| {LABELS[m]} | {cell(o, 'aurocKnown')} | {cell(o, 'aurocUnknown')} | {cell(t, 'aurocKnown')}{mark} "
                f"| {cell(t, 'aurocUnknown')}{mark} | {fo} | {ft} |"
            )
        runs = "; ".join(
            f"{LABELS[m]} " + ", ".join(f"{r['aurocUnknown']:.3f}" for r in sorted(
                (r for r in ours if r["method"] == m), key=lambda r: r["seed"]))
            for m in METHODS
        )
        print(f"\nours, unknown AUROC per run (seeds 0, 1, 2): {runs}")
        runs = "; ".join(
            f"{LABELS[m]} " + ", ".join(f"{r['aurocUnknown']:.3f}" for r in sorted(
                (r for r in theirs if r["method"] == m), key=lambda r: r["seed"]))
            for m in METHODS[1:]
        )
        print(f"DeepOD, unknown AUROC per run: {runs}")


if __name__ == "__main__":
    main()

"""Score an exported ABC model with Python's onnxruntime (documentation only).

This example is NOT run by CI: the `onnxruntime` Python wheel cannot be installed on the project's machines
(only the npm registry and Debian apt are reachable, and Debian has no onnxruntime package). It follows the
file contract that the TypeScript tests check (input "X" float32 [N, D], columns in the fit-time order stored
in the metadata key "abc.feature_names"; outputs "score" float32 [N], "reconstruction_error" float32 [N] for
autoencoders, "label" int64 [N] when a threshold is set).

    pip install onnxruntime numpy pandas
    abc fit --detector abc --data train.csv --label label --out model.abc
    abc export --model model.abc --out model.onnx
    python score_onnxruntime.py model.onnx test.csv
"""
import json
import sys

import numpy as np
import onnxruntime as ort
import pandas as pd

model_path, csv_path = sys.argv[1], sys.argv[2]
session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])

# The feature columns, in the order the model was fitted on, are in the model's metadata.
meta = session.get_modelmeta().custom_metadata_map
features = json.loads(meta["abc.feature_names"]) if "abc.feature_names" in meta else None
frame = pd.read_csv(csv_path)
X = (frame[features] if features else frame.drop(columns=["label"], errors="ignore")).to_numpy(np.float32)

outputs = [o.name for o in session.get_outputs()]  # ["score", "reconstruction_error", "label"] for ABC
result = dict(zip(outputs, session.run(outputs, {"X": X})))
frame["score"] = result["score"]  # higher = more anomalous (the opposite sign of scikit-learn's score_samples)
if "label" in result:
    frame["flag"] = result["label"]  # 1 = score > the model's threshold
print(frame.sort_values("score", ascending=False).head(10).to_string(index=False))
print(f"detector {meta.get('abc.detector')}, threshold {meta.get('abc.threshold')}")

# PyTorch side of bench/inference.ts: the same network, weights and rows (read from the folder it writes),
# inference only, one thread. usage: /usr/bin/python3 torch_inference.py DIR N BUDGET BATCH...
import json, sys, time
import numpy as np
import torch

torch.set_num_threads(1)
d, n, budget = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
batches = [int(b) for b in sys.argv[4:]]
sizes = [784, 300, 100, 20, 100, 300, 784]
X = torch.from_numpy(np.fromfile(f"{d}/X.bin", dtype=np.float32).reshape(n, 784))
layers = []
for l in range(len(sizes) - 1):
    W = np.fromfile(f"{d}/W{l}.bin", dtype=np.float32).reshape(sizes[l], sizes[l + 1])
    lin = torch.nn.Linear(sizes[l], sizes[l + 1])
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(W).t())
        lin.bias.zero_()
    layers.append(lin)
    if l < len(sizes) - 2:
        layers.append(torch.nn.Tanh())
model = torch.nn.Sequential(*layers).eval()

def error(x):  # L = squared L2 reconstruction error
    return ((model(x) - x) ** 2).sum(1)

def score(x):  # ABC's p(anomaly | x) = 1 - exp(-L)
    return -torch.expm1(-error(x))

out = {}
with torch.inference_mode():
    first = error(X[:4]).tolist()
    for b in batches:
        slices = [X[i:i + b] for i in range(0, n - b + 1, b)][:1000]
        score(slices[0])
        rows, k, t0 = 0, 0, time.perf_counter()
        while time.perf_counter() - t0 < budget or k < 3:
            score(slices[k % len(slices)]); k += 1; rows += b
        out[b] = rows / (time.perf_counter() - t0)
print(json.dumps({"version": torch.__version__, "samplesPerSecond": out, "first": first}))

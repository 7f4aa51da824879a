"""Independent cross-check of the MNIST baselines with scikit-learn (Debian's python3-sklearn).

Same protocol as `abc reproduce` (setting 1): all 70,000 images split 50/50 at random, normal digits 1,3,5,7,9,
known anomalies 0,2,6,8, unknown 4; min-max scaling fitted on the training rows; SVM and OCSVM on a seeded
10,000-row subsample (as our runs record, `maxSamples`); scores from decision_function / predict_proba.
Not the same random split as ours (a different generator), so agreement is statistical, not row by row.

Usage: /usr/bin/python3 docs/reproduction/mnist/sklearn_check.py [DATA_DIR]   (default ../shared/datasets)
Writes docs/reproduction/mnist/sklearn_check.json.
"""
import gzip, json, os, sys, time
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.svm import SVC, OneClassSVM

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '../../../../shared/datasets'), 'mnist')

def idx(name):
    with gzip.open(os.path.join(data, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)

X = np.concatenate([idx('train-images-idx3-ubyte.gz'), idx('t10k-images-idx3-ubyte.gz')]).reshape(70000, -1).astype(np.float64)
y = np.concatenate([idx('train-labels-idx1-ubyte.gz'), idx('t10k-labels-idx1-ubyte.gz')])
normal, known, unknown = [1, 3, 5, 7, 9], [0, 2, 6, 8], [4]
out = {'protocol': 'setting 1, 50/50 random split, min-max on train, SVM/OCSVM on 10,000-row subsamples', 'runs': []}
for seed in range(3):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(70000)
    tr, te = perm[:35000], perm[35000:]
    tr = tr[np.isin(y[tr], normal + known)]
    lo, hi = X[tr].min(0), X[tr].max(0)
    scale = lambda a: (a - lo) / np.where(hi > lo, hi - lo, 1)
    Xtr, ytr = scale(X[tr]), np.isin(y[tr], known).astype(int)
    Xte, yte = scale(X[te]), y[te]
    def auroc(score):
        n = np.isin(yte, normal)
        res = {}
        for key, cls in (('A', known), ('U', unknown)):
            m = n | np.isin(yte, cls)
            res[key] = float(roc_auc_score(np.isin(yte[m], cls).astype(int), score[m]))
        return res
    run = {'seed': seed}
    sub = rng.choice(len(Xtr), 10000, replace=False)
    t = time.time(); svm = SVC(C=1.0, gamma='scale').fit(Xtr[sub], ytr[sub]); run['svm'] = {**auroc(svm.decision_function(Xte)), 'fit_s': round(time.time() - t, 1)}
    t = time.time(); gtb = HistGradientBoostingClassifier(random_state=seed).fit(Xtr, ytr); run['gtb'] = {**auroc(gtb.predict_proba(Xte)[:, 1]), 'fit_s': round(time.time() - t, 1)}
    nrm = Xtr[ytr == 0]
    t = time.time(); oc = OneClassSVM(nu=0.5, gamma='scale').fit(nrm[rng.choice(len(nrm), 10000, replace=False)]); run['ocsvm'] = {**auroc(-oc.decision_function(Xte)), 'fit_s': round(time.time() - t, 1)}
    t = time.time(); iso = IsolationForest(random_state=seed).fit(nrm); run['iforest'] = {**auroc(-iso.score_samples(Xte)), 'fit_s': round(time.time() - t, 1)}
    out['runs'].append(run)
    print(json.dumps(run), flush=True)
summary = {}
for m in ('svm', 'gtb', 'ocsvm', 'iforest'):
    summary[m] = {k: round(float(np.mean([r[m][k] for r in out['runs']])), 3) for k in ('A', 'U')}
out['mean'] = summary
print(json.dumps(summary))
with open(os.path.join(here, 'sklearn_check.json'), 'w') as f:
    json.dump(out, f, indent=1)

#!/usr/bin/python3
"""The representation numbers of STATISTICS.md computed with NumPy, SciPy
and scikit-learn (Debian's python3 packages), for `make bench`: the same
work as qaudit's representation analysis, timed end to end.

usage: repr_numpy.py CONFIG.json [K] [PAIRS_MAX]
Prints one JSON object per variant and, last, the wall time and peak RSS."""
import json, os, resource, sys, time
import numpy as np
import h5py
from scipy.stats import spearmanr
from scipy.spatial.distance import pdist
from sklearn.neighbors import NearestNeighbors

t0 = time.perf_counter()
cfg_path = sys.argv[1]
k = int(sys.argv[2]) if len(sys.argv) > 2 else 5
pairs_max = int(sys.argv[3]) if len(sys.argv) > 3 else 5000000
cfg = json.load(open(cfg_path))
root = os.path.dirname(os.path.abspath(cfg_path))
model = cfg["models"][0]
layer = cfg.get("layer", "final")

def load(v):
    with h5py.File(os.path.join(root, v["file"]), "r") as f:
        return f["hidden/" + layer][...].astype(np.float64), f["samples/label"][...]

def knn(x):
    nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(x)
    idx = nn.kneighbors(x, return_distance=False)
    out = np.empty((len(x), k), dtype=np.int64)
    for i, row in enumerate(idx):
        row = row[row != i][:k]
        out[i] = row
    return out

def knn_acc(nbr, lab):
    votes = lab[nbr]
    pred = np.array([np.bincount(v, minlength=lab.max() + 1).argmax() for v in votes])
    return float((pred == lab).mean())

def spectrum(x):
    return np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1]

def eff_rank(ev):
    ev = ev[ev > 1e-12 * ev[0]]
    p = ev / ev.sum()
    return float(np.exp(-(p * np.log(p)).sum()))

def cka(x, y):
    x = x - x.mean(0); y = y - y.mean(0)
    return float(np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))

base_name = model["baseline"]
X, lab = load([v for v in model["variants"] if v["name"] == base_name][0])
n = len(X)
s = 1
while True:
    m = (n + s - 1) // s
    if m * (m - 1) // 2 <= pairs_max:
        break
    s += 1
nbr_b = knn(X)
acc_b = knn_acc(nbr_b, lab)
dist_b = pdist(X[::s], "cosine")
ev_b = spectrum(X)
w, vec = np.linalg.eigh(np.cov(X, rowvar=False))
axes = vec[:, ::-1][:, :2]
mean_b = X.mean(0)
for v in model["variants"]:
    if v["name"] == base_name:
        continue
    Y, _ = load(v)
    cos = (X * Y).sum(1) / (np.linalg.norm(X, axis=1) * np.linalg.norm(Y, axis=1))
    sqnr = 10 * np.log10((X ** 2).sum() / ((X - Y) ** 2).sum())
    nbr = knn(Y)
    overlap = np.mean([len(set(a) & set(b)) / k for a, b in zip(nbr_b, nbr)])
    rho = spearmanr(dist_b, pdist(Y[::s], "cosine")).correlation
    ev = spectrum(Y)
    xy = (Y - mean_b) @ axes
    print(json.dumps({"variant": v["name"], "cosine_mean": float(cos.mean()),
                      "cosine_p05": float(np.quantile(cos, 0.05)), "sqnr_db": float(sqnr),
                      "knn_accuracy": knn_acc(nbr, lab), "knn_accuracy_base": acc_b,
                      "neighbor_overlap": float(overlap), "spearman_rho": float(rho),
                      "cka_linear": cka(X, Y), "effective_rank": eff_rank(ev)}))
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("python_wall_s %.3f peak_mb %.0f" % (time.perf_counter() - t0, peak_mb))

#!/usr/bin/python3
"""The representation numbers of STATISTICS.md computed with NumPy, SciPy
and scikit-learn (Debian's python3 packages), for `make bench`: the same
work as qaudit's representation analysis, timed end to end.

usage: repr_numpy.py CONFIG.json [K] [PAIRS_MAX]
Prints one JSON object per variant and, last, the wall time and peak RSS.

Besides the kNN, Spearman, CKA and spectrum numbers: overlap_at (for
analysis.overlap_ks, default 1, 5, 10, 50; leave-one-out cosine lists of
the baseline and the variant, equal similarity to the lower index by a
stable sort, mean |A_k n B_k| / k) and coverage and density (Naeem et al.
2020, transcribed from their reference code prdc, prdc/prdc.py:
compute_nearest_neighbour_distances and compute_prdc, with K as its
nearest_k and sklearn's Euclidean pairwise distances as prdc has them)."""
import json, os, resource, sys, time
import numpy as np
import h5py
from scipy.stats import spearmanr
from scipy.spatial.distance import pdist
from sklearn.metrics import pairwise_distances

t0 = time.perf_counter()
cfg_path = sys.argv[1]
k = int(sys.argv[2]) if len(sys.argv) > 2 else 5
pairs_max = int(sys.argv[3]) if len(sys.argv) > 3 else 5000000
cfg = json.load(open(cfg_path))
root = os.path.dirname(os.path.abspath(cfg_path))
model = cfg["models"][0]
layer = cfg.get("layer", "final")
overlap_ks = cfg.get("analysis", {}).get("overlap_ks", [1, 5, 10, 50])

def load(v):
    with h5py.File(os.path.join(root, v["file"]), "r") as f:
        return f["hidden/" + layer][...].astype(np.float64), f["samples/label"][...]

def knn_acc(nbr, lab):
    votes = lab[nbr]
    pred = np.array([np.bincount(v, minlength=lab.max() + 1).argmax() for v in votes])
    return float((pred == lab).mean())

def ranked_lists(x, kmax, chunk=500):
    """Leave-one-out cosine neighbours, best first, equal similarity to the
    lower index: the first k are the k-list.  argpartition finds the kmax
    best; a row with a tie across that boundary is sorted whole (stable)."""
    xn = x / np.linalg.norm(x, axis=1)[:, None]
    out = np.empty((len(x), kmax), dtype=np.int64)
    for r in range(0, len(x), chunk):
        neg = -(xn[r:r + chunk] @ xn.T)
        neg[np.arange(len(neg)), np.arange(r, r + len(neg))] = np.inf
        part = np.sort(np.argpartition(neg, kmax - 1, axis=1)[:, :kmax], axis=1)
        vals = np.take_along_axis(neg, part, axis=1)
        best = np.take_along_axis(part, np.argsort(vals, axis=1, kind="stable"), axis=1)
        tied = np.flatnonzero((neg <= vals.max(axis=1)[:, None]).sum(axis=1) > kmax)
        for t in tied:
            best[t] = np.argsort(neg[t], kind="stable")[:kmax]
        out[r:r + chunk] = best
    return out

def overlap_at(a, b, ks):
    """mean_i |A_k(i) n B_k(i)| / k for each k (the first k of each list)."""
    return {str(k): float((a[:, :k, None] == b[:, None, :k]).any(axis=2).sum(axis=1).mean() / k)
            for k in ks}

def prdc_radii(real, nearest_k):
    """prdc compute_nearest_neighbour_distances: the (k+1)-th smallest
    distance of each real row to every real row, itself included."""
    d = pairwise_distances(real, real, metric="euclidean")
    idx = np.argpartition(d, nearest_k + 1, axis=-1)[..., :nearest_k + 1]
    return np.take_along_axis(d, idx, axis=-1).max(axis=-1)

def prdc_coverage_density(real, fake, radii, nearest_k):
    """prdc compute_prdc: density and coverage against the real radii."""
    d = pairwise_distances(real, fake, metric="euclidean")
    density = (1.0 / float(nearest_k)) * (d < np.expand_dims(radii, axis=1)).sum(axis=0).mean()
    coverage = (d.min(axis=1) < radii).mean()
    return float(coverage), float(density)

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
# One ranking of max(K, overlap_ks) neighbours serves the kNN and every
# overlap_at, as in qaudit (the first k of a longer list are the k-list).
ks = [kk for kk in overlap_ks if kk < n]
k_lists = max([k] + ks)
lists_b = ranked_lists(X, k_lists)
nbr_b = lists_b[:, :k]
acc_b = knn_acc(nbr_b, lab)
dist_b = pdist(X[::s], "cosine")
ev_b = spectrum(X)
w, vec = np.linalg.eigh(np.cov(X, rowvar=False))
axes = vec[:, ::-1][:, :2]
mean_b = X.mean(0)
radii_b = prdc_radii(X, k)
for v in model["variants"]:
    if v["name"] == base_name:
        continue
    Y, _ = load(v)
    cos = (X * Y).sum(1) / (np.linalg.norm(X, axis=1) * np.linalg.norm(Y, axis=1))
    sqnr = 10 * np.log10((X ** 2).sum() / ((X - Y) ** 2).sum())
    lists = ranked_lists(Y, k_lists)
    nbr = lists[:, :k]
    overlap = np.mean([len(set(a) & set(b)) / k for a, b in zip(nbr_b, nbr)])
    rho = spearmanr(dist_b, pdist(Y[::s], "cosine")).correlation
    ev = spectrum(Y)
    xy = (Y - mean_b) @ axes
    ov = overlap_at(lists_b, lists, ks)
    coverage, density = prdc_coverage_density(X, Y, radii_b, k)
    print(json.dumps({"variant": v["name"], "cosine_mean": float(cos.mean()),
                      "cosine_p05": float(np.quantile(cos, 0.05)), "sqnr_db": float(sqnr),
                      "knn_accuracy": knn_acc(nbr, lab), "knn_accuracy_base": acc_b,
                      "neighbor_overlap": float(overlap), "spearman_rho": float(rho),
                      "cka_linear": cka(X, Y), "effective_rank": eff_rank(ev),
                      "overlap_at": ov, "coverage": coverage, "density": density}))
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("python_wall_s %.3f peak_mb %.0f" % (time.perf_counter() - t0, peak_mb))

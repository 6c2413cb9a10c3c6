#!/usr/bin/python3
"""Reference values for tests/test_retrieval.c (run with /usr/bin/python3;
NumPy 1.24.2, SciPy 1.10.1): neighbour overlap at k, coverage and density
(Naeem et al. 2020, transcribed from their reference code prdc), the worst
samples and the per-class kNN McNemar with Holm, on the fixture
  x[i][j] = sin(1.3 i + 0.7 j) + 0.1 j,  y = x + 0.8 cos(2.1 i j + 0.4),
  N = 16, D = 8, label floor((1.3 i mod 2 pi) / (2 pi / 3)), ids 10 + i,
  knn_k = 3."""
import numpy as np
from scipy.stats import binomtest

N, D, K = 16, 8, 3
i = np.arange(N)[:, None]; j = np.arange(D)[None, :]
x = np.sin(1.3 * i + 0.7 * j) + 0.1 * j
y = x + 0.8 * np.cos(2.1 * i * j + 0.4)
lab = np.floor(np.mod(1.3 * np.arange(N), 2 * np.pi) / (2 * np.pi / 3)).astype(int)

def knn(a, k):
    u = a / np.linalg.norm(a, axis=1, keepdims=True)
    s = u @ u.T
    out = []
    for r in range(N):
        order = sorted((c for c in range(N) if c != r), key=lambda c: (-s[r, c], c))
        out.append(order[:k])
    return np.array(out)

def predict(nb, k):
    pred = []
    for r in range(N):
        lst = nb[r][:k]; best, bv = lab[lst[0]], 0
        for c in lst:
            v = sum(lab[t] == lab[c] for t in lst)
            if v > bv: bv, best = v, lab[c]
        pred.append(best)
    return np.array(pred)

nx, ny = knn(x, 5), knn(y, 5)
for k in (1, 3, 5):
    print("overlap_at k=%d %.17g" % (k, np.mean([len(set(nx[r][:k]) & set(ny[r][:k])) / k for r in range(N)])))

# prdc: radii = k-th nearest neighbour distance (the (k+1)-th smallest, self included)
def dist(a, b): return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
r = np.sort(dist(x, x), axis=1)[:, K]
dxy = dist(x, y)
coverage = (dxy.min(axis=1) < r).mean()
density = (1.0 / K) * (dxy < r[:, None]).sum(axis=0).mean()
print("coverage %.17g density %.17g" % (coverage, density))

cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
pb, pv = predict(nx, K), predict(ny, K)
for r_ in sorted(range(N), key=lambda t: (cos[t], t))[:4]:
    print("worst id %d label %d cosine %.17g kept %d base %d variant %d" % (
        10 + r_, lab[r_], cos[r_], len(set(nx[r_][:K]) & set(ny[r_][:K])), pb[r_] == lab[r_], pv[r_] == lab[r_]))

ps = []
for c in range(3):
    m = lab == c
    b = int(((pb == lab) & (pv != lab) & m).sum()); cc = int(((pb != lab) & (pv == lab) & m).sum())
    p = 1.0 if b + cc == 0 else binomtest(b, b + cc, 0.5).pvalue
    ps.append(p); print("class %d b %d c %d p %.17g" % (c, b, cc, p))
o = np.argsort(ps, kind="stable"); adj = np.empty(3); run = 0
for rank, t in enumerate(o):
    run = max(run, min(1.0, (3 - rank) * ps[t])); adj[t] = run
print("holm", " ".join("%.17g" % v for v in adj))
print("knn acc base %.17g variant %.17g" % ((pb == lab).mean(), (pv == lab).mean()))

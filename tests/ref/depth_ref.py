#!/usr/bin/python3
"""Expected values of tests/test_depth.c (STATISTICS.md "Depth: every hidden layer").

Run with /usr/bin/python3 (NumPy 1.24.2, SciPy 1.10.1, scikit-learn 1.2.1,
Debian 12's python3-numpy, python3-scipy, python3-sklearn):

    /usr/bin/python3 tests/ref/depth_ref.py > /tmp/depth_ref.c

and paste the output between the "BEGIN/END depth_ref.py" markers of
tests/test_depth.c.  Cross-checks go to stderr.

Every number is computed here from its definition, independently of
qaudit: cosine c_i = x.y / (|x| |y|), its mean and its 5th percentile by
np.percentile (linear, R type 7); SQNR = 10 log10(sum |x|^2 / sum |x - y|^2);
linear CKA = |Yc'Xc|_F^2 / (|Xc'Xc|_F |Yc'Yc|_F); the ridge probe by
scikit-learn's Ridge(alpha = lambda, fit_intercept = True) on the one-hot
labels of the train rows (i != 0 mod 5), lambda = probe_ridge tr(Xc'Xc)/D,
cross-checked against np.linalg.solve of the closed form; the AUC by
scipy.stats.mannwhitneyu (U / (n1 n0)), cross-checked against sklearn's
roc_auc_score.

The fixtures are closed formulas, written by fixture_*() in the C file in
the same way: q(v) = floor(64 v + 1/2) / 64 makes every value exact in
float16, float32 and float64, so the stored type does not matter.  The
variant of fixture "main" is stored in another row order (its row r holds
sample 7 r mod 40), so alignment by id is part of the test.
"""
import math
import sys

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.linear_model import Ridge
from sklearn.metrics import roc_auc_score

RIDGE = 0.01


def q(v):
    return np.floor(64.0 * v + 0.5) / 64.0


def layer(n, d, k, lab, amp):
    """Baseline and variant states of layer k (both in the baseline's order)."""
    i = np.arange(n)[:, None].astype(float)
    j = np.arange(d)[None, :].astype(float)
    cls = (lab[:, None] == (np.arange(d)[None, :] % 3)).astype(float)
    x = q(np.sin(0.37 * (i + 1) * (j + 1) + 0.5 * j + k) + 0.9 * cls)
    y = q(x + amp * np.cos(1.7 * i + 0.9 * (j + 1) * (k + 1)))
    return x, y


def fixture_main():
    n = 40
    lab = np.array([(i * 7 + i // 5) % 3 for i in range(n)])
    layers = [("layer_2", 4, 0.05), ("layer_10", 6, 0.4), ("final", 5, 0.8)]
    return n, lab, 3, layers


def fixture_binary():
    n = 30
    lab = np.array([(i * 3 + i // 4) % 2 for i in range(n)])
    layers = [("layer_1", 2, 0.3), ("final", 3, 0.6)]
    return n, lab, 2, layers


def fixture_single():
    # Class 2 has one sample (row 7, a train row).
    n = 16
    lab = np.array([2 if i == 7 else i % 2 for i in range(n)])
    layers = [("layer_1", 4, 0.2), ("final", 3, 0.5)]
    return n, lab, 3, layers


def fixture_wide():
    # D > N_train: layer_1 has 12 dimensions for 10 samples (CKA's Gram
    # path, the probe's dual form).
    n = 10
    lab = np.array([i % 3 for i in range(n)])
    layers = [("layer_1", 12, 0.3), ("final", 3, 0.4)]
    return n, lab, 3, layers


def cosine(x, y):
    c = np.sum(x * y, axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
    return np.clip(c, -1.0, 1.0)


def sqnr(x, y):
    e = np.sum((x - y) ** 2)
    return 10.0 * math.log10(np.sum(x * x) / e) if e > 0 else float("nan")


def cka(x, y):
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    return np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))


def probe(x, lab, c):
    tr = np.arange(len(x)) % 5 != 0
    xt, yt = x[tr], np.eye(c)[lab[tr]]
    xc = xt - xt.mean(axis=0)
    lam = RIDGE * np.trace(xc.T @ xc) / x.shape[1]
    ridge = Ridge(alpha=lam, fit_intercept=True, solver="cholesky").fit(xt, yt)
    w = ridge.coef_.T
    m, ybar = xt.mean(axis=0), yt.mean(axis=0)
    w_np = np.linalg.solve(xc.T @ xc + lam * np.eye(x.shape[1]), xc.T @ (yt - ybar))
    agree = np.max(np.abs(w - w_np))
    print(f"  probe: sklearn vs closed form {agree:.1e}", file=sys.stderr)
    assert agree < 1e-12
    return lambda z: (z - m) @ w + ybar


def evaluate(score, z, lab, c):
    te = np.arange(len(z)) % 5 == 0
    s = score(z[te])
    pred = np.argmax(s, axis=1)           # ties to the lowest class, as qaudit
    top2 = np.sort(s, axis=1)[:, -2:]
    gap = np.min(top2[:, 1] - top2[:, 0])
    assert gap > 1e-9, gap                # no prediction hangs on rounding
    acc = float(np.mean(pred == lab[te]))
    auc = float("nan")
    if c == 2:
        d = s[:, 1] - s[:, 0]
        pos, neg = d[lab[te] == 1], d[lab[te] == 0]
        u = scipy.stats.mannwhitneyu(pos, neg, alternative="two-sided").statistic
        auc = u / (len(pos) * len(neg))
        assert abs(auc - roc_auc_score(lab[te], d)) < 1e-15
    return acc, auc


def cells(fixture):
    n, lab, c, layers = fixture()
    rows = []
    for k, (name, d, amp) in enumerate(layers):
        x, y = layer(n, d, k, lab, amp)
        cb = cosine(x, y)
        base = probe(x, lab, c)
        native_b, auc_b = evaluate(base, x, lab, c)
        native_v, auc_nv = evaluate(probe(y, lab, c), y, lab, c)
        transfer, auc_t = evaluate(base, y, lab, c)
        rows.append([cb.mean(), np.percentile(cb, 5), sqnr(x, y), cka(x, y), native_v, transfer,
                     100.0 * (transfer - native_b), auc_nv, auc_t, native_b, auc_b])
    return rows


def c_array(name, rows):
    def row(r):
        return "{" + ", ".join("NAN" if math.isnan(v) else repr(float(v)) for v in r) + "}"
    body = ",\n    ".join(row(r) for r in rows)
    return f"static const double {name}[{len(rows)}][11] = {{\n    {body}}};"


print(f"/* BEGIN depth_ref.py: NumPy {np.__version__}, SciPy {scipy.__version__}, "
      f"scikit-learn {sklearn.__version__} */")
print("/* per layer (fixture order): cosine mean, p05, sqnr_db, cka, probe native, transfer,")
print("** transfer delta pp, auc native, auc transfer, the baseline's native and auc */")
print(c_array("MAIN", cells(fixture_main)))
print(c_array("BINARY", cells(fixture_binary)))
print(c_array("SINGLE", cells(fixture_single)))
print(c_array("WIDE", cells(fixture_wide)))
print("/* END depth_ref.py */")

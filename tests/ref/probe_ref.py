#!/usr/bin/python3
"""Expected values of tests/test_probe.c (STATISTICS.md "Linear probe").

Run with /usr/bin/python3 (NumPy 1.24.2, SciPy 1.10.1, scikit-learn 1.2.1,
Debian 12's python3-numpy, python3-scipy, python3-sklearn):

    /usr/bin/python3 tests/ref/probe_ref.py > /tmp/probe_ref.c

and paste the output between the "BEGIN/END probe_ref.py" markers of
tests/test_probe.c.  Cross-checks go to stderr.

Two independent references for every probe:
  * scikit-learn's Ridge(alpha=lam, fit_intercept=True, solver="cholesky")
    fitted on the one-hot labels.  sklearn centres X and Y by their column
    means over the train rows (exactly m and ybar) and solves
    (Xc'Xc + alpha I) W = Xc'(Y - ybar), intercept = ybar - m W; so with
    alpha = lam = probe_ridge * tr(Xc'Xc) / D its coef_.T is the spec's W
    and predict(x) = (x - m) W + ybar.  When D > N_train sklearn's cholesky
    solver uses the kernel (dual) form, as qaudit does.
  * a NumPy transcription of the closed form (np.linalg.solve).
The two must agree to 1e-12 (checked below); the C file uses sklearn's.

The fixtures are closed formulas; fixture_*() in the C file are the same.
"""
import sys

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.linear_model import Ridge
from sklearn.metrics import roc_auc_score

RIDGE = 0.01


def fixture_multi():
    # tests/test_repr.c's fixture: N = 40, D = 6, 3 classes by angle.
    n, d = 40, 6
    i = np.arange(n)[:, None]
    j = np.arange(d)[None, :]
    x = np.sin(1.3 * i + 0.7 * j) + 0.1 * j
    y = x + 0.05 * np.cos(2.1 * i * j)
    lab = np.floor(np.mod(1.3 * np.arange(n), 2 * np.pi) / (2 * np.pi / 3)).astype(int)
    return x, y, lab, 3


def fixture_binary():
    # N = 61, D = 5, two classes; the variant is a noisy, shrunk copy.
    n, d = 61, 5
    i = np.arange(n)[:, None]
    j = np.arange(d)[None, :]
    lab = (np.sin(0.9 * np.arange(n)) > 0.2).astype(int)
    x = np.cos(0.37 * i * j + j) + 0.3 * lab[:, None] * np.sin(j + 1.0)
    y = 0.9 * x + 0.4 * np.sin(1.7 * i + 2.3 * j)
    return x, y, lab, 2


def fixture_wide():
    # D > N_train: N = 23 (18 train rows), D = 40, 3 classes.
    n, d = 23, 40
    i = np.arange(n)[:, None]
    j = np.arange(d)[None, :]
    lab = np.arange(n) * 7 % 3
    x = np.sin(0.11 * i * j + 0.5 * j) + 0.3 * lab[:, None] * np.cos(0.2 * j)
    return x, None, lab, 3


def fixture_single():
    # 4 classes, class 3 has one sample (row 7, a train row), N = 30, D = 4.
    n, d = 30, 4
    i = np.arange(n)[:, None]
    j = np.arange(d)[None, :]
    lab = np.arange(n) % 3
    lab[7] = 3
    x = np.cos(0.7 * i + 1.1 * j) + 0.25 * lab[:, None] * (j + 1)
    return x, None, lab, 4


def split(n):
    test = np.arange(n) % 5 == 0
    return ~test, test


def closed_form(x, lab, C):
    tr, _ = split(len(lab))
    X = x[tr]
    Y = np.eye(C)[lab[tr]]
    m = X.mean(0)
    yb = Y.mean(0)
    Xc = X - m
    lam = RIDGE * np.trace(Xc.T @ Xc) / X.shape[1]
    W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ (Y - yb))
    return m, W, yb, lam


def sk_fit(x, lab, C, lam):
    tr, _ = split(len(lab))
    r = Ridge(alpha=lam, fit_intercept=True, solver="cholesky")
    r.fit(x[tr], np.eye(C)[lab[tr]])
    return r


def arr(name, v):
    v = np.ravel(v)
    body = ", ".join("%.17g" % t for t in v)
    print("static const double %s[%d] = {%s};" % (name, len(v), body))


def argmax_low(s):
    return np.argmax(s, axis=1)   # NumPy's argmax takes the first maximum


def accuracy(r, x, lab):
    _, te = split(len(lab))
    return float((argmax_low(r.predict(x[te])) == lab[te]).mean())


def auc(r, x, lab):
    _, te = split(len(lab))
    s = r.predict(x[te])
    diff = s[:, 1] - s[:, 0]
    pos, neg = diff[lab[te] == 1], diff[lab[te] == 0]
    u = scipy.stats.mannwhitneyu(pos, neg, alternative="two-sided").statistic
    a = u / (len(pos) * len(neg))
    assert abs(a - roc_auc_score(lab[te], diff)) < 1e-15
    return float(a)


def emit(tag, x, y, lab, C):
    m, W, yb, lam = closed_form(x, lab, C)
    r = sk_fit(x, lab, C, lam)
    err = max(np.abs(r.coef_.T - W).max(), np.abs(r.intercept_ - (yb - m @ W)).max())
    print("%s: lambda %.17g, |sklearn - closed form| %.3g" % (tag, lam, err), file=sys.stderr)
    assert err < 1e-12
    print("static const double %s_LAMBDA = %.17g;" % (tag, lam))
    arr(tag + "_W", r.coef_.T)                      # D x C row-major
    arr(tag + "_MEAN", m)
    _, te = split(len(lab))
    arr(tag + "_SCORES", r.predict(x[te][:3]))      # the first 3 test rows
    print("static const double %s_NATIVE = %.17g;" % (tag, accuracy(r, x, lab)))
    if y is not None:
        m2, W2, yb2, lam2 = closed_form(y, lab, C)
        r2 = sk_fit(y, lab, C, lam2)
        print("static const double %s_VAR_NATIVE = %.17g;" % (tag, accuracy(r2, y, lab)))
        print("static const double %s_TRANSFER = %.17g;" % (tag, accuracy(r, y, lab)))
        if C == 2:
            print("static const double %s_AUC_NATIVE = %.17g;" % (tag, auc(r2, y, lab)))
            print("static const double %s_AUC_TRANSFER = %.17g;" % (tag, auc(r, y, lab)))
            print("static const double %s_AUC_BASE = %.17g;" % (tag, auc(r, x, lab)))


def main():
    print("/* BEGIN probe_ref.py: NumPy %s, SciPy %s, scikit-learn %s */"
          % (np.__version__, scipy.__version__, sklearn.__version__))
    emit("MULTI", *fixture_multi())
    emit("BIN", *fixture_binary())
    emit("WIDE", *fixture_wide())
    emit("SINGLE", *fixture_single())
    # AUC with ties: scipy.stats.mannwhitneyu U / (n1 n0).
    s = np.array([0.5, 0.5, 1, 2, 2, 2, -1, 0.5, 3, 1, -1, 2])
    lab = np.array([1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0])
    u = scipy.stats.mannwhitneyu(s[lab == 1], s[lab == 0]).statistic
    print("static const double AUC_TIES = %.17g;   /* U = %g */"
          % (u / ((lab == 1).sum() * (lab == 0).sum()), u))
    print("/* END probe_ref.py */")


main()

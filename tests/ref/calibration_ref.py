#!/usr/bin/python3
"""Expected values of tests/test_calibration.c (STATISTICS.md "Strata,
calibration, retrieval, coverage": outputs.calibration, outputs.per_class).

Run with /usr/bin/python3 (NumPy 1.24.2, SciPy 1.10.1):

    /usr/bin/python3 tests/ref/calibration_ref.py

and paste what it prints between the "BEGIN/END calibration_ref.py" markers
of tests/test_calibration.c.

Calibration: p = scipy.special.softmax, log p = scipy.special.log_softmax
(float64); conf = max p, prediction = np.argmax (first maximum); bin of a
confidence = np.searchsorted(np.arange(B + 1) / B, conf, side="left") - 1,
0 for conf = 0, i.e. bins ((k-1)/B, k/B], the first closed at 0.

Per class: the exact McNemar p is scipy.stats.binomtest(min(b, c), b + c,
0.5).pvalue (two-sided; 1 when b + c = 0); Holm is written out below
(sort ascending, (m - j + 1) p, running maximum, capped at 1).
"""
import numpy as np
import scipy.special
import scipy.stats

# The fixture of calib_against_numpy (CAL_LOGITS, CAL_LABELS in the C file).
LOGITS = np.array([
    [2.0, 0.5, -1.0, 0.1],
    [0.3, 0.2, 0.1, 0.0],
    [-1.5, 3.2, 0.7, 0.7],
    [700.0, 699.0, 698.5, 690.0],
    [0.0, 0.0, 0.0, 0.0],
    [1.1, -0.4, 2.9, 0.3],
    [-3.0, -2.0, -2.5, -0.5],
    [5.0, -5.0, 0.0, 1.0],
    [0.9, 1.0, 1.1, 1.2],
    [-20.0, 15.0, -3.0, 2.5],
    [0.25, -0.75, 1.5, -2.0],
    [4.0, 4.0, -1.0, 0.0],
])
LABELS = np.array([0, 3, 1, 1, 2, 2, 0, 0, 2, 1, 3, 1])

# The fixture of calib_per_class_against_scipy: per class (n11, n10, n01,
# n00) = (both right, baseline right only, variant right only, both wrong).
CLASSES = [(20, 40, 25, 5), (3, 0, 12, 0), (50, 6, 0, 9), (7, 9, 2, 7), (0, 0, 0, 4)]


def calibration(bins):
    logp = scipy.special.log_softmax(LOGITS, axis=1)
    p = np.exp(logp)
    conf = p.max(axis=1)
    hit = p.argmax(axis=1) == LABELS
    edges = np.arange(bins + 1) / bins
    k = np.searchsorted(edges, conf, side="left") - 1
    k[conf == 0] = 0
    n = len(LABELS)
    ece, rows = 0.0, []
    for b in range(bins):
        m = k == b
        if m.any():
            acc, cf = hit[m].mean(), conf[m].mean()
            ece += m.sum() / n * abs(acc - cf)
            rows.append((b, int(m.sum()), acc, cf))
    onehot = np.eye(LOGITS.shape[1])[LABELS]
    brier = ((p - onehot) ** 2).sum(axis=1).mean()
    nll = -logp[np.arange(n), LABELS].mean()
    return ece, brier, nll, hit.mean(), conf.mean(), rows


def holm(p):
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for j, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - j) * p[i]))
        out[i] = running
    return out


for bins in (5, 15):
    ece, brier, nll, acc, conf, rows = calibration(bins)
    print("/* B = %d */" % bins)
    print("{%d, %.17g, %.17g, %.17g, %.17g, %.17g}," % (bins, ece, brier, nll, acc, conf))
    for b, n, a, c in rows:
        print("  /* bin %d: n %d, accuracy %.17g, confidence %.17g */" % (b, n, a, c))

ps = []
for n11, n10, n01, n00 in CLASSES:
    b, c = n10, n01
    ps.append(scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue if b + c else 1.0)
for (n11, n10, n01, n00), p, h in zip(CLASSES, ps, holm(ps)):
    n = n11 + n10 + n01 + n00
    dpp = 100.0 * ((n11 + n01) / n - (n11 + n10) / n)
    print("{%d, %.17g, %.17g, %.17g}," % (n, dpp, p, h))

# With the argument "showcase" (after `make examples`, from the repository
# root; needs h5py): the numbers calib_e2e_showcase checks, from the caches.
import sys

if sys.argv[1:] == ["showcase"]:
    import h5py

    def cache(name):
        f = h5py.File("examples/showcase/caches/%s.h5" % name, "r")
        order = np.argsort(f["/samples/id"][()])          # align by id
        x = f["/outputs/logits"][()].astype(np.float64)[order]
        y = f["/samples/label"][()][order]
        pred = f["/outputs/prediction"][()][order] if "/outputs/prediction" in f else x.argmax(1)
        return x, y, pred

    _, _, base_pred = cache("fp32")
    for name in ("int4", "int2"):
        LOGITS, LABELS, pred = cache(name)
        ece, brier, nll, _, _, _ = calibration(15)
        print("%s: ece %.17g, brier %.17g, nll %.17g" % (name, ece, brier, nll))
        m = LABELS == 0                                   # class "safe"
        b = int(((base_pred == 0) & (pred != 0) & m).sum())
        c = int(((base_pred != 0) & (pred == 0) & m).sum())
        dpp = 100.0 * ((pred[m] == 0).mean() - (base_pred[m] == 0).mean())
        print("  safe: n %d, delta_pp %.17g, mcnemar_p %.17g" %
              (m.sum(), dpp, scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue))

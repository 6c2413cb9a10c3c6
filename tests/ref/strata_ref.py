#!/usr/bin/python3
"""Reference values for tests/test_strata.c (run with /usr/bin/python3;
NumPy 1.24.2, SciPy 1.10.1): benchmark.strata on the fixture below, the
exact McNemar by scipy.stats.binomtest, the Wilson interval by its
proportion_ci(method="wilson"), Holm by hand (statsmodels is not installed).
Each row: task, stratum, n, correct (variant), correct (baseline), accuracy,
Wilson low, high, delta_pp, b, c, McNemar p, Holm p.

Fixture, baseline row order, item i of each task, with the hash
  u(i, s) = mix((2654435761 i + 97531 s) mod 2^32) / 2^32,
  mix(x) = y ^ (y >> 13), y = (x ^ (x >> 15)) 2246822519 mod 2^32:
  task "arc", M = 400, ids 1000 + 3 i, 5 stratum names
    (algebra, biology, chemistry, drama, empty), stratum floor(4 u(i, 1))
    (empty has no items); base right when u(i, 2) < 0.5; the variant
    flips right -> wrong when u(i, 3) < LOSS[stratum] = 0.45, 0.05, 0.15,
    0.05 and wrong -> right when u(i, 3) < GAIN[stratum] = 0.05, 0.6,
    0.05, 0.1
  task "boolq", M = 40, ids 5000 + i, 3 names (short, long, yesno),
    stratum floor(3 u(i, 4)), base right when u(i, 5) < 0.6, the variant
    flips either way when u(i, 6) < 0.25
The variant's rows are stored in the order j -> (7 j) mod M (any
permutation: items are paired by id); "same" is the baseline's copy.
With --showcase, the same numbers for examples/showcase/caches (h5py)."""
import sys
import numpy as np
from scipy.stats import binomtest


M32 = 0xFFFFFFFF


def u(i, salt):
    x = (2654435761 * i + 97531 * salt) & M32
    y = ((x ^ (x >> 15)) * 2246822519) & M32
    return (y ^ (y >> 13)) / 2.0 ** 32


def arc():
    i = range(400)
    strat = np.array([int(4 * u(k, 1)) for k in i])
    base = np.array([u(k, 2) < 0.5 for k in i])
    loss = np.array([0.45, 0.05, 0.15, 0.05])[strat]
    gain = np.array([0.05, 0.6, 0.05, 0.1])[strat]
    r = np.array([u(k, 3) for k in i])
    var = np.where(base, ~(r < loss), r < gain)
    return base.astype(int), var.astype(int), strat, ["algebra", "biology", "chemistry", "drama", "empty"]


def boolq():
    i = range(40)
    strat = np.array([int(3 * u(k, 4)) for k in i])
    base = np.array([u(k, 5) < 0.6 for k in i])
    flip = np.array([u(k, 6) < 0.25 for k in i])
    var = base ^ flip
    return base.astype(int), var.astype(int), strat, ["short", "long", "yesno"]


def holm(p):
    """Holm (1979): sort ascending, p_(i) = max_{j<=i} min(1, (m - j + 1) p_(j))."""
    m = len(p)
    order = sorted(range(m), key=lambda k: (p[k], k))
    out, run = [0.0] * m, 0.0
    for rank, k in enumerate(order):
        run = max(run, min(1.0, (m - rank) * p[k]))
        out[k] = run
    return out


def strata(tasks):
    rows = []
    for name, (b, v, s, names) in tasks:
        for k, sn in enumerate(names):
            sel = s == k
            n = int(sel.sum())
            if not n:
                continue
            kb, kv = int(b[sel].sum()), int(v[sel].sum())
            bb = int((b[sel] & (1 - v[sel])).sum())
            cc = int(((1 - b[sel]) & v[sel]).sum())
            p = binomtest(min(bb, cc), bb + cc, 0.5).pvalue if bb + cc else 1.0
            ci = binomtest(kv, n).proportion_ci(0.95, method="wilson")
            rows.append([name, sn, n, kv, kb, kv / n, ci.low, ci.high, 100 * (kv - kb) / n, bb, cc, p])
    for r, h in zip(rows, holm([r[-1] for r in rows])):
        r.append(h)
    return rows


def show(rows):
    for r in rows:
        print('{"%s", "%s", %d, %d, %d, %.17g, %.17g, %.17g, %.17g, %d, %d, %.17g, %.17g},' % tuple(r))


if len(sys.argv) > 1 and sys.argv[1] == "--showcase":
    import h5py

    def load(path):
        out = []
        with h5py.File(path, "r") as f:
            for t in sorted(f["eval"]):
                g = f["eval"][t]
                if "stratum" not in g or "correct" not in g:
                    continue
                ids = g["id"][:] if "id" in g else np.arange(len(g["correct"]))
                order = np.argsort(ids)
                names = [x.decode() if isinstance(x, bytes) else x for x in g["stratum_names"][:]]
                out.append((t, ids[order], g["correct"][:][order].astype(int),
                            g["stratum"][:][order], names))
        return out

    base = load("examples/showcase/caches/fp32.h5")
    for var in ("int4", "int2"):
        v = load("examples/showcase/caches/%s.h5" % var)
        tasks = []
        for (t, ib, cb, sb, nb), (_, iv, cv, sv, nv) in zip(base, v):
            assert (ib == iv).all() and (sb == sv).all() and nb == nv
            tasks.append((t, (cb, cv, sb, nb)))
        print("/* %s */" % var)
        show(strata(tasks))
else:
    show(strata([("arc", arc()), ("boolq", boolq())]))

#!/usr/bin/python3
"""Expected values of tests/test_coverage.c (STATISTICS.md "Strata,
calibration, retrieval, coverage": coverage, density, overlap_at).

Run with /usr/bin/python3 (NumPy 1.24.2, scikit-learn 1.2.1; Debian 12's
python3-numpy and python3-sklearn):

    /usr/bin/python3 tests/ref/coverage_ref.py > /tmp/coverage_ref.c

and paste the output between the "BEGIN/END coverage_ref.py" markers of
tests/test_coverage.c.  Cross-checks go to stderr.

Coverage and density follow the reference code of Naeem et al. 2020
(github.com/clovaai/generative-evaluation-prdc, prdc/prdc.py:
compute_nearest_neighbour_distances, compute_coverage, compute_density),
transcribed here with NumPy: the radius of real row i is the (k+1)-th
smallest of its distances to every real row (itself, at 0, included),
coverage = mean_i [min_j d(x_i, y_j) < r_i], density = (1/k) mean_j
#{i : d(x_i, y_j) < r_i}.  prdc computes the distances with
sklearn.metrics.pairwise_distances (the GEMM identity); this script uses
the direct sqrt(sum (x - y)^2) and checks that prdc's distances give the
same numbers on these fixtures (no pair lies near its radius: the smallest
relative margin is printed).

overlap_at: cosine-similarity neighbour lists (leave-one-out, equal
similarity to the lower index, by a stable sort), |A_k n B_k| / k averaged.
"""
import sys

import numpy as np
import sklearn
import sklearn.metrics


def fixture_x(n=60, d=7):
    i = np.arange(n)[:, None]
    l = np.arange(d)[None, :]
    return np.sin(0.9 * i + 1.7 * l) + 0.2 * np.cos(0.31 * i * l)


def fixture_y_aligned(x):
    n, d = x.shape
    i = np.arange(n)[:, None]
    l = np.arange(d)[None, :]
    return x + 0.3 * np.sin(2.3 * i + 0.7 * l)


def fixture_y_other(m=45, d=7):
    j = np.arange(m)[:, None]
    l = np.arange(d)[None, :]
    return np.sin(0.9 * j + 1.7 * l + 0.3) + 0.3 * np.cos(1.3 * j * l + 0.2)


def direct_distances(a, b):
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def prdc_like(real, fake, k, dist):
    """prdc's compute_coverage / compute_density with the distance dist."""
    rr = dist(real, real)
    radii = np.partition(rr, k, axis=1)[:, k]          # (k+1)-th smallest
    rf = dist(real, fake)
    inside = rf < radii[:, None]
    coverage = (rf.min(axis=1) < radii).mean()
    density = inside.sum(axis=0).mean() / k
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = np.abs(rf - radii[:, None]).min() / radii.min()
    return radii, float(coverage), float(density), margin


def sk_dist(a, b):
    return sklearn.metrics.pairwise_distances(a, b, metric="euclidean")


def knn_lists(x, kmax):
    nrm = np.linalg.norm(x, axis=1)
    sim = (x @ x.T) / nrm[:, None] / nrm[None, :]
    n = len(x)
    out = np.zeros((n, kmax), dtype=int)
    gap = np.inf
    for i in range(n):
        j = np.array([t for t in range(n) if t != i])
        order = j[np.lexsort((j, -sim[i, j]))]       # similarity desc, index asc
        out[i] = order[:kmax]
        s = sim[i, order]
        gap = min(gap, np.abs(np.diff(s[:kmax + 1])).min())
    return out, gap


def arr(name, v):
    v = np.ravel(v)
    print("static const double %s[%d] = {%s};" % (name, len(v), ", ".join("%.17g" % t for t in v)))


def main():
    print("/* BEGIN coverage_ref.py: NumPy %s, scikit-learn %s */"
          % (np.__version__, sklearn.__version__))
    x = fixture_x()
    cases = [("ALIGNED", x, fixture_y_aligned(x), 5), ("OTHER", x, fixture_y_other(), 3)]
    for tag, real, fake, k in cases:
        radii, cov, den, margin = prdc_like(real, fake, k, direct_distances)
        _, cov2, den2, _ = prdc_like(real, fake, k, sk_dist)
        print("%s: coverage %g density %g; prdc's sklearn distances: %g %g; "
              "smallest relative margin to a radius %.3g" % (tag, cov, den, cov2, den2, margin),
              file=sys.stderr)
        assert cov == cov2 and den == den2 and margin > 1e-6
        print("static const double %s_COVERAGE = %.17g, %s_DENSITY = %.17g;"
              % (tag, cov, tag, den))
        if tag == "ALIGNED":
            arr("ALIGNED_RADII", radii)
    # overlap_at of the aligned fixture, K_max = 10.
    a, ga = knn_lists(x, 10)
    b, gb = knn_lists(fixture_y_aligned(x), 10)
    print("overlap_at: smallest similarity gap in the first 11 ranks %.3g" % min(ga, gb),
          file=sys.stderr)
    ov = [np.mean([len(set(a[i, :k]) & set(b[i, :k])) / k for i in range(len(x))])
          for k in range(1, 11)]
    arr("OVERLAP_AT", ov)
    # The hand tie case shifted by 2^27: prdc's GEMM distances lose the ties.
    X = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [0, 3]], float) + 2.0 ** 27
    Y = np.array([[0, 2], [2, 1], [1, 0], [10, 10]], float) + 2.0 ** 27
    _, c1, d1, _ = prdc_like(X, Y, 2, direct_distances)
    _, c2, d2, _ = prdc_like(X, Y, 2, sk_dist)
    print("ties at offset 2^27: direct coverage %g density %g; sklearn distances %g %g"
          % (c1, d1, c2, d2), file=sys.stderr)
    print("/* END coverage_ref.py */")


main()

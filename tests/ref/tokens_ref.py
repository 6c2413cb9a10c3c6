#!/usr/bin/python3
"""Expected values of tests/test_tokens.c (STATISTICS.md "Token-level outputs").

Run with /usr/bin/python3 (NumPy 1.24.2, SciPy 1.10.1, mpmath 1.2.1):

    /usr/bin/python3 tests/ref/tokens_ref.py > /tmp/tokens_ref.c

and paste the output between the "BEGIN/END tokens_ref.py" markers of
tests/test_tokens.c.  Cross-checks go to stderr.

The fixture is a closed formula on integers (logits are multiples of 1/8
with |x| <= 8, exact in float16, float32 and float64); tok_logit() in the
C file is the same formula.

Per-token values (nll, kld, dp) are computed with mpmath at 50 digits and
rounded once to double, so they are the correctly rounded values; every
statistic is then computed with NumPy/SciPy from those doubles:
np.mean, np.std(ddof=1), np.cov, np.corrcoef, np.quantile(method="linear")
(R type 7), scipy.stats.norm.ppf.  The per-token values are also computed
in float64 NumPy (scipy.special.logsumexp) as a cross-check; the largest
relative difference is printed to stderr.
"""
import sys

import mpmath
import numpy as np
import scipy
import scipy.special
import scipy.stats

mpmath.mp.dps = 50

T, V, K = 37, 11, 4            # positions, vocabulary, files (baseline + 3)
DOC_LEN = [4, 11, 2, 13, 7]
DOC_IDS = [40, 3, 17, 5, 22]   # not contiguous, not sorted
SLICE_NAMES = ["code", "math", "empty", "de"]
ALPHA = 0.05

KLD_Q = [1, .999, .99, .95, .9, .5, .1, .05, .01, .001, 0]
DP_Q = [1, .999, .99, .95, .9, .75, .5, .25, .1, .05, .01, .001, 0]


def q_logit(k, t, j):
    """The fixture's logit times 8 (an integer in [-64, 64])."""
    if t % 6 == 1 and j in (2, 9):
        # A tie at the maximum in the baseline (argmax: the lower index, 2);
        # variant k lifts entry 2 by s in {-1, 0, 1}: s = 0 keeps the tie,
        # s = -1 moves the argmax to 9.
        s = ((t // 6 + k) % 3) - 1 if k > 0 else 0
        return 60 + (s if j == 2 else 0)
    q = 2 * (((13 * t + 7 * j * j + 3 * t * j) % 41) - 20)
    if k > 0:
        q += k * (((t * (k + 2) + j * (2 * k + 1) + k * t * j) % (2 * k + 3)) - (k + 1))
    return q


def logit(k, t, j):
    return q_logit(k, t, j) / 8.0


def target(t):
    return (7 * t + 2) % V


def doc_of(t):
    acc = 0
    for g, n in enumerate(DOC_LEN):
        acc += n
        if t < acc:
            return DOC_IDS[g]
    raise ValueError(t)


def slice_of(t):
    if doc_of(t) == 17:
        return 3                # "de": the two positions of one document
    return 0 if t % 3 == 0 else 1   # "empty" (2) has no position


def doc_interleaved(t):
    """The second document assignment: documents not contiguous."""
    return DOC_IDS[(3 * t + t // 4) % 5]


def flush(x):
    """Rows where the variant is the baseline plus a constant (t = 2 mod 5
    in variant 1) have kld = dp = 0 exactly; 50 digits leave 1e-50."""
    return 0.0 if abs(x) < 1e-40 else float(x)


def per_token_mp(k):
    """nll of file k, and kld, dp, same of file k against file 0 (mpmath)."""
    nll, kld, dp, same = [], [], [], []
    for t in range(T):
        xb = [mpmath.mpf(q_logit(0, t, j)) / 8 for j in range(V)]
        xv = [mpmath.mpf(q_logit(k, t, j)) / 8 for j in range(V)]
        lse_b = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xb))
        lse_v = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xv))
        lb = [x - lse_b for x in xb]
        lv = [x - lse_v for x in xv]
        y = target(t)
        kl = mpmath.fsum(mpmath.exp(lb[j]) * (lb[j] - lv[j]) for j in range(V))
        nll.append(float(-lv[y]))
        kld.append(flush(kl))
        dp.append(flush(mpmath.exp(lv[y]) - mpmath.exp(lb[y])))
        same.append(int(np.argmax(np.array([float(x) for x in xv])) ==
                        np.argmax(np.array([float(x) for x in xb]))))
    return np.array(nll), np.array(kld), np.array(dp), np.array(same, dtype=float)


def per_token_np(k):
    x = np.array([[[logit(kk, t, j) for j in range(V)] for t in range(T)] for kk in (0, k)])
    l = x - scipy.special.logsumexp(x, axis=2, keepdims=True)
    y = np.array([target(t) for t in range(T)])
    lb, lv = l[0], l[1]
    nll = -lv[np.arange(T), y]
    kld = np.sum(np.exp(lb) * (lb - lv), axis=1)
    dp = np.exp(-nll) - np.exp(lb[np.arange(T), y])
    return nll, kld, dp


def se(x):
    return np.std(x, ddof=1) / np.sqrt(len(x))


def se_doc(x, doc):
    """STATISTICS.md: sqrt(G/(G-1) sum_g r_g^2) / T, r_g = sum_{t in g}(x_t - mean)."""
    x = np.asarray(x, dtype=float)
    doc = np.asarray(doc)
    groups = np.unique(doc)
    g = len(groups)
    if g < 2:
        return float("nan"), g
    r = np.array([np.sum(x[doc == d] - x.mean()) for d in groups])
    return float(np.sqrt(g / (g - 1) * np.sum(r * r)) / len(x)), g


def summarize(nll_b, nll_v, kld, dp, same, doc):
    z = scipy.stats.norm.ppf(1 - ALPHA / 2)
    n = len(nll_v)
    r = {}
    r["ppl"] = np.exp(np.mean(nll_v))
    r["ppl_unc"] = r["ppl"] * se(nll_v)
    r["ppl_base"] = np.exp(np.mean(nll_b))
    r["ppl_base_unc"] = r["ppl_base"] * se(nll_b)
    d = nll_v - nll_b
    r["ln_ppl_ratio"] = np.mean(d)
    r["ln_ppl_ratio_se"] = se(d)
    r["ln_ppl_ratio_se_doc"], g = se_doc(d, doc)
    r["ppl_ratio"] = np.exp(r["ln_ppl_ratio"])
    r["ppl_ratio_se"] = r["ppl_ratio"] * r["ln_ppl_ratio_se"]
    r["ppl_diff"] = r["ppl"] - r["ppl_base"]
    cov = np.cov(nll_v, nll_b, ddof=1)[0, 1] / n
    r["ppl_diff_se"] = np.sqrt(r["ppl_unc"] ** 2 + r["ppl_base_unc"] ** 2
                               - 2 * r["ppl"] * r["ppl_base"] * cov)
    r["cor_ln_ppl"] = np.corrcoef(nll_v, nll_b)[0, 1]
    r["kld_mean"] = np.mean(kld)
    r["kld_se"] = se(kld)
    r["kld_se_doc"], _ = se_doc(kld, doc)
    r["kld_pct"] = [np.quantile(kld, q, method="linear") for q in KLD_Q]
    r["dp_mean"] = np.mean(dp)
    r["dp_se"] = se(dp)
    r["dp_pct"] = [np.quantile(dp, q, method="linear") for q in DP_Q]
    r["rms_dp"] = np.sqrt(np.mean(dp * dp))
    r["rms_dp_se"] = se(dp * dp) / (2 * r["rms_dp"])
    p = np.mean(same)
    r["same_top"] = p
    r["same_top_se"] = np.sqrt(p * (1 - p) / (n - 1))
    r["same_top_se_doc"], _ = se_doc(same, doc)
    # Intervals: mean +- z se_doc (se when there is one document).
    def half(se_doc_v, se_v):
        return z * (se_doc_v if g >= 2 else se_v)
    h = half(r["kld_se_doc"], r["kld_se"])
    r["kld_ci"] = [r["kld_mean"] - h, r["kld_mean"] + h]
    h = half(r["ln_ppl_ratio_se_doc"], r["ln_ppl_ratio_se"])
    r["ln_ppl_ratio_ci"] = [r["ln_ppl_ratio"] - h, r["ln_ppl_ratio"] + h]
    r["ppl_ratio_ci"] = [np.exp(r["ln_ppl_ratio_ci"][0]), np.exp(r["ln_ppl_ratio_ci"][1])]
    h = half(r["same_top_se_doc"], r["same_top_se"])
    r["same_top_ci"] = [r["same_top"] - h, r["same_top"] + h]
    r["docs"] = g
    return r


def slices(nll_b, nll_v, kld, same, doc):
    out = []
    sl = np.array([slice_of(t) for t in range(T)])
    for s in range(len(SLICE_NAMES)):
        m = sl == s
        if not m.any():
            continue
        dd = np.asarray(doc)[m]
        ks, ks_g = se_doc(kld[m], dd)
        ls, _ = se_doc((nll_v - nll_b)[m], dd)
        out.append(dict(name=SLICE_NAMES[s], n=int(m.sum()), docs=ks_g,
                        kld_mean=np.mean(kld[m]), kld_se_doc=ks,
                        kld_p99=np.quantile(kld[m], 0.99, method="linear"),
                        same_top=np.mean(same[m]),
                        ln_ppl_ratio=np.mean((nll_v - nll_b)[m]), ln_ppl_ratio_se_doc=ls))
    return out


def g17(x):
    if isinstance(x, float) and np.isnan(x):
        return "NAN"
    return "%.17g" % x


def arr(name, xs, per_line=3):
    items = [g17(float(x)) for x in xs]
    lines = []
    for i in range(0, len(items), per_line):
        lines.append("  " + ", ".join(items[i:i + per_line]) + ",")
    return "static const double %s[] = {\n%s\n};" % (name, "\n".join(lines))


SCALARS = ["ppl", "ppl_unc", "ppl_base", "ppl_base_unc", "ln_ppl_ratio", "ln_ppl_ratio_se",
           "ln_ppl_ratio_se_doc", "ppl_ratio", "ppl_ratio_se", "ppl_diff", "ppl_diff_se",
           "cor_ln_ppl", "kld_mean", "kld_se", "kld_se_doc", "dp_mean", "dp_se", "rms_dp",
           "rms_dp_se", "same_top", "same_top_se", "same_top_se_doc"]


def emit_result(name, r):
    print("static const tok_expect %s = {" % name)
    print("  .docs = %d," % r["docs"])
    for key in SCALARS:
        print("  .%s = %s," % (key, g17(float(r[key]))))
    for key in ["kld_pct", "dp_pct", "kld_ci", "ln_ppl_ratio_ci", "ppl_ratio_ci", "same_top_ci"]:
        print("  .%s = {%s}," % (key, ", ".join(g17(float(v)) for v in r[key])))
    print("};")


def main():
    print("/* Generated by tests/ref/tokens_ref.py with NumPy %s, SciPy %s, mpmath %s. */"
          % (np.__version__, scipy.__version__, mpmath.__version__))
    print("/* z = scipy.stats.norm.ppf(0.975) = %s */" % g17(scipy.stats.norm.ppf(0.975)))
    doc = [doc_of(t) for t in range(T)]
    doc2 = [doc_interleaved(t) for t in range(T)]
    base = per_token_mp(0)
    nll_b = base[0]
    worst_rel = 0.0
    for k in range(1, K):
        nll, kld, dp, same = per_token_mp(k)
        nnll, nkld, ndp = per_token_np(k)
        for a, b in ((nll, nnll), (kld, nkld), (dp, ndp)):
            worst_rel = max(worst_rel, float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-3))))
        print(arr("REF_NLL%d" % k, nll))
        print(arr("REF_KLD%d" % k, kld))
        print(arr("REF_DP%d" % k, dp))
        print("static const unsigned char REF_SAME%d[] = {%s};"
              % (k, ", ".join(str(int(s)) for s in same)))
        emit_result("REF_SUM%d" % k, summarize(nll_b, nll, kld, dp, same, doc))
        emit_result("REF_ONEDOC%d" % k, summarize(nll_b, nll, kld, dp, same, [0] * T))
        r2 = summarize(nll_b, nll, kld, dp, same, doc2)
        print("static const double REF_INTERLEAVED%d[3] = {%s, %s, %s};  "
              "/* kld, ln_ppl_ratio, same_top se_doc */"
              % (k, g17(r2["kld_se_doc"]), g17(r2["ln_ppl_ratio_se_doc"]),
                 g17(r2["same_top_se_doc"])))
        sl = slices(nll_b, nll, kld, same, doc)
        print("static const tok_slice_expect REF_SLICES%d[] = {" % k)
        for s in sl:
            print("  {\"%s\", %d, %d, %s, %s, %s, %s, %s, %s}," % (
                s["name"], s["n"], s["docs"], g17(s["kld_mean"]), g17(s["kld_se_doc"]),
                g17(s["kld_p99"]), g17(s["same_top"]), g17(s["ln_ppl_ratio"]),
                g17(s["ln_ppl_ratio_se_doc"])))
        print("};")
        worst = max(range(len(sl)), key=lambda i: sl[i]["kld_mean"])
        print("enum { REF_WORST_SLICE%d = %d };" % (k, worst))
    print(arr("REF_NLL0", nll_b))
    print("static const double REF_PPL_BASE = %s;  /* exp(mean nllB) */" % g17(np.exp(np.mean(nll_b))))
    # Cross-checks and fixture properties, for the reader.
    print("max difference mpmath vs float64 NumPy per-token values, relative to max(|x|, 1e-3): %.3g" % worst_rel,
          file=sys.stderr)
    ties = [t for t in range(T) if t % 6 == 1]
    print("baseline rows with a tie at the maximum: %s" % ties, file=sys.stderr)
    for k in range(1, K):
        same = per_token_mp(k)[3]
        print("variant %d: same_top %d/%d, tie rows same = %s"
              % (k, int(same.sum()), T, [int(same[t]) for t in ties]), file=sys.stderr)
    print("interleaved documents: %s" % sorted(set(doc2)), file=sys.stderr)
    print("interleaved run lengths: %s" % [sum(1 for _ in g) for _, g in
                                          __import__("itertools").groupby(doc2)],
          file=sys.stderr)


if __name__ == "__main__":
    main()

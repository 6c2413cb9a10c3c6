#!/usr/bin/python3
"""Independent check of the paired claim statuses on the rebuilt TR125 data.

Reads the caches with h5py and judges each configured claim of kinds
tier_at_most, worse_than_baseline and equivalent by the rules of
STATISTICS.md "Claims" with SciPy's t distribution (paired t on
d_i = correct_V - correct_B over the 485 pooled items).  The tiers are the
ones TR125 publishes (expected.json "variants"[].tier).  Prints one line per
claim; gen_tr125.py's claims_expected() carries these statuses.  The pairing
itself is simulated (README "Assumptions"), so these statuses describe the
simulated pairing, not TR125's evidence.

    /usr/bin/python3 examples/tr125/paired_claims.py
"""
import json
import os

import h5py
import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
TIERS = {"negligible": 3, "acceptable": 5, "concerning": 10}
ORDER = ["negligible", "acceptable", "concerning", "unacceptable"]
ALPHA = 0.05


def correct(path):
    with h5py.File(os.path.join(HERE, path), "r") as f:
        return np.concatenate([f["eval"][t]["correct"][...] for t in sorted(f["eval"])
                               if "correct" in f["eval"][t]]).astype(float)


def paired(cfg, model, variant):
    m = next(m for m in cfg["models"] if m["name"] == model)
    files = {v["name"]: v["file"] for v in m["variants"]}
    d = correct(files[variant]) - correct(files[m["baseline"]])
    n = len(d)
    se = d.std(ddof=1) / np.sqrt(n)
    return d.mean(), se, n - 1


def one_sided_above(mean, se, df, bound):      # H0: d <= bound
    return (0.0 if mean > bound else 1.0) if se == 0 else stats.t.sf((mean - bound) / se, df)


def one_sided_below(mean, se, df, bound):      # H0: d >= bound
    return (0.0 if mean < bound else 1.0) if se == 0 else stats.t.cdf((mean - bound) / se, df)


def judge(cfg, tiers, claim, model):
    v = claim["variant"]
    mean, se, df = paired(cfg, model, v)
    if claim["kind"] == "tier_at_most":
        if ORDER.index(tiers[(model, v)]) > ORDER.index(claim["tier"]):
            return 0, None
        p = one_sided_above(mean, se, df, -TIERS[claim["tier"]] / 100)
        return (3 if p < ALPHA else 2), p
    if claim["kind"] == "worse_than_baseline":
        m = claim["min_drop"]
        if -100 * mean < m:
            return 0, None
        p = one_sided_below(mean, se, df, -m / 100)
        return (3 if p < ALPHA else 2), p
    if claim["kind"] == "equivalent":
        m = claim["margin"] / 100
        if abs(mean) > m:
            return 0, None
        p = max(one_sided_above(mean, se, df, -m), one_sided_below(mean, se, df, m))
        return (3 if p < ALPHA else 1), p
    return None, None


def main():
    cfg = json.load(open(os.path.join(HERE, "config.json")))
    exp = json.load(open(os.path.join(HERE, "expected.json")))
    tiers = {(r["model"], r["variant"]): r["tier"] for r in exp["variants"]}
    names = ["not supported", "inconclusive", "demonstrated (point estimate only)",
             "demonstrated"]
    for claim in cfg["claims"]:
        models = [claim["model"]] if "model" in claim else \
            [m["name"] for m in cfg["models"] if any(v["name"] == claim["variant"]
                                                      for v in m["variants"])]
        got = [judge(cfg, tiers, claim, m) for m in models]
        if got[0][0] is None:
            continue
        status = min(g[0] for g in got)
        ps = ", ".join("%s p=%s" % (m, "-" if g[1] is None else "%.3g" % g[1])
                       for m, g in zip(models, got))
        print("%-16s %-36s %s" % (claim["id"], names[status], ps))


if __name__ == "__main__":
    main()

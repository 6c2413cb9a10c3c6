#!/usr/bin/python3
"""The token-level numbers of STATISTICS.md "Token-level outputs" computed
with NumPy and SciPy, for `make bench` section 4: the same work as qaudit's
token analysis (the speed reference) and an independent check of its
numbers.

usage: tokens_numpy.py CONFIG.json [BLOCK_ROWS]
Reads every variant's /tokens/logits with h5py in row blocks (default: a
whole number of chunks, about 2M values per block), baseline and variants
in lockstep, as float64; log-softmax by the max-shift formula in float64
(scipy.special.logsumexp on the shifted row).  Prints one JSON object,
{"model", "t", "v", "variants": {name: tokens-object}, "adjacent": [...]},
whose tokens objects use qaudit's report.json keys (INTERFACE.md section 4,
models[].variants[].tokens), then the line
`python_wall_s <s> peak_mb <MB>` (peak RSS from resource.getrusage)."""
import json, math, os, resource, sys, time
import numpy as np
import h5py
from scipy.special import logsumexp
from scipy.stats import norm

t0 = time.perf_counter()
cfg_path = sys.argv[1]
block_arg = int(sys.argv[2]) if len(sys.argv) > 2 else 0
cfg = json.load(open(cfg_path))
root = os.path.dirname(os.path.abspath(cfg_path))
model = cfg["models"][0]
alpha = cfg.get("analysis", {}).get("alpha", 0.05)
names = [v["name"] for v in model["variants"]]
base_name = model["baseline"]
bi = names.index(base_name)
files = [h5py.File(os.path.join(root, v["file"]), "r") for v in model["variants"]]
ds = [f["tokens/logits"] for f in files]
T, V = ds[bi].shape
y = files[bi]["tokens/target"][...].astype(np.int64)
doc = files[bi]["tokens/doc"][...] if "tokens/doc" in files[bi] else np.zeros(T, np.int64)
slc = files[bi]["tokens/slice"][...] if "tokens/slice" in files[bi] else None
slice_names = None
if slc is not None and "tokens/slice_names" in files[bi]:
    slice_names = [s.decode() if isinstance(s, bytes) else str(s)
                   for s in files[bi]["tokens/slice_names"][...]]
for f, d in zip(files, ds):
    assert d.shape == (T, V), (f.filename, d.shape)

chunk = ds[bi].chunks[0] if ds[bi].chunks else 1
if block_arg > 0:
    block = block_arg
else:
    block = max(1, (1 << 21) // (chunk * V)) * chunk

nv = len(names)
nll = np.empty((nv, T))
kld = np.empty((nv, T))
dp = np.empty((nv, T))
same = np.empty((nv, T), dtype=np.uint8)
for r0 in range(0, T, block):
    r1 = min(T, r0 + block)
    rows = np.arange(r1 - r0)
    yb = y[r0:r1]
    xb = ds[bi][r0:r1].astype(np.float64)
    if not np.isfinite(xb).all():
        sys.exit("tokens_numpy: NaN/Inf logit in %s" % files[bi].filename)
    mb = xb.max(axis=1, keepdims=True)
    lseb = mb + logsumexp(xb - mb, axis=1, keepdims=True)
    lb = xb - lseb
    pb = np.exp(lb)
    nllb = lseb[:, 0] - xb[rows, yb]
    amb = xb.argmax(axis=1)
    for k in range(nv):
        if k == bi:
            nll[k, r0:r1] = nllb
            kld[k, r0:r1] = 0.0
            dp[k, r0:r1] = 0.0
            same[k, r0:r1] = 1
            continue
        xv = ds[k][r0:r1].astype(np.float64)
        if not np.isfinite(xv).all():
            sys.exit("tokens_numpy: NaN/Inf logit in %s" % files[k].filename)
        mv = xv.max(axis=1, keepdims=True)
        lsev = mv + logsumexp(xv - mv, axis=1, keepdims=True)
        nllv = lsev[:, 0] - xv[rows, yb]
        nll[k, r0:r1] = nllv
        # lb - lv in the centred form (xb - xv) - (lse_b - lse_v): xb - xv is
        # exact for float16 inputs, so tiny KLDs keep their relative accuracy.
        kld[k, r0:r1] = (pb * ((xb - xv) - (lseb - lsev))).sum(axis=1)
        dp[k, r0:r1] = np.exp(-nllv) - np.exp(-nllb)
        same[k, r0:r1] = xv.argmax(axis=1) == amb
        del xv
    del xb, lb, pb


def se(x):
    return float(np.std(x, ddof=1) / math.sqrt(len(x)))


def se_doc(x, d):
    ids, inv = np.unique(d, return_inverse=True)
    g = len(ids)
    if g < 2:
        return None
    r = np.bincount(inv, weights=x - x.mean(), minlength=g)
    return float(math.sqrt(g / (g - 1) * float((r * r).sum())) / len(x))


def nz(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


KLD_Q = [("max", 100), ("p99_9", 99.9), ("p99", 99), ("p95", 95), ("p90", 90),
         ("median", 50), ("p10", 10), ("p05", 5), ("p01", 1), ("p00_1", 0.1), ("min", 0)]
DP_Q = [("max", 100), ("p99_9", 99.9), ("p99", 99), ("p95", 95), ("p90", 90), ("p75", 75),
        ("median", 50), ("p25", 25), ("p10", 10), ("p05", 5), ("p01", 1), ("p00_1", 0.1),
        ("min", 0)]


def ladder(x, qs):
    p = np.percentile(x, [q for _, q in qs])      # linear interpolation = R type 7
    return {k: float(v) for (k, _), v in zip(qs, p)}


nllB = nll[bi]
docs_n = len(np.unique(doc))
out = {"model": model["name"], "t": int(T), "v": int(V), "block_rows": int(block),
       "variants": {}, "adjacent": []}
for k, name in enumerate(names):
    nllV, kl, d, s = nll[k], kld[k], dp[k], same[k].astype(np.float64)
    ppl, ppl_base = math.exp(nllV.mean()), math.exp(nllB.mean())
    ppl_unc, ppl_base_unc = ppl * se(nllV), ppl_base * se(nllB)
    diff = nllV - nllB
    lr = float(diff.mean())
    lr_se = se(diff)
    # ppl_diff_se² = ppl_unc² + ppl_base_unc² - 2 ppl ppl_base cov/T is the
    # squared se of ppl·nllV - ppl_base·nllB: that form does not cancel
    # (it is exactly 0 for the baseline against itself).
    diff_se = se(ppl * nllV - ppl_base * nllB)
    cor = float(np.corrcoef(nllV, nllB)[0, 1]) if k != bi else 1.0
    rms = math.sqrt(float((d * d).mean()))
    p = float(s.mean())
    tok = {
        "n": int(T), "docs": int(docs_n), "vocab": int(V),
        "ppl": ppl, "ppl_unc": ppl_unc, "ppl_base": ppl_base, "ppl_base_unc": ppl_base_unc,
        "ln_ppl_ratio": lr, "ln_ppl_ratio_se": lr_se,
        "ln_ppl_ratio_se_doc": se_doc(diff, doc),
        "ppl_ratio": math.exp(lr), "ppl_ratio_se": math.exp(lr) * lr_se,
        "ppl_diff": ppl - ppl_base, "ppl_diff_se": diff_se,
        "cor_ln_ppl": cor,
        "kld": dict({"mean": float(kl.mean()), "se": se(kl), "se_doc": se_doc(kl, doc)},
                    **ladder(kl, KLD_Q)),
        "dp": dict({"mean": float(d.mean()), "se": se(d)}, **ladder(d, DP_Q)),
        "rms_dp": rms, "rms_dp_se": (se(d * d) / (2 * rms)) if rms > 0 else None,
        "same_top": p, "same_top_se": math.sqrt(p * (1 - p) / (T - 1)),
        "same_top_se_doc": se_doc(s, doc),
    }
    if slc is not None:
        rows = []
        nslices = len(slice_names) if slice_names else int(slc.max()) + 1
        for si in range(nslices):
            m = slc == si
            if not m.any():
                continue
            dm = diff[m]
            rows.append({"slice": slice_names[si] if slice_names else str(si),
                         "n": int(m.sum()), "kld_mean": float(kl[m].mean()),
                         "kld_se_doc": se_doc(kl[m], doc[m]),
                         "kld_p99": float(np.percentile(kl[m], 99)),
                         "same_top": float(s[m].mean()), "ln_ppl_ratio": float(dm.mean()),
                         "ln_ppl_ratio_se_doc": se_doc(dm, doc[m])})
        tok["slices"] = rows
    out["variants"][name] = json.loads(json.dumps(tok), parse_constant=lambda c: None)

# Adjacent tests, family tokens, metric nll: neighbours in the listed order.
for a in range(nv - 1):
    dd = nll[a + 1] - nll[a]
    sd = se_doc(dd, doc)
    s_ = sd if sd is not None else se(dd)
    sdev = float(np.std(dd, ddof=1))
    z = float(dd.mean()) / s_ if s_ > 0 else float("nan")
    out["adjacent"].append({"higher": names[a], "lower": names[a + 1], "n": int(T),
                            "mean_higher": float(nll[a].mean()),
                            "mean_lower": float(nll[a + 1].mean()),
                            "d": float(dd.mean()) / sdev if sdev > 0 else None,
                            "p": nz(float(2 * norm.sf(abs(z))))})

for f in files:
    f.close()
print(json.dumps(out, indent=1, allow_nan=False))
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print("python_wall_s %.3f peak_mb %.0f" % (wall, peak))

#!/usr/bin/python3
"""Cross-check the tinylm caches that build/gen_tinylm wrote.

    /usr/bin/python3 examples/tinylm/check.py [CACHE_DIR]   # default examples/tinylm/caches
    /usr/bin/python3 examples/tinylm/check.py --per-matrix  # int4 one matrix at a time

1. Reproduces every variant in PyTorch: loads tinylm.bin with train.py's
   model, quantizes the weights the way gen_tinylm.c does (NumPy, float32,
   fp16 scales, C's roundf: halves away from zero), runs the same
   non-overlapping windows, and prints the largest |logit difference|
   against build/gen_tinylm --f32 (float32 logits, run here in a temporary
   folder) and against the fp16 cache, and checks that the cache holds
   exactly the C float32 logits rounded to nearest-even fp16.
2. Computes the token metrics of STATISTICS.md "Token-level outputs" from
   the caches alone (NumPy, float64, row blocks): perplexity, ln and plain
   PPL ratio with a document-clustered standard error, mean KLD(fp32 ||
   variant) with its se_doc and p99, same-top rate, per slice, so that
   qaudit's numbers can be checked against an independent computation.
3. Applies the tier (max_kld) and claim rules of STATISTICS.md to those
   numbers for the tiers and token claims in config.json.

Needs Debian's /usr/bin/python3 with python3-torch, python3-numpy, python3-h5py.
"""
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True      # no __pycache__ in the example folder
sys.path.insert(0, HERE)
import train  # noqa: E402  (the model, the weight file and the windows)

VARIANTS = [("fp32", None, 0), ("fp16", "fp16", 0), ("int8", "row", 127),
            ("int4", "group", 7), ("int3", "group", 3), ("int2", "group", 1)]
GROUP = 32
BLOCK = 4096


def round_away(x):
    """C roundf: to nearest, halves away from zero (np.rint rounds halves to even)."""
    t = np.trunc(x)
    return np.where(np.abs(x - t) == 0.5, t + np.sign(x), np.rint(x)).astype(np.float32)


def quant_rows(w, n, qmax):
    """Symmetric round to nearest in runs of n along each row; scale max|w|/qmax as fp16."""
    rows, cols = w.shape
    g = w.reshape(rows, cols // n, n).astype(np.float32)
    amax = np.abs(g).max(axis=2, keepdims=True)
    scale = (amax / np.float32(qmax)).astype(np.float16).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1))
    q = np.where(scale > 0, np.clip(round_away(g / safe), -qmax, qmax), np.float32(0))
    return (q.astype(np.float32) * scale).reshape(rows, cols)


def quantized_model(kind, qmax):
    model = train.load_weights(os.path.join(HERE, "tinylm.bin"))
    with torch.no_grad():
        if kind == "fp16":
            for t in model.tensors():
                t.copy_(t.half().float())
        elif kind is not None:
            mats = [model.tok.weight]
            for b in model.blocks:
                mats += [b.qkv.weight, b.proj.weight, b.fc1.weight, b.fc2.weight]
            mats.append(model.head.weight)
            for t in mats:
                w = t.numpy()
                n = w.shape[1] if kind == "row" else GROUP
                t.copy_(torch.from_numpy(quant_rows(w, n, qmax)))
    model.eval()
    return model


def torch_logits(model, docs):
    out = []
    with torch.no_grad():
        for _, doc, _ in docs:
            arr = np.frombuffer(doc, dtype=np.uint8).astype(np.int64)
            for x, _ in train.windows(arr):
                out.append(model(torch.from_numpy(x)[None])[0].numpy())
    return np.concatenate(out)


def log_softmax(z):
    z = z.astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def se_doc(x, doc):
    """Document-clustered standard error of mean(x) (STATISTICS.md)."""
    groups = np.unique(doc)
    if len(groups) < 2:
        return float("nan")
    r = np.bincount(np.searchsorted(groups, doc), weights=x - x.mean())
    return math.sqrt(len(groups) / (len(groups) - 1) * (r ** 2).sum()) / len(x)


def per_position(base, var, target):
    """nllB, nllV, kld_t, same_t for all positions, in row blocks."""
    n = len(target)
    nll_b, nll_v, kld, same = (np.empty(n), np.empty(n), np.empty(n), np.empty(n))
    for s in range(0, n, BLOCK):
        e = min(n, s + BLOCK)
        zb, zv = base[s:e], var[s:e]
        lb, lv = log_softmax(zb), log_softmax(zv)
        y = target[s:e]
        nll_b[s:e] = -lb[np.arange(e - s), y]
        nll_v[s:e] = -lv[np.arange(e - s), y]
        kld[s:e] = (np.exp(lb) * (lb - lv)).sum(axis=1)
        same[s:e] = np.argmax(zv, axis=1) == np.argmax(zb, axis=1)   # ties: lowest index
    return nll_b, nll_v, kld, same


def per_matrix(docs):
    """PyTorch perplexity with only one weight matrix quantized to int4."""
    names = ["tok.weight"] + ["blocks.%d.%s.weight" % (b, k) for b in range(train.N_LAYER)
                              for k in ("qkv", "proj", "fc1", "fc2")] + ["head.weight"]
    base = train.load_weights(os.path.join(HERE, "tinylm.bin"))
    print("fp32 ppl %.4f; int4 on one matrix at a time:" % math.exp(train.evaluate(base, docs)[1]))
    for name in names:
        model = train.load_weights(os.path.join(HERE, "tinylm.bin"))
        with torch.no_grad():
            p = dict(model.named_parameters())[name]
            p.copy_(torch.from_numpy(quant_rows(p.numpy(), GROUP, 7)))
        print("  %-22s ppl %.4f" % (name, math.exp(train.evaluate(model, docs)[1])))


def main():
    torch.set_num_threads(1)
    if sys.argv[1:] == ["--per-matrix"]:
        per_matrix(train.load_eval())
        return
    cache_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "caches")
    docs = train.load_eval()
    caches = {}
    for name, _, _ in VARIANTS:
        with h5py.File(os.path.join(cache_dir, name + ".h5"), "r") as f:
            caches[name] = {k: f["tokens/" + k][()] for k in ("target", "logits", "doc", "slice")}
            caches[name]["slice_names"] = [s.decode() if isinstance(s, bytes) else s
                                           for s in f["tokens/slice_names"][()]]
            caches[name]["attrs"] = dict(f.attrs)
    ref = caches["fp32"]
    target, doc, sl = ref["target"], ref["doc"], ref["slice"]
    expect = np.concatenate([np.frombuffer(d, dtype=np.uint8)[1:] for _, d, _ in docs])
    assert np.array_equal(target, expect), "targets are not the documents' bytes"
    for name, c in caches.items():
        for k in ("target", "doc", "slice"):
            assert np.array_equal(c[k], ref[k]), "%s: /tokens/%s differs from fp32" % (name, k)
    print("T = %d positions, %d documents, slices %s" %
          (len(target), len(np.unique(doc)), ref["slice_names"]))

    # The same forward pass with float32 logits, so that the comparison with
    # torch is not hidden by the fp16 storage of the real caches.
    f32 = {}
    gen = os.path.join(HERE, "..", "..", "build", "gen_tinylm")
    if os.path.exists(gen):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([gen, "--f32", HERE, tmp], check=True, stderr=subprocess.DEVNULL)
            for name, _, _ in VARIANTS:
                with h5py.File(os.path.join(tmp, name + ".h5"), "r") as f:
                    f32[name] = f["tokens/logits"][()]
    else:
        print("(no %s: build it with make build/gen_tinylm for the float32 comparison)" % gen)

    print("\n1. C forward pass vs PyTorch float32 logits")
    print("%-5s %14s %14s %15s %14s %12s" % ("", "C f32 - torch", "cache - torch",
                                            "cache = f16(C)", "same f16 bits", "max |logit|"))
    for name, kind, qmax in VARIANTS:
        lt = torch_logits(quantized_model(kind, qmax), docs)
        lc = caches[name]["logits"]
        d16 = np.abs(lc.astype(np.float32) - lt).max()
        same = np.mean(lc == lt.astype(np.float16))
        if name in f32:
            d32 = "%14.3e" % np.abs(f32[name] - lt).max()
            # the cache holds exactly the C floats rounded to nearest even half
            exact = "%15s" % np.array_equal(f32[name].astype(np.float16).view(np.uint16),
                                            lc.view(np.uint16))
        else:
            d32, exact = "%14s" % "-", "%15s" % "-"
        print("%-5s %s %14.3e %s %14.5f %12.2f" % (name, d32, d16, exact, same,
                                                   np.abs(lt).max()))

    with open(os.path.join(HERE, "config.json")) as f:
        config = json.load(f)
    alpha = config.get("analysis", {}).get("alpha", 0.05)
    z = statistics.NormalDist().inv_cdf(1 - alpha / 2)
    print("\n2. Token metrics from the caches (KLD(fp32 || variant) in nats; "
          "[intervals] mean +- %.3f se_doc)" % z)
    print("%-5s %6s %8s %9s %20s %8s %20s %8s %8s %18s" %
          ("", "bpw", "ppl", "ppl_ratio", "", "kld_mean", "", "kld_p99", "same_top", ""))
    slices, metrics = {}, {}
    for name, _, _ in VARIANTS:
        nb, nv, kld, same = per_position(ref["logits"], caches[name]["logits"], target)
        ln = nv - nb
        point = {"ln_ppl_ratio": ln.mean(), "kld_mean": kld.mean(), "same_top": same.mean(),
                 "kld_p99": np.percentile(kld, 99)}     # R type 7, NumPy's default
        se = {"ln_ppl_ratio": se_doc(ln, doc), "kld_mean": se_doc(kld, doc),
              "same_top": se_doc(same, doc), "kld_p99": float("nan")}
        iv = {m: (point[m] - z * se[m], point[m] + z * se[m]) for m in point}
        point["ppl_ratio"] = math.exp(point["ln_ppl_ratio"])
        iv["ppl_ratio"] = tuple(math.exp(x) for x in iv["ln_ppl_ratio"])
        metrics[name] = (point, iv)
        print("%-5s %6.3f %8.4f %9.5f [%8.5f, %8.5f] %8.5f [%8.5f, %8.5f] %8.5f %8.5f "
              "[%7.5f, %7.5f]" %
              (name, caches[name]["attrs"]["bits_per_weight"], math.exp(nv.mean()),
               point["ppl_ratio"], *iv["ppl_ratio"], point["kld_mean"], *iv["kld_mean"],
               point["kld_p99"], point["same_top"], *iv["same_top"]))
        for s, sname in enumerate(ref["slice_names"]):
            m = sl == s
            slices.setdefault(sname, []).append(
                (name, math.exp(nv[m].mean()), math.exp(ln[m].mean()), kld[m].mean(),
                 np.percentile(kld[m], 99), same[m].mean(), int(m.sum())))

    print("\n3. Per slice")
    for sname, rows in slices.items():
        print("%s (n = %d)" % (sname, rows[0][6]))
        for name, ppl, ratio, k, k99, st, _ in rows:
            print("  %-5s ppl %8.4f  ppl_ratio %8.5f  kld_mean %8.5f  kld_p99 %8.5f  "
                  "same_top %7.5f" % (name, ppl, ratio, k, k99, st))

    print("\n4. What config.json should get (STATISTICS.md rules, from the numbers above)")
    for name, _, _ in VARIANTS:
        k = metrics[name][0]["kld_mean"]
        tier = next((t["name"] for t in config["tiers"] if k <= t.get("max_kld", math.inf)),
                    "unacceptable")
        print("  %-5s kld_mean %.5f -> tier %s" % (name, k, tier))
    for c in config.get("claims", []):
        if c["kind"] not in ("metric_at_most", "metric_at_least") or c["variant"] not in metrics:
            continue
        point, iv = metrics[c["variant"]]
        p, (lo, hi), v = point[c["metric"]], iv[c["metric"]], c["value"]
        at_most = c["kind"] == "metric_at_most"
        wholly = (hi <= v) if at_most else (lo >= v)
        if c["metric"] == "kld_p99":
            wholly = False                      # point estimate only
        ok = (p <= v) if at_most else (p >= v)
        status = "demonstrated" if ok and wholly else \
            "demonstrated (point estimate only)" if ok else "not supported"
        print("  %s %s: %s %.5f [%.5f, %.5f] %s %g -> %s" %
              (c["id"], c["text"], c["metric"], p, lo, hi, "<=" if at_most else ">=", v, status))


if __name__ == "__main__":
    main()

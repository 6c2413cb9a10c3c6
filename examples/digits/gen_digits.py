#!/usr/bin/python3
"""A small, real quantization study: an MLP on scikit-learn's digits.

Trains a 64-128-64-10 MLP on scikit-learn's bundled digits data set (8x8
images of handwritten digits, no download), quantizes its weights for real
(quantize-dequantize of every Linear weight, six variants from fp32 down to
2 bits) and runs the held-out test split through each variant.  Writes

  caches/digits_<variant>.h5   one qaudit cache per variant (INTERFACE.md s.2)

and prints, per variant, the numbers quoted in README.md (test accuracy, mean
cosine of the penultimate states against fp32, top-1 agreement with fp32, the
worst per-class accuracy drop, and the most frequent confusions).

Run with Debian's interpreter (python3-torch, python3-sklearn, python3-numpy,
python3-h5py):

  /usr/bin/python3 examples/digits/gen_digits.py

Deterministic: fixed seeds, deterministic algorithms, one thread, and HDF5
files written without timestamps, so running it twice gives byte-identical
caches.
"""
import os
import random

import h5py
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE_DIR = os.path.join(HERE, "caches")
SEED = 20240607
MODEL = "digits-mlp"
EPOCHS = 40
BATCH = 32
LR = 1e-3
GROUP = 32                      # group size (input dim) of int4 / int3 / int2
VARIANTS = ["fp32", "fp16", "int8", "int4", "int3", "int2"]
CALIBRATION = "none (weight-only, calibration-free)"
BACKEND = "PyTorch %s CPU (fake-quant)" % ".".join(torch.__version__.split(".")[:2])
HARDWARE = "CPU"
CRITICAL = (1, 8)               # label 1 predicted as 8: config.json critical_errors


def seed_everything():
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


class MLP(torch.nn.Module):
    """64 -> 128 -> 64 -> 10 with ReLU; returns both hidden layers too."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(64, 128)
        self.fc2 = torch.nn.Linear(128, 64)
        self.fc3 = torch.nn.Linear(64, 10)

    def forward(self, x):
        h1 = torch.relu(self.fc1(x))
        h2 = torch.relu(self.fc2(h1))
        return self.fc3(h2), h1, h2


def load_data():
    digits = load_digits()
    x = digits.data.astype(np.float32)
    y = digits.target.astype(np.int64)
    idx = np.arange(len(y), dtype=np.int64)
    tr, te = train_test_split(idx, test_size=0.4, stratify=y, random_state=0)
    te = np.sort(te)            # cache rows in original-array order
    mean = x[tr].mean(axis=0)
    std = x[tr].std(axis=0)
    std[std == 0] = 1.0         # constant (always blank) pixels
    xs = (x - mean) / std
    return xs, y, tr, te


def train(xs, y, tr):
    model = MLP()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xt = torch.from_numpy(xs[tr])
    yt = torch.from_numpy(y[tr])
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        perm = torch.randperm(len(tr), generator=gen)
        for i in range(0, len(tr), BATCH):
            b = perm[i:i + BATCH]
            opt.zero_grad()
            logits, _, _ = model(xt[b])
            loss = torch.nn.functional.cross_entropy(logits, yt[b])
            loss.backward()
            opt.step()
    model.eval()
    return model


# ---------------------------------------------------------------------------
# Quantize-dequantize of one weight matrix w [out, in].  Each returns the
# dequantized fp32 matrix and the storage bits it would need (codes + scales).
# ---------------------------------------------------------------------------

def q_fp16(w):
    return w.half().float(), 16 * w.numel()


def q_int8_per_channel(w):
    """Symmetric per output channel, scale = max|w|/127 (fp32), RTN."""
    amax = w.abs().amax(dim=1, keepdim=True)
    scale = torch.where(amax > 0, amax / 127.0, torch.ones_like(amax))
    q = torch.clamp(torch.round(w / scale), -127, 127)
    return q * scale, 8 * w.numel() + 32 * w.shape[0]


def q_group(w, bits, group=GROUP):
    """Group-wise symmetric along the input dim, fp16 scale per group.

    Levels -qmax..qmax with qmax = 2^(bits-1) - 1, round to nearest:
    int4 -7..7, int3 -3..3, int2 -1..1 (ternary: the fourth code is unused).
    """
    out_f, in_f = w.shape
    assert in_f % group == 0
    g = w.reshape(out_f, in_f // group, group)
    amax = g.abs().amax(dim=2, keepdim=True)
    top = float(2 ** (bits - 1) - 1)
    scale = (amax / top).half().float()          # the scale is stored as fp16
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.clamp(torch.round(g / scale), -top, top)
    return (q * scale).reshape(out_f, in_f), bits * w.numel() + 16 * scale.numel()


SCHEMES = {
    "fp32": (None, "fp32 weights as trained (baseline)"),
    "fp16": (q_fp16, "weights rounded to IEEE fp16 (torch .half()) and back; "
                     "biases fp32"),
    "int8": (q_int8_per_channel,
             "int8 symmetric per output channel, scale = max|w|/127 (fp32), "
             "round-to-nearest, levels -127..127; biases fp32"),
    "int4": (lambda w: q_group(w, 4),
             "int4 symmetric group-wise (group %d along the input dim), "
             "scale = max|w|/7 (fp16), round-to-nearest, levels -7..7; "
             "biases fp32" % GROUP),
    "int3": (lambda w: q_group(w, 3),
             "int3 symmetric group-wise (group %d along the input dim), "
             "scale = max|w|/3 (fp16), round-to-nearest, levels -3..3; "
             "biases fp32" % GROUP),
    "int2": (lambda w: q_group(w, 2),
             "int2 symmetric group-wise (group %d along the input dim), "
             "scale = max|w| (fp16), round-to-nearest, levels -1..1 "
             "(ternary); biases fp32" % GROUP),
}


def quantize(model, variant):
    """Copy of model with every Linear weight quantize-dequantized."""
    fn = SCHEMES[variant][0]
    q = MLP()
    q.load_state_dict(model.state_dict())
    q.eval()
    bits = weights = 0
    with torch.no_grad():
        for lin in (q.fc1, q.fc2, q.fc3):
            w = lin.weight.detach().clone()
            if fn is None:
                wq, b = w, 32 * w.numel()
            else:
                wq, b = fn(w)
            lin.weight.copy_(wq)
            bits += b
            weights += w.numel()
    return q, bits / weights


def run(model, xs, te):
    with torch.no_grad():
        logits, h1, h2 = model(torch.from_numpy(xs[te]))
    return logits.numpy(), h1.numpy(), h2.numpy()


def write_cache(path, variant, bpw, params, scheme, te, y, logits, h1, h2):
    gz = dict(compression="gzip", compression_opts=9, shuffle=True, track_times=False)
    plain = dict(track_times=False)
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        f.attrs["model"] = MODEL
        f.attrs["variant"] = variant
        f.attrs["bits_per_weight"] = float(bpw)
        f.attrs["params"] = np.int64(params)
        f.attrs["quant_scheme"] = scheme
        f.attrs["calibration"] = CALIBRATION
        f.attrs["backend"] = BACKEND
        f.attrs["hardware"] = HARDWARE
        f.create_dataset("samples/id", data=te.astype(np.int64), **plain)
        f.create_dataset("samples/label", data=y[te].astype(np.int32), **plain)
        f.create_dataset("samples/label_names",
                         data=np.array([str(c) for c in range(10)], dtype=object),
                         dtype=h5py.string_dtype(), **plain)
        f.create_dataset("hidden/penultimate", data=h2.astype(np.float32), **gz)
        f.create_dataset("hidden/layer_1", data=h1.astype(np.float16), **gz)
        f.create_dataset("outputs/logits", data=logits.astype(np.float32), **gz)
        f.create_dataset("outputs/prediction",
                         data=logits.argmax(axis=1).astype(np.int32), **plain)


def cosine_rows(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    both0 = (na == 0) & (nb == 0)
    cos = np.einsum("ij,ij->i", a, b) / np.where(na * nb > 0, na * nb, 1.0)
    cos[both0] = 1.0
    return cos


def main():
    seed_everything()
    xs, y, tr, te = load_data()
    model = train(xs, y, tr)
    params = sum(p.numel() for p in model.parameters())
    os.makedirs(CACHE_DIR, exist_ok=True)

    yt = y[te]
    res = {}
    for v in VARIANTS:
        qm, bpw = quantize(model, v)
        logits, h1, h2 = run(qm, xs, te)
        write_cache(os.path.join(CACHE_DIR, "digits_%s.h5" % v), v, bpw, params,
                    SCHEMES[v][1], te, y, logits, h1, h2)
        # Re-read what was written, so the check is on the cache's numbers.
        with h5py.File(os.path.join(CACHE_DIR, "digits_%s.h5" % v), "r") as f:
            res[v] = dict(bpw=bpw, pred=f["outputs/prediction"][()],
                          pen=f["hidden/penultimate"][()])

    print("train %d, test %d, params %d, classes %s" %
          (len(tr), len(te), params, np.bincount(yt).tolist()))
    base = res["fp32"]
    base_cls = np.array([(base["pred"][yt == c] == c).mean() for c in range(10)])
    print("%-5s %6s %7s %9s %9s %7s %10s %4s  %s" % (
        "var", "bpw", "acc", "cos_mean", "cos_min", "agree", "worst cls",
        "%d->%d" % CRITICAL, "top confusions (label->pred: n)"))
    for v in VARIANTS:
        r = res[v]
        acc = (r["pred"] == yt).mean()
        cos = cosine_rows(r["pen"], base["pen"])
        agree = (r["pred"] == base["pred"]).mean()
        cls = np.array([(r["pred"][yt == c] == c).mean() for c in range(10)])
        drop = (base_cls - cls) * 100
        worst = int(np.argmax(drop))
        conf = {}
        for t, p in zip(yt, r["pred"]):
            if t != p:
                conf[(int(t), int(p))] = conf.get((int(t), int(p)), 0) + 1
        top = sorted(conf.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
        worst_s = "%d %+5.1fpp" % (worst, -drop[worst]) if drop[worst] > 0 else "-"
        print("%-5s %6.3f %7.4f %9.6f %9.6f %7.4f %10s %4d  %s" % (
            v, r["bpw"], acc, cos.mean(), cos.min(), agree, worst_s,
            conf.get(CRITICAL, 0),
            ", ".join("%d->%d: %d" % (k[0], k[1], n) for k, n in top)))


if __name__ == "__main__":
    main()

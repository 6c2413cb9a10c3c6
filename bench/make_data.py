#!/usr/bin/python3
"""Writes a synthetic study for `make bench`: one baseline and V variants of
N samples x D dimensions (float32), labels in 10 classes, and a config.

usage: make_data.py OUTDIR N D VARIANTS [--layers L] [--layer-dim DL]
                    [--strata S] [--items M]

Deterministic (seed 0).  Variants add growing noise to the baseline's states,
as quantization would.

--layers L  also writes /hidden/layer_1 ... /hidden/layer_L (DL dimensions,
            default D) for the analysis by depth: the class signal grows with
            depth and so does each variant's noise, variant i at layer l adding
            0.05 i (l / L) of noise, as damage accumulating through a network.
--strata S  also writes a benchmark task /eval/bench_qa of M items (default N)
            in S strata (/eval/bench_qa/stratum, stratum_names): the baseline
            is right on 70% of the items, variant i loses 0.5 i pp in every
            stratum and, in stratum 0 only, 4 i pp more.

Both are off by default, and their draws come from RNG streams of their own,
so /hidden/final and the labels are the same numbers with or without them."""
import argparse
import json
import os

import h5py
import numpy as np

ap = argparse.ArgumentParser(description="synthetic study for make bench")
ap.add_argument("out")
ap.add_argument("n", type=int)
ap.add_argument("d", type=int)
ap.add_argument("variants", type=int)
ap.add_argument("--layers", type=int, default=0, metavar="L",
                help="extra hidden layers layer_1..layer_L (default 0)")
ap.add_argument("--layer-dim", type=int, default=0, metavar="DL",
                help="dimension of the extra layers (default D)")
ap.add_argument("--strata", type=int, default=0, metavar="S",
                help="strata of the /eval/bench_qa task (default 0: no task)")
ap.add_argument("--items", type=int, default=0, metavar="M",
                help="items of /eval/bench_qa (default N)")
args = ap.parse_args()
out, n, d, nv = args.out, args.n, args.d, args.variants
if args.layers < 0 or args.strata < 0 or args.layer_dim < 0 or args.items < 0:
    ap.error("--layers, --layer-dim, --strata and --items must be >= 0")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
labels = rng.integers(0, 10, n).astype(np.int32)
centres = rng.normal(size=(10, d)).astype(np.float32)
base = (centres[labels] + 1.5 * rng.normal(size=(n, d)).astype(np.float32)).astype(np.float32)
names = ["fp32"] + ["v%d" % i for i in range(1, nv + 1)]


def layer_states(layer, variant):
    """/hidden/layer_<layer> of variant number `variant` (0: the baseline).
    Streams: (1, layer) for the baseline, (1, layer, variant) for the noise."""
    dl = args.layer_dim or d
    r = np.random.default_rng([1, layer])
    c = r.normal(size=(10, dl)).astype(np.float32)
    signal = layer / args.layers                 # class separation grows with depth
    x = (signal * c[labels] + 1.5 * r.normal(size=(n, dl)).astype(np.float32)).astype(np.float32)
    if variant:
        noise = np.random.default_rng([1, layer, variant]).normal(size=(n, dl))
        x = x + (0.05 * variant * layer / args.layers) * noise.astype(np.float32)
    return x.astype(np.float32)


def strata_task():
    """Items, their strata and per-variant correctness.  Streams (2,) and
    (2, variant)."""
    m = args.items or n
    r = np.random.default_rng([2])
    stratum = r.integers(0, args.strata, m).astype(np.int32)
    base_ok = r.random(m) < 0.70
    correct = [base_ok.astype(np.uint8)]
    for i in range(1, nv + 1):
        u = np.random.default_rng([2, i]).random(m)
        loss = 0.005 * i + np.where(stratum == 0, 0.04 * i, 0.0)
        # lose an item the baseline had right with probability loss / 0.7
        lost = base_ok & (u < loss / 0.70)
        correct.append((base_ok & ~lost).astype(np.uint8))
    return m, stratum, correct


task = strata_task() if args.strata else None
for i, name in enumerate(names):
    x = base if i == 0 else base + (0.05 * i) * rng.normal(size=(n, d)).astype(np.float32)
    with h5py.File(os.path.join(out, name + ".h5"), "w") as f:
        f.attrs["model"] = "bench"
        f.attrs["variant"] = name
        f["samples/id"] = np.arange(n, dtype=np.int64)
        f["samples/label"] = labels
        f["hidden/final"] = x.astype(np.float32)
        for layer in range(1, args.layers + 1):
            f["hidden/layer_%d" % layer] = layer_states(layer, i)
        if task:
            m, stratum, correct = task
            f["eval/bench_qa/id"] = np.arange(m, dtype=np.int64)
            f["eval/bench_qa/correct"] = correct[i]
            f["eval/bench_qa/stratum"] = stratum
            f["eval/bench_qa/stratum_names"] = np.array(
                ["stratum_%d" % s for s in range(args.strata)], dtype=h5py.string_dtype())
cfg = {"title": "qaudit benchmark", "layer": "final",
       "models": [{"name": "bench", "baseline": "fp32",
                   "variants": [{"name": v, "file": v + ".h5"} for v in names]}]}
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(cfg, f, indent=1)

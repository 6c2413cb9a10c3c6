#!/usr/bin/python3
"""Writes a synthetic study for `make bench`: one baseline and V variants of
N samples x D dimensions (float32), labels in 10 classes, and a config.

usage: make_data.py OUTDIR N D VARIANTS
Deterministic (seed 0).  Variants add growing noise to the baseline's states,
as quantization would."""
import json, os, sys
import numpy as np
import h5py

out, n, d, nv = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
labels = rng.integers(0, 10, n).astype(np.int32)
centres = rng.normal(size=(10, d)).astype(np.float32)
base = (centres[labels] + 1.5 * rng.normal(size=(n, d)).astype(np.float32)).astype(np.float32)
names = ["fp32"] + ["v%d" % i for i in range(1, nv + 1)]
for i, name in enumerate(names):
    x = base if i == 0 else base + (0.05 * i) * rng.normal(size=(n, d)).astype(np.float32)
    with h5py.File(os.path.join(out, name + ".h5"), "w") as f:
        f.attrs["model"] = "bench"
        f.attrs["variant"] = name
        f["samples/id"] = np.arange(n, dtype=np.int64)
        f["samples/label"] = labels
        f["hidden/final"] = x.astype(np.float32)
cfg = {"title": "qaudit benchmark", "layer": "final",
       "models": [{"name": "bench", "baseline": "fp32",
                   "variants": [{"name": v, "file": v + ".h5"} for v in names]}]}
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(cfg, f, indent=1)

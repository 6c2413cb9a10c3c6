#!/usr/bin/python3
"""Train tinylm, the byte-level language model of qaudit's token-level example.

    /usr/bin/python3 examples/tinylm/train.py          # about 10 minutes on one core

Writes, next to this script:
    tinylm.bin          fp32 weights (format in README.md, "Weight file")
    eval/manifest.tsv   the held-out evaluation documents and their origin
    eval/<slice>/*      copies of those documents (only if eval/ does not exist yet)

Data: free text that Debian ships, one file = one document, in three slices:
    licence        /usr/share/common-licenses/* and /usr/share/doc/*/copyright
    documentation  README*, NEWS*, TODO*, AUTHORS*, THANKS*, changelog* (plain or
                   .gz, decompressed here) under /usr/share/doc, except copyright
    code           /usr/include/**/*.h and /usr/lib/python3/dist-packages/**/*.py
The evaluation documents (EVAL below) are held out: their paths, and every
file with the same bytes, are left out of training.  Which training files
exist depends on the packages installed; the script prints how many it used.

Model (the C forward pass in gen_tinylm.c must match it exactly): byte
embeddings (V = 256) plus learned positions (context 128), N_LAYER pre-norm
transformer blocks (LayerNorm eps 1e-5; causal multi-head attention with one
fused qkv Linear; MLP d -> 4d -> d with exact erf GELU), final LayerNorm,
untied Linear head to 256 logits.

Deterministic: seeds fixed, one thread, torch.use_deterministic_algorithms,
a fixed number of steps (not a time budget).  The same machine and library
versions give the same weights.

Use Debian's interpreter (/usr/bin/python3) with python3-torch and
python3-numpy; the pyenv python3 first on PATH has neither.
"""
import gzip
import hashlib
import math
import os
import random
import shutil
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

VOCAB, D_MODEL, N_LAYER, N_HEAD, D_FF, CONTEXT = 256, 128, 3, 4, 512, 128
LN_EPS = 1e-5
STEPS, BATCH = 1000, 33           # 33 = 11 windows from each slice per step
LR_PEAK, LR_FINAL, WARMUP = 2e-3, 2e-4, 100
WEIGHT_DECAY, CLIP = 0.1, 1.0
SEED = 20240601
MAX_DOC_BYTES = 65536             # a training document's first 64 KiB
SLICE_BYTES = 8 << 20             # at most 8 MiB of training text per slice
SLICES = ["licence", "documentation", "code"]

MAGIC = b"QATINYLM"
VERSION = 1

# The held-out evaluation documents: (slice, Debian package, source path,
# licence of the file).  Copied to eval/<slice>/<package>.<basename>.
EVAL = [
    ("licence", "bats", "/usr/share/doc/bats/copyright", "Expat (MIT)"),
    ("licence", "libcbor0.8", "/usr/share/doc/libcbor0.8/copyright", "Expat (MIT)"),
    ("licence", "libdeflate0", "/usr/share/doc/libdeflate0/copyright", "Expat (MIT)"),
    ("licence", "distro-info-data", "/usr/share/doc/distro-info-data/copyright", "ISC"),
    ("licence", "libcharls2", "/usr/share/doc/libcharls2/copyright", "BSD-3-clause"),
    ("licence", "grep", "/usr/share/doc/grep/copyright", "GPL-3+"),
    ("licence", "hostname", "/usr/share/doc/hostname/copyright", "GPL-2"),
    ("licence", "base-files", "/usr/share/common-licenses/BSD", "BSD-3-clause (the licence text itself)"),
    ("documentation", "grep", "/usr/share/doc/grep/README", "GPL-3+"),
    ("documentation", "dpkg", "/usr/share/doc/dpkg/README.api", "GPL-2+"),
    ("documentation", "dirmngr", "/usr/share/doc/dirmngr/README.Debian", "GPL-3+"),
    ("documentation", "libdouble-conversion3", "/usr/share/doc/libdouble-conversion3/README.md",
     "BSD-3-clause"),
    ("documentation", "cscope", "/usr/share/doc/cscope/README", "BSD-style (cscope)"),
    ("documentation", "net-tools", "/usr/share/doc/net-tools/README", "GPL-2+"),
    ("documentation", "distro-info-data", "/usr/share/doc/distro-info-data/README.Debian", "ISC"),
    ("code", "libc6-dev", "/usr/include/byteswap.h", "LGPL-2.1+ (GNU C Library)"),
    ("code", "libc6-dev", "/usr/include/libgen.h", "LGPL-2.1+ (GNU C Library)"),
    ("code", "x11proto-dev", "/usr/include/X11/Xfuncs.h", "MIT (The Open Group)"),
    ("code", "libfontconfig-dev", "/usr/include/fontconfig/fcfreetype.h", "HPND (MIT-style)"),
    ("code", "linux-libc-dev", "/usr/include/asm-generic/errno-base.h",
     "GPL-2.0 WITH Linux-syscall-note"),
    ("code", "python3-numpy", "/usr/lib/python3/dist-packages/numpy/_pyinstaller/hook-numpy.py",
     "BSD-3-clause (NumPy)"),
    ("code", "python3-scipy", "/usr/lib/python3/dist-packages/scipy/optimize/_nnls.py",
     "BSD-3-clause (SciPy)"),
]


def read_text(path):
    """A file's bytes (.gz decompressed), or None if unreadable or binary."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                data = f.read(4 * MAX_DOC_BYTES)
        else:
            with open(path, "rb") as f:
                data = f.read(4 * MAX_DOC_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    if len(data) < 64 or b"\0" in data:
        return None
    return data


# ------------------------------------------------------------ evaluation set

def eval_name(package, path):
    return "%s.%s" % (package, os.path.basename(path))


def load_eval():
    """[(slice index, bytes, source path)], copying the documents on first use."""
    folder = os.path.join(HERE, "eval")
    manifest = os.path.join(folder, "manifest.tsv")
    if not os.path.exists(manifest):
        rows = ["#slice\tfile\tpackage\torigin\tlicence"]
        for sl, package, path, licence in EVAL:
            data = read_text(path)
            if data is None:
                sys.exit("train.py: cannot read evaluation document %s" % path)
            rel = os.path.join(sl, eval_name(package, path))
            os.makedirs(os.path.join(folder, sl), exist_ok=True)
            with open(os.path.join(folder, rel), "wb") as f:
                f.write(data)
            rows.append("\t".join([sl, rel, package, path, licence]))
        with open(manifest, "w") as f:
            f.write("\n".join(rows) + "\n")
    docs = []
    with open(manifest) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            sl, rel, _package, origin = line.rstrip("\n").split("\t")[:4]
            with open(os.path.join(folder, rel), "rb") as g:
                docs.append((SLICES.index(sl), g.read(), origin))
    return docs


# ------------------------------------------------------------ training set

def walk(top, keep):
    found = []
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(root, name)
            if keep(p, name) and os.path.isfile(p):
                found.append(p)
    return found


DOC_PREFIXES = ("README", "NEWS", "TODO", "AUTHORS", "THANKS", "changelog")


def candidate_paths():
    lic = sorted(set(os.path.realpath(p) for p in walk("/usr/share/common-licenses",
                                                       lambda p, n: True)))
    lic += walk("/usr/share/doc", lambda p, n: n == "copyright")
    doc = walk("/usr/share/doc", lambda p, n: n.startswith(DOC_PREFIXES))
    code = walk("/usr/include", lambda p, n: n.endswith(".h"))
    code += walk("/usr/lib/python3/dist-packages", lambda p, n: n.endswith(".py"))
    return [lic, doc, code]


def load_training(eval_docs, rng):
    """One uint8 array per slice: its documents concatenated (at most SLICE_BYTES)."""
    held_paths = set(os.path.realpath(o) for _, _, o in eval_docs)
    seen = set(hashlib.sha256(d).digest() for _, d, _ in eval_docs)
    streams, counts = [], []
    for paths in candidate_paths():
        paths = [p for p in paths if os.path.realpath(p) not in held_paths]
        rng.shuffle(paths)           # a seeded sample when the slice is larger than the cap
        parts, total = [], 0
        for p in paths:
            data = read_text(p)
            if data is None:
                continue
            h = hashlib.sha256(data).digest()
            if h in seen:            # duplicates of a held-out document or of each other
                continue
            seen.add(h)
            data = data[:MAX_DOC_BYTES]
            parts.append(data)
            total += len(data)
            if total >= SLICE_BYTES:
                break
        streams.append(np.frombuffer(b"".join(parts), dtype=np.uint8))
        counts.append(len(parts))
    return streams, counts


# ------------------------------------------------------------ model

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D_MODEL, eps=LN_EPS)
        self.qkv = nn.Linear(D_MODEL, 3 * D_MODEL)
        self.proj = nn.Linear(D_MODEL, D_MODEL)
        self.ln2 = nn.LayerNorm(D_MODEL, eps=LN_EPS)
        self.fc1 = nn.Linear(D_MODEL, D_FF)
        self.fc2 = nn.Linear(D_FF, D_MODEL)

    def forward(self, x, mask):
        b, t, d = x.shape
        hd = d // N_HEAD
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, t, N_HEAD, hd).transpose(1, 2)
        k = k.view(b, t, N_HEAD, hd).transpose(1, 2)
        v = v.view(b, t, N_HEAD, hd).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(mask[:t, :t], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D_MODEL)
        self.pos = nn.Embedding(CONTEXT, D_MODEL)
        self.blocks = nn.ModuleList([Block() for _ in range(N_LAYER)])
        self.lnf = nn.LayerNorm(D_MODEL, eps=LN_EPS)
        self.head = nn.Linear(D_MODEL, VOCAB)
        self.register_buffer("mask", torch.triu(torch.ones(CONTEXT, CONTEXT, dtype=torch.bool), 1),
                             persistent=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * N_LAYER) if name.endswith(("proj.weight", "fc2.weight")) \
                    else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx):
        h = self.tok(idx) + self.pos.weight[: idx.shape[1]]
        for blk in self.blocks:
            h = blk(h, self.mask)
        return self.head(self.lnf(h))

    def tensors(self):
        """The tensors in the weight file's order (README.md, "Weight file")."""
        out = [self.tok.weight, self.pos.weight]
        for b in self.blocks:
            out += [b.ln1.weight, b.ln1.bias, b.qkv.weight, b.qkv.bias, b.proj.weight,
                    b.proj.bias, b.ln2.weight, b.ln2.bias, b.fc1.weight, b.fc1.bias,
                    b.fc2.weight, b.fc2.bias]
        out += [self.lnf.weight, self.lnf.bias, self.head.weight, self.head.bias]
        return out


def save_weights(model, path):
    tensors = [t.detach().to(torch.float32).contiguous().numpy() for t in model.tensors()]
    n_floats = sum(t.size for t in tensors)
    with open(path + ".tmp", "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<8I", VERSION, VOCAB, D_MODEL, N_LAYER, N_HEAD, D_FF, CONTEXT,
                            n_floats))
        for t in tensors:
            f.write(t.astype("<f4").tobytes())
    os.replace(path + ".tmp", path)
    return n_floats


def load_weights(path):
    """TinyLM with the weights of a weight file (check.py uses it)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != MAGIC:
        raise ValueError("%s: not a tinylm weight file" % path)
    hdr = struct.unpack("<8I", raw[8:40])
    if hdr[:7] != (VERSION, VOCAB, D_MODEL, N_LAYER, N_HEAD, D_FF, CONTEXT):
        raise ValueError("%s: header %s does not match train.py's architecture" % (path, hdr))
    flat = np.frombuffer(raw, dtype="<f4", offset=40)
    if flat.size != hdr[7]:
        raise ValueError("%s: %d floats, header says %d" % (path, flat.size, hdr[7]))
    model = TinyLM()
    off = 0
    with torch.no_grad():
        for t in model.tensors():
            n = t.numel()
            t.copy_(torch.from_numpy(flat[off:off + n].copy()).view_as(t))
            off += n
    return model


# ------------------------------------------------------------ evaluation windows

def windows(doc):
    """Non-overlapping windows of one document: (inputs, targets) byte arrays.

    The window starting at byte s feeds bytes s .. s+m-1 (m <= CONTEXT) and
    predicts bytes s+1 .. s+m, so every byte but the first of a document is a
    target exactly once.  gen_tinylm.c and check.py use the same rule.
    """
    n = len(doc)
    s = 0
    while s < n - 1:
        m = min(CONTEXT, n - 1 - s)
        yield doc[s:s + m], doc[s + 1:s + m + 1]
        s += CONTEXT


def evaluate(model, eval_docs):
    """Mean next-byte loss (nats) per slice and overall on the held-out documents."""
    nll, cnt = np.zeros(len(SLICES)), np.zeros(len(SLICES))
    model.eval()
    with torch.no_grad():
        for sl, doc, _ in eval_docs:
            arr = np.frombuffer(doc, dtype=np.uint8).astype(np.int64)
            for x, y in windows(arr):
                logits = model(torch.from_numpy(x)[None])[0]
                loss = F.cross_entropy(logits, torch.from_numpy(y), reduction="sum")
                nll[sl] += loss.item()
                cnt[sl] += len(y)
    model.train()
    return nll / cnt, nll.sum() / cnt.sum(), int(cnt.sum())


# ------------------------------------------------------------ training

def lr_at(step):
    if step < WARMUP:
        return LR_PEAK * (step + 1) / WARMUP
    frac = (step - WARMUP) / max(1, STEPS - WARMUP)
    return LR_FINAL + 0.5 * (LR_PEAK - LR_FINAL) * (1 + math.cos(math.pi * frac))


def batch(streams, rng):
    """BATCH windows of CONTEXT+1 bytes, the same number from each slice."""
    rows = []
    per = BATCH // len(streams)
    for s in streams:
        starts = rng.integers(0, len(s) - CONTEXT - 1, size=per)
        rows += [s[i:i + CONTEXT + 1] for i in starts]
    xy = torch.from_numpy(np.stack(rows).astype(np.int64))
    return xy[:, :-1], xy[:, 1:]


def main():
    global STEPS
    if len(sys.argv) == 3 and sys.argv[1] == "--steps":   # smoke tests only
        STEPS = int(sys.argv[2])
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    t0 = time.time()

    eval_docs = load_eval()
    streams, counts = load_training(eval_docs, random.Random(SEED))
    for name, s, c in zip(SLICES, streams, counts):
        print("train %-13s %5d documents %9d bytes" % (name, c, len(s)))
    print("eval: %d documents, %d bytes (%.1f s to load)" %
          (len(eval_docs), sum(len(d) for _, d, _ in eval_docs), time.time() - t0))

    model = TinyLM()
    n_params = sum(p.numel() for p in model.parameters())
    print("tinylm: %d layers, d_model %d, %d heads, d_ff %d, context %d: %d parameters" %
          (N_LAYER, D_MODEL, N_HEAD, D_FF, CONTEXT, n_params))
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR_PEAK, betas=(0.9, 0.95))
    rng = np.random.default_rng(SEED)
    t_train = time.time()
    running = 0.0
    for step in range(STEPS):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, y = batch(streams, rng)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        running += loss.item()
        if (step + 1) % 100 == 0:
            print("step %4d  train loss %.4f nats/byte  lr %.2e  %.0f s" %
                  (step + 1, running / 100, lr_at(step), time.time() - t_train), flush=True)
            running = 0.0
    train_s = time.time() - t_train

    per_slice, overall, n_pos = evaluate(model, eval_docs)
    print("trained %d steps x %d windows x %d bytes in %.0f s" % (STEPS, BATCH, CONTEXT, train_s))
    for name, l in zip(SLICES, per_slice):
        print("eval %-13s loss %.4f nats/byte  %.3f bits/byte  ppl %.3f" %
              (name, l, l / math.log(2), math.exp(l)))
    print("eval all (T = %d)  loss %.4f nats/byte  %.3f bits/byte  ppl %.3f" %
          (n_pos, overall, overall / math.log(2), math.exp(overall)))
    n_floats = save_weights(model, os.path.join(HERE, "tinylm.bin"))
    print("wrote tinylm.bin: %d floats, %d bytes" % (n_floats, 40 + 4 * n_floats))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Tests of python/qaudit_cache.py (unittest; run with /usr/bin/python3).

Each test writes caches, reads them back with h5py and compares every
stored value with the arrays it was given or with the model's outputs
computed here directly (exactly, or to float32 rounding where the stored
numbers come from a differently batched computation).  Bad inputs are
refused with a ValueError naming the field, and leave no file behind.  The
last test runs `qaudit validate` on every file written.

    /usr/bin/python3 python/test_qaudit_cache.py [-v]

Environment: QAUDIT_PYWRITER_OUT, the folder for the caches (default: a new
temporary folder, removed at the end); QAUDIT, the qaudit executable
(default: ./qaudit at the repository root).  The torch tests FAIL, not skip,
when PyTorch cannot be imported: `make test` installs python3-torch.
tests/test_pywriter.c runs this file and checks the count of tests.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest
from collections import OrderedDict

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import qaudit_cache as qc  # noqa: E402

try:
    import torch
    from torch import nn
    TORCH_ERROR = None
except ImportError as e:          # the torch tests fail with this, they do not skip
    torch = nn = None
    TORCH_ERROR = f"PyTorch is not importable ({e}); install python3-torch (sh scripts/install-deps.sh)"

QAUDIT = os.environ.get("QAUDIT", os.path.join(os.path.dirname(HERE), "qaudit"))
_OWN_OUT = "QAUDIT_PYWRITER_OUT" not in os.environ
OUT = os.environ.get("QAUDIT_PYWRITER_OUT") or tempfile.mkdtemp(prefix="qaudit-pywriter-")
WRITTEN = []                      # every cache written, for the closing `qaudit validate`


def out_path(name):
    path = os.path.join(OUT, name)
    WRITTEN.append(path)
    return path


def read_all(path):
    """{hdf5 path: value} of every dataset, and the root attributes."""
    data = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data["/" + name] = obj[()]
        f.visititems(visit)
        attrs = dict(f.attrs)
    return data, attrs


def strings(values):
    return [v.decode() if isinstance(v, bytes) else v for v in values]


class TempFolderMixin:
    def assert_no_leftovers(self, folder, allowed=()):
        left = sorted(set(os.listdir(folder)) - set(allowed))
        self.assertEqual(left, [], "a failed write left files behind")


# ---- arrays -------------------------------------------------------------------

class ArraysTests(unittest.TestCase, TempFolderMixin):
    def setUp(self):
        rng = np.random.default_rng(15)
        self.n, self.d, self.c = 12, 5, 3
        self.ids = (1000 + 7 * rng.permutation(self.n)).astype(np.int64)
        self.labels = rng.integers(0, self.c, self.n)
        self.hidden = rng.normal(size=(self.n, self.d)).astype(np.float32)
        self.layer1 = rng.normal(size=(self.n, 2 * self.d)).astype(np.float32)
        self.logits = rng.normal(size=(self.n, self.c)).astype(np.float32)
        self.correct = rng.integers(0, 2, 9)
        self.rouge = rng.random(9)
        self.stratum = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])

    def write(self, path, **over):
        kw = dict(model_name="arrays-demo", variant="fp32", bits_per_weight=32, params=1234,
                  vram_gb=0.5, quant_scheme="none", hardware="cpu",
                  ids=self.ids, labels=self.labels, label_names=["cat", "dog", "émeu"],
                  hidden={"layer_1": self.layer1, "final": self.hidden}, logits=self.logits,
                  eval={"qa": qc.EvalTask(correct=self.correct, ids=np.arange(9) * 2,
                                          scores={"rouge_l": self.rouge}, stratum=self.stratum,
                                          stratum_names=["a", "b", "c"])},
                  decode_tok_s=[41.5, 40.0, 39.25], ttft_ms=[12, 13, 15])
        kw.update(over)
        return qc.write_cache(path, **kw)

    def test_arrays_round_trip(self):
        path = out_path("arrays.h5")
        summary = self.write(path)
        self.assertEqual((summary.n_samples, summary.n_classes, summary.layers, summary.tasks),
                         (12, 3, {"layer_1": 10, "final": 5}, {"qa": 9}))
        data, attrs = read_all(path)
        self.assertEqual((attrs["model"], attrs["variant"]), ("arrays-demo", "fp32"))
        self.assertEqual((attrs["bits_per_weight"], attrs["params"], attrs["vram_gb"]), (32.0, 1234, 0.5))
        self.assertEqual(attrs["params"].dtype, np.int64)
        self.assertEqual((attrs["quant_scheme"], attrs["hardware"]), ("none", "cpu"))
        np.testing.assert_array_equal(data["/samples/id"], self.ids)
        self.assertEqual(data["/samples/id"].dtype, np.int64)
        np.testing.assert_array_equal(data["/samples/label"], self.labels)
        self.assertEqual(strings(data["/samples/label_names"]), ["cat", "dog", "émeu"])
        np.testing.assert_array_equal(data["/hidden/final"], self.hidden)
        np.testing.assert_array_equal(data["/hidden/layer_1"], self.layer1)
        np.testing.assert_array_equal(data["/outputs/logits"], self.logits)
        self.assertNotIn("/outputs/prediction", data)       # qaudit's default: argmax of logits
        np.testing.assert_array_equal(data["/eval/qa/correct"], self.correct)
        np.testing.assert_array_equal(data["/eval/qa/id"], np.arange(9) * 2)
        np.testing.assert_array_equal(data["/eval/qa/score/rouge_l"], self.rouge)
        np.testing.assert_array_equal(data["/eval/qa/stratum"], self.stratum)
        self.assertEqual(strings(data["/eval/qa/stratum_names"]), ["a", "b", "c"])
        np.testing.assert_array_equal(data["/perf/decode_tok_s"], [41.5, 40.0, 39.25])
        np.testing.assert_array_equal(data["/perf/ttft_ms"], [12.0, 13.0, 15.0])
        # Renamed into place, not left under its temporary name; mode as open() gives.
        self.assertFalse([n for n in os.listdir(OUT) if n.endswith(".tmp")])
        umask = os.umask(0)
        os.umask(umask)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o666 & ~umask)

    def test_float16_storage_and_tokens(self):
        path = out_path("arrays_f16_tokens.h5")
        rng = np.random.default_rng(3)
        wide = rng.normal(size=(12, 5))                          # float64 in, float16 stored
        tok = rng.normal(size=(30, 7)).astype(np.float32)
        target = rng.integers(0, 7, 30)
        self.write(path, hidden={"final": wide}, logits=None, float_dtype=np.float16,
                   token_logits=tok, token_target=target, token_doc=np.repeat([4, 9, 11], 10),
                   token_slice=np.repeat([1, 0, 1], 10), token_slice_names=["prose", "code"],
                   compression="gzip")
        data, _ = read_all(path)
        self.assertEqual(data["/hidden/final"].dtype, np.float16)
        np.testing.assert_array_equal(data["/hidden/final"], wide.astype(np.float16))
        np.testing.assert_array_equal(data["/tokens/logits"], tok)
        np.testing.assert_array_equal(data["/tokens/target"], target)
        np.testing.assert_array_equal(data["/tokens/doc"], np.repeat([4, 9, 11], 10))
        np.testing.assert_array_equal(data["/tokens/slice"], np.repeat([1, 0, 1], 10))
        self.assertEqual(strings(data["/tokens/slice_names"]), ["prose", "code"])
        with h5py.File(path, "r") as f:
            self.assertEqual(f["/tokens/logits"].chunks[1], 7)   # chunked by whole rows
            self.assertEqual(f["/hidden/final"].compression, "gzip")

    def test_streaming_writer_blocks(self):
        path = out_path("arrays_streamed.h5")
        with qc.CacheWriter(path, model_name="arrays-demo", variant="streamed") as w:
            w.set_label_names(["cat", "dog", "émeu"])
            for s in range(0, 12, 5):                            # blocks of 5, 5, 2 rows
                w.append_samples(ids=self.ids[s:s + 5], labels=self.labels[s:s + 5])
                w.append_hidden("final", self.hidden[s:s + 5])
                w.append_logits(self.logits[s:s + 5])
            self.assertFalse(os.path.exists(path))               # only renamed at the end
        data, _ = read_all(path)
        np.testing.assert_array_equal(data["/hidden/final"], self.hidden)
        np.testing.assert_array_equal(data["/outputs/logits"], self.logits)
        np.testing.assert_array_equal(data["/samples/id"], self.ids)

    def assert_refused(self, fragments, **over):
        folder = tempfile.mkdtemp(dir=OUT, prefix="bad-")
        path = os.path.join(folder, "bad.h5")
        with self.assertRaises(ValueError) as ctx:
            self.write(path, **over)
        for part in fragments:
            self.assertIn(part, str(ctx.exception))
        self.assert_no_leftovers(folder)
        os.rmdir(folder)

    def test_bad_arrays_are_refused_naming_the_field(self):
        nan = self.hidden.copy()
        nan[4, 2] = np.nan
        inf = self.logits.copy()
        inf[7, 1] = -np.inf
        dup = self.ids.copy()
        dup[9] = dup[2]
        cases = [
            (["/hidden/final", "rank 1", "[N, D]"], dict(hidden={"final": self.hidden[:, 0]})),
            (["/hidden/final", "NaN at row 4, column 2"], dict(hidden={"final": nan})),
            (["/outputs/logits", "Inf at row 7, column 1"], dict(logits=inf)),
            (["/samples/id", "duplicate id", str(int(self.ids[2])), "rows 2 and 9"], dict(ids=dup)),
            (["/samples/label", "label 3 at row 0", "[0, 3)"],
             dict(labels=np.r_[3, self.labels[1:]])),
            (["/samples/label", "not an integer"], dict(labels=self.labels.astype(float))),
            (["/hidden/final", "11 rows", "/samples/id has 12"],
             dict(hidden={"final": self.hidden[:11]})),
            (["/outputs/logits", "4 columns", "3 classes"],
             dict(logits=np.zeros((12, 4), np.float32))),
            (["/eval/qa/correct", "value 2 at item 0"],
             dict(eval={"qa": {"correct": np.r_[2, self.correct[1:]]}})),
            (["/eval/qa/stratum_names", "required with stratum"],
             dict(eval={"qa": {"correct": self.correct, "stratum": self.stratum}})),
            (["/eval/qa/stratum", "stratum 3 at item 0", "3 names"],
             dict(eval={"qa": {"correct": self.correct, "stratum": np.r_[3, self.stratum[1:]],
                               "stratum_names": ["a", "b", "c"]}})),
            (["/eval/qa/score/rouge_l", "8 items", "9"],
             dict(eval={"qa": {"correct": self.correct, "scores": {"rouge_l": self.rouge[:8]}}})),
            (["/perf/ttft_ms", "negative timing"], dict(ttft_ms=[3.0, -1.0])),
            (["/hidden/final", "overflows float16"],
             dict(hidden={"final": np.full((12, 5), 1e6)}, float_dtype=np.float16)),
            (["/tokens/target", "token 7 at position 1", "vocabulary"],
             dict(token_logits=np.zeros((3, 7), np.float32), token_target=[1, 7, 0])),
            (["attribute bits_per_weight"], dict(bits_per_weight=float("nan"))),
            (["/hidden", "layer name", "'a/b'"], dict(hidden={"a/b": self.hidden})),
        ]
        for fragments, over in cases:
            with self.subTest(" | ".join(fragments)):
                self.assert_refused(fragments, **over)

    def test_module_imports_without_torch(self):
        code = ("import sys; sys.modules['torch'] = None; sys.path.insert(0, sys.argv[1]); "
                "import qaudit_cache as qc; qc.write_cache(sys.argv[2], model_name='m', "
                "variant='v', labels=[0, 1], hidden={'final': [[0.5], [1.5]]})")
        path = out_path("arrays_no_torch.h5")
        run = subprocess.run([sys.executable, "-c", code, HERE, path], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        data, _ = read_all(path)
        np.testing.assert_array_equal(data["/hidden/final"], [[0.5], [1.5]])
        np.testing.assert_array_equal(data["/samples/label"], [0, 1])

    def test_failed_write_keeps_the_old_file(self):
        path = out_path("arrays_kept.h5")
        self.write(path)
        with open(path, "rb") as f:
            before = f.read()
        with self.assertRaises(qc.CacheError):
            self.write(path, labels=np.full(12, 9))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertFalse([n for n in os.listdir(OUT) if n.endswith(".tmp")])


# ---- benchmarks ---------------------------------------------------------------

class BenchmarkTests(unittest.TestCase):
    ITEMS = (
        [{"task": "mmlu", "id": 10 + i, "correct": i % 3 != 0,
          "stratum": ["law", "algebra", "biology"][i % 3]} for i in range(12)]
        + [{"task": "summ", "id": 500 + i, "scores": {"rouge_l": i / 10, "bleu": 1 - i / 20}}
           for i in range(6)])

    def test_per_item_results(self):
        tasks = qc.eval_tasks_from_items(self.ITEMS)
        self.assertEqual(list(tasks), ["mmlu", "summ"])
        path = out_path("bench.h5")
        summary = qc.write_eval_cache(path, tasks, model_name="bench-demo", variant="Q4_K_M",
                                      bits_per_weight=4.85, decode_tok_s=[80.0, 82.5])
        self.assertEqual(summary.tasks, {"mmlu": 12, "summ": 6})
        data, attrs = read_all(path)
        self.assertEqual(attrs["variant"], "Q4_K_M")
        np.testing.assert_array_equal(data["/eval/mmlu/id"], np.arange(10, 22))
        np.testing.assert_array_equal(data["/eval/mmlu/correct"], [int(i % 3 != 0) for i in range(12)])
        # names sorted: algebra 0, biology 1, law 2; item i has ["law", "algebra", "biology"][i % 3]
        self.assertEqual(strings(data["/eval/mmlu/stratum_names"]), ["algebra", "biology", "law"])
        np.testing.assert_array_equal(data["/eval/mmlu/stratum"], [[2, 0, 1][i % 3] for i in range(12)])
        self.assertNotIn("/eval/summ/correct", data)
        np.testing.assert_array_equal(data["/eval/summ/score/rouge_l"], np.arange(6) / 10)
        np.testing.assert_array_equal(data["/eval/summ/score/bleu"], 1 - np.arange(6) / 20)
        np.testing.assert_array_equal(data["/perf/decode_tok_s"], [80.0, 82.5])
        self.assertNotIn("/samples/id", data)

    def test_bad_items(self):
        items = list(self.ITEMS) + [{"task": "mmlu", "id": 10, "correct": 1, "stratum": "law"}]
        with self.assertRaisesRegex(ValueError, r"/eval/mmlu/id: duplicate id 10 at items 0 and 12"):
            qc.write_eval_cache(os.path.join(OUT, "never.h5"), qc.eval_tasks_from_items(items),
                                model_name="m", variant="v")
        with self.assertRaisesRegex(ValueError, r"/eval/mmlu/stratum: stratum 'art' is not among"):
            qc.eval_tasks_from_items([dict(self.ITEMS[0], stratum="art")],
                                     stratum_names={"mmlu": ["law"]})
        with self.assertRaisesRegex(ValueError, r"/eval/summ: item 1 .*same fields"):
            qc.eval_tasks_from_items([self.ITEMS[12], {"task": "summ", "id": 3, "correct": 1}])
        self.assertFalse(os.path.exists(os.path.join(OUT, "never.h5")))


# ---- torch: forward pass ------------------------------------------------------

def fake_quantize_(model, bits):
    """Symmetric per-output-channel fake quantization of every Linear
    weight, in place: w -> round(w / s) s with s = max|w_row| / (2^(bits-1) - 1)."""
    qmax = 2 ** (bits - 1) - 1
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                s = m.weight.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / qmax
                m.weight.copy_(torch.round(m.weight / s).clamp(-qmax, qmax) * s)
    return model


def make_mlp():
    torch.manual_seed(0)
    return nn.Sequential(OrderedDict(fc1=nn.Linear(6, 16), act1=nn.ReLU(),
                                     fc2=nn.Linear(16, 12), act2=nn.ReLU(),
                                     head=nn.Linear(12, 3)))


def mlp_data(n=96):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 6, generator=g)
    y = ((x[:, 0] > 0).long() + (x[:, 1] > 0.5).long())         # classes 0, 1, 2
    ids = 1000 + 7 * torch.arange(n)
    return x, y, ids


class TorchTestCase(unittest.TestCase):
    def setUp(self):
        if TORCH_ERROR:
            self.fail(TORCH_ERROR)
        torch.set_num_threads(1)


class ForwardTests(TorchTestCase):
    @classmethod
    def trained_mlp(cls):
        if not hasattr(cls, "_mlp"):
            x, y, _ = mlp_data()
            model = make_mlp()
            opt = torch.optim.Adam(model.parameters(), lr=0.05)
            for _ in range(60):                                  # a few full-batch steps
                opt.zero_grad()
                nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
            cls._mlp = model
        return cls._mlp

    def write_variant(self, model, variant, bits):
        x, y, ids = mlp_data()
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y, ids),
                                             batch_size=20)     # 4 full batches and one of 16
        path = out_path(f"mlp_{variant}.h5")
        summary = qc.write_forward_cache(
            path, model, loader, model_name="mlp-demo", variant=variant,
            layers={"act1": "layer_1", "act2": "final"}, label_names=["low", "mid", "high"],
            bits_per_weight=bits, params=sum(p.numel() for p in model.parameters()))
        self.assertEqual((summary.n_samples, summary.layers, summary.n_classes),
                         (96, {"layer_1": 16, "final": 12}, 3))
        # Expected: the same batches through the model's parts, by hand.
        with torch.no_grad():
            parts = {"layer_1": [], "final": [], "logits": []}
            for s in range(0, 96, 20):
                a1 = torch.relu(model.fc1(x[s:s + 20]))
                a2 = torch.relu(model.fc2(a1))
                parts["layer_1"].append(a1)
                parts["final"].append(a2)
                parts["logits"].append(model.head(a2))
            want = {k: torch.cat(v).numpy() for k, v in parts.items()}
            whole = model(x).numpy()
        data, attrs = read_all(path)
        np.testing.assert_array_equal(data["/hidden/layer_1"], want["layer_1"])
        np.testing.assert_array_equal(data["/hidden/final"], want["final"])
        np.testing.assert_array_equal(data["/outputs/logits"], want["logits"])
        # the whole set in one batch: the same to float32 rounding
        np.testing.assert_allclose(data["/outputs/logits"], whole, rtol=1e-5,
                                   atol=1e-6 * np.abs(whole).max())
        np.testing.assert_array_equal(data["/samples/id"], ids.numpy())
        np.testing.assert_array_equal(data["/samples/label"], y.numpy())
        self.assertEqual(attrs["bits_per_weight"], bits)
        self.assertEqual(attrs["params"], 16 * 7 + 12 * 17 + 3 * 13)
        with h5py.File(path, "r") as f:
            self.assertIsNotNone(f["/hidden/final"].chunks)      # streamed, resizable
        self.assertTrue(model.training)                          # training flag restored
        return data

    def test_fp32_and_int8_variants(self):
        base = self.trained_mlp()
        base_data = self.write_variant(base, "fp32", 32)
        int8 = make_mlp()
        int8.load_state_dict(base.state_dict())
        fake_quantize_(int8, 8)
        for m in (int8.fc1, int8.fc2, int8.head):                # at most 255 levels a row
            self.assertLessEqual(max(len(torch.unique(r)) for r in m.weight), 255)
        int8_data = self.write_variant(int8, "int8", 8)
        diff = np.abs(int8_data["/outputs/logits"] - base_data["/outputs/logits"]).max()
        self.assertGreater(diff, 0)                              # quantization changed something
        self.assertLess(diff, 0.5)                               # ... but not much
        accuracy = (base_data["/outputs/logits"].argmax(1) == base_data["/samples/label"]).mean()
        self.assertGreater(accuracy, 0.8)                        # the classifier learned

    def test_hf_style_batches_and_pooling(self):
        class Encoder(nn.Module):
            """HF-like: model(input_ids=, attention_mask=) -> object with .logits."""
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(20, 8)
                self.block = nn.Linear(8, 8)
                self.classifier = nn.Linear(8, 2)

            def forward(self, input_ids, attention_mask):
                h = torch.tanh(self.block(self.embed(input_ids)))        # [B, L, 8]
                m = attention_mask.unsqueeze(-1).float()
                return types.SimpleNamespace(logits=self.classifier((h * m).sum(1) / m.sum(1)))

        torch.manual_seed(2)
        model = Encoder()
        g = torch.Generator().manual_seed(3)
        batches = []
        for b in range(3):
            ids = torch.randint(0, 20, (4, 6), generator=g)
            mask = torch.ones(4, 6, dtype=torch.long)
            mask[:, 6 - b - 1:] = 0                                     # right padding
            batches.append({"input_ids": ids, "attention_mask": mask,
                            "labels": torch.tensor([0, 1, 1, 0]), "ids": torch.arange(4) + 4 * b})
        path = out_path("hf_style.h5")
        qc.write_forward_cache(path, model, batches, model_name="enc-demo", variant="fp32",
                               layers={"block": "final", "embed": "layer_0"}, pool="mean")
        last = os.path.join(OUT, "hf_last.h5")
        qc.write_forward_cache(last, model, batches, model_name="enc-demo", variant="fp32",
                               layers={"block": "final", "classifier": "head", "embed": "layer_0"},
                               pool={"final": "last", "layer_0": "first"}, logits=False)
        WRITTEN.append(last)
        data, _ = read_all(path)
        last_data, _ = read_all(last)
        with torch.no_grad():
            want_mean, want_last, want_embed, want_logits = [], [], [], []
            for batch in batches:
                h = model.block(model.embed(batch["input_ids"]))         # the hooked output
                m = batch["attention_mask"].unsqueeze(-1).float()
                want_mean.append((h * m).sum(1) / m.sum(1))
                want_embed.append((model.embed(batch["input_ids"]) * m).sum(1) / m.sum(1))
                n_real = int(batch["attention_mask"][0].sum())
                want_last.append(h[:, n_real - 1])
                want_logits.append(model(batch["input_ids"], batch["attention_mask"]).logits)
        np.testing.assert_allclose(data["/hidden/final"], torch.cat(want_mean).numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(data["/hidden/layer_0"], torch.cat(want_embed).numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(last_data["/hidden/final"], torch.cat(want_last).numpy())
        # a [B, C] output is stored as it is; "first" takes position 0
        np.testing.assert_array_equal(last_data["/hidden/head"], torch.cat(want_logits).numpy())
        np.testing.assert_array_equal(last_data["/hidden/layer_0"],
                                      torch.cat([model.embed(b["input_ids"])[:, 0]
                                                 for b in batches]).detach().numpy())
        np.testing.assert_array_equal(data["/outputs/logits"], torch.cat(want_logits).numpy())
        np.testing.assert_array_equal(data["/samples/id"], np.arange(12))
        np.testing.assert_array_equal(data["/samples/label"], [0, 1, 1, 0] * 3)
        self.assertNotIn("/outputs/logits", last_data)

    def test_forward_errors(self):
        model = make_mlp()
        x, y, ids = mlp_data(10)
        path = os.path.join(OUT, "never_forward.h5")
        with self.assertRaisesRegex(ValueError, r"/hidden/act9: the model has no module 'act9'.*'act1'"):
            qc.write_forward_cache(path, model, [(x, y)], model_name="m", variant="v", layers=["act9"])
        bad = make_mlp()
        with torch.no_grad():
            bad.fc2.weight[0, :] = float("nan")
        with self.assertRaisesRegex(ValueError, r"/hidden/final: NaN at row 0"):
            qc.write_forward_cache(path, bad, [(x, y, ids)], model_name="m", variant="v",
                                   layers={"act2": "final"})
        dup = torch.cat([ids[:5], ids[:5]])
        with self.assertRaisesRegex(ValueError, r"/samples/id: duplicate id 1000 at rows 0 and 5"):
            qc.write_forward_cache(path, model, [(x[:5], y[:5], ids[:5]), (x[5:], y[5:], dup[5:])],
                                   model_name="m", variant="v", layers=["act1"])
        with self.assertRaisesRegex(ValueError, r"/samples/label: label 3 at row 2 is outside \[0, 3\)"):
            qc.write_forward_cache(path, model, [(x, torch.tensor([0, 1, 3] + [0] * 7))],
                                   model_name="m", variant="v", layers=["act1"])
        with self.assertRaisesRegex(ValueError, r"/hidden/seq: the module's output has shape "
                                                r"\[10, 6, 4\], not \[B, D\]; pass pool="):
            seq = nn.Sequential(OrderedDict(lift=nn.Unflatten(1, (6, 1)), wide=nn.Linear(1, 4)))
            qc.write_forward_cache(path, seq, [x], model_name="m", variant="v",
                                   layers={"wide": "seq"}, logits=False)
        self.assertFalse(os.path.exists(path))
        self.assertFalse([n for n in os.listdir(OUT) if n.endswith(".tmp")])


# ---- torch: token level -------------------------------------------------------

VOCAB = 17


def make_lm(seed=4):
    class TinyLM(nn.Module):
        """Embedding, one GRU layer, a head; returns an object with .logits (HF-like)."""
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, 8)
            self.gru = nn.GRU(8, 12, batch_first=True)
            self.head = nn.Linear(12, VOCAB)

        def forward(self, input_ids):
            h, _ = self.gru(self.embed(input_ids))
            return types.SimpleNamespace(logits=self.head(h))
    torch.manual_seed(seed)
    return TinyLM()


def lm_docs():
    g = torch.Generator().manual_seed(5)
    return [torch.randint(0, VOCAB, (n,), generator=g) for n in (30, 1, 45, 16)]


class TokenTests(TorchTestCase):
    CONTEXT = 16

    def expected(self, model, docs):
        """Logits, targets and documents of every window, by hand."""
        logits, target, doc = [], [], []
        with torch.no_grad():
            for d, ids in enumerate(docs):
                for s in range(0, len(ids) - 1, self.CONTEXT):
                    w = ids[s:s + self.CONTEXT + 1]
                    logits.append(model(w[:-1].unsqueeze(0)).logits[0])
                    target.append(w[1:])
                    doc.append(torch.full((len(w) - 1,), d))
        return torch.cat(logits).numpy(), torch.cat(target).numpy(), torch.cat(doc).numpy()

    def test_token_caches_fp32_and_int8(self):
        docs = lm_docs()
        slices = ["prose", "code", "code", "prose"]
        for variant, bits, dtype in (("fp32", 32, np.float32), ("int8", 8, np.float16)):
            model = make_lm()
            if bits == 8:
                fake_quantize_(model, 8)
            path = out_path(f"lm_{variant}.h5")
            summary = qc.write_token_cache(path, model, docs, model_name="tinylm-demo",
                                           variant=variant, context=self.CONTEXT,
                                           doc_slices=slices, slice_names=["prose", "code"],
                                           logits_dtype=dtype, bits_per_weight=bits)
            # 29 + 0 + 44 + 15 positions: every token but each document's first
            self.assertEqual((summary.n_positions, summary.vocab), (88, VOCAB))
            logits, target, doc = self.expected(model, docs)
            data, attrs = read_all(path)
            self.assertEqual(data["/tokens/logits"].dtype, dtype)
            np.testing.assert_array_equal(data["/tokens/logits"], logits.astype(dtype))
            np.testing.assert_array_equal(data["/tokens/target"], target)
            np.testing.assert_array_equal(data["/tokens/doc"], doc)
            self.assertEqual(sorted(set(doc.tolist())), [0, 2, 3])  # doc 1 has one token
            np.testing.assert_array_equal(data["/tokens/slice"], [0 if slices[d] == "prose" else 1 for d in doc])
            self.assertEqual(strings(data["/tokens/slice_names"]), ["prose", "code"])
            self.assertEqual(attrs["bits_per_weight"], bits)
            with h5py.File(path, "r") as f:
                self.assertEqual(f["/tokens/logits"].chunks[1], VOCAB)   # whole rows
                self.assertIsNone(f["/tokens/logits"].compression)

    def test_token_errors(self):
        path = os.path.join(OUT, "never_tokens.h5")
        with self.assertRaisesRegex(ValueError, r"/tokens/target: token 17 at position 3 is outside \[0, 17\)"):
            qc.write_token_cache(path, make_lm(), [torch.tensor([1, 2, 3, 4, 17])],
                                 model_name="m", variant="v", context=8)
        with self.assertRaisesRegex(ValueError, r"/tokens/target: document 1 holds token 40 at index 2, "
                                                r"outside the vocabulary \[0, 17\)"):
            qc.write_token_cache(path, make_lm(), [torch.tensor([1, 2, 3]), torch.tensor([4, 5, 40])],
                                 model_name="m", variant="v")
        with self.assertRaisesRegex(ValueError, r"/tokens/logits: no document had two tokens"):
            qc.write_token_cache(path, make_lm(), [torch.tensor([1])], model_name="m", variant="v")
        with self.assertRaisesRegex(ValueError, r"/tokens/slice: 'poetry' is not one|slice 'poetry'"):
            qc.write_token_cache(path, make_lm(), [torch.tensor([1, 2, 3])], model_name="m",
                                 variant="v", doc_slices=["poetry"], slice_names=["prose"])
        self.assertFalse(os.path.exists(path))


# ---- qaudit accepts them all ----------------------------------------------------

class ZQauditValidateTests(unittest.TestCase):
    """Runs last (unittest orders classes by name)."""

    def test_qaudit_validate_accepts_every_file(self):
        self.assertTrue(WRITTEN, "no cache was written")
        missing = [p for p in WRITTEN if not os.path.exists(p)]
        self.assertEqual(missing, [])
        run = subprocess.run([QAUDIT, "validate"] + WRITTEN, capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(run.stdout.count(": valid"), len(WRITTEN), run.stdout)


def tearDownModule():
    if _OWN_OUT:
        shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()

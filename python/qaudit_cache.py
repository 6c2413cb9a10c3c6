"""Write qaudit caches (INTERFACE.md section 2, format version 1) from Python.

One HDF5 file per model variant: root attributes naming the model and the
variant, per-sample hidden states and logits, per-item benchmark results,
per-request timings and token-level next-token logits.  qaudit reads the
files; this module writes them so that ``qaudit validate`` accepts them.

Needs h5py and NumPy only.  PyTorch is imported lazily, by the two torch
helpers (:func:`write_forward_cache`, :func:`write_token_cache`) and only
when they are called.

Everything is checked in Python before it reaches the file: shapes, dtypes,
finite values, ids without duplicates, labels, strata and token targets in
range.  A problem raises :class:`CacheError` (a ``ValueError``) whose message
starts with the HDF5 path of the field, e.g.
``/samples/label: label 7 at row 3 is outside [0, 3) (the 3 classes of
/samples/label_names)``.  A file is written under a temporary name in the
destination's folder and renamed into place only when it is complete, so a
failed write never leaves a partial cache behind.

The entry points:

* :func:`write_cache` -- a whole cache from in-memory arrays;
* :func:`write_eval_cache`, :class:`EvalTask`, :func:`eval_tasks_from_items`
  -- per-item benchmark results;
* :class:`CacheWriter` -- the streaming writer underneath: row blocks of
  samples, hidden states and logits, token blocks, benchmark tasks, timings;
* :func:`write_forward_cache` -- hidden states of chosen modules (forward
  hooks) and logits over an iterable of batches, streamed block by block;
* :func:`write_token_cache` -- next-token logits of a causal LM over
  documents, streamed window by window.

What this module never does: compare variants (that is qaudit's job), or
hold a model's states for the whole data set in memory (the torch helpers
write each batch before the next one runs; only ids, labels and token
targets, a few bytes per row, are kept to check them at the end).
"""
from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple, Union)

import h5py
import numpy as np

__all__ = [
    "FORMAT_VERSION", "CacheError", "CacheSummary", "EvalTask", "CacheWriter",
    "TokenStream", "write_cache", "write_eval_cache", "eval_tasks_from_items",
    "write_forward_cache", "write_token_cache",
]

#: The cache format this module writes (INTERFACE.md section 2).
FORMAT_VERSION = 1
#: Longest name (class, layer, task, metric, model, variant) qaudit accepts, in UTF-8 bytes.
NAME_MAX_BYTES = 1024
#: Longest disclosure attribute (quant_scheme, calibration, backend, hardware), in UTF-8 bytes.
DISCLOSURE_MAX_BYTES = 4096
#: Most layers, tasks or metrics in one group.
MAX_MEMBERS = 100_000

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
ArrayLike = Any          # numpy arrays, sequences, torch tensors
DTypeLike = Any

_INT64_MAX = np.iinfo(np.int64).max
_TARGET_CHUNK_BYTES = 1 << 20     # chunks of about 1 MiB for per-sample rows
_TOKEN_CHUNK_BYTES = 4 << 20      # token logits: chunks of whole rows, 16..256 of them


# The 1-D layout named in rank errors, by what a row is.
_LAYOUT_1D = {"row": "[N]", "item": "[M]", "position": "[T]", "request": "[K]"}


class CacheError(ValueError):
    """A value that would make an invalid cache.  The message starts with the
    HDF5 path of the offending field (``/hidden/final: ...``)."""


@dataclass
class CacheSummary:
    """What a writer put in a cache (returned by every ``write_*`` function)."""
    path: str
    model: str
    variant: str
    n_samples: Optional[int] = None
    layers: Dict[str, int] = field(default_factory=dict)   # layer name -> D
    n_classes: Optional[int] = None
    tasks: Dict[str, int] = field(default_factory=dict)    # task -> M items
    n_positions: Optional[int] = None
    vocab: Optional[int] = None


@dataclass
class EvalTask:
    """Per-item results of one benchmark task (``/eval/<task>/...``).

    correct: [M] 0/1 (or bool) per item; optional when ``scores`` are given.
    ids: [M] int64 item ids, pairing items across variants (default: row index).
    scores: {metric: [M] float} continuous generation scores (``rouge_l`` ...).
    stratum: [M] int in [0, S), with ``stratum_names`` ([S] strings); both or neither.
    """
    correct: Optional[ArrayLike] = None
    ids: Optional[ArrayLike] = None
    scores: Mapping[str, ArrayLike] = field(default_factory=dict)
    stratum: Optional[ArrayLike] = None
    stratum_names: Optional[Sequence[str]] = None


# ---- checks ---------------------------------------------------------------

def _as_numpy(value: ArrayLike, where: str) -> np.ndarray:
    """An ndarray view of value; torch tensors are detached and moved to the CPU."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):        # torch.Tensor
        t = value.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":                      # NumPy has no bfloat16
            t = t.float()
        return t.numpy()
    try:
        a = np.asarray(value)
    except (ValueError, TypeError) as e:
        raise CacheError(f"{where}: cannot be read as an array ({e})") from None
    if a.dtype == object:
        raise CacheError(f"{where}: holds Python objects (ragged or mixed values?), "
                         "expected numbers")
    return a


def _shape(a: np.ndarray) -> str:
    return "[" + ", ".join(str(n) for n in a.shape) + "]"


def _check_rank(a: np.ndarray, where: str, ndim: int, layout: str) -> None:
    if a.ndim != ndim:
        raise CacheError(f"{where}: shape {_shape(a)} has rank {a.ndim}, expected {layout}")


def _first_bad(mask: np.ndarray) -> Tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(mask.ravel())[0]), mask.shape))


def _position(index: Tuple[int, ...], row_offset: int, row_word: str) -> str:
    text = f"{row_word} {index[0] + row_offset}"
    if len(index) > 1:
        text += f", column {index[1]}"
    return text


def check_float(value: ArrayLike, where: str, *, ndim: int, layout: str,
                dtype: DTypeLike = None, row_offset: int = 0,
                row_word: str = "row") -> np.ndarray:
    """value as a finite float array of rank ndim, cast to dtype (float16,
    float32 or float64; default: the value's own float type).  Raises
    CacheError naming where, the rank expected (layout, e.g. "[N, D]") and
    the first NaN/Inf (or value that overflows dtype)."""
    a = _as_numpy(value, where)
    if a.dtype.kind != "f":
        raise CacheError(f"{where}: dtype {a.dtype} is not a float type; "
                         "expected float16, float32 or float64")
    _check_rank(a, where, ndim, layout)
    bad = ~np.isfinite(a)
    if bad.any():
        i = _first_bad(bad)
        kind = "NaN" if np.isnan(a[i]) else "Inf"
        raise CacheError(f"{where}: {kind} at {_position(i, row_offset, row_word)}; "
                         "values must be finite")
    out_dtype = np.dtype(dtype) if dtype is not None else a.dtype
    if out_dtype not in FLOAT_DTYPES:
        raise CacheError(f"{where}: storage dtype {out_dtype} is not float16, float32 or float64")
    if out_dtype != a.dtype:
        with np.errstate(over="ignore"):
            out = a.astype(out_dtype)
        bad = ~np.isfinite(out)
        if bad.any():
            i = _first_bad(bad)
            raise CacheError(f"{where}: value {a[i]!r} at {_position(i, row_offset, row_word)} "
                             f"overflows {out_dtype}; store it as float32")
        return out
    return a


def check_int(value: ArrayLike, where: str, *, lo: Optional[int] = None,
              hi: Optional[int] = None, what: str = "value", range_note: str = "",
              dtype: DTypeLike = np.int64, row_offset: int = 0,
              row_word: str = "row", allow_bool: bool = False) -> np.ndarray:
    """value as a 1-D integer array in [lo, hi), cast to dtype.  Floats are
    refused rather than truncated; bool only with allow_bool."""
    a = _as_numpy(value, where)
    if a.dtype.kind == "b" and allow_bool:
        a = a.astype(np.int8)
    if a.dtype.kind not in "iu":
        raise CacheError(f"{where}: dtype {a.dtype} is not an integer type"
                         + (" (convert with .astype(int) if the values are whole)"
                            if a.dtype.kind == "f" else ""))
    _check_rank(a, where, 1, _LAYOUT_1D.get(row_word, "[N]"))
    if a.dtype == np.uint64 and a.size and a.max() > _INT64_MAX:
        r = int(np.argmax(a > _INT64_MAX))
        raise CacheError(f"{where}: {what} {int(a[r])} at {row_word} {r + row_offset} "
                         "does not fit in int64")
    if lo is not None and a.size:
        low = a < lo
        if low.any():
            r = int(np.argmax(low))
            raise CacheError(f"{where}: {what} {int(a[r])} at {row_word} {r + row_offset} "
                             f"is below {lo}{range_note}")
    if hi is not None and a.size:
        high = a >= hi
        if high.any():
            r = int(np.argmax(high))
            raise CacheError(f"{where}: {what} {int(a[r])} at {row_word} {r + row_offset} "
                             f"is outside [{0 if lo is None else lo}, {hi}){range_note}")
    return a.astype(dtype, copy=False)


def check_unique(ids: np.ndarray, where: str, row_word: str = "row") -> None:
    """Refuses duplicate ids, naming the first duplicated value and both rows."""
    if ids.size < 2:
        return
    order = np.argsort(ids, kind="stable")
    s = ids[order]
    dup = np.flatnonzero(s[1:] == s[:-1])
    if dup.size:
        # the duplicate whose second row comes first
        k = dup[np.argmin(order[dup + 1])]
        a, b = sorted((int(order[k]), int(order[k + 1])))
        raise CacheError(f"{where}: duplicate id {int(s[k])} at {row_word}s {a} and {b}; "
                         "ids must be unique")


def check_name(name: Any, where: str, what: str, *, max_bytes: int = NAME_MAX_BYTES,
               member: bool = False) -> str:
    """A well-formed UTF-8 string of at most max_bytes; member names (layers,
    tasks, metrics) may not be empty, contain '/' or be '.'."""
    if not isinstance(name, str):
        raise CacheError(f"{where}: {what} {name!r} is not a string")
    try:
        n = len(name.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise CacheError(f"{where}: {what} {name!r} is not valid UTF-8 ({e.reason})") from None
    if n > max_bytes:
        raise CacheError(f"{where}: {what} of {n} bytes, longer than the {max_bytes} allowed")
    if member and (not name or "/" in name or name == "."):
        raise CacheError(f"{where}: {what} {name!r} must be non-empty, without '/' and not '.'")
    if not name:
        raise CacheError(f"{where}: {what} is empty")
    return name


def check_names(names: Sequence[str], where: str, what: str) -> List[str]:
    """A non-empty list of names (class, stratum or slice names)."""
    if isinstance(names, (str, bytes)):
        raise CacheError(f"{where}: expected a list of {what}s, got one string")
    out = [check_name(n, where, f"{what} {i}") for i, n in enumerate(list(names))]
    if not out:
        raise CacheError(f"{where}: no {what}s; give at least one")
    return out


def _string_array(names: Sequence[str]) -> np.ndarray:
    return np.array(list(names), dtype=h5py.string_dtype("utf-8"))


def _chunk_rows(row_bytes: int, budget: int, lo: int = 1, hi: int = 1024) -> int:
    return int(max(lo, min(hi, budget // max(row_bytes, 1))))


# ---- the streaming writer -------------------------------------------------

class _RowStream:
    """One resizable dataset [n, *tail] grown by row blocks."""

    def __init__(self, f: h5py.File, path: str, tail: Tuple[int, ...], dtype: np.dtype,
                 chunk_rows: int, compression: Optional[str]):
        self.path, self.tail, self.n = path, tail, 0
        self.ds = f.create_dataset(path, shape=(0,) + tail, maxshape=(None,) + tail,
                                   dtype=dtype, chunks=(chunk_rows,) + tail,
                                   compression=compression)

    def append(self, block: np.ndarray) -> None:
        if block.shape[1:] != self.tail:
            want = "[rows, " + ", ".join(str(t) for t in self.tail) + "]"
            raise CacheError(f"{self.path}: block of shape {_shape(block)} after blocks of "
                             f"{want}; every block needs the same columns")
        rows = block.shape[0]
        self.ds.resize(self.n + rows, axis=0)
        self.ds[self.n:self.n + rows] = block
        self.n += rows


class TokenStream:
    """Token-level data (``/tokens/...``) written block by block; from
    :meth:`CacheWriter.tokens`.  Every :meth:`append` adds L positions: their
    next-token logits [L, V], their targets [L] and their document and slice."""

    def __init__(self, writer: "CacheWriter", vocab: int, dtype: DTypeLike,
                 slice_names: Optional[Sequence[str]], compression: Optional[str]):
        if not isinstance(vocab, (int, np.integer)) or vocab < 1:
            raise CacheError(f"/tokens/logits: vocabulary size {vocab!r} must be a positive integer")
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise CacheError(f"/tokens/logits: storage dtype {dtype} is not float16, float32 or float64")
        self.vocab, self.dtype = int(vocab), dtype
        self.slice_names = (check_names(slice_names, "/tokens/slice_names", "slice name")
                            if slice_names is not None else None)
        f = writer._file
        rows = _chunk_rows(self.vocab * dtype.itemsize, _TOKEN_CHUNK_BYTES, 16, 256)
        # Whole-row chunks, uncompressed by default: docs/cache-format.md "The logits are streamed".
        self._logits = _RowStream(f, "/tokens/logits", (self.vocab,), dtype, rows, compression)
        self._target = _RowStream(f, "/tokens/target", (), np.dtype(np.int32), 1024, None)
        self._doc: Optional[_RowStream] = None          # created by the first block with doc
        self._doc_given: Optional[bool] = None
        self._file = f
        self._slice = (_RowStream(f, "/tokens/slice", (), np.dtype(np.int32), 1024, None)
                       if self.slice_names is not None else None)
        if self.slice_names is not None:
            f["/tokens/slice_names"] = _string_array(self.slice_names)

    @property
    def n_positions(self) -> int:
        return self._target.n

    def append(self, logits: ArrayLike, target: ArrayLike, *,
               doc: Union[None, int, ArrayLike] = None,
               slice: Union[None, int, str, ArrayLike] = None) -> None:
        """Adds L positions.  logits: [L, V] float; target: [L] int in [0, V);
        doc: the document of the positions (one int, or [L]; give it in every
        block or in none -- without it the corpus is one document); slice: their
        slice, an index in [0, S) or a name of slice_names (one, or [L]);
        required exactly when the stream has slice names."""
        t0 = self.n_positions
        lg = check_float(logits, "/tokens/logits", ndim=2, layout="[T, V]", dtype=self.dtype,
                         row_offset=t0, row_word="position")
        if lg.shape[1] != self.vocab:
            raise CacheError(f"/tokens/logits: block of shape {_shape(lg)} has {lg.shape[1]} "
                             f"columns, the vocabulary has {self.vocab}")
        tg = check_int(target, "/tokens/target", lo=0, hi=self.vocab, what="token",
                       range_note=" (the vocabulary)", dtype=np.int32, row_offset=t0,
                       row_word="position")
        n = lg.shape[0]
        if tg.shape[0] != n:
            raise CacheError(f"/tokens/target: {tg.shape[0]} targets for {n} rows of logits")
        if self._doc_given is not None and (doc is not None) != self._doc_given:
            raise CacheError("/tokens/doc: documents given in some blocks and not in others")
        self._doc_given = doc is not None
        dc = self._per_position(doc, n, "/tokens/doc", t0) if doc is not None else None
        self._logits.append(lg)
        self._target.append(tg)
        if dc is not None:
            if self._doc is None:
                self._doc = _RowStream(self._file, "/tokens/doc", (), np.dtype(np.int64), 1024, None)
            self._doc.append(dc)
        if self.slice_names is None:
            if slice is not None:
                raise CacheError("/tokens/slice: slices given, but the stream has no slice_names")
            return
        if slice is None:
            raise CacheError("/tokens/slice: the stream has slice_names; every block needs its slice")
        sl = self._slices(slice, n, t0)
        self._slice.append(sl)

    def _per_position(self, value: Any, n: int, where: str, t0: int) -> np.ndarray:
        if np.ndim(value) == 0 and not isinstance(value, str):
            value = np.full(n, int(value), dtype=np.int64)
        a = check_int(value, where, dtype=np.int64, row_offset=t0, row_word="position")
        if a.shape[0] != n:
            raise CacheError(f"{where}: {a.shape[0]} values for a block of {n} positions")
        return a

    def _slices(self, value: Any, n: int, t0: int) -> np.ndarray:
        names = self.slice_names
        assert names is not None
        if isinstance(value, str):
            if value not in names:
                raise CacheError(f"/tokens/slice: slice {value!r} is not one of /tokens/slice_names "
                                 f"{names}")
            value = names.index(value)
        a = self._per_position(value, n, "/tokens/slice", t0)
        return check_int(a, "/tokens/slice", lo=0, hi=len(names), what="slice",
                         range_note=f" (the {len(names)} names of /tokens/slice_names)",
                         dtype=np.int32, row_offset=t0, row_word="position")


class CacheWriter:
    """Writes one cache, streamed: a context manager that writes to a
    temporary file beside ``path`` and renames it into place when the block
    exits without an exception (or on :meth:`close`); on an exception the
    temporary file is removed and ``path`` is left as it was.

    >>> with CacheWriter("caches/int8.h5", model_name="vit-b16", variant="int8",
    ...                  bits_per_weight=8) as w:
    ...     w.set_label_names(["cat", "dog"])
    ...     for x, y, ids in batches:                   # any number of row blocks
    ...         w.append_samples(ids=ids, labels=y)
    ...         w.append_hidden("final", states_of(x))  # [B, D]
    ...         w.append_logits(logits_of(x))           # [B, C]

    Root attributes: model_name (attribute ``model``) and variant are
    required; bits_per_weight, params, vram_gb and the disclosure strings
    quant_scheme, calibration, backend, hardware are optional.

    float_dtype: storage type of hidden states and logits (float16, float32
    or float64; qaudit computes in double whatever is stored).  compression:
    h5py compression of the per-sample float datasets (None or "gzip").
    """

    def __init__(self, path: Union[str, os.PathLike], *, model_name: str, variant: str,
                 bits_per_weight: Optional[float] = None, params: Optional[int] = None,
                 vram_gb: Optional[float] = None, quant_scheme: Optional[str] = None,
                 calibration: Optional[str] = None, backend: Optional[str] = None,
                 hardware: Optional[str] = None, float_dtype: DTypeLike = np.float32,
                 compression: Optional[str] = None):
        self.path = os.fspath(path)
        attrs = _check_attrs(model_name, variant, bits_per_weight, params, vram_gb,
                             quant_scheme, calibration, backend, hardware)
        self.float_dtype = np.dtype(float_dtype)
        if self.float_dtype not in FLOAT_DTYPES:
            raise CacheError(f"float_dtype {self.float_dtype} is not float16, float32 or float64")
        self.compression = compression
        self.summary = CacheSummary(self.path, model_name, variant)
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, self._tmp = tempfile.mkstemp(prefix="." + os.path.basename(self.path) + ".",
                                         suffix=".tmp", dir=folder)
        os.close(fd)
        self._open = True
        try:
            self._file = h5py.File(self._tmp, "w")
            for key, value in attrs.items():
                self._file.attrs[key] = value
        except BaseException:
            self.abort()
            raise
        self._rows: Dict[str, _RowStream] = {}       # per-sample streams by HDF5 path
        self._ids: List[np.ndarray] = []
        self._ids_given: Optional[bool] = None
        self._max_label = -1
        self._max_prediction = -1
        self._label_names: Optional[List[str]] = None
        self._tokens: Optional[TokenStream] = None
        self._tasks: set = set()
        self._perf: set = set()

    # -- context manager
    def __enter__(self) -> "CacheWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- per-sample data
    @property
    def n_samples(self) -> int:
        """Rows written so far (the longest per-sample stream)."""
        return max((s.n for s in self._rows.values()), default=0)

    def set_label_names(self, names: Sequence[str]) -> None:
        """``/samples/label_names``: the C class names, indexed by label."""
        self._need_open()
        if self._label_names is not None:
            raise CacheError("/samples/label_names: already written")
        self._label_names = check_names(names, "/samples/label_names", "class name")
        self._file["/samples/label_names"] = _string_array(self._label_names)
        self._check_classes()

    def append_samples(self, *, ids: Optional[ArrayLike] = None,
                       labels: Optional[ArrayLike] = None,
                       prediction: Optional[ArrayLike] = None) -> None:
        """A block of ``/samples/id`` (int64), ``/samples/label`` and
        ``/outputs/prediction`` (int, in [0, C)).  Give ids in every block or
        in none (then qaudit aligns variants by row index)."""
        self._need_open()
        if ids is not None or labels is not None or prediction is not None:
            given = ids is not None
            if self._ids_given is not None and given != self._ids_given:
                raise CacheError("/samples/id: ids given in some blocks and not in others")
            self._ids_given = given
        if ids is not None:
            a = check_int(ids, "/samples/id", what="id", row_offset=self._count("/samples/id"))
            self._ids.append(a)
            self._stream("/samples/id", (), np.dtype(np.int64), len(a)).append(a)
        c, source = self._n_classes()
        note = f" (the {c} classes of {source})" if c is not None else ""
        if labels is not None:
            a = check_int(labels, "/samples/label", lo=0, hi=c, what="label", range_note=note,
                          dtype=np.int32, row_offset=self._count("/samples/label"))
            if a.size:
                self._max_label = max(self._max_label, int(a.max()))
            self._stream("/samples/label", (), np.dtype(np.int32), len(a)).append(a)
        if prediction is not None:
            a = check_int(prediction, "/outputs/prediction", lo=0, hi=c, what="class",
                          range_note=note, dtype=np.int32,
                          row_offset=self._count("/outputs/prediction"))
            if a.size:
                self._max_prediction = max(self._max_prediction, int(a.max()))
            self._stream("/outputs/prediction", (), np.dtype(np.int32), len(a)).append(a)
        self._check_classes()

    def append_hidden(self, layer: str, states: ArrayLike) -> None:
        """A block [B, D] of ``/hidden/<layer>``."""
        self._need_open()
        where = f"/hidden/{check_name(layer, '/hidden', 'layer name', member=True)}"
        if where not in self._rows and sum(p.startswith("/hidden/") for p in self._rows) >= MAX_MEMBERS:
            raise CacheError(f"/hidden: more than {MAX_MEMBERS} layers")
        a = check_float(states, where, ndim=2, layout="[N, D]", dtype=self.float_dtype,
                        row_offset=self._count(where))
        self._stream(where, a.shape[1:], self.float_dtype, a.shape[0], self.compression).append(a)
        self.summary.layers[layer] = int(a.shape[1])

    def append_logits(self, logits: ArrayLike) -> None:
        """A block [B, C] of ``/outputs/logits``."""
        self._need_open()
        a = check_float(logits, "/outputs/logits", ndim=2, layout="[N, C]", dtype=self.float_dtype,
                        row_offset=self._count("/outputs/logits"))
        self._stream("/outputs/logits", a.shape[1:], self.float_dtype, a.shape[0],
                     self.compression).append(a)
        self._check_classes()

    # -- benchmark, timings, tokens
    def write_eval(self, task: str, result: Union[EvalTask, Mapping[str, Any]]) -> int:
        """``/eval/<task>/...`` from an EvalTask (or a dict of its fields);
        returns M, the number of items."""
        self._need_open()
        check_name(task, "/eval", "task name", member=True)
        if task in self._tasks:
            raise CacheError(f"/eval/{task}: task written twice")
        if len(self._tasks) >= MAX_MEMBERS:
            raise CacheError(f"/eval: more than {MAX_MEMBERS} tasks")
        checked = _check_eval(task, result)
        base = f"/eval/{task}"
        for name, value in checked.items():
            if name == "score":
                for metric, scores in value.items():
                    self._file[f"{base}/score/{metric}"] = scores
            elif name == "stratum_names":
                self._file[f"{base}/stratum_names"] = _string_array(value)
            else:
                self._file[f"{base}/{name}"] = value
        self._tasks.add(task)
        m = _eval_items(checked)
        self.summary.tasks[task] = m
        return m

    def write_perf(self, *, decode_tok_s: Optional[ArrayLike] = None,
                   ttft_ms: Optional[ArrayLike] = None) -> None:
        """``/perf/decode_tok_s`` and ``/perf/ttft_ms``: per-request timings, >= 0."""
        self._need_open()
        for name, value in (("decode_tok_s", decode_tok_s), ("ttft_ms", ttft_ms)):
            if value is None:
                continue
            if name in self._perf:
                raise CacheError(f"/perf/{name}: already written")
            self._file[f"/perf/{name}"] = _check_timing(value, f"/perf/{name}")
            self._perf.add(name)

    def tokens(self, vocab: int, *, dtype: DTypeLike = np.float16,
               slice_names: Optional[Sequence[str]] = None,
               compression: Optional[str] = None) -> TokenStream:
        """Starts ``/tokens``: returns the TokenStream to append position
        blocks to.  vocab: V, the logits' columns; dtype: storage of the
        logits (float16 halves the file; an overflow is refused)."""
        self._need_open()
        if self._tokens is not None:
            raise CacheError("/tokens: already started")
        self._tokens = TokenStream(self, vocab, dtype, slice_names, compression)
        return self._tokens

    # -- finishing
    def close(self) -> CacheSummary:
        """Checks what only the whole file shows (N equal across per-sample
        datasets, ids unique, labels in [0, C)), then renames the file into
        place.  On a problem the temporary file is removed and CacheError raised."""
        if not self._open:
            return self.summary
        try:
            self._finish_checks()
            self._file.close()
            with open(self._tmp, "rb") as f:
                os.fsync(f.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self._tmp, 0o666 & ~umask)      # as open() would create it, not mkstemp's 0600
            os.replace(self._tmp, self.path)
            self._open = False
        except BaseException:
            self.abort()
            raise
        return self.summary

    def abort(self) -> None:
        """Drops the file being written; ``path`` is left untouched."""
        if not self._open:
            return
        self._open = False
        try:
            f = getattr(self, "_file", None)
            if f is not None and f.id.valid:
                f.close()
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)

    # -- helpers
    def _need_open(self) -> None:
        if not self._open:
            raise CacheError(f"{self.path}: writer already closed")

    def _count(self, path: str) -> int:
        s = self._rows.get(path)
        return s.n if s else 0

    def _stream(self, path: str, tail: Tuple[int, ...], dtype: np.dtype, first_rows: int,
                compression: Optional[str] = None) -> _RowStream:
        s = self._rows.get(path)
        if s is None:
            # Chunks of about 1 MiB, but no larger than needed by a small
            # file: at least the first block (or 64 rows), at most 4096 rows.
            row_bytes = int(np.prod(tail, dtype=np.int64)) * dtype.itemsize
            rows = min(_chunk_rows(row_bytes, _TARGET_CHUNK_BYTES, 1, 4096), max(first_rows, 64))
            s = self._rows[path] = _RowStream(self._file, path, tail, dtype, rows, compression)
        return s

    def _n_classes(self) -> Tuple[Optional[int], str]:
        """C and where it comes from: the class names, else the logits' columns."""
        lg = self._rows.get("/outputs/logits")
        if self._label_names is not None:
            return len(self._label_names), "/samples/label_names"
        if lg is not None:
            return lg.tail[0], "/outputs/logits"
        return None, ""

    def _check_classes(self) -> None:
        lg = self._rows.get("/outputs/logits")
        if self._label_names is not None and lg is not None and lg.tail[0] != len(self._label_names):
            raise CacheError(f"/outputs/logits: {lg.tail[0]} columns, but /samples/label_names "
                             f"names {len(self._label_names)} classes")
        c, source = self._n_classes()
        if c is None:
            return
        for what, path, top in (("label", "/samples/label", self._max_label),
                                ("class", "/outputs/prediction", self._max_prediction)):
            if top >= c:
                raise CacheError(f"{path}: {what} {top} is outside [0, {c}) (the {c} classes "
                                 f"of {source})")

    def _finish_checks(self) -> None:
        per_sample = {p: s.n for p, s in self._rows.items() if not p.startswith("/tokens/")}
        if per_sample:
            n = max(per_sample.values())
            for p, k in sorted(per_sample.items()):
                if k != n:
                    longest = max(per_sample, key=per_sample.get)
                    raise CacheError(f"{p}: {k} rows, but {longest} has {n}; every per-sample "
                                     "dataset needs one row per sample")
            self.summary.n_samples = n
        if self._ids:
            check_unique(np.concatenate(self._ids), "/samples/id")
        self._check_classes()
        c, _ = self._n_classes()
        self.summary.n_classes = c if c is not None else (
            self._max_label + 1 if self._max_label >= 0 else None)
        if self._tokens is not None:
            t = self._tokens
            if t.n_positions == 0:
                raise CacheError("/tokens/logits: no positions were written")
            self.summary.n_positions, self.summary.vocab = t.n_positions, t.vocab


def _check_attrs(model_name, variant, bits_per_weight, params, vram_gb,
                 quant_scheme, calibration, backend, hardware) -> Dict[str, Any]:
    attrs: Dict[str, Any] = {
        "model": check_name(model_name, "attribute model", "model name"),
        "variant": check_name(variant, "attribute variant", "variant name"),
    }
    if bits_per_weight is not None:
        b = float(bits_per_weight)
        if not np.isfinite(b) or b <= 0:
            raise CacheError(f"attribute bits_per_weight: {bits_per_weight!r} must be a finite "
                             "number above 0")
        attrs["bits_per_weight"] = np.float64(b)
    if params is not None:
        if isinstance(params, bool) or not isinstance(params, (int, np.integer)) or params < 0 \
                or params > _INT64_MAX:
            raise CacheError(f"attribute params: {params!r} must be a non-negative integer "
                             "(parameter count)")
        attrs["params"] = np.int64(params)
    if vram_gb is not None:
        v = float(vram_gb)
        if not np.isfinite(v) or v < 0:
            raise CacheError(f"attribute vram_gb: {vram_gb!r} must be a finite number >= 0")
        attrs["vram_gb"] = np.float64(v)
    for key, value in (("quant_scheme", quant_scheme), ("calibration", calibration),
                       ("backend", backend), ("hardware", hardware)):
        if value is not None:
            attrs[key] = check_name(value, f"attribute {key}", key,
                                    max_bytes=DISCLOSURE_MAX_BYTES)
    return attrs


def _check_timing(value: ArrayLike, where: str) -> np.ndarray:
    a = _as_numpy(value, where)
    if a.dtype.kind in "iu":
        a = a.astype(np.float64)
    a = check_float(a, where, ndim=1, layout="[K]", dtype=np.float64, row_word="request")
    neg = a < 0
    if neg.any():
        r = int(np.argmax(neg))
        raise CacheError(f"{where}: negative timing {a[r]!r} at request {r}")
    return a


def _eval_items(checked: Mapping[str, Any]) -> int:
    for key in ("correct", "id", "stratum"):
        if key in checked:
            return int(checked[key].shape[0])
    return int(next(iter(checked["score"].values())).shape[0])


def _check_eval(task: str, result: Union[EvalTask, Mapping[str, Any]]) -> Dict[str, Any]:
    """The datasets of /eval/<task>, checked: same M everywhere, correct 0/1,
    unique ids, finite scores, strata in [0, S) with their names."""
    if isinstance(result, Mapping):
        unknown = set(result) - {"correct", "ids", "scores", "stratum", "stratum_names"}
        if unknown:
            raise CacheError(f"/eval/{task}: unknown field(s) {sorted(unknown)}; expected "
                             "correct, ids, scores, stratum, stratum_names")
        result = EvalTask(**result)
    base = f"/eval/{task}"
    out: Dict[str, Any] = {}
    if result.correct is not None:
        c = check_int(result.correct, f"{base}/correct", lo=0, hi=2, what="value",
                      range_note=" (correct is 0 or 1)", dtype=np.int8, row_word="item",
                      allow_bool=True)
        out["correct"] = c
    scores: Dict[str, np.ndarray] = {}
    for metric, value in dict(result.scores or {}).items():
        check_name(metric, f"{base}/score", "metric name", member=True)
        scores[metric] = check_float(value, f"{base}/score/{metric}", ndim=1, layout="[M]",
                                     dtype=np.float64, row_word="item")
    if len(scores) > MAX_MEMBERS:
        raise CacheError(f"{base}/score: more than {MAX_MEMBERS} metrics")
    if "correct" not in out and not scores:
        raise CacheError(f"{base}: neither correct nor scores; a task needs at least one")
    if scores:
        out["score"] = scores
    if result.ids is not None:
        ids = check_int(result.ids, f"{base}/id", what="id", row_word="item")
        check_unique(ids, f"{base}/id", row_word="item")
        out["id"] = ids
    if (result.stratum is None) != (result.stratum_names is None):
        missing = "stratum_names" if result.stratum_names is None else "stratum"
        raise CacheError(f"{base}/{missing}: required with "
                         f"{'stratum' if missing == 'stratum_names' else 'stratum_names'}")
    if result.stratum is not None:
        names = check_names(result.stratum_names, f"{base}/stratum_names", "stratum name")
        out["stratum"] = check_int(result.stratum, f"{base}/stratum", lo=0, hi=len(names),
                                   what="stratum",
                                   range_note=f" (the {len(names)} names of {base}/stratum_names)",
                                   dtype=np.int32, row_word="item")
        out["stratum_names"] = names
    sizes = {f"{base}/{k}": v.shape[0] for k, v in out.items()
             if k not in ("score", "stratum_names")}
    sizes.update({f"{base}/score/{k}": v.shape[0] for k, v in scores.items()})
    first = next(iter(sizes))
    for path, m in sizes.items():
        if m != sizes[first]:
            raise CacheError(f"{path}: {m} items, but {first} has {sizes[first]}; every "
                             "dataset of a task needs one value per item")
    return out


# ---- from arrays ----------------------------------------------------------

def write_cache(path: Union[str, os.PathLike], *, model_name: str, variant: str,
                ids: Optional[ArrayLike] = None, labels: Optional[ArrayLike] = None,
                label_names: Optional[Sequence[str]] = None,
                hidden: Optional[Mapping[str, ArrayLike]] = None,
                logits: Optional[ArrayLike] = None, prediction: Optional[ArrayLike] = None,
                eval: Optional[Mapping[str, Union[EvalTask, Mapping[str, Any]]]] = None,
                decode_tok_s: Optional[ArrayLike] = None, ttft_ms: Optional[ArrayLike] = None,
                token_logits: Optional[ArrayLike] = None,
                token_target: Optional[ArrayLike] = None,
                token_doc: Optional[ArrayLike] = None, token_slice: Optional[ArrayLike] = None,
                token_slice_names: Optional[Sequence[str]] = None,
                float_dtype: DTypeLike = np.float32, token_dtype: DTypeLike = None,
                compression: Optional[str] = None, **attrs: Any) -> CacheSummary:
    """Writes a whole cache from in-memory arrays (numpy, lists or torch tensors).

    Per sample (N rows): ids [N] int64 (default: row index), labels [N] int,
    label_names [C] str, hidden {layer: [N, D] float}, logits [N, C] float,
    prediction [N] int (default in qaudit: argmax of logits).
    Benchmarks: eval {task: EvalTask(...) or dict(correct=..., ids=..., scores=...,
    stratum=..., stratum_names=...)}.  Timings: decode_tok_s, ttft_ms [K].
    Tokens: token_logits [T, V], token_target [T] in [0, V), token_doc [T],
    token_slice [T] with token_slice_names [S].
    attrs: bits_per_weight, params, vram_gb, quant_scheme, calibration,
    backend, hardware (see CacheWriter).

    Everything is checked before anything is written; returns a CacheSummary.
    """
    checked = _check_all(ids=ids, labels=labels, label_names=label_names, hidden=hidden,
                         logits=logits, prediction=prediction, eval=eval,
                         decode_tok_s=decode_tok_s, ttft_ms=ttft_ms, token_logits=token_logits,
                         token_target=token_target, token_doc=token_doc,
                         token_slice=token_slice, token_slice_names=token_slice_names,
                         float_dtype=float_dtype, token_dtype=token_dtype)
    with CacheWriter(path, model_name=model_name, variant=variant, float_dtype=float_dtype,
                     compression=compression, **attrs) as w:
        if label_names is not None:
            w.set_label_names(label_names)
        w.append_samples(ids=checked.get("ids"), labels=checked.get("labels"),
                         prediction=checked.get("prediction"))
        for layer, states in checked["hidden"].items():
            w.append_hidden(layer, states)
        if "logits" in checked:
            w.append_logits(checked["logits"])
        for task, result in (eval or {}).items():
            w.write_eval(task, result)
        w.write_perf(decode_tok_s=decode_tok_s, ttft_ms=ttft_ms)
        if token_logits is not None:
            tl = checked["token_logits"]
            ts = w.tokens(tl.shape[1], dtype=tl.dtype, slice_names=token_slice_names)
            ts.append(tl, checked["token_target"],
                      doc=checked.get("token_doc"), slice=checked.get("token_slice"))
    return w.summary


def _check_all(*, ids, labels, label_names, hidden, logits, prediction, eval, decode_tok_s,
               ttft_ms, token_logits, token_target, token_doc, token_slice, token_slice_names,
               float_dtype, token_dtype) -> Dict[str, Any]:
    """Every argument of write_cache checked, and their cross-field rules."""
    out: Dict[str, Any] = {"hidden": {}}
    rows: Dict[str, int] = {}
    if ids is not None:
        out["ids"] = check_int(ids, "/samples/id", what="id")
        check_unique(out["ids"], "/samples/id")
        rows["/samples/id"] = len(out["ids"])
    names = check_names(label_names, "/samples/label_names", "class name") \
        if label_names is not None else None
    if logits is not None:
        out["logits"] = check_float(logits, "/outputs/logits", ndim=2, layout="[N, C]",
                                    dtype=float_dtype)
        rows["/outputs/logits"] = out["logits"].shape[0]
        if names is not None and out["logits"].shape[1] != len(names):
            raise CacheError(f"/outputs/logits: {out['logits'].shape[1]} columns, but "
                             f"/samples/label_names names {len(names)} classes")
    c, source = ((len(names), "/samples/label_names") if names is not None else
                 (out["logits"].shape[1], "/outputs/logits") if "logits" in out else (None, ""))
    note = f" (the {c} classes of {source})" if c is not None else ""
    if labels is not None:
        out["labels"] = check_int(labels, "/samples/label", lo=0, hi=c, what="label",
                                  range_note=note, dtype=np.int32)
        rows["/samples/label"] = len(out["labels"])
    if prediction is not None:
        out["prediction"] = check_int(prediction, "/outputs/prediction", lo=0, hi=c,
                                      what="class", range_note=note, dtype=np.int32)
        rows["/outputs/prediction"] = len(out["prediction"])
    if hidden is not None:
        if not isinstance(hidden, Mapping):
            raise CacheError("/hidden: expected a mapping {layer name: [N, D] array}")
        if len(hidden) > MAX_MEMBERS:
            raise CacheError(f"/hidden: more than {MAX_MEMBERS} layers")
        for layer, states in hidden.items():
            check_name(layer, "/hidden", "layer name", member=True)
            a = check_float(states, f"/hidden/{layer}", ndim=2, layout="[N, D]", dtype=float_dtype)
            out["hidden"][layer] = a
            rows[f"/hidden/{layer}"] = a.shape[0]
    if rows:
        first = next(iter(rows))
        for p, n in rows.items():
            if n != rows[first]:
                raise CacheError(f"{p}: {n} rows, but {first} has {rows[first]}; every "
                                 "per-sample dataset needs one row per sample")
    for task, result in (eval or {}).items():
        check_name(task, "/eval", "task name", member=True)
        _check_eval(task, result)
    for name, value in (("decode_tok_s", decode_tok_s), ("ttft_ms", ttft_ms)):
        if value is not None:
            _check_timing(value, f"/perf/{name}")
    token_given = {k: v is not None for k, v in (("logits", token_logits), ("target", token_target))}
    if any(token_given.values()) and not all(token_given.values()):
        missing = [k for k, g in token_given.items() if not g][0]
        raise CacheError(f"/tokens/{missing}: required with /tokens/"
                         f"{'target' if missing == 'logits' else 'logits'}")
    if (token_slice is None) != (token_slice_names is None):
        missing = "slice_names" if token_slice_names is None else "slice"
        raise CacheError(f"/tokens/{missing}: required with /tokens/"
                         f"{'slice' if missing == 'slice_names' else 'slice_names'}")
    if (token_doc is not None or token_slice is not None) and token_logits is None:
        raise CacheError("/tokens/logits: required with /tokens/doc and /tokens/slice")
    if token_logits is not None:
        tl = check_float(token_logits, "/tokens/logits", ndim=2, layout="[T, V]",
                         dtype=token_dtype, row_word="position")
        out["token_logits"] = tl
        t, v = tl.shape
        out["token_target"] = check_int(token_target, "/tokens/target", lo=0, hi=v, what="token",
                                        range_note=" (the vocabulary)", dtype=np.int32,
                                        row_word="position")
        sizes = {"/tokens/logits": t, "/tokens/target": len(out["token_target"])}
        if token_doc is not None:
            out["token_doc"] = check_int(token_doc, "/tokens/doc", row_word="position")
            sizes["/tokens/doc"] = len(out["token_doc"])
        if token_slice is not None:
            sn = check_names(token_slice_names, "/tokens/slice_names", "slice name")
            out["token_slice"] = check_int(token_slice, "/tokens/slice", lo=0, hi=len(sn),
                                           what="slice",
                                           range_note=f" (the {len(sn)} names of /tokens/slice_names)",
                                           dtype=np.int32, row_word="position")
            sizes["/tokens/slice"] = len(out["token_slice"])
        for p, n in sizes.items():
            if n != t:
                raise CacheError(f"{p}: {n} positions, but /tokens/logits has {t} rows")
    return out


# ---- benchmarks -----------------------------------------------------------

def write_eval_cache(path: Union[str, os.PathLike], tasks: Mapping[str, Union[EvalTask, Mapping[str, Any]]],
                     *, model_name: str, variant: str, decode_tok_s: Optional[ArrayLike] = None,
                     ttft_ms: Optional[ArrayLike] = None, **attrs: Any) -> CacheSummary:
    """A cache of per-item benchmark results only: tasks {task: EvalTask},
    optional timings, root attributes as for CacheWriter."""
    if not tasks:
        raise CacheError("/eval: no tasks given")
    return write_cache(path, model_name=model_name, variant=variant, eval=tasks,
                       decode_tok_s=decode_tok_s, ttft_ms=ttft_ms, **attrs)


def eval_tasks_from_items(items: Iterable[Mapping[str, Any]], *,
                          stratum_names: Optional[Mapping[str, Sequence[str]]] = None
                          ) -> Dict[str, EvalTask]:
    """Groups per-item records into EvalTasks, one per task, in first-seen order.

    Each record: {"task": str, "id": int, "correct": 0/1/bool (optional),
    "scores": {metric: float} (optional), "stratum": name (optional)}.
    Every record of a task must carry the same fields and metrics.  Strata
    are names; their order (the index stored) is stratum_names[task] when
    given, else the sorted names of the task -- the same in every variant
    evaluated on the same items, as qaudit requires.
    """
    groups: Dict[str, List[Mapping[str, Any]]] = {}
    for k, rec in enumerate(items):
        if "task" not in rec or "id" not in rec:
            raise CacheError(f"/eval: item {k} lacks 'task' or 'id'")
        groups.setdefault(rec["task"], []).append(rec)
    out: Dict[str, EvalTask] = {}
    for task, recs in groups.items():
        base = f"/eval/{task}"
        keys0 = (("correct" in recs[0]), ("stratum" in recs[0]), tuple(sorted(recs[0].get("scores", {}))))
        for i, r in enumerate(recs):
            keys = (("correct" in r), ("stratum" in r), tuple(sorted(r.get("scores", {}))))
            if keys != keys0:
                raise CacheError(f"{base}: item {i} (id {r['id']}) has fields {keys}, item 0 "
                                 f"has {keys0}; every item of a task needs the same fields")
        task_result = EvalTask(ids=np.array([r["id"] for r in recs], dtype=np.int64))
        if keys0[0]:
            task_result.correct = np.array([int(bool(r["correct"])) for r in recs], dtype=np.int8)
        task_result.scores = {m: np.array([r["scores"][m] for r in recs], dtype=np.float64)
                              for m in keys0[2]}
        if keys0[1]:
            given = (stratum_names or {}).get(task)
            names = list(given) if given is not None else sorted({str(r["stratum"]) for r in recs})
            index = {n: i for i, n in enumerate(names)}
            unknown = [r["stratum"] for r in recs if str(r["stratum"]) not in index]
            if unknown:
                raise CacheError(f"{base}/stratum: stratum {unknown[0]!r} is not among the "
                                 f"stratum names {names}")
            task_result.stratum = np.array([index[str(r["stratum"])] for r in recs], dtype=np.int32)
            task_result.stratum_names = names
        out[task] = task_result
    return out


# ---- torch helpers ----------------------------------------------------------

def _import_torch(caller: str):
    try:
        import torch   # noqa: PLC0415 - lazily: the array writers need no torch
    except ImportError as e:
        raise ImportError(f"qaudit_cache.{caller} needs PyTorch ({e}); install python3-torch "
                          "or `pip install torch`") from e
    return torch


def _first_tensor(output: Any, torch, where: str):
    """The tensor of a module's output: itself, .last_hidden_state / .logits,
    or the first element of a tuple (HF blocks return (hidden, ...))."""
    if isinstance(output, torch.Tensor):
        return output
    for attr in ("last_hidden_state", "logits"):
        t = getattr(output, attr, None)
        if isinstance(t, torch.Tensor):
            return t
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise CacheError(f"{where}: the output is a {type(output).__name__}, not a tensor or a "
                     "tuple starting with one; pass pool=callable(output, inputs)")


def _to_device(value: Any, device, torch):
    if device is None:
        return value
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, Mapping):
        return {k: _to_device(v, device, torch) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_to_device(v, device, torch) for v in value)
    return value


def _split_batch(batch: Any, label_key: str, id_key: str) -> Tuple[Any, Any, Any]:
    """(inputs, labels, ids) of one batch: a tensor (inputs only), a tuple
    (inputs, labels) or (inputs, labels, ids), or a mapping whose label_key
    and id_key entries are taken out and the rest passed as keyword arguments."""
    if isinstance(batch, Mapping):
        rest = dict(batch)
        labels, ids = rest.pop(label_key, None), rest.pop(id_key, None)
        return rest, labels, ids
    if isinstance(batch, (tuple, list)):
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch[0], batch[1], batch[2]
        raise CacheError(f"batch: a tuple of {len(batch)} items; expected (inputs, labels) or "
                         "(inputs, labels, ids)")
    return batch, None, None


def _call(model, inputs):
    return model(**inputs) if isinstance(inputs, Mapping) else model(inputs)


Pool = Union[str, Callable[[Any, Any], Any], Mapping[str, Union[str, Callable[[Any, Any], Any]]]]


def _pool(t, pool: Pool, inputs: Any, where: str, torch):
    """[B, D] states from a module's output: [B, D] outputs as they are,
    [B, L, D] ones pooled over positions ("mean", "first", "last"; the
    attention_mask of mapping inputs is honoured by "mean" and "last", right
    padding assumed), or by a callable; a mapping gives each layer its own."""
    if callable(pool):
        return pool(t, inputs)
    if isinstance(pool, Mapping):                  # one pool per layer name
        return _pool(t, pool.get(where[len("/hidden/"):], "none"), inputs, where, torch)
    if t.dim() == 2 and pool in ("none", "mean", "first", "last"):
        return t                                   # already [B, D] (a pooler, a classifier)
    if pool == "none":
        raise CacheError(f"{where}: the module's output has shape {list(t.shape)}, not "
                         "[B, D]; pass pool='mean', 'first', 'last' or a callable")
    if t.dim() != 3:
        raise CacheError(f"{where}: pool={pool!r} needs an output of [B, L, D], got {list(t.shape)}")
    mask = inputs.get("attention_mask") if isinstance(inputs, Mapping) else None
    if pool == "first":
        return t[:, 0]
    if pool == "last":
        if mask is None:
            return t[:, -1]
        last = mask.long().sum(dim=1).clamp(min=1) - 1
        return t[torch.arange(t.shape[0], device=t.device), last.to(t.device)]
    if pool == "mean":
        if mask is None:
            return t.mean(dim=1)
        m = mask.to(t.device, t.dtype).unsqueeze(-1)
        return (t * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)
    raise CacheError(f"{where}: unknown pool {pool!r}; expected 'none', 'mean', 'first', "
                     "'last' or a callable")


def _layer_map(model, layers: Union[Sequence[str], Mapping[str, str]]) -> Dict[str, str]:
    """{module name: cache layer name}, every module checked to exist."""
    if isinstance(layers, str):
        layers = [layers]
    mapping = dict(layers) if isinstance(layers, Mapping) else {m: m for m in layers}
    modules = dict(model.named_modules())
    for module, layer in mapping.items():
        if module not in modules:
            close = difflib.get_close_matches(module, list(modules), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise CacheError(f"/hidden/{layer}: the model has no module {module!r}{hint}")
        check_name(layer, "/hidden", "layer name", member=True)
    if len(set(mapping.values())) != len(mapping):
        raise CacheError("/hidden: two modules map to the same layer name")
    return mapping


def write_forward_cache(path: Union[str, os.PathLike], model, batches: Iterable[Any], *,
                        model_name: str, variant: str,
                        layers: Union[Sequence[str], Mapping[str, str]],
                        label_names: Optional[Sequence[str]] = None,
                        logits: Union[bool, Callable[[Any, Any], Any]] = True,
                        pool: Pool = "none", label_key: str = "labels", id_key: str = "ids",
                        device: Any = None, forward: Optional[Callable[[Any, Any], Any]] = None,
                        float_dtype: DTypeLike = np.float32, compression: Optional[str] = None,
                        **attrs: Any) -> CacheSummary:
    """A cache from a torch model's forward pass over batches, streamed.

    layers: module names (``model.named_modules()``) whose outputs are the
    hidden states, stored under the same names, or {module name: layer name}
    (e.g. {"encoder.layer.11": "layer_12", "pooler": "final"}).  Each is
    captured by a forward hook; the hooks are removed afterwards.
    batches: an iterable (e.g. a DataLoader) of tensors, (inputs, labels),
    (inputs, labels, ids) or mappings (HF style: label_key and id_key are
    taken out, the rest passed as model(**batch)).  ids default to the row
    index; labels are optional.
    logits: True takes the model's output (its ``.logits``, or its first
    element) as [B, C] logits; False writes none; a callable
    ``logits(output, inputs) -> [B, C]`` picks them.
    pool: how [B, L, D] module outputs become [B, D]: "none" (refuse
    them), "mean", "first", "last", callable(output, inputs), or
    {layer name: one of these}; [B, D] outputs are stored as they are.
    forward: callable(model, inputs) -> output, default model(inputs) /
    model(**inputs).  device: where inputs go (default: the model's).

    The model runs in eval mode under torch.no_grad() (its training flag is
    restored).  Each batch's states and logits are written before the next
    batch runs: memory holds one batch, whatever the data set's size.
    """
    torch = _import_torch("write_forward_cache")
    mapping = _layer_map(model, layers)
    modules = dict(model.named_modules())
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else None
    captured: Dict[str, Any] = {}

    def make_hook(name: str):
        def hook(module, args, output):
            if name in captured:
                raise CacheError(f"/hidden/{mapping[name]}: module {name!r} ran twice in one "
                                 "forward pass; hook a module that runs once per batch")
            captured[name] = _first_tensor(output, torch, f"/hidden/{mapping[name]}").detach()
        return hook

    handles = [modules[m].register_forward_hook(make_hook(m)) for m in mapping]
    was_training = model.training
    model.eval()
    try:
        with CacheWriter(path, model_name=model_name, variant=variant, float_dtype=float_dtype,
                         compression=compression, **attrs) as w, torch.no_grad():
            if label_names is not None:
                w.set_label_names(label_names)
            ids_given: Optional[bool] = None
            for b, batch in enumerate(batches):
                inputs, labels, ids = _split_batch(batch, label_key, id_key)
                inputs = _to_device(inputs, device, torch)
                captured.clear()
                out = forward(model, inputs) if forward is not None else _call(model, inputs)
                rows = None
                for module, layer in mapping.items():
                    where = f"/hidden/{layer}"
                    if module not in captured:
                        raise CacheError(f"{where}: module {module!r} did not run in batch {b}")
                    h = _pool(captured[module], pool, inputs, where, torch)
                    rows = _same_rows(rows, h.shape[0], where, b)
                    w.append_hidden(layer, h)
                if logits:
                    lg = logits(out, inputs) if callable(logits) else _first_tensor(
                        out, torch, "/outputs/logits")
                    if lg.dim() != 2:
                        raise CacheError(f"/outputs/logits: the model's output has shape "
                                         f"{list(lg.shape)}, not [B, C]; for per-position "
                                         "logits of a language model use write_token_cache, "
                                         "or pass logits=callable(output, inputs)")
                    rows = _same_rows(rows, lg.shape[0], "/outputs/logits", b)
                    w.append_logits(lg)
                if rows is None:
                    raise CacheError("write_forward_cache: no layers and logits=False; nothing to write")
                if labels is not None:
                    _same_rows(rows, len(labels), "/samples/label", b)
                if ids_given is not None and (ids is not None) != ids_given:
                    raise CacheError(f"/samples/id: batch {b} {'lacks' if ids is None else 'has'} "
                                     "ids, the batches before it "
                                     f"{'had' if ids_given else 'had none'}")
                ids_given = ids is not None
                if ids is not None:
                    _same_rows(rows, len(ids), "/samples/id", b)
                else:                                   # the row index, written explicitly
                    ids = np.arange(w.n_samples - rows, w.n_samples, dtype=np.int64)
                w.append_samples(ids=ids, labels=labels)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return w.summary


def _same_rows(rows: Optional[int], n: int, where: str, batch: int) -> int:
    if rows is not None and n != rows:
        raise CacheError(f"{where}: {n} rows in batch {batch}, the other outputs have {rows}")
    return n


def write_token_cache(path: Union[str, os.PathLike], model, docs: Iterable[ArrayLike], *,
                      model_name: str, variant: str, context: int = 1024,
                      doc_slices: Optional[Sequence[Union[int, str]]] = None,
                      slice_names: Optional[Sequence[str]] = None,
                      logits_dtype: DTypeLike = np.float16, device: Any = None,
                      forward: Optional[Callable[[Any, Any], Any]] = None,
                      compression: Optional[str] = None, **attrs: Any) -> CacheSummary:
    """A token cache (``/tokens``) from a causal LM's forward pass, streamed.

    docs: an iterable of 1-D token-id sequences (LongTensors, lists or
    arrays), one per document -- the same text and tokenizer for every
    variant.  Each document is cut into non-overlapping windows of
    ``context`` tokens; the targets are the inputs shifted by one, so every
    token but the document's first is predicted exactly once.  A document
    of one token contributes nothing.
    doc_slices: the slice of each document (index or name), with slice_names.
    logits_dtype: storage of /tokens/logits (float16 default; an overflow
    is refused).  forward: callable(model, input_ids [1, L]) -> output;
    default model(input_ids); the output's ``.logits`` (HF) or the output
    itself, [1, L, V], is used.

    Memory holds one window's logits; the file is chunked by whole rows,
    as qaudit reads it fastest (docs/cache-format.md).
    """
    torch = _import_torch("write_token_cache")
    if not isinstance(context, int) or context < 1:
        raise CacheError(f"context {context!r}: must be a positive integer")
    if (doc_slices is None) != (slice_names is None):
        missing = "slice_names" if slice_names is None else "doc_slices"
        raise CacheError(f"/tokens/slice: {missing} is required with "
                         f"{'doc_slices' if missing == 'slice_names' else 'slice_names'}")
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else None
    was_training = model.training
    model.eval()
    stream: Optional[TokenStream] = None
    try:
        with CacheWriter(path, model_name=model_name, variant=variant, **attrs) as w, \
                torch.no_grad():
            for d, doc in enumerate(docs):
                ids = torch.as_tensor(_as_numpy(doc, f"/tokens/doc: document {d}")
                                      if not isinstance(doc, torch.Tensor) else doc)
                if ids.dim() != 1 or ids.is_floating_point():
                    raise CacheError(f"/tokens/target: document {d} has shape {list(ids.shape)} "
                                     f"and dtype {ids.dtype}; expected 1-D token ids")
                if ids.numel() and int(ids.min()) < 0:
                    raise CacheError(f"/tokens/target: document {d} holds token {int(ids.min())} "
                                     f"at index {int(ids.argmin())}; token ids are >= 0")
                if stream is not None and ids.numel() and int(ids.max()) >= stream.vocab:
                    raise CacheError(f"/tokens/target: document {d} holds token {int(ids.max())} "
                                     f"at index {int(ids.argmax())}, outside the vocabulary "
                                     f"[0, {stream.vocab})")
                sl = None
                if doc_slices is not None:
                    if d >= len(doc_slices):
                        raise CacheError(f"/tokens/slice: no slice for document {d} "
                                         f"({len(doc_slices)} doc_slices)")
                    sl = doc_slices[d]
                for s in range(0, ids.shape[0] - 1, context):
                    window = ids[s:s + context + 1].long()
                    inputs = window[:-1].unsqueeze(0).to(device) if device is not None \
                        else window[:-1].unsqueeze(0)
                    out = forward(model, inputs) if forward is not None else model(inputs)
                    lg = _first_tensor(out, torch, "/tokens/logits")
                    if lg.dim() == 3:
                        lg = lg[0]
                    if lg.dim() != 2 or lg.shape[0] != window.shape[0] - 1:
                        raise CacheError(f"/tokens/logits: the model returned shape "
                                         f"{list(lg.shape)} for a window of "
                                         f"{window.shape[0] - 1} tokens; expected [1, L, V]")
                    if stream is None:
                        stream = w.tokens(lg.shape[-1], dtype=logits_dtype,
                                          slice_names=slice_names, compression=compression)
                    stream.append(lg, window[1:], doc=d, slice=sl)
            if stream is None:
                raise CacheError("/tokens/logits: no document had two tokens; nothing to write")
    finally:
        model.train(was_training)
    return w.summary

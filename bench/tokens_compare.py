#!/usr/bin/python3
"""Compares qaudit's token-level numbers (report.json,
models[].variants[].tokens and the `tokens` adjacent tests) with
bench/tokens_numpy.py's, for `make bench` section 4.

usage: tokens_compare.py REPORT.json NUMPY_OUTPUT.txt
Every number the NumPy script computes is compared: relative difference
|a - b| / max(|a|, |b|) (0 when both are 0); a null on one side only is a
mismatch.  Prints `max_rel_diff <x> <key>`, the five largest, and
`mismatches <n>` (keys missing or null on one side); exit 0 always (the
benchmark reports, it does not judge)."""
import json, math, sys

rep = json.load(open(sys.argv[1]))
txt = open(sys.argv[2]).read()
ref = json.loads(txt[txt.index("{"):txt.rindex("}") + 1])

model = [m for m in rep["models"] if m["name"] == ref["model"]][0]
got = {v["name"]: v.get("tokens") for v in model["variants"]}
diffs, missing = [], []


def cmp(path, a, b):
    """a: NumPy's value, b: qaudit's."""
    if isinstance(a, dict):
        if not isinstance(b, dict):
            missing.append(path)
            return
        for k, v in a.items():
            cmp(path + "." + k, v, b.get(k, "<missing>"))
        return
    if isinstance(a, list):
        if not isinstance(b, list):
            missing.append(path)
            return
        if a and isinstance(a[0], dict) and "slice" in a[0]:
            bm = {x.get("slice"): x for x in b}
            for x in a:
                cmp("%s[%s]" % (path, x["slice"]), x, bm.get(x["slice"], "<missing>"))
            return
        for i, (x, y) in enumerate(zip(a, b)):
            cmp("%s[%d]" % (path, i), x, y)
        return
    if isinstance(a, str):
        if a != b:
            missing.append(path)
        return
    if a is None and b is None:
        return
    if a is None or b is None or b == "<missing>" or not isinstance(b, (int, float)):
        missing.append("%s (numpy %r, qaudit %r)" % (path, a, b))
        return
    a, b = float(a), float(b)
    m = max(abs(a), abs(b))
    diffs.append(((abs(a - b) / m) if m > 0 else 0.0, abs(a - b), path, a, b))


for name, tok in ref["variants"].items():
    if got.get(name) is None:
        missing.append("%s.tokens" % name)
        continue
    cmp(name, tok, got[name])

adj = {(t["higher"], t["lower"]): t for t in rep.get("adjacent_tests", [])
       if t.get("family") == "tokens" and t.get("model") == ref["model"]}
for t in ref.get("adjacent", []):
    q = adj.get((t["higher"], t["lower"]))
    if q is None:
        missing.append("adjacent %s>%s" % (t["higher"], t["lower"]))
        continue
    for k in ("n", "mean_higher", "mean_lower", "d", "p"):
        cmp("adjacent[%s>%s].%s" % (t["higher"], t["lower"], k), t[k], q.get(k))

diffs.sort(reverse=True)
print("compared %d numbers" % len(diffs))
if diffs:
    r, a, p, x, y = diffs[0]
    print("max_rel_diff %.3g %s" % (r, p))
    for r, a, p, x, y in diffs[:5]:
        print("  %-40s rel %.3g  abs %.3g  numpy %.17g  qaudit %.17g" % (p, r, a, x, y))
print("mismatches %d" % len(missing))
for m in missing[:20]:
    print("  " + m)

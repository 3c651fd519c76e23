#!/usr/bin/env python3
"""Runs `dsv4 logits` on every test model of ../shared/testdata in three modes (one batch,
token by token, chunks) and prints max abs and rel L2 against the reference logits.
Usage: scripts/compare-logits.py [path/to/dsv4] [testdata dir]. No dependencies."""
import array
import math
import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
dsv4 = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "bin", "dsv4")
models = os.path.join(sys.argv[2] if len(sys.argv) > 2 else
                      os.environ.get("DSV4_TESTDATA", os.path.join(root, "..", "shared", "testdata")), "models")
cases = [("ds2lite-tiny-f32", "ds2lite-tiny-f32.logits.f32"),
         ("ds2lite-tiny-kvb-f32", "ds2lite-tiny-f32.logits.f32"),  # legacy layout vs its split twin
         ("ds3-tiny-f32", "ds3-tiny-f32.logits.f32"),
         ("ds3-tiny-yarn-f32", "ds3-tiny-yarn-f32.logits.f32"),
         ("ds3-tiny-q4_k", "ds3-tiny-q4_k.ref.logits.f32"),  # exact path vs the float64 reference
         ("dsv4-tiny-f32", "dsv4-tiny-f32.logits.f32"),
         ("dsv4-tiny-b-mxfp4", "dsv4-tiny-b-mxfp4.ref.logits.f32")]

def floats(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "logits.f32")
    for model, ref_name in cases:
        ref = floats(os.path.join(models, ref_name))
        chunk = "7" if model.startswith("dsv4") else "5"  # V4: chunks straddle windows and blocks
        for mode, extra in (("batch", []), ("token-by-token", ["--chunk", "1"]), ("chunks-of-" + chunk, ["--chunk", chunk])):
            subprocess.run([dsv4, "logits", "--model", os.path.join(models, model + ".gguf"),
                            "--tokens", "@" + os.path.join(models, model + ".tokens"), "--out", out] + extra,
                           check=True, capture_output=True)
            got = floats(out)
            assert len(got) == len(ref), (model, len(got), len(ref))
            max_abs = max(abs(a - b) for a, b in zip(got, ref))
            rel = math.sqrt(sum((a - b) ** 2 for a, b in zip(got, ref)) / sum(b * b for b in ref))
            print(f"{model:22s} {mode:16s} max_abs {max_abs:.3g}  rel_l2 {rel:.3g}", flush=True)

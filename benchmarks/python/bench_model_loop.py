#!/usr/bin/env python3
"""encode_with_model's own cost per token at V = 32,000 (the model excluded), median of 5.

The model returns precomputed rows (a NumPy array or a torch tensor), so it costs almost
nothing; its own cost (the same next_logits/update calls from a Python loop) is measured too
and subtracted. For where the time goes, the same rows are coded as a precomputed matrix
(codelength.encode: the row kernel for the ideal bits + the quantizer + the range coder + the
logits fingerprint, no Python calls), scored (codelength.score: the row kernel alone) and
decoded (no ideal bits: the quantizer's search), and V = 2 isolates the per-call cost.

    PYTHONPATH=build/python python3 benchmarks/python/bench_model_loop.py [--tokens 1000]
"""

import argparse
import platform
import statistics
import subprocess
import time

import numpy as np
import torch

import codelength

V = 32000


class ReplayModel:
    """Returns row i % len(rows) of a precomputed table: a model that costs ~nothing."""

    def __init__(self, rows):
        self.rows = rows
        self.vocabulary_size = rows.shape[1]
        self.i = 0

    def next_logits(self):
        return self.rows[self.i % len(self.rows)]

    def update(self, token):
        self.i += 1


def median_seconds(function, repeats=5):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def python_loop(model, tokens):
    for token in tokens:
        model.next_logits()
        model.update(token)


def cpu_name():
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--distinct-rows", type=int, default=64)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = (3 * rng.standard_normal((args.distinct_rows, V))).astype(np.float32)
    tokens = rng.integers(0, V, size=args.tokens, dtype=np.int64)
    n = args.tokens
    print(f"CPU: {cpu_name()}; V = {V}, {n} tokens, median of 5 (microseconds per token)")

    results = {}
    for name, table in (("numpy rows", rows), ("torch rows", torch.from_numpy(rows))):
        results[f"encode_with_model, {name}"] = median_seconds(
            lambda: codelength.encode_with_model(ReplayModel(table), tokens))
        results[f"  the model alone (Python loop), {name}"] = median_seconds(
            lambda: python_loop(ReplayModel(table), tokens))
    tiny = rows[:, :2].copy()  # V = 2: what is left is the cost of the calls and the row borrowing
    results["encode_with_model, numpy rows, V = 2 (per-call cost)"] = median_seconds(
        lambda: codelength.encode_with_model(ReplayModel(tiny), tokens % 2))
    results["encode_with_model, torch rows, V = 2 (per-call cost)"] = median_seconds(
        lambda: codelength.encode_with_model(ReplayModel(torch.from_numpy(tiny)), tokens % 2))
    data = codelength.encode_with_model(ReplayModel(rows), tokens).data
    results["decode_with_model, numpy rows"] = median_seconds(
        lambda: codelength.decode_with_model(ReplayModel(rows), data))
    matrix = rows[np.arange(n) % len(rows)]
    results["encode(precomputed matrix): no Python calls"] = median_seconds(lambda: codelength.encode(matrix, tokens))
    results["score(precomputed matrix): row kernel only"] = median_seconds(lambda: codelength.score(matrix, tokens))

    for name, seconds in results.items():
        print(f"{name:<52} {1e6 * seconds / n:8.2f}")
    for kind in ("numpy rows", "torch rows"):
        own = results[f"encode_with_model, {kind}"] - results[f"  the model alone (Python loop), {kind}"]
        print(f"{'encode_with_model own cost, ' + kind:<52} {1e6 * own / n:8.2f}   (target <= 30)")


if __name__ == "__main__":
    main()

"""`codelength score` end to end: NumPy writes the inputs, an independent NumPy (float64)
implementation of every reported metric checks the output, and each failure mode must exit
non-zero with a message that names the problem and leave no output file behind."""
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np

from cli_check import check, failures

CLI = sys.argv[1]
WORK = sys.argv[2]
SEED = 20261128


def run(*args):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)


def save(name, array):
    path = os.path.join(WORK, name)
    np.save(path, array)
    return path


def reference(logits, targets, token_bytes=None, k=20.0):
    """Float64 reference of every metric, written independently of the library."""
    z = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    t = targets.reshape(-1)
    keep = t >= 0
    z, t = z[keep], t[keep]
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    logp = z - lse[:, None]
    p = np.exp(logp)
    token_logp = logp[np.arange(len(t)), t]
    surprisal_bits = -token_logp / math.log(2)
    entropy = -(p * logp).sum(axis=1)
    variance = (p * logp * logp).sum(axis=1) - entropy ** 2
    zscore = (token_logp + entropy) / np.sqrt(variance)
    count = max(1, int(len(t) * (k / 100.0)))
    out = {
        "tokens": int(len(t)),
        "ignored_tokens": int((~keep).sum()),
        "total_bits": float(surprisal_bits.sum()),
        "bits_per_token": float(surprisal_bits.mean()),
        "token_perplexity": float(2 ** surprisal_bits.mean()),
        "mean_entropy_bits": float(entropy.mean() / math.log(2)),
        "min_k_percent": float(np.sort(token_logp)[:count].mean()),
        "min_k_plus_plus": float(np.sort(zscore)[:count].mean()),
    }
    if token_bytes is not None:
        total_bytes = int(token_bytes.reshape(-1)[keep].sum())
        out["bytes"] = total_bytes
        out["bits_per_byte"] = float(surprisal_bits.sum() / total_bytes)
    per_token = np.full(targets.size, np.nan)
    per_token[np.flatnonzero(keep)] = surprisal_bits
    return out, per_token.reshape(targets.shape)


def close(got, want, relative, absolute=0.0):
    return abs(got - want) <= absolute + relative * abs(want)


def compare(report, want, label, surprisal_tolerance_bits):
    tokens = want["tokens"]
    check(report["tokens"] == tokens, f"{label}: tokens {report['tokens']} != {tokens}")
    check(report["ignored_tokens"] == want["ignored_tokens"], f"{label}: ignored_tokens")
    check(close(report["total_bits"], want["total_bits"], 0, surprisal_tolerance_bits * tokens),
          f"{label}: total_bits {report['total_bits']} vs {want['total_bits']}")
    check(close(report["bits_per_token"], want["bits_per_token"], 0, surprisal_tolerance_bits),
          f"{label}: bits_per_token")
    check(close(report["token_perplexity"], want["token_perplexity"], 1e-6), f"{label}: token_perplexity")
    check(close(report["mean_entropy_bits"], want["mean_entropy_bits"], 1e-6), f"{label}: mean_entropy_bits")
    check(close(report["min_k_percent"], want["min_k_percent"], 1e-6, 1e-6),
          f"{label}: min_k_percent {report['min_k_percent']} vs {want['min_k_percent']}")
    check(close(report["min_k_plus_plus"], want["min_k_plus_plus"], 1e-4, 1e-4),
          f"{label}: min_k_plus_plus {report['min_k_plus_plus']} vs {want['min_k_plus_plus']}")
    for key in ("bytes", "bits_per_byte"):
        if key in want:
            check(key in report and close(report[key], want[key], 1e-6), f"{label}: {key}")


def to_bf16_words(values):
    """Round-to-nearest-even float32 -> bfloat16 words (uint16)."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_to_float(words):
    return (words.astype(np.uint32) << 16).view(np.float32)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    rng = np.random.default_rng(SEED)
    print("seed", SEED)
    T, V = 300, 1000
    logits32 = (rng.standard_normal((T, V)) * 3).astype(np.float32)
    targets = rng.integers(0, V, T).astype(np.int64)
    targets[::17] = -100
    token_bytes = rng.integers(1, 6, T).astype(np.int32)
    targets_path = save("targets.npy", targets)
    bytes_path = save("bytes.npy", token_bytes)

    # Every dtype, against the reference on the values as stored.
    cases = {
        "float32": (logits32, logits32, 1e-6),
        "float64": (logits32.astype(np.float64) / 3, logits32.astype(np.float64) / 3, 1e-9),
        "float16": (logits32.astype(np.float16), logits32.astype(np.float16), 1e-6),
        "bfloat16": (to_bf16_words(logits32), bf16_to_float(to_bf16_words(logits32)), 1e-6),
    }
    for label, (stored, as_float, tolerance) in cases.items():
        path = save(f"logits_{label}.npy", stored)
        result = run("score", "--logits", path, "--targets", targets_path, "--bytes", bytes_path, "--json")
        check(result.returncode == 0, f"{label}: exit {result.returncode}: {result.stderr}")
        if result.returncode == 0:
            want, _ = reference(as_float, targets, token_bytes)
            compare(json.loads(result.stdout), want, label, tolerance)

    # (B, T, V) logits with (B, T) targets, two threads, another k, per-token output.
    batched = logits32.reshape(3, 100, V)
    batched_path = save("batched.npy", batched)
    batched_targets_path = save("batched_targets.npy", targets.reshape(3, 100))
    per_token_path = os.path.join(WORK, "per_token.npy")
    result = run("score", "--logits", batched_path, "--targets", batched_targets_path, "--threads", 2,
                 "--k", 5, "--per-token", per_token_path, "--json")
    check(result.returncode == 0, f"batched: exit {result.returncode}: {result.stderr}")
    if result.returncode == 0:
        want, per_token = reference(batched, targets.reshape(3, 100), k=5.0)
        compare(json.loads(result.stdout), want, "batched", 1e-6)
        got = np.load(per_token_path)
        check(got.shape == (3, 100) and got.dtype == np.float64, "per-token: shape and dtype")
        check(np.array_equal(np.isnan(got), np.isnan(per_token)), "per-token: NaN exactly at ignored targets")
        check(np.nanmax(np.abs(got - per_token)) < 1e-6, "per-token: surprisal within 1e-6 bits")

    # Fortran-order logits are read in place with the same results.
    fortran_path = save("fortran.npy", np.asfortranarray(logits32))
    result = run("score", "--logits", fortran_path, "--targets", targets_path, "--json")
    check(result.returncode == 0, f"fortran: exit {result.returncode}: {result.stderr}")
    if result.returncode == 0:
        compare(json.loads(result.stdout), reference(logits32, targets)[0], "fortran", 1e-6)

    # Log-probabilities: accepted when normalized, refused with the row named when not.
    logp = logits32.astype(np.float64)
    logp = (logp - (logp.max(1, keepdims=True) + np.log(np.exp(logp - logp.max(1, keepdims=True)).sum(1, keepdims=True))))
    logp_path = save("logprobs.npy", logp.astype(np.float32))
    result = run("score", "--logits", logp_path, "--targets", targets_path, "--logprobs", "--json")
    check(result.returncode == 0, f"logprobs: exit {result.returncode}: {result.stderr}")
    result = run("score", "--logits", save("not_logprobs.npy", logits32), "--targets", targets_path, "--logprobs")
    check(result.returncode == 1 and "row 1" in result.stderr and "log-probabilities" in result.stderr,
          f"unnormalized --logprobs: exit {result.returncode}, stderr {result.stderr!r}")

    # The human-readable table.
    result = run("score", "--logits", cases_path("float32"), "--targets", targets_path)
    check(result.returncode == 0 and "bits_per_token" in result.stdout and "min_k_plus_plus" in result.stdout,
          f"table output: {result.stdout!r} {result.stderr!r}")

    # Failures: exit status, a message naming the problem, and no output file left behind.
    bad = logits32.copy()
    bad[41, 7] = np.nan
    expect_failure("NaN logit", 1, ["row 41", "column 7", "NaN"],
                   "--logits", save("nan.npy", bad), "--targets", targets_path)
    bad = logits32.copy()
    bad[42, :] = -np.inf
    expect_failure("all -inf row", 1, ["row 42", "-inf"], "--logits", save("neginf.npy", bad),
                   "--targets", targets_path)
    out_of_range = targets.copy()
    out_of_range[5] = V
    expect_failure("target out of range", 1, ["row 5", f"target {V}"],
                   "--logits", cases_path("float32"), "--targets", save("oor.npy", out_of_range))
    expect_failure("shape mismatch", 1, ["shape"], "--logits", cases_path("float32"),
                   "--targets", save("short.npy", targets[:-1]))
    with open(cases_path("float32"), "rb") as source:
        data = source.read()
    truncated = os.path.join(WORK, "truncated.npy")
    with open(truncated, "wb") as sink:
        sink.write(data[:-10])
    expect_failure("truncated file", 1, ["truncated.npy"], "--logits", truncated, "--targets", targets_path)
    expect_failure("missing file", 1, ["nope.npy"], "--logits", os.path.join(WORK, "nope.npy"),
                   "--targets", targets_path)
    expect_failure("float targets", 1, ["targets"], "--logits", cases_path("float32"),
                   "--targets", save("float_targets.npy", targets.astype(np.float32)))
    negative_bytes = token_bytes.copy()
    negative_bytes[3] = -1
    expect_failure("negative byte count", 1, ["element 3"], "--logits", cases_path("float32"),
                   "--targets", targets_path, "--bytes", save("negative_bytes.npy", negative_bytes))
    expect_failure("k out of range", 2, ["--k"], "--logits", cases_path("float32"), "--targets", targets_path,
                   "--k", 0)
    expect_failure("unknown option", 2, ["--frobnicate"], "--logits", cases_path("float32"),
                   "--targets", targets_path, "--frobnicate")
    expect_failure("missing --targets", 2, ["--targets"], "--logits", cases_path("float32"))

    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all CLI checks passed")


def cases_path(label):
    return os.path.join(WORK, f"logits_{label}.npy")


def expect_failure(label, status, needles, *args):
    per_token = os.path.join(WORK, f"per_token_{label.replace(' ', '_')}.npy")
    result = run("score", *args, "--per-token", per_token) if status == 1 else run("score", *args)
    check(result.returncode == status, f"{label}: exit {result.returncode}, expected {status}: {result.stderr!r}")
    for needle in needles:
        check(needle in result.stderr, f"{label}: stderr {result.stderr!r} does not mention {needle!r}")
    check(not os.path.exists(per_token), f"{label}: left {per_token} behind")
    leftovers = [name for name in os.listdir(WORK) if name.startswith("per_token_") or ".tmp" in name]
    check(not leftovers, f"{label}: temporary files left: {leftovers}")


if __name__ == "__main__":
    main()

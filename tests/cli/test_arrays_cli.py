"""How the command-line tool reads arrays: every array (logits of any rank, targets, token byte
counts) gives the same results in C and in Fortran order, `encode --verify` then `decode`
round-trips Fortran-order targets, bfloat16 logits arrive as uint16 or int16 words (torch's
`t.view(torch.int16).numpy()`) and are reported as "bfloat16", and errors name the file and,
for (B, T, V) inputs, the batch and position, never an internal function."""
import json
import math
import os
import subprocess
import sys

import numpy as np

from cli_check import check, failures

CLI = sys.argv[1]
WORK = sys.argv[2]
SEED = 20261206
B, T, V = 3, 7, 50


def path(name):
    """The scratch file `name` under WORK."""
    return os.path.join(WORK, name)


def save(name, array):
    """np.save()s the array as the scratch file `name` (its order kept) and returns the path."""
    target = path(name)
    np.save(target, array)
    return target


def run(*args):
    """Runs the tool with args (converted to str) and returns its CompletedProcess."""
    return subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)


def json_of(label, *args):
    result = run(*args, "--json")
    check(result.returncode == 0, f"{label}: exit {result.returncode}: {result.stderr.strip()}")
    return json.loads(result.stdout) if result.returncode == 0 else {}


def reference_bits(logits, targets):
    """Sum of -log2 softmax(logits)[target] in float64, row by row in index order."""
    z = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    t = np.ascontiguousarray(targets).reshape(-1)
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(((lse - z[np.arange(len(t)), t]) / math.log(2)).sum())


def close(a, b):
    """Within the row kernel's bound (1e-6 bits per token, float32 arithmetic) over B * T tokens."""
    return abs(a - b) <= 2e-6 * B * T


def to_bf16_words(values):
    """Round-to-nearest-even float32 -> bfloat16 words (uint16), as torch rounds."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def main():
    os.makedirs(WORK, exist_ok=True)
    rng = np.random.default_rng(SEED)
    logits = (rng.standard_normal((B, T, V)) * 3).astype(np.float32)
    targets = rng.integers(0, V, size=(B, T)).astype(np.int64)
    token_bytes = rng.integers(1, 5, size=(B, T)).astype(np.int32)
    want_bits = reference_bits(logits, targets)

    logits_c = save("logits_c.npy", logits)
    logits_f = save("logits_f.npy", np.asfortranarray(logits))
    targets_c = save("targets_c.npy", targets)
    targets_f = save("targets_f.npy", np.asfortranarray(targets))
    bytes_c = save("bytes_c.npy", token_bytes)
    bytes_f = save("bytes_f.npy", np.asfortranarray(token_bytes))
    check(np.load(logits_f).flags.f_contiguous and np.load(targets_f).flags.f_contiguous,
          "the fixtures really are in Fortran order")

    # score: every combination of orders gives the same bits, and the reference's.
    totals = set()
    for lname, lpath in (("C", logits_c), ("F", logits_f)):
        for tname, tpath in (("C", targets_c), ("F", targets_f)):
            for bname, bpath in (("C", bytes_c), ("F", bytes_f)):
                label = f"score logits {lname}, targets {tname}, bytes {bname}"
                report = json_of(label, "score", "--logits", lpath, "--targets", tpath, "--bytes", bpath)
                check(close(report.get("total_bits", math.nan), want_bits),
                      f"{label}: total_bits {report.get('total_bits')} != reference {want_bits}")
                check(report.get("bytes") == int(token_bytes.sum()), f"{label}: bytes {report.get('bytes')}")
                check(report.get("tokens") == B * T, f"{label}: tokens {report.get('tokens')}")
                totals.add((report.get("total_bits"), report.get("bits_per_byte")))
    check(len(totals) == 1, f"score: C and Fortran order give different results {totals}")

    # 2-D (T, V) logits in Fortran order with 1-D targets.
    flat_logits = logits.reshape(B * T, V)
    flat_targets = targets.reshape(-1)
    report = json_of("score 2-D F", "score", "--logits", save("flat_f.npy", np.asfortranarray(flat_logits)),
                     "--targets", save("flat_targets.npy", flat_targets))
    check(close(report.get("total_bits", math.nan), want_bits), f"score 2-D F: {report.get('total_bits')}")

    # --per-token holds (B, T) surprisals at their (batch, position), whatever the targets' order.
    per_token = path("per_token.npy")
    result = run("score", "--logits", logits_f, "--targets", targets_f, "--per-token", per_token, "--force")
    check(result.returncode == 0, f"score --per-token: {result.stderr.strip()}")
    if result.returncode == 0:
        got = np.load(per_token)
        z = logits.astype(np.float64)
        lse = z.max(axis=2) + np.log(np.exp(z - z.max(axis=2, keepdims=True)).sum(axis=2))
        want = (lse - np.take_along_axis(z, targets[..., None], axis=2)[..., 0]) / math.log(2)
        check(got.shape == (B, T) and np.allclose(got, want, rtol=0, atol=2e-6),
              "score --per-token: surprisal at each (batch, position)")

    # encode --verify then decode: Fortran-order targets (and logits) round-trip to equal arrays.
    sizes = {}
    for lname, lpath in (("C", logits_c), ("F", logits_f)):
        for tname, tpath in (("C", targets_c), ("F", targets_f)):
            label = f"encode logits {lname}, targets {tname}"
            stream = path(f"stream_{lname}{tname}.clen")
            report = json_of(label, "encode", "--logits", lpath, "--targets", tpath, "-o", stream, "--verify",
                             "--force")
            check(close(report.get("ideal_bits", math.nan), want_bits),
                  f"{label}: ideal_bits {report.get('ideal_bits')} != reference {want_bits}")
            if not os.path.exists(stream):
                continue
            with open(stream, "rb") as f:
                sizes[label] = f.read()
            # Decoded with the logits in the other order: the same model, so the same targets.
            for dname, dpath in (("C", logits_c), ("F", logits_f)):
                out = path(f"decoded_{lname}{tname}{dname}.npy")
                result = run("decode", "--logits", dpath, "-i", stream, "-o", out, "--force")
                check(result.returncode == 0, f"{label}, decode with {dname}: {result.stderr.strip()}")
                if result.returncode == 0:
                    decoded = np.load(out)
                    check(decoded.shape == targets.shape and np.array_equal(decoded, targets),
                          f"{label}, decode with {dname}: decoded {decoded.tolist()} != {targets.tolist()}")
    check(len(set(sizes.values())) == 1, "encode: the stream does not depend on the arrays' orders")

    # memorization: (B, T) targets and byte counts in either order give the same report.
    text = bytes(rng.integers(97, 123, size=int(token_bytes.sum())).astype(np.uint8))
    text_path = path("text.txt")
    with open(text_path, "wb") as f:
        f.write(text)
    offsets = save("offsets.npy", np.array([0, 9, 15], dtype=np.int64))
    memorization = {}
    for name, (lpath, tpath, bpath) in {"C": (logits_c, targets_c, bytes_c),
                                        "F": (logits_f, targets_f, bytes_f)}.items():
        memorization[name] = json_of(f"memorization {name}", "memorization", "--logits", lpath, "--targets",
                                     tpath, "--token-bytes", bpath, "--doc-offsets", offsets, "--text",
                                     text_path, "--resamples", 10)
    check(memorization["C"] == memorization["F"] and memorization["C"],
          "memorization: C and Fortran order give the same report")
    # Each document's bits are those of its targets in (batch, position) order.
    flat_logits, flat_targets = logits.reshape(B * T, V), targets.reshape(-1)
    bounds = [0, 9, 15, B * T]
    documents = memorization["F"].get("documents", [])
    check(len(documents) == 3, f"memorization: {len(documents)} documents")
    for d, (begin, end) in zip(documents, zip(bounds, bounds[1:])):
        want = reference_bits(flat_logits[begin:end], flat_targets[begin:end])
        check(close(d.get("model_bits", math.nan), want),
              f"memorization F: document {d.get('document')} has {d.get('model_bits')} bits, want {want}")

    # bfloat16: uint16 words and the int16 words torch gives (t.view(torch.int16).numpy()) are
    # the same logits, reported as "bfloat16".
    words = to_bf16_words(logits)
    as_float = (words.astype(np.uint32) << 16).view(np.float32)
    want_bf16 = reference_bits(as_float, targets)
    u2 = save("bf16_u2.npy", words)
    i2 = save("bf16_i2.npy", words.view(np.int16))
    check(np.load(i2).dtype == np.dtype("<i2"), "the int16 fixture is <i2")
    i2_f = save("bf16_i2_f.npy", np.asfortranarray(words.view(np.int16)))
    for name, lpath in (("u2", u2), ("i2", i2), ("i2 F", i2_f)):
        report = json_of(f"score bfloat16 {name}", "score", "--logits", lpath, "--targets", targets_c)
        check(report.get("dtype") == "bfloat16", f"score bfloat16 {name}: dtype {report.get('dtype')}")
        check(close(report.get("total_bits", math.nan), want_bf16),
              f"score bfloat16 {name}: {report.get('total_bits')} != {want_bf16}")
        report = json_of(f"encode bfloat16 {name}", "encode", "--logits", lpath, "--targets", targets_f, "-o",
                         path("bf16.clen"), "--verify", "--force")
        check(report.get("dtype") == "bfloat16", f"encode bfloat16 {name}: dtype {report.get('dtype')}")
    report = json_of("score float32 dtype", "score", "--logits", logits_c, "--targets", targets_c)
    check(report.get("dtype") == "float32", f"score float32: dtype {report.get('dtype')}")

    # Errors name the file and, for (B, T, V), the batch and position; never a function.
    def expect_failure(label, needles, *args):
        result = run(*args)
        check(result.returncode == 1, f"{label}: exit {result.returncode}, want 1 ({result.stderr.strip()})")
        for needle in needles:
            check(needle in result.stderr, f"{label}: {result.stderr.strip()!r} lacks {needle!r}")
        for internal in ("to_int64", "matrix()", "values<", "()"):
            check(internal not in result.stderr, f"{label}: {result.stderr.strip()!r} names {internal!r}")

    bad = logits.copy()
    bad[1, 4, 9] = np.nan  # flattened row 11
    for order, array in (("C", bad), ("F", np.asfortranarray(bad))):
        bad_path = save(f"nan_{order}.npy", array)
        for command in (("score",), ("encode", "-o", path("never.clen"))):
            expect_failure(f"{command[0]} NaN, {order}", [f"nan_{order}.npy", "batch 1, position 4", "NaN"],
                           *command, "--logits", bad_path, "--targets", targets_c)
            check("row 11" not in run(*command, "--logits", bad_path, "--targets", targets_c).stderr,
                  f"{command[0]} NaN {order}: names the flattened row")
    out_of_range = targets.copy()
    out_of_range[2, 5] = V + 3
    oor_path = save("oor_f.npy", np.asfortranarray(out_of_range))
    for command in (("score",), ("encode", "-o", path("never.clen"))):
        expect_failure(f"{command[0]} target out of range",
                       ["oor_f.npy", "batch 2, position 5", f"target {V + 3}"],
                       *command, "--logits", logits_c, "--targets", oor_path)
    negative = targets.copy()
    negative[0, 6] = -100
    expect_failure("encode negative target", ["negative.npy", "batch 0, position 6", "negative"], "encode",
                   "--logits", logits_c, "--targets", save("negative.npy", np.asfortranarray(negative)), "-o",
                   path("never.clen"))
    bad_bytes = token_bytes.copy()
    bad_bytes[1, 2] = -1
    expect_failure("score negative byte count", ["bad_bytes.npy", "batch 1, position 2"], "score", "--logits",
                   logits_c, "--targets", targets_c, "--bytes",
                   save("bad_bytes.npy", np.asfortranarray(bad_bytes)))
    expect_failure("float targets", ["float_targets.npy", "float32"], "score", "--logits", logits_c,
                   "--targets", save("float_targets.npy", targets.astype(np.float32)))
    check(not os.path.exists(path("never.clen")), "failed encodes leave no stream behind")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all array checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`codelength encode` / `codelength decode` end to end: NumPy writes logits and targets, the
stream must decode to exactly the targets (int64, same shape), the JSON ledger must add up to
the file's size exactly, and every damaged, foreign or mismatched input must exit non-zero
with a message and leave no output file behind."""
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
SEED = 20261129
HEADER_BYTES = 52


def run(*args):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)


def path(name):
    return os.path.join(WORK, name)


def save(name, array):
    np.save(path(name), array)
    return path(name)


def to_bf16_words(values):
    """Round-to-nearest-even float32 -> bfloat16 words (uint16)."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_to_float(words):
    return (words.astype(np.uint32) << 16).view(np.float32)


def sample_targets(rng, logits):
    """Targets drawn from each row's softmax (typical tokens for the model)."""
    z = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random(len(p))
    targets = np.minimum((p.cumsum(axis=1) < u[:, None]).sum(axis=1), logits.shape[-1] - 1)
    return targets.reshape(logits.shape[:-1]).astype(np.int64)


def ideal_bits(logits_as_float, targets):
    z = logits_as_float.reshape(-1, logits_as_float.shape[-1]).astype(np.float64)
    t = targets.reshape(-1)
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(((lse - z[np.arange(len(t)), t]) / math.log(2)).sum())


def leftovers():
    return [name for name in os.listdir(WORK) if ".tmp" in name]


def check_ledger(report, stream_path, tokens, label):
    size = os.path.getsize(stream_path)
    check(report["tokens"] == tokens, f"{label}: tokens {report['tokens']} != {tokens}")
    check(report["total_bytes"] == size, f"{label}: total_bytes {report['total_bytes']} != file size {size}")
    check(report["header_bits"] == 8 * HEADER_BYTES, f"{label}: header_bits {report['header_bits']}")
    check(report["header_bits"] + report["coded_bits"] == 8 * size,
          f"{label}: header_bits + coded_bits != 8 * file size")
    # The same left-to-right double additions as the library: exact.
    check((report["quantized_bits"] + report["escape_bits"]) + report["coder_overhead_bits"] == report["coded_bits"],
          f"{label}: quantized + escape + overhead = "
          f"{(report['quantized_bits'] + report['escape_bits']) + report['coder_overhead_bits']!r}"
          f" != coded_bits {report['coded_bits']}")
    check(report["escape_bits"] == 0, f"{label}: escape_bits {report['escape_bits']}")
    check(abs(report["coder_overhead_bits"]) <= 8 + 1e-3, f"{label}: overhead {report['coder_overhead_bits']}")
    if tokens > 0:
        check(report["bits_per_token"] == 8 * size / tokens, f"{label}: bits_per_token")


def round_trip(label, stored, as_float, targets, precision, targets_dtype=np.int64):
    logits_path = save(f"{label}_logits.npy", stored)
    targets_path = save(f"{label}_targets.npy", targets.astype(targets_dtype))
    stream_path = path(f"{label}.clen")
    decoded_path = path(f"{label}_decoded.npy")
    result = run("encode", "--logits", logits_path, "--targets", targets_path, "-o", stream_path,
                 "--precision", precision, "--json")
    check(result.returncode == 0, f"{label}: encode exit {result.returncode}: {result.stderr}")
    if result.returncode != 0:
        return None
    report = json.loads(result.stdout)
    check_ledger(report, stream_path, targets.size, label)
    want = ideal_bits(as_float, targets)
    check(abs(report["ideal_bits"] - want) <= 1e-6 * max(1, targets.size),
          f"{label}: ideal_bits {report['ideal_bits']} vs {want}")
    check(report["quantized_bits"] >= report["ideal_bits"] - 0.01 * targets.size,
          f"{label}: quantized_bits below ideal")
    result = run("decode", "--logits", logits_path, "-i", stream_path, "-o", decoded_path)
    check(result.returncode == 0, f"{label}: decode exit {result.returncode}: {result.stderr}")
    if result.returncode == 0:
        decoded = np.load(decoded_path)
        check(decoded.dtype == np.int64, f"{label}: decoded dtype {decoded.dtype}")
        check(decoded.shape == targets.shape, f"{label}: decoded shape {decoded.shape} != {targets.shape}")
        check(np.array_equal(decoded, targets), f"{label}: decoded targets differ")
    return report


def expect_failure(label, status, needles, *args, output=None):
    result = run(*args)
    check(result.returncode == status, f"{label}: exit {result.returncode}, expected {status}: {result.stderr!r}")
    for needle in needles:
        check(needle in result.stderr, f"{label}: stderr {result.stderr!r} does not mention {needle!r}")
    if output is not None:
        check(not os.path.exists(output), f"{label}: left {output} behind")
    check(not leftovers(), f"{label}: temporary files left: {leftovers()}")


def write_bytes(name, data):
    with open(path(name), "wb") as sink:
        sink.write(data)
    return path(name)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    rng = np.random.default_rng(SEED)
    print("seed", SEED)

    # P = 16 with a small vocabulary, 24 and 31 with larger ones; every dtype; (B, T, V).
    z = (rng.standard_normal((300, 200)) * 3).astype(np.float32)
    round_trip("p16_f4", z, z, sample_targets(rng, z), 16)
    z = (rng.standard_normal((250, 5000)) * 4).astype(np.float32)
    report24 = round_trip("p24_f4", z, z, sample_targets(rng, z), 24)
    z = (rng.standard_normal((200, 3000)) * 2).astype(np.float32)
    round_trip("p31_f4", z, z, sample_targets(rng, z), 31)
    z64 = rng.standard_normal((100, 700)) * 5
    round_trip("p24_f8", z64, z64, sample_targets(rng, z64), 24)
    z16 = (rng.standard_normal((100, 700)) * 2).astype(np.float16)
    round_trip("p20_f2", z16, z16.astype(np.float32), sample_targets(rng, z16.astype(np.float32)), 20)
    words = to_bf16_words(rng.standard_normal((100, 700)) * 2)
    round_trip("p24_bf16", words, bf16_to_float(words), sample_targets(rng, bf16_to_float(words)), 24)
    zb = (rng.standard_normal((3, 40, 900)) * 3).astype(np.float32)
    round_trip("batched", zb, zb, sample_targets(rng, zb), 24)
    zf = np.asfortranarray((rng.standard_normal((80, 600)) * 3).astype(np.float32))
    round_trip("fortran", zf, zf, sample_targets(rng, zf), 24)
    one = (rng.standard_normal((1, 10)) * 3).astype(np.float32)
    round_trip("one_token", one, one, np.array([3], dtype=np.int64), 24)
    empty = np.zeros((0, 10), dtype=np.float32)
    round_trip("empty", empty, empty, np.zeros(0, dtype=np.int64), 24)
    report = round_trip("int16_targets", z, z, sample_targets(rng, z), 24, np.int16)  # any integer dtype
    check(report is not None, "int16 targets")
    if report24 is not None:
        print("P=24, V=5000, T=250:", json.dumps(report24))

    # The table names every field.
    base_logits = path("p24_f4_logits.npy")
    base_targets = path("p24_f4_targets.npy")
    base_stream = path("p24_f4.clen")
    result = run("encode", "--logits", base_logits, "--targets", base_targets, "-o", path("table.clen"))
    check(result.returncode == 0 and all(key in result.stdout for key in (
        "ideal_bits", "quantized_bits", "coder_overhead_bits", "coded_bits", "header_bits", "total_bytes",
        "bits_per_token")), f"table output: {result.stdout!r} {result.stderr!r}")
    result = run("encode", "--logits", base_logits, "--targets", base_targets, "-o", path("verified.clen"),
                 "--verify", "--json")
    check(result.returncode == 0 and json.loads(result.stdout)["verified"] is True, f"--verify: {result.stderr!r}")

    with open(base_stream, "rb") as source:
        stream = source.read()
    out = path("out.npy")

    # Damaged streams: a flipped byte in the header, the fingerprint and the payload; truncation
    # at several lengths; trailing garbage; another file; another model's logits.
    for offset, needle in ((0, "not a codelength stream"), (4, "version"), (10, "header checksum"),
                           (20, "header checksum"), (HEADER_BYTES, "checksum"), (len(stream) - 1, "checksum"),
                           (len(stream) // 2, "checksum")):
        bad = bytearray(stream)
        bad[offset] ^= 0x40
        expect_failure(f"flipped byte {offset}", 1, [needle, "byte offset"], "decode", "--logits", base_logits,
                       "-i", write_bytes("flipped.clen", bytes(bad)), "-o", out, output=out)
    for length in (0, 3, 10, HEADER_BYTES - 1, HEADER_BYTES, len(stream) - 1):
        expect_failure(f"truncated to {length}", 1, ["truncated", f"byte offset {length}"],
                       "decode", "--logits", base_logits, "-i", write_bytes("truncated.clen", stream[:length]),
                       "-o", out, output=out)
    expect_failure("trailing garbage", 1, ["trailing", f"byte offset {len(stream)}"], "decode", "--logits",
                   base_logits, "-i", write_bytes("longer.clen", stream + b"\x00garbage"), "-o", out, output=out)
    expect_failure("wrong magic (an .npy file)", 1, ["not a codelength stream", "byte offset 0"], "decode",
                   "--logits", base_logits, "-i", base_logits, "-o", out, output=out)
    other = np.load(base_logits).copy()
    other[17, 3] = np.nextafter(other[17, 3], np.float32(100))
    expect_failure("different logits (one ulp)", 1, ["model mismatch", "fingerprint"], "decode", "--logits",
                   save("other_logits.npy", other), "-i", base_stream, "-o", out, output=out)
    expect_failure("different dtype", 1, ["model mismatch", "element type"], "decode", "--logits",
                   save("other_dtype.npy", np.load(base_logits).astype(np.float64)), "-i", base_stream, "-o", out,
                   output=out)
    expect_failure("fewer rows", 1, ["model mismatch", "rows"], "decode", "--logits",
                   save("fewer_rows.npy", np.load(base_logits)[:-1]), "-i", base_stream, "-o", out, output=out)
    expect_failure("missing stream", 1, ["nope.clen"], "decode", "--logits", base_logits, "-i", path("nope.clen"),
                   "-o", out, output=out)

    # Existing outputs: refused without --force (and left untouched), replaced with it; a failed
    # run with --force leaves the existing file untouched too.
    existing = write_bytes("existing.bin", b"keep me")
    expect_failure("encode onto an existing file", 1, ["exists", "--force"], "encode", "--logits", base_logits,
                   "--targets", base_targets, "-o", existing)
    expect_failure("decode onto an existing file", 1, ["exists", "--force"], "decode", "--logits", base_logits,
                   "-i", base_stream, "-o", existing)
    bad = bytearray(stream)
    bad[HEADER_BYTES + 1] ^= 1
    expect_failure("failed decode with --force", 1, ["checksum"], "decode", "--logits", base_logits, "-i",
                   write_bytes("flipped.clen", bytes(bad)), "-o", existing, "--force")
    with open(existing, "rb") as source:
        check(source.read() == b"keep me", "existing output changed by failed or refused runs")
    result = run("decode", "--logits", base_logits, "-i", base_stream, "-o", existing, "--force")
    check(result.returncode == 0 and np.array_equal(np.load(existing), np.load(base_targets)),
          f"decode --force: {result.stderr!r}")
    result = run("encode", "--logits", base_logits, "--targets", base_targets, "-o", existing, "-f")
    with open(existing, "rb") as source:
        check(result.returncode == 0 and source.read() == stream, f"encode -f: {result.stderr!r}")

    # Inputs that cannot be coded.
    targets = np.load(base_targets)
    negative = targets.copy()
    negative[7] = -100
    stream_out = path("never.clen")
    expect_failure("negative target", 1, ["row 7", "negative"], "encode", "--logits", base_logits, "--targets",
                   save("negative.npy", negative), "-o", stream_out, output=stream_out)
    too_big = targets.copy()
    too_big[9] = 5000
    expect_failure("target out of range", 1, ["row 9", "target 5000"], "encode", "--logits", base_logits,
                   "--targets", save("too_big.npy", too_big), "-o", stream_out, output=stream_out)
    expect_failure("precision too small", 1, ["precision"], "encode", "--logits", base_logits, "--targets",
                   base_targets, "-o", stream_out, "--precision", 12, output=stream_out)
    bad_logits = np.load(base_logits).copy()
    bad_logits[11, 2] = np.nan
    expect_failure("NaN logit", 1, ["row 11", "NaN"], "encode", "--logits", save("nan.npy", bad_logits),
                   "--targets", base_targets, "-o", stream_out, output=stream_out)
    expect_failure("shape mismatch", 1, ["shape"], "encode", "--logits", base_logits, "--targets",
                   save("short.npy", targets[:-1]), "-o", stream_out, output=stream_out)
    expect_failure("precision out of range", 2, ["--precision"], "encode", "--logits", base_logits, "--targets",
                   base_targets, "-o", stream_out, "--precision", 32, output=stream_out)
    expect_failure("missing -o", 2, ["--output"], "encode", "--logits", base_logits, "--targets", base_targets)
    expect_failure("missing -i", 2, ["--input"], "decode", "--logits", base_logits, "-o", out, output=out)
    expect_failure("unknown alias", 2, ["-x"], "decode", "--logits", base_logits, "-x", base_stream, "-o", out,
                   output=out)

    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all codec CLI checks passed")


if __name__ == "__main__":
    main()

"""The kernels' path as the CLI sees it (include/codelength/numerics/dispatch.hpp):
- `codelength --version` reports `kernels: <active> (available: ...)`: the widest available path
  when CODELENGTH_ISA is unset or empty, the requested one when the machine runs it; a path the
  machine lacks (neon on x86-64, avx2 on aarch64) or a word that names no path gives the widest
  path and one line on stderr saying so;
- `encode` writes byte-identical streams under every available CODELENGTH_ISA, each decodes to
  the targets under every other path, and `score --json` totals agree within 1e-6 bits per token."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

from cli_check import check, finish

CLI = sys.argv[1]
WORK = sys.argv[2]
SEED = 20261206
ALL_PATHS = ["scalar", "sse2", "avx2", "avx512", "neon"]
VERSION_LINE = re.compile(r"^kernels: (\S+) \(available:((?: \S+)*)\)$", re.MULTILINE)


def run(isa, *args):
    """The CLI with CODELENGTH_ISA set to `isa` (None: unset), whatever the caller's environment says."""
    env = {k: v for k, v in os.environ.items() if k != "CODELENGTH_ISA"}
    if isa is not None:
        env["CODELENGTH_ISA"] = isa
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, env=env)


def path(name):
    return os.path.join(WORK, name)


def save(name, array):
    np.save(path(name), array)
    return path(name)


def kernels(isa):
    """(active path, available paths, stderr) that `--version` reports with CODELENGTH_ISA = isa."""
    result = run(isa, "--version")
    check(result.returncode == 0, f"--version with CODELENGTH_ISA={isa!r}: exit {result.returncode}: {result.stderr}")
    match = VERSION_LINE.search(result.stdout)
    check(match is not None, f"--version with CODELENGTH_ISA={isa!r}: no kernels line in {result.stdout!r}")
    if match is None:
        return None, [], result.stderr
    return match.group(1), match.group(2).split(), result.stderr


def check_version(available, widest):
    for isa in (None, ""):
        active, listed, stderr = kernels(isa)
        check(active == widest, f"CODELENGTH_ISA={isa!r}: active {active}, expected the widest, {widest}")
        check(listed == available, f"CODELENGTH_ISA={isa!r}: available {listed} != {available}")
        check(stderr == "", f"CODELENGTH_ISA={isa!r}: unexpected stderr {stderr!r}")
    for isa in available:
        active, listed, stderr = kernels(isa)
        check(active == isa, f"CODELENGTH_ISA={isa}: active {active}")
        check(listed == available, f"CODELENGTH_ISA={isa}: available {listed} != {available}")
        check(stderr == "", f"CODELENGTH_ISA={isa}: unexpected stderr {stderr!r}")
    missing = [isa for isa in ALL_PATHS if isa not in available]
    check(bool(missing) or widest == "neon", f"every path is available ({available}): is this machine x86-64?")
    for isa in missing:
        active, _, stderr = kernels(isa)
        check(active == widest, f"CODELENGTH_ISA={isa} (unavailable): active {active}, expected {widest}")
        for needle in (f"CODELENGTH_ISA={isa}", f"cannot run the {isa} kernels", f"using {widest}"):
            check(needle in stderr, f"CODELENGTH_ISA={isa} (unavailable): stderr {stderr!r} lacks {needle!r}")
        check(stderr.count("\n") == 1, f"CODELENGTH_ISA={isa}: expected one line on stderr, got {stderr!r}")
    for garbage in ("avx9000", "AVX2", "sse2 ", "scalar,avx2"):
        active, _, stderr = kernels(garbage)
        check(active == widest, f"CODELENGTH_ISA={garbage!r}: active {active}, expected {widest}")
        for needle in (f"CODELENGTH_ISA={garbage}", "is not one of scalar, sse2, avx2, avx512, neon", f"using {widest}"):
            check(needle in stderr, f"CODELENGTH_ISA={garbage!r}: stderr {stderr!r} lacks {needle!r}")


def model_logits(rng, rows, vocabulary):
    """Odd rows like a confident language model's (a long tail, a few plausible tokens, one at +18),
    even rows flat (normal, sd 3); every fourth row has -inf entries."""
    z = rng.normal(0.0, 3.0, (rows, vocabulary))
    for r in range(1, rows, 2):
        z[r] = rng.normal(-8.0, 2.5, vocabulary)
        z[r, rng.integers(0, vocabulary, 10)] = rng.normal(8.0, 2.0, 10)
        z[r, rng.integers(0, vocabulary)] = 18.0
    z[::4, ::9] = -np.inf
    return z


def check_streams(available):
    rng = np.random.default_rng(SEED)
    print("seed", SEED)
    rows, vocabulary = 160, 5003
    z = model_logits(rng, rows, vocabulary)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    targets = np.array([rng.choice(vocabulary, p=row) for row in p], dtype=np.int64)
    targets_path = save("targets.npy", targets)
    scored = targets.copy()
    scored[::13] = -100  # ignored rows in the score
    scored_path = save("scored_targets.npy", scored)
    for dtype in ("float32", "float16", "float64"):
        logits_path = save(f"logits_{dtype}.npy", z.astype(dtype))
        for precision in (16, 24, 31):
            label = f"{dtype}, P = {precision}"
            streams = {}
            for isa in available:
                stream = path(f"{dtype}_{precision}_{isa}.clen")
                result = run(isa, "encode", "--logits", logits_path, "--targets", targets_path, "-o", stream,
                             "--precision", precision, "--force")
                check(result.returncode == 0, f"{label}: encode with {isa}: exit {result.returncode}: {result.stderr}")
                if result.returncode == 0:
                    with open(stream, "rb") as f:
                        streams[isa] = f.read()
            reference = streams.get("scalar")
            for isa, data in streams.items():
                check(data == reference, f"{label}: the {isa} stream ({len(data)} bytes) differs from the scalar "
                                         f"path's ({len(reference or b'')} bytes)")
            # Every stream decodes to the targets under every path.
            for written in streams:
                for reader in available:
                    decoded_path = path(f"{dtype}_{precision}_{written}_by_{reader}.npy")
                    result = run(reader, "decode", "--logits", logits_path, "-i",
                                 path(f"{dtype}_{precision}_{written}.clen"), "-o", decoded_path, "--force")
                    check(result.returncode == 0,
                          f"{label}: decode of the {written} stream with {reader}: exit {result.returncode}: "
                          f"{result.stderr}")
                    if result.returncode == 0:
                        check(np.array_equal(np.load(decoded_path), targets),
                              f"{label}: the {written} stream decoded with {reader} gives other targets")
        totals = {}
        for isa in available:
            result = run(isa, "score", "--logits", logits_path, "--targets", scored_path, "--json")
            check(result.returncode == 0, f"{dtype}: score with {isa}: exit {result.returncode}: {result.stderr}")
            if result.returncode == 0:
                totals[isa] = json.loads(result.stdout)
        reference = totals.get("scalar")
        if reference is None:
            continue
        tokens = reference["tokens"]
        check(tokens == int((scored >= 0).sum()), f"{dtype}: {tokens} tokens scored")
        for isa, report in totals.items():
            difference = abs(report["total_bits"] - reference["total_bits"])
            print(f"{dtype}: {isa} total {report['total_bits']!r} bits, scalar {reference['total_bits']!r}, "
                  f"difference {difference / tokens:.3g} bits/token")
            check(report["tokens"] == tokens, f"{dtype}: {isa} scored {report['tokens']} tokens")
            check(difference <= 1e-6 * tokens,
                  f"{dtype}: {isa} total {report['total_bits']} bits vs scalar {reference['total_bits']}: "
                  f"{difference / tokens} bits/token apart (tolerance 1e-6)")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    active, available, stderr = kernels(None)
    print(f"kernels: {active}, available: {' '.join(available)}")
    check("scalar" in available, f"the scalar path is not available: {available}")
    check(all(isa in ALL_PATHS for isa in available), f"unknown paths in {available}")
    check(available == [isa for isa in ALL_PATHS if isa in available], f"paths out of order: {available}")
    if not available:
        finish()
        return
    widest = available[-1]
    check_version(available, widest)
    check_streams(available)
    finish()


if __name__ == "__main__":
    main()

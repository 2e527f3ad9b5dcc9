"""codelength.kernels() and use_kernels(): the run-time choice of the SIMD kernels
(codelength::dispatch). Every path this machine runs gives the same encoded bytes and scores
within 1e-6 bits per token; the module is built without -march and still picks the widest."""

import ast
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import codelength

PATHS = ("scalar", "sse2", "avx2", "avx512", "neon")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_kernels():
    """Puts back the path that was active before the test."""
    active = codelength.kernels()["active"]
    yield
    codelength.use_kernels(active)


def cpu_flags():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    match = re.search(r"^flags\s*:(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def test_kernels_reports_the_widest_available_path():
    info = codelength.kernels()
    assert set(info) == {"active", "detected", "available"}
    assert info["available"], "at least the scalar path"
    assert info["available"][0] == "scalar"
    assert all(name in PATHS for name in info["available"])
    assert info["available"] == sorted(info["available"], key=PATHS.index)
    assert info["detected"] == info["available"][-1]
    if "CODELENGTH_ISA" not in os.environ:
        assert info["active"] == info["detected"]
    # The module is built without -march=native, yet on an x86-64 CPU with AVX2 and FMA (and the
    # OS saving the YMM registers, which Linux does) the dispatcher must go at least that wide.
    flags = cpu_flags()
    if {"avx2", "fma", "f16c"} <= flags:
        assert "avx2" in info["available"]
        if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
            assert "avx512" in info["available"]


def test_use_kernels_switches_and_rejects_bad_names(restore_kernels):
    for name in codelength.kernels()["available"]:
        codelength.use_kernels(name)
        assert codelength.kernels()["active"] == name
    with pytest.raises(codelength.InvalidArgumentError, match="unknown path 'avx3'"):
        codelength.use_kernels("avx3")
    missing = [name for name in PATHS if name not in codelength.kernels()["available"]]
    for name in missing:  # e.g. neon on x86-64: a clear error, and the path stays as it was
        before = codelength.kernels()["active"]
        with pytest.raises(codelength.InvalidArgumentError, match=f"'{name}' is not available"):
            codelength.use_kernels(name)
        assert codelength.kernels()["active"] == before


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("vocabulary", [7, 1000, 32000])
def test_every_path_scores_alike_and_encodes_the_same_bytes(restore_kernels, rng, dtype, vocabulary):
    tokens = 64
    logits = torch.from_numpy(rng.normal(0.0, 3.0, size=(tokens, vocabulary))).to(dtype)
    targets = torch.from_numpy(rng.integers(0, vocabulary, size=tokens))
    results = {}
    for name in codelength.kernels()["available"]:
        codelength.use_kernels(name)
        scored = codelength.score(logits, targets, per_token=True)
        encoded = codelength.encode(logits, targets)
        np.testing.assert_array_equal(codelength.decode(logits, encoded.data), targets.numpy())
        results[name] = (scored, encoded)
    names = list(results)
    reference_score, reference_stream = results[names[0]]
    for name in names[1:]:
        scored, encoded = results[name]
        per_token = abs(scored.total_bits - reference_score.total_bits) / tokens
        assert per_token <= 1e-6, f"{name} vs {names[0]}: {per_token} bits per token"
        np.testing.assert_allclose(scored.surprisal_bits, reference_score.surprisal_bits, rtol=0, atol=1e-6)
        assert scored.tokens == reference_score.tokens
        assert encoded.data == reference_stream.data, f"{name} and {names[0]} encode different bytes"
        # The report: the coded sizes exactly; the ideal code length (the row kernel's) and what
        # derives from it within 1e-6 bits per token.
        report, reference_report = encoded.to_dict(), reference_stream.to_dict()
        assert report.keys() == reference_report.keys()
        for key, value in report.items():
            expected = reference_report[key]
            if isinstance(value, float) and not isinstance(expected, int):
                tolerance = 1e-6 * tokens if key.endswith("_bits") else 1e-6
                assert value == pytest.approx(expected, rel=0, abs=tolerance), f"{name}: {key}"
            else:
                assert value == expected, f"{name}: {key}"
        assert any(isinstance(value, int) and value > 0 for value in report.values())


def test_setup_py_compiles_the_kernels_like_cmake():
    """python/setup.py's table of kernel flags is src/CMakeLists.txt's (pip install builds the
    same units as the CMake build)."""
    cmake = (REPO / "src" / "CMakeLists.txt").read_text()
    setup = (REPO / "python" / "setup.py").read_text()
    cmake_flags = {name: flags.replace('""', "").split()
                   for name, flags in re.findall(r"set\(codelength_kernel_flags_(\w+) ([^)]*)\)", cmake)}
    assert cmake_flags, "src/CMakeLists.txt defines codelength_kernel_flags_<path>"
    table = re.search(r"KERNEL_FLAGS = (\{.*?\n\})", setup, re.DOTALL)
    assert table, "setup.py defines KERNEL_FLAGS"
    setup_flags = {}
    for paths in ast.literal_eval(table.group(1)).values():
        setup_flags.update(paths)
    assert setup_flags == cmake_flags
    assert '"-O3"' in setup and "CODELENGTH_KERNEL_UNIT" in setup and '("CODELENGTH_DISPATCH", "1")' in setup
    assert '"native"' not in setup, "no -march=native default: the kernels are dispatched at run time"

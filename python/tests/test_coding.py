"""codelength.encode / decode: streams byte-identical to `codelength encode`, round trips for every
dtype and layout, and a clear exception for every bad input or damaged stream."""

import json
import os
import subprocess

import numpy as np
import pytest
import torch

import codelength

CLI = os.environ.get("CODELENGTH_CLI") or None
needs_cli = pytest.mark.skipif(CLI is None, reason="CODELENGTH_CLI (the codelength executable) is not set")

LEDGER_KEYS = ["tokens", "escaped_tokens", "precision_bits", "ideal_bits", "quantized_bits", "escape_bits",
               "coded_bits", "coder_overhead_bits", "header_bits", "total_bytes", "bits_per_token",
               "quantization_loss_bits", "coder_overhead_fraction"]


def random_logits(shape, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal(shape)).astype(np.float64)


def random_targets(shape, vocabulary_size, seed=1):
    return np.random.default_rng(seed).integers(0, vocabulary_size, size=shape, dtype=np.int64)


def as_dtype(logits64, dtype):
    """The logits in dtype: a NumPy array, or a torch tensor for bfloat16."""
    if dtype == "bfloat16":
        return torch.from_numpy(logits64).to(torch.bfloat16)
    return logits64.astype(dtype)


def cli_array(logits):
    """What the CLI reads for the same values: bfloat16 as its u2/i2 words."""
    if isinstance(logits, torch.Tensor):
        if logits.dtype == torch.bfloat16:
            return logits.contiguous().view(torch.int16).numpy()
        return logits.numpy()
    return np.ascontiguousarray(logits)


def cli_encode(tmp_path, logits, targets, precision=24):
    """Runs `codelength encode --json`; returns (stream bytes, report dict)."""
    logits_path, targets_path, out_path = (tmp_path / n for n in ("l.npy", "t.npy", "s.bin"))
    np.save(logits_path, cli_array(logits))
    np.save(targets_path, np.asarray(targets))
    run = subprocess.run([CLI, "encode", "--logits", str(logits_path), "--targets", str(targets_path),
                          "-o", str(out_path), "--precision", str(precision), "--json", "--force"],
                         capture_output=True, text=True, check=True)
    return out_path.read_bytes(), json.loads(run.stdout)


def cli_decode(tmp_path, logits, data):
    logits_path, in_path, out_path = (tmp_path / n for n in ("dl.npy", "d.bin", "d.npy"))
    np.save(logits_path, cli_array(logits))
    in_path.write_bytes(data)
    subprocess.run([CLI, "decode", "--logits", str(logits_path), "-i", str(in_path), "-o", str(out_path),
                    "--force"], capture_output=True, text=True, check=True)
    return np.load(out_path)


@needs_cli
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("shape", [(37, 50), (3, 11, 50)])
def test_stream_is_byte_identical_to_the_cli(tmp_path, dtype, shape):
    logits = as_dtype(random_logits(shape), dtype)
    targets = random_targets(shape[:-1], shape[-1])
    encoded = codelength.encode(logits, targets)
    cli_bytes, cli_report = cli_encode(tmp_path, logits, targets)
    assert encoded.data == cli_bytes
    assert encoded.to_dict() == cli_report
    assert list(encoded.to_dict())[:len(LEDGER_KEYS)] == LEDGER_KEYS
    # And each side decodes the other's stream.
    np.testing.assert_array_equal(codelength.decode(logits, cli_bytes), targets)
    np.testing.assert_array_equal(cli_decode(tmp_path, logits, encoded.data), targets)


@needs_cli
@pytest.mark.parametrize("precision", [12, 16, 31])
def test_precision_matches_the_cli(tmp_path, precision):
    logits = random_logits((20, 300), seed=4).astype(np.float32)
    targets = random_targets((20,), 300, seed=5)
    encoded = codelength.encode(logits, targets, precision)
    cli_bytes, cli_report = cli_encode(tmp_path, logits, targets, precision)
    assert encoded.data == cli_bytes
    assert encoded.to_dict() == cli_report
    assert encoded.precision_bits == precision


@needs_cli
def test_uneven_batches_are_copied_and_still_match_the_cli(tmp_path):
    # (T, B, V) transposed to (B, T, V): its batches are not evenly spaced rows.
    base = random_logits((9, 4, 30), seed=6).astype(np.float32)
    logits = base.transpose(1, 0, 2)
    assert codelength.inspect_array(logits)["strides_elements"] == (30, 120, 1)
    targets = random_targets((4, 9), 30, seed=7)
    encoded = codelength.encode(logits, targets)
    cli_bytes, _ = cli_encode(tmp_path, np.ascontiguousarray(logits), targets)
    assert encoded.data == cli_bytes
    decoded = codelength.decode(torch.from_numpy(base).transpose(0, 1), encoded.data)
    assert decoded.shape == (4, 9) and decoded.dtype == np.int64
    np.testing.assert_array_equal(decoded, targets)


@needs_cli
def test_zero_probability_target_is_coded_and_reported_as_null(tmp_path):
    logits = random_logits((6, 8), seed=8).astype(np.float32)
    targets = random_targets((6,), 8, seed=9)
    logits[2, targets[2]] = -np.inf
    encoded = codelength.encode(logits, targets)
    assert encoded.ideal_bits == np.inf
    cli_bytes, cli_report = cli_encode(tmp_path, logits, targets)
    assert encoded.data == cli_bytes
    assert encoded.to_dict() == cli_report
    assert encoded.to_dict()["ideal_bits"] is None
    np.testing.assert_array_equal(codelength.decode(logits, encoded.data), targets)


@pytest.mark.parametrize("layout", ["c", "fortran", "strided_columns", "torch", "torch_transposed"])
def test_layouts_give_the_same_stream(layout):
    logits = random_logits((25, 40), seed=10).astype(np.float32)
    targets = random_targets((25,), 40, seed=11)
    reference = codelength.encode(logits, targets).data
    if layout == "c":
        view = logits
    elif layout == "fortran":
        view = np.asfortranarray(logits)
    elif layout == "strided_columns":
        wide = np.zeros((25, 80), dtype=np.float32)
        wide[:, ::2] = logits
        view = wide[:, ::2]
    elif layout == "torch":
        view = torch.from_numpy(logits)
    else:
        view = torch.from_numpy(np.ascontiguousarray(logits.T)).T
    encoded = codelength.encode(view, torch.from_numpy(targets) if layout.startswith("torch") else targets)
    assert encoded.data == reference
    np.testing.assert_array_equal(codelength.decode(view, encoded.data), targets)


def test_ledger_adds_up_and_matches_score():
    logits = random_logits((200, 500), seed=12).astype(np.float32)
    targets = random_targets((200,), 500, seed=13)
    encoded = codelength.encode(logits, targets, verify=True)
    assert encoded.verified and not codelength.encode(logits, targets).verified
    assert encoded.tokens == 200 and encoded.vocabulary_size == 500 and encoded.dtype == "float32"
    assert encoded.total_bytes == len(encoded.data) == len(bytes(encoded))
    assert encoded.header_bits + encoded.coded_bits == 8 * encoded.total_bytes
    assert (encoded.quantized_bits + encoded.escape_bits) + encoded.coder_overhead_bits == encoded.coded_bits
    assert encoded.bits_per_token == 8 * encoded.total_bytes / 200
    assert encoded.quantization_loss_bits == encoded.quantized_bits - encoded.ideal_bits
    scored = codelength.score(logits, targets)
    assert encoded.ideal_bits == pytest.approx(scored.total_bits, rel=1e-12)
    # At P = 24 the quantized distributions are within 1% of the model's (either way: the floor
    # of one count per token favours the unlikely random targets).
    assert abs(encoded.quantization_loss_bits) < 0.01 * encoded.ideal_bits


def test_empty_sequence_round_trips():
    logits = np.zeros((0, 5), dtype=np.float32)
    encoded = codelength.encode(logits, np.zeros(0, dtype=np.int64))
    assert encoded.tokens == 0 and encoded.bits_per_token is None
    decoded = codelength.decode(logits, encoded.data)
    assert decoded.shape == (0,) and decoded.dtype == np.int64


def test_other_logits_are_refused_before_decoding():
    logits = random_logits((30, 20), seed=14).astype(np.float32)
    targets = random_targets((30,), 20, seed=15)
    data = codelength.encode(logits, targets).data
    other = logits.copy()
    other[17, 3] = np.nextafter(other[17, 3], np.float32(np.inf))  # one ulp of one logit
    with pytest.raises(codelength.StreamModelMismatchError, match="fingerprint"):
        codelength.decode(other, data)
    with pytest.raises(codelength.StreamModelMismatchError, match="element type"):
        codelength.decode(logits.astype(np.float64), data)
    with pytest.raises(codelength.StreamModelMismatchError, match="30 targets"):
        codelength.decode(logits[:29], data)
    with pytest.raises(codelength.StreamModelMismatchError, match="vocabulary"):
        codelength.decode(logits[:, :19], data)


def test_damaged_streams_raise_stream_errors():
    logits = random_logits((40, 16), seed=16).astype(np.float32)
    targets = random_targets((40,), 16, seed=17)
    data = codelength.encode(logits, targets).data
    for length in range(len(data)):
        with pytest.raises(codelength.StreamError):
            codelength.decode(logits, data[:length])
    with pytest.raises(codelength.StreamError):
        codelength.decode(logits, data + b"\0")
    for offset in range(len(data)):
        for mask in (0x01, 0x80):
            damaged = bytearray(data)
            damaged[offset] ^= mask
            with pytest.raises(codelength.StreamError):
                codelength.decode(logits, damaged)
    with pytest.raises(codelength.StreamLimitError):
        codelength.decode(logits, data, max_symbols=39)
    np.testing.assert_array_equal(codelength.decode(logits, memoryview(data), max_symbols=40), targets)
    np.testing.assert_array_equal(codelength.decode(logits, np.frombuffer(data, dtype=np.uint8)), targets)


def test_bad_arguments_raise_clear_errors():
    logits = random_logits((4, 6), seed=18).astype(np.float32)
    targets = np.array([0, 1, 2, 5])
    with pytest.raises(ValueError, match=r"targets\[3\] = 6 is outside"):
        codelength.encode(logits, np.array([0, 1, 2, 6]))
    with pytest.raises(ValueError, match=r"targets\[1\] = -100"):
        codelength.encode(logits, np.array([0, -100, 2, 5]))
    with pytest.raises(ValueError, match="targets: shape"):
        codelength.encode(logits, targets[:3])
    with pytest.raises(TypeError, match="targets: dtype float64"):
        codelength.encode(logits, targets.astype(np.float64))
    with pytest.raises(TypeError, match="logits: dtype int64"):
        codelength.encode(targets.reshape(2, 2), np.array([0, 1]))
    with pytest.raises(ValueError, match="precision"):
        codelength.encode(logits, targets, 0)
    with pytest.raises(ValueError, match="precision"):
        codelength.encode(logits, targets, 32)
    with pytest.raises(codelength.InvalidArgumentError, match="V <= 2\\^P"):
        codelength.encode(logits, targets, 2)
    bad = logits.copy()
    bad[2, 1] = np.nan
    with pytest.raises(codelength.InvalidRowError, match="row 2"):
        codelength.encode(bad, targets)
    bad[2, 1] = np.inf
    with pytest.raises(codelength.InvalidRowError):
        codelength.encode(bad, targets)
    data = codelength.encode(logits, targets).data
    with pytest.raises(TypeError, match="data"):
        codelength.decode(logits, "not bytes")
    with pytest.raises(ValueError, match="max_symbols"):
        codelength.decode(logits, data, max_symbols=-1)
    with pytest.raises(codelength.StreamError):
        codelength.decode(logits, b"")
    with pytest.raises(ValueError, match="logits: shape"):
        codelength.decode(logits[0], data)

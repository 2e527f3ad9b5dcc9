"""codelength.score: exact totals against torch's cross-entropy, the CLI's numbers, every
dtype and stride pattern read in place, and clear errors for bad input."""

import math
import resource
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import codelength

LN2 = math.log(2.0)


def reference_bits(logits, targets):
    """sum -log2 p(target) in float64 by torch's cross-entropy (ignore_index = -100)."""
    flat = torch.as_tensor(logits).double().reshape(-1, logits.shape[-1])
    return F.cross_entropy(flat, torch.as_tensor(targets).reshape(-1).long(), reduction="sum",
                           ignore_index=-100).item() / LN2


def random_case(rng, rows=64, vocabulary=257, dtype=torch.float32, batch=None):
    shape = (rows, vocabulary) if batch is None else (batch, rows, vocabulary)
    logits = torch.from_numpy(rng.normal(0.0, 3.0, size=shape)).to(dtype)
    targets = torch.from_numpy(rng.integers(0, vocabulary, size=shape[:-1]))
    return logits, targets


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_totals_match_cross_entropy_in_float64(rng, dtype):
    logits, targets = random_case(rng, rows=300, vocabulary=1000, dtype=dtype)
    result = codelength.score(logits, targets)
    expected = reference_bits(logits, targets)  # the widened values of 16-bit inputs
    assert result.tokens == 300
    assert result.total_bits == pytest.approx(expected, rel=1e-7)
    assert result.dtype == str(dtype).removeprefix("torch.")
    assert result.vocabulary_size == 1000
    assert result.bits_per_token == pytest.approx(expected / 300, rel=1e-7)
    assert result.perplexity == result.token_perplexity == pytest.approx(2 ** (expected / 300), rel=1e-6)


def test_numpy_dtypes_and_torch_agree_bit_for_bit(rng):
    logits, targets = random_case(rng)
    for array in (logits.numpy(), logits.double().numpy(), logits.half().numpy()):
        from_numpy = codelength.score(array, targets.numpy())
        from_torch = codelength.score(torch.from_numpy(array), targets)
        assert from_numpy.to_dict() == from_torch.to_dict()


def test_ignore_index_skips_rows(rng):
    logits, targets = random_case(rng, rows=50)
    targets[::3] = -100
    result = codelength.score(logits, targets)
    assert result.ignored_tokens == 17
    assert result.tokens == 33
    assert result.total_bits == pytest.approx(reference_bits(logits, targets), rel=1e-7)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_any_strides_give_the_contiguous_result_exactly(rng, dtype):
    logits, targets = random_case(rng, rows=40, vocabulary=300, dtype=dtype, batch=3)
    expected = codelength.score(logits.contiguous(), targets, per_token=True)
    views = {
        "columns strided (a transposed buffer)": logits.transpose(1, 2).contiguous().transpose(1, 2),
        "batches not evenly spaced": torch.cat([logits, logits], dim=1)[:, :40, :],
        "batch-major storage permuted": logits.permute(1, 0, 2).contiguous().permute(1, 0, 2),
    }
    for name, view in views.items():
        assert not view.is_contiguous(), name
        got = codelength.score(view, targets, per_token=True)
        assert got.to_dict() == expected.to_dict(), name
        np.testing.assert_array_equal(got.surprisal_bits, expected.surprisal_bits)
    # NumPy views with negative and stepped strides
    array = logits.float().numpy() if dtype == torch.float32 else None
    if array is not None:
        reversed_rows = array[:, ::-1, :]
        got = codelength.score(reversed_rows, targets.numpy()[:, ::-1])
        assert got.total_bits == expected.total_bits
        stepped = np.repeat(array, 2, axis=2)[:, :, ::2]
        assert codelength.score(stepped, targets.numpy()).total_bits == expected.total_bits


def test_batched_shapes_and_per_token_arrays(rng):
    # float32 rows: each token's values are float32-accurate (the totals are checked at 1e-7 above)
    logits, targets = random_case(rng, rows=20, batch=4)
    targets[1, 3] = -100
    result = codelength.score(logits, targets, per_token=True)
    assert result.surprisal_bits.shape == (4, 20)
    assert np.isnan(result.surprisal_bits[1, 3])
    log_probs = torch.log_softmax(logits.double(), dim=-1)
    expected = -log_probs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1) / LN2
    mask = targets >= 0
    np.testing.assert_allclose(result.surprisal_bits[mask.numpy()], expected[mask].numpy(), rtol=1e-7)
    np.testing.assert_allclose(result.log_probability_nats[mask.numpy()], -expected[mask].numpy() * LN2,
                               rtol=1e-7)
    entropy = -(log_probs.exp() * log_probs).sum(-1) / LN2
    np.testing.assert_allclose(result.entropy_bits[mask.numpy()], entropy[mask].numpy(), rtol=1e-6)
    assert result.mean_entropy_bits == pytest.approx(entropy[mask].mean().item(), rel=1e-7)
    assert codelength.score(logits, targets).surprisal_bits is None


def test_token_bytes_give_bits_per_byte(rng):
    logits, targets = random_case(rng, rows=30)
    token_bytes = rng.integers(1, 5, size=30)
    result = codelength.score(logits, targets, token_bytes=token_bytes)
    assert result.bytes == int(token_bytes.sum())
    assert result.bits_per_byte == pytest.approx(result.total_bits / token_bytes.sum(), rel=1e-15)
    assert codelength.score(logits, targets).bits_per_byte is None
    assert "bytes" not in codelength.score(logits, targets).to_dict()


def test_logprobs_are_checked_to_sum_to_one(rng):
    logits, targets = random_case(rng)
    log_probs = torch.log_softmax(logits.double(), dim=-1)
    assert codelength.score(log_probs, targets, logprobs=True).total_bits == pytest.approx(
        codelength.score(logits.double(), targets).total_bits, rel=1e-12)
    with pytest.raises(codelength.InvalidRowError, match="sum to"):
        codelength.score(logits, targets, logprobs=True)


def test_python_equals_cli_on_the_same_files(rng, tmp_path, cli):
    for dtype, words in ((torch.float32, None), (torch.float16, None), (torch.bfloat16, torch.int16)):
        logits, targets = random_case(rng, rows=25, vocabulary=40, dtype=dtype, batch=2)
        targets[0, 0] = -100
        token_bytes = rng.integers(0, 4, size=(2, 25))
        stored = logits.view(words) if words is not None else logits
        np.save(tmp_path / "L.npy", stored.numpy())
        np.save(tmp_path / "T.npy", targets.numpy())
        np.save(tmp_path / "B.npy", token_bytes)
        expected = cli.json("score", "--logits", tmp_path / "L.npy", "--targets", tmp_path / "T.npy",
                            "--bytes", tmp_path / "B.npy", "--k", "10", "--json")
        got = codelength.score(logits, targets, token_bytes=token_bytes, k=10.0)
        assert got.to_dict() == expected
        cli("score", "--logits", tmp_path / "L.npy", "--targets", tmp_path / "T.npy",
            "--per-token", tmp_path / "S.npy", "--force")
        per_token = codelength.score(logits, targets, per_token=True).surprisal_bits
        np.testing.assert_array_equal(per_token, np.load(tmp_path / "S.npy"))


def test_a_target_of_probability_zero_is_infinite_and_null_like_the_cli(rng, tmp_path, cli):
    logits, targets = random_case(rng, rows=12, vocabulary=30)
    logits[5, targets[5]] = float("-inf")
    result = codelength.score(logits, targets, per_token=True)
    assert result.infinite_tokens == 1 and result.total_bits == float("inf")
    assert math.isinf(result.surprisal_bits[5])
    assert result.to_dict()["total_bits"] is None and result.ledger.to_dict()["total_bits"] is None
    np.save(tmp_path / "L.npy", logits.numpy())
    np.save(tmp_path / "T.npy", targets.numpy())
    assert result.to_dict() == cli.json("score", "--logits", tmp_path / "L.npy", "--targets", tmp_path / "T.npy",
                                        "--json")


def test_threads_do_not_change_the_result(rng):
    logits, targets = random_case(rng, rows=3000, vocabulary=64)
    one = codelength.score(logits, targets, threads=1)
    assert codelength.score(logits, targets, threads=2).to_dict() == one.to_dict()
    assert codelength.score(logits, targets, threads=0).to_dict() == one.to_dict()


@pytest.mark.parametrize("make", [
    lambda t: t,                                   # float32 tensor
    lambda t: t.bfloat16(),                        # bfloat16 tensor (DLPack)
    lambda t: t.half().transpose(0, 1),            # a strided float16 view
    lambda t: t.requires_grad_(True),              # a tensor that requires grad
])
def test_tensors_are_read_in_place(make):
    tensor = make(torch.randn(64, 128))
    info = codelength.inspect_array(tensor)
    assert info["data_address"] == tensor.data_ptr()
    assert info["shape"] == tuple(tensor.shape)
    assert info["strides_elements"] == tuple(tensor.stride())


def test_numpy_arrays_are_read_in_place():
    array = np.zeros((8, 16), dtype=np.float16)[::2, 1::3]
    info = codelength.inspect_array(array)
    assert info["data_address"] == array.__array_interface__["data"][0]
    assert info["strides_elements"] == (32, 3)
    assert info["dtype"] == "float16"


def test_scoring_a_large_bfloat16_tensor_allocates_no_copy():
    """Peak memory while scoring 512 MiB of bfloat16 logits grows by far less than a copy."""
    script = """
import resource, torch, codelength
logits = torch.zeros(8192, 32768, dtype=torch.bfloat16)
targets = torch.zeros(8192, dtype=torch.int64)
codelength.score(logits[:1], targets[:1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = codelength.score(logits, targets)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert result.tokens == 8192
print((after - before) // 1024)
"""
    grown_mib = int(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                                   text=True).stdout)
    assert grown_mib < 64, f"peak RSS grew by {grown_mib} MiB while scoring 512 MiB of logits"


def test_the_gil_is_released_while_the_kernel_runs():
    """With a long switch interval the main thread can only take the GIL from the worker when
    score() releases it; it then runs until the worker finishes and asks for it back."""
    logits = torch.zeros(2000, 32000)
    targets = torch.zeros(2000, dtype=torch.int64)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (codelength.score(logits, targets), done.set()))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.5)
    try:
        worker.start()
        iterations = 0
        while not done.is_set():
            iterations += 1
        worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert iterations > 100, f"the main thread ran {iterations} iterations while score() ran"


def test_bad_input_raises_named_errors(rng):
    logits, targets = random_case(rng, rows=10, vocabulary=20)
    bad = logits.clone()
    bad[4, 7] = float("nan")
    with pytest.raises(codelength.InvalidRowError, match="row 4"):
        codelength.score(bad, targets)
    bad[4, 7] = float("inf")
    with pytest.raises(codelength.InvalidRowError, match="row 4"):
        codelength.score(bad, targets)
    with pytest.raises(ValueError, match=r"targets\[3\] = 20 is outside the vocabulary \[0, 20\)"):
        codelength.score(logits, torch.where(torch.arange(10) == 3, 20, targets))
    with pytest.raises(ValueError, match="targets: shape"):
        codelength.score(logits, targets[:9])
    with pytest.raises(ValueError, match="token_bytes: shape"):
        codelength.score(logits, targets, token_bytes=np.ones(9, dtype=np.int64))
    with pytest.raises(ValueError, match=r"token_bytes\[2\] = -1"):
        codelength.score(logits, targets, token_bytes=np.array([1, 1, -1] + [1] * 7))
    with pytest.raises(TypeError, match="logits: dtype int64"):
        codelength.score(targets.reshape(2, 5), targets[:2])
    with pytest.raises(TypeError, match="targets: dtype float32"):
        codelength.score(logits, logits[:, 0])
    with pytest.raises(ValueError, match=r"logits: shape \(10,\)"):
        codelength.score(logits[:, 0], targets[:1])
    with pytest.raises(ValueError, match="empty vocabulary"):
        codelength.score(np.zeros((3, 0), dtype=np.float32), np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="is on meta"):
        codelength.score(torch.empty(3, 4, device="meta"), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="k:"):
        codelength.score(logits, targets, k=0.0)
    with pytest.raises(TypeError):
        codelength.score("not an array", targets)
    with pytest.raises(TypeError):
        codelength.score(logits, targets, threads=-1)
    assert issubclass(codelength.InvalidRowError, codelength.Error)
    assert issubclass(codelength.TargetOutOfRangeError, ValueError)


def test_empty_inputs_have_no_ratios():
    result = codelength.score(np.zeros((0, 5), dtype=np.float32), np.zeros(0, dtype=np.int64))
    assert result.tokens == 0 and result.total_bits == 0.0
    assert result.bits_per_token is None and result.min_k_percent is None

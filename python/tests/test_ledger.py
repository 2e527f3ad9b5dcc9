"""codelength.Ledger: exact merging wherever shards are cut, pickle and bytes round trips
across processes, and refusal of damaged bytes."""

import multiprocessing
import pickle

import numpy as np
import pytest
import torch

import codelength


def shard_ledger(args):
    """Scores rows [begin, end) of a seeded corpus in a worker process; returns pickled bytes."""
    seed, begin, end = args
    logits, targets = corpus(seed)
    return pickle.dumps(codelength.score(logits[begin:end], targets[begin:end]).ledger)


def corpus(seed, rows=4000, vocabulary=97):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 4.0, size=(rows, vocabulary)).astype(np.float32)
    targets = rng.integers(0, vocabulary, size=rows)
    targets[::11] = -100
    return logits, targets


def test_shards_from_other_processes_merge_to_the_single_pass_bit_for_bit(rng):
    seed = int(rng.integers(1 << 30))
    logits, targets = corpus(seed)
    whole = codelength.score(logits, targets).ledger
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        for _ in range(3):
            cuts = sorted(rng.choice(np.arange(1, 4000), size=int(rng.integers(1, 12)), replace=False))
            bounds = [0, *cuts, 4000]
            shards = pool.map(shard_ledger, [(seed, a, b) for a, b in zip(bounds, bounds[1:])])
            ledgers = [pickle.loads(s) for s in shards]
            order = rng.permutation(len(ledgers))
            merged = codelength.Ledger()
            for i in order:
                merged += ledgers[i]
            assert merged == whole
            assert merged.total_bits.hex() == whole.total_bits.hex()
            assert merged.mean_entropy_bits.hex() == whole.mean_entropy_bits.hex()
            assert merged.tokens == whole.tokens and merged.ignored_tokens == whole.ignored_tokens
            assert sum(ledgers, codelength.Ledger()) == whole


def test_bytes_and_pickle_round_trips_keep_the_exact_state():
    ledger = codelength.Ledger()
    for bits in (1e-300, 3.5, 1e20, -0.0, 2.0 ** -1074):
        ledger.add_surprisal_bits(bits, entropy_bits=0.25)
    ledger.add_surprisal_bits(float("inf"))
    ledger.add_document("two words")
    for copy in (codelength.Ledger.from_bytes(ledger.to_bytes()), pickle.loads(pickle.dumps(ledger))):
        assert copy == ledger
        assert copy.to_dict() == ledger.to_dict()
        assert copy.infinite_tokens == 1 and copy.total_bits == float("inf")
    # exactness: 1e20 + 3.5 - 1e20 keeps the 3.5 whatever the order
    exact = codelength.Ledger()
    for bits in (1e20, 3.5):
        exact.add_surprisal_bits(bits)
    negative = codelength.Ledger()
    negative.add_surprisal_bits(-1e20)
    assert (exact + negative).finite_bits == 3.5  # a float64 running sum gives 0.0


def test_merging_is_in_place_and_plus_makes_a_new_ledger():
    a, b = codelength.Ledger(), codelength.Ledger()
    a.add_surprisal_bits(1.0)
    b.add_surprisal_bits(2.0)
    c = a + b
    assert (a.tokens, b.tokens, c.tokens) == (1, 1, 2)
    same = a
    a += b
    assert same is a and a == c


def test_damaged_bytes_are_refused():
    ledger = codelength.score(*corpus(5, rows=50)).ledger
    data = ledger.to_bytes()
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0x10
        with pytest.raises(codelength.FormatError, match="byte"):
            codelength.Ledger.from_bytes(bytes(damaged))
    for n in range(len(data)):
        with pytest.raises(codelength.FormatError):
            codelength.Ledger.from_bytes(data[:n])
    with pytest.raises(codelength.FormatError):
        codelength.Ledger.from_bytes(data + b"\0")
    with pytest.raises(TypeError):
        codelength.Ledger.from_bytes("not bytes")
    with pytest.raises(codelength.FormatError):
        pickle.loads(pickle.dumps(ledger).replace(data[:4], b"XXXX"))


def test_invalid_additions_raise():
    ledger = codelength.Ledger()
    with pytest.raises(codelength.InvalidArgumentError):
        ledger.add_surprisal_bits(float("nan"))
    with pytest.raises(codelength.InvalidArgumentError):
        ledger.add_bytes(-1)
    with pytest.raises(codelength.InvalidArgumentError):
        ledger.add_surprisal_bits(1.0, entropy_bits=float("inf"))
    assert ledger.tokens == 0 and ledger.bits_per_token is None


def test_torch_and_numpy_shards_merge_like_one_tensor():
    logits, targets = corpus(9, rows=300)
    tensor = torch.from_numpy(logits)
    whole = codelength.score(tensor, torch.from_numpy(targets)).ledger
    parts = [codelength.score(tensor[i:i + 37], targets[i:i + 37]).ledger for i in range(0, 300, 37)]
    assert sum(parts, codelength.Ledger()) == whole

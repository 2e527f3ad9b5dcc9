"""encode_with_model / decode_with_model: a Python model in the coding loop. A model that behaves
differently at decode time (by one ulp or more) gives back exactly the original tokens or raises
codelength.StreamError, never other tokens; every bad model, stream or argument raises."""

import numpy as np
import pytest
import torch

import codelength

V = 64


class TableModel:
    """Deterministic toy model: the next logits depend on the previous token (a seeded bigram table)."""

    def __init__(self, seed=0, dtype=np.float32, scale=4.0, fingerprint=None):
        rng = np.random.default_rng(seed)
        self.table = (scale * rng.standard_normal((V + 1, V))).astype(dtype)
        self.vocabulary_size = V
        self.previous = V  # row V: the start of the sequence
        self.step = 0
        self.calls = []
        if fingerprint is not None:
            self.fingerprint = fingerprint

    def next_logits(self):
        self.calls.append(("next_logits", self.step))
        return self.row(self.step, self.table[self.previous])

    def row(self, step, row):
        return row

    def update(self, token):
        self.calls.append(("update", int(token)))
        self.previous = int(token)
        self.step += 1


def sample_tokens(count, seed=1):
    """Tokens drawn from the model itself, so the coded text is typical for it."""
    model = TableModel()
    rng = np.random.default_rng(seed)
    tokens = []
    for _ in range(count):
        logits = model.next_logits().astype(np.float64)
        p = np.exp(logits - logits.max())
        token = int(rng.choice(V, p=p / p.sum()))
        tokens.append(token)
        model.update(token)
    return np.array(tokens, dtype=np.int64)


TOKENS = sample_tokens(120)


class PerturbedModel(TableModel):
    """The table model with one logit of one step changed at decode time."""

    def __init__(self, step, change):
        super().__init__()
        self.perturbed_step = step
        self.change = change

    def row(self, step, row):
        if step != self.perturbed_step:
            return row
        row = row.copy()
        self.change(row)
        return row


def one_ulp(row):
    i = int(np.argmax(row))
    row[i] = np.nextafter(row[i], np.float32(np.inf))


def one_ulp_of_a_small_logit(row):
    i = int(np.argmin(row))
    row[i] = np.nextafter(row[i], np.float32(-np.inf))


def relative(amount):
    def change(row):
        i = int(np.argmax(row))
        row[i] = row[i] * np.float32(1 + amount)
    return change


def absolute(amount):
    def change(row):
        row[int(np.argsort(row)[V // 2])] += np.float32(amount)
    return change


def raise_to_max(row):
    row[int(np.argmin(row))] = row.max()


CHANGES = {"one_ulp": one_ulp, "one_ulp_small": one_ulp_of_a_small_logit, "rel_1e-6": relative(1e-6),
           "abs_1e-3": absolute(1e-3), "abs_1": absolute(1.0), "raise_to_max": raise_to_max}


def test_round_trip_and_ledger():
    model = TableModel()
    encoded = codelength.encode_with_model(model, TOKENS)
    assert encoded.tokens == len(TOKENS) and encoded.vocabulary_size == V and encoded.dtype == "float32"
    decoder = TableModel()
    decoded = codelength.decode_with_model(decoder, encoded.data)
    assert decoded.dtype == np.int64 and decoded.shape == TOKENS.shape
    np.testing.assert_array_equal(decoded, TOKENS)
    # The encoder and the decoder called the model in the same order.
    assert decoder.calls == model.calls
    assert model.calls[:3] == [("next_logits", 0), ("update", TOKENS[0]), ("next_logits", 1)]
    # The ideal bits are the score of the rows the model produced.
    rows = np.stack([TableModel().table[p] for p in np.concatenate([[V], TOKENS[:-1]])])
    assert encoded.ideal_bits == pytest.approx(codelength.score(rows, TOKENS).total_bits, rel=1e-12)
    assert encoded.header_bits + encoded.coded_bits == 8 * len(encoded.data)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, "torch_float32", "torch_bfloat16"])
def test_every_dtype_round_trips(dtype):
    class TorchModel(TableModel):
        def row(self, step, row):
            tensor = torch.from_numpy(row)
            return tensor.to(torch.bfloat16) if dtype == "torch_bfloat16" else tensor

    make = (lambda: TorchModel()) if isinstance(dtype, str) else (lambda: TableModel(dtype=dtype))
    encoded = codelength.encode_with_model(make(), TOKENS, 20)
    assert encoded.dtype == {np.float64: "float64", np.float16: "float16", "torch_float32": "float32",
                             "torch_bfloat16": "bfloat16"}[dtype]
    np.testing.assert_array_equal(codelength.decode_with_model(make(), encoded.data), TOKENS)


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_perturbed_decoder_gives_the_tokens_or_a_stream_error(name):
    data = codelength.encode_with_model(TableModel(), TOKENS).data
    outcomes = {"exact": 0, "refused": 0}
    for step in range(0, len(TOKENS), 3):
        try:
            decoded = codelength.decode_with_model(PerturbedModel(step, CHANGES[name]), data)
        except codelength.StreamError:
            outcomes["refused"] += 1
            continue
        np.testing.assert_array_equal(decoded, TOKENS)  # never other tokens
        outcomes["exact"] += 1
    assert outcomes["exact"] + outcomes["refused"] == len(range(0, len(TOKENS), 3))
    if name == "raise_to_max":  # the quantized distribution certainly changed
        assert outcomes["refused"] > 0


def test_perturbations_of_every_kind_are_seen():
    """Over all changes both outcomes occur: the check is not vacuous."""
    data = codelength.encode_with_model(TableModel(), TOKENS).data
    exact = refused = 0
    for change in CHANGES.values():
        for step in (0, 50, 119):
            try:
                np.testing.assert_array_equal(codelength.decode_with_model(PerturbedModel(step, change), data),
                                              TOKENS)
                exact += 1
            except codelength.StreamError:
                refused += 1
    assert exact > 0 and refused > 0


def test_a_torch_model_round_trips():
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(V + 1, 16)
    cell = torch.nn.GRUCell(16, 16)
    head = torch.nn.Linear(16, V)

    class GruModel:
        vocabulary_size = V
        fingerprint = 0x5eed

        def __init__(self):
            self.state = torch.zeros(1, 16)
            self.previous = V

        @torch.no_grad()
        def next_logits(self):
            self.state_next = cell(embedding(torch.tensor([self.previous])), self.state)
            return head(self.state_next)[0]

        def update(self, token):
            self.state = self.state_next
            self.previous = token

    tokens = TOKENS[:60]
    encoded = codelength.encode_with_model(GruModel(), tokens)
    np.testing.assert_array_equal(codelength.decode_with_model(GruModel(), encoded.data), tokens)


def test_a_callable_taking_the_prefix():
    table = TableModel().table
    seen = []

    def model(prefix):
        assert prefix.dtype == np.int64 and not prefix.flags.writeable
        seen.append(prefix)
        return table[prefix[-1] if len(prefix) else V]

    encoded = codelength.encode_with_model(model, TOKENS)
    assert encoded.data == codelength.encode_with_model(TableModel(), TOKENS).data
    # Every prefix kept its values after later updates (the buffer grows, views do not change).
    for i, prefix in enumerate(seen):
        np.testing.assert_array_equal(prefix, TOKENS[:i])
    np.testing.assert_array_equal(codelength.decode_with_model(model, encoded.data), TOKENS)


def test_fingerprint_refuses_another_model_before_decoding():
    data = codelength.encode_with_model(TableModel(fingerprint=1234), TOKENS).data
    np.testing.assert_array_equal(codelength.decode_with_model(TableModel(fingerprint=1234), data), TOKENS)
    for other in (TableModel(fingerprint=4321), TableModel(), TableModel(seed=5, fingerprint=4321)):
        with pytest.raises(codelength.StreamModelMismatchError, match="fingerprint"):
            codelength.decode_with_model(other, data)
        assert ("update", TOKENS[0]) not in other.calls  # refused before decoding
    for bad, error in ((0, ValueError), (-1, ValueError), (2**64, ValueError), ("x", TypeError), (1.5, TypeError)):
        with pytest.raises(error, match="model.fingerprint"):
            codelength.encode_with_model(TableModel(fingerprint=bad), TOKENS)
    assert codelength.encode_with_model(TableModel(fingerprint=2**64 - 1), TOKENS).tokens == len(TOKENS)


def test_another_models_stream_is_refused():
    data = codelength.encode_with_model(TableModel(), TOKENS).data
    with pytest.raises(codelength.StreamError):
        codelength.decode_with_model(TableModel(seed=7), data)
    with pytest.raises(codelength.StreamModelMismatchError, match="element type"):
        codelength.decode_with_model(TableModel(dtype=np.float64), data)
    logits = np.zeros((3, V), dtype=np.float32)
    replay_stream = codelength.encode(logits, np.array([1, 2, 3])).data
    with pytest.raises(codelength.StreamModelMismatchError, match="fingerprint"):
        codelength.decode_with_model(TableModel(), replay_stream)


def test_damaged_streams_raise_stream_errors():
    data = codelength.encode_with_model(TableModel(), TOKENS[:30]).data
    for length in range(len(data)):
        with pytest.raises(codelength.StreamError):
            codelength.decode_with_model(TableModel(), data[:length])
    for offset in range(len(data)):
        damaged = bytearray(data)
        damaged[offset] ^= 0x10
        with pytest.raises(codelength.StreamError):
            codelength.decode_with_model(TableModel(), bytes(damaged))


def test_max_symbols_is_checked_before_the_model_is_called():
    data = codelength.encode_with_model(TableModel(), TOKENS).data
    model = TableModel()
    with pytest.raises(codelength.StreamLimitError):
        codelength.decode_with_model(model, data, max_symbols=len(TOKENS) - 1)
    assert model.calls == []
    np.testing.assert_array_equal(codelength.decode_with_model(TableModel(), data, max_symbols=len(TOKENS)),
                                  TOKENS)
    with pytest.raises(ValueError, match="max_symbols"):
        codelength.decode_with_model(TableModel(), data, max_symbols=-5)


class Boom(Exception):
    pass


class FaultyModel(TableModel):
    """Misbehaves at one step: raises, or returns a bad row."""

    def __init__(self, step, fault):
        super().__init__()
        self.fault_step = step
        self.fault = fault

    def row(self, step, row):
        if step != self.fault_step:
            return row
        if self.fault == "raise":
            raise Boom("the model failed")
        if self.fault == "nan":
            row = row.copy()
            row[3] = np.nan
            return row
        if self.fault == "inf":
            row = row.copy()
            row[3] = np.inf
            return row
        if self.fault == "short":
            return row[:-1]
        if self.fault == "2d":
            return row.reshape(1, -1)
        if self.fault == "float64":
            return row.astype(np.float64)
        if self.fault == "int":
            return row.astype(np.int32)
        if self.fault == "object":
            return "logits"
        raise AssertionError(self.fault)


@pytest.mark.parametrize("step", [0, 7])
@pytest.mark.parametrize("fault,error,match", [
    ("raise", Boom, "the model failed"),
    ("nan", codelength.InvalidRowError, "NaN"),
    ("inf", codelength.InvalidRowError, ""),
    ("short", ValueError, "returned 63 logits"),
    ("2d", ValueError, r"shape \(1, 64\)"),
    ("float64", TypeError, "float64"),
    ("int", TypeError, "dtype int32"),
    ("object", TypeError, ""),
])
def test_a_misbehaving_model_raises(step, fault, error, match):
    with pytest.raises(error, match=match) as raised:
        codelength.encode_with_model(FaultyModel(step, fault), TOKENS)
    if fault in ("short", "2d", "int"):
        assert f"step {step}" in str(raised.value)
    if fault == "float64":  # the first row fixes the dtype: a float64 first row makes step 1 wrong
        assert f"step {max(step, 1)}" in str(raised.value)
    data = codelength.encode_with_model(TableModel(), TOKENS).data
    if fault == "float64" and step == 0:  # a float64 model: refused by the stream's header
        error, match = codelength.StreamModelMismatchError, "element type float32"
    with pytest.raises(error, match=match):
        codelength.decode_with_model(FaultyModel(step, fault), data)


def test_model_exceptions_from_update_propagate_unchanged():
    class BadUpdate(TableModel):
        def update(self, token):
            if self.step == 5:
                raise KeyError("update at step 5")
            super().update(token)

    with pytest.raises(KeyError, match="update at step 5"):
        codelength.encode_with_model(BadUpdate(), TOKENS)
    data = codelength.encode_with_model(TableModel(), TOKENS).data
    with pytest.raises(KeyError, match="update at step 5"):
        codelength.decode_with_model(BadUpdate(), data)


def test_bad_models_and_arguments():
    with pytest.raises(ValueError, match=r"tokens\[2\] = 64 is outside"):
        codelength.encode_with_model(TableModel(), [1, 2, V])
    with pytest.raises(ValueError, match=r"tokens\[0\] = -1"):
        codelength.encode_with_model(TableModel(), [-1])
    with pytest.raises(ValueError, match="tokens: shape"):
        codelength.encode_with_model(TableModel(), TOKENS.reshape(2, -1))
    with pytest.raises(TypeError, match="tokens: dtype float64"):
        codelength.encode_with_model(TableModel(), TOKENS.astype(np.float64))
    with pytest.raises(ValueError, match="precision"):
        codelength.encode_with_model(TableModel(), TOKENS, 40)
    with pytest.raises(codelength.InvalidArgumentError, match="V <= 2\\^P"):
        codelength.encode_with_model(TableModel(), TOKENS, 5)
    with pytest.raises(TypeError, match="has no next_logits"):
        codelength.encode_with_model(object(), TOKENS)

    class NoSize(TableModel):
        def __init__(self):
            super().__init__()
            del self.vocabulary_size

    with pytest.raises(TypeError, match="vocabulary_size"):
        codelength.encode_with_model(NoSize(), TOKENS)
    wrong_size = TableModel()
    wrong_size.vocabulary_size = V + 1
    with pytest.raises(ValueError, match="vocabulary_size is 65"):
        codelength.encode_with_model(wrong_size, TOKENS)
    with pytest.raises(TypeError, match="data"):
        codelength.decode_with_model(TableModel(), 12)


def test_empty_sequence():
    encoded = codelength.encode_with_model(TableModel(), np.zeros(0, dtype=np.int64))
    assert encoded.tokens == 0
    decoded = codelength.decode_with_model(TableModel(), encoded.data)
    assert decoded.shape == (0,) and decoded.dtype == np.int64

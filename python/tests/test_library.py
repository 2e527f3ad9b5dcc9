"""The rest of the library from Python: compress/decompress, measure, memorization, Min-K%,
Min-K%++, MDL and ARPA models. Each function is checked against the CLI command it mirrors
(the binary in $CODELENGTH_CLI) on the same inputs, against an independent computation where one
is short, and with bad input, which must raise, never crash."""
import gzip
import json
import lzma
import math
import os
import subprocess
import threading
import time
import zlib

import numpy as np
import pytest

import codelength

CLI = os.environ.get("CODELENGTH_CLI", "")
needs_cli = pytest.mark.skipif(not CLI or not os.path.exists(CLI), reason="CODELENGTH_CLI is not set")


def run_cli(*args, check=True):
    result = subprocess.run([CLI, *map(str, args)], capture_output=True)
    if check:
        assert result.returncode == 0, result.stderr.decode()
    return result


def cli_json(*args):
    return json.loads(run_cli(*args, "--json").stdout)


def sample_text(size_bytes, seed=7):
    """Text with repeats (so the models have something to learn) and some noise."""
    rng = np.random.default_rng(seed)
    words = [b"the", b"cat", b"sat", b"on", b"a", b"mat", b"and", b"then", b"\xc3\xbcber", b"42"]
    out = bytearray()
    while len(out) < size_bytes:
        out += words[int(rng.integers(len(words)))] + (b"\n" if rng.random() < 0.1 else b" ")
    return bytes(out[:size_bytes])


# --- compress / decompress ---------------------------------------------------------------

@needs_cli
@pytest.mark.parametrize("model,memory_mib", [("cm", 256), ("cm", 8), ("ppm", 16), ("order0", 256)])
def test_compress_gives_the_cli_bytes_and_each_decompresses_the_other(tmp_path, model, memory_mib):
    data = sample_text(30_000)
    source = tmp_path / "in.txt"
    source.write_bytes(data)
    packed = codelength.compress(data, model=model, memory_mib=memory_mib)
    run_cli("compress", source, tmp_path / "cli.clz", "--model", model, "--memory", memory_mib)
    cli_packed = (tmp_path / "cli.clz").read_bytes()
    assert packed == cli_packed
    assert len(packed) < len(data)
    assert codelength.decompress(cli_packed) == data
    (tmp_path / "py.clz").write_bytes(packed)
    run_cli("decompress", tmp_path / "py.clz", tmp_path / "back.txt")
    assert (tmp_path / "back.txt").read_bytes() == data


def test_compress_takes_every_bytes_like_object():
    data = sample_text(5_000, seed=3)
    expected = codelength.compress(data, model="order0")
    assert codelength.compress(bytearray(data), model="order0") == expected
    assert codelength.compress(memoryview(data), model="order0") == expected
    assert codelength.compress(np.frombuffer(data, dtype=np.uint8), model="order0") == expected
    assert codelength.decompress(bytearray(expected)) == data
    assert codelength.decompress(b"".join([codelength.compress(b"")])) == b""


def test_compress_and_decompress_release_the_gil():
    data = sample_text(3_000_000, seed=5)
    window = {}

    def work():
        window["start"] = time.perf_counter()
        window["packed"] = codelength.compress(data, model="order0")
        window["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    inside = [t for t in ticks if window["start"] < t < window["end"]]
    # While the GIL is held this thread cannot run at all; released, it ticks throughout.
    assert window["end"] - window["start"] > 0.01
    assert len(inside) > 100
    assert codelength.decompress(window["packed"]) == data


def test_decompress_refuses_bad_streams():
    data = sample_text(20_000, seed=11)
    packed = codelength.compress(data, model="cm", memory_mib=8)
    with pytest.raises(codelength.StreamError):
        codelength.decompress(packed[:30])  # shorter than the header
    with pytest.raises(codelength.StreamError):
        codelength.decompress(packed[:-10])  # truncated payload
    with pytest.raises(codelength.StreamError):
        codelength.decompress(b"")
    with pytest.raises(codelength.StreamError, match="CLZB"):
        codelength.decompress(b"hello, this is not a compressed stream at all: no magic bytes")
    for position in (5, 20, 100, len(packed) // 2, len(packed) - 1):
        corrupted = bytearray(packed)
        corrupted[position] ^= 0x40
        with pytest.raises(codelength.StreamError):
            codelength.decompress(bytes(corrupted))
    with pytest.raises(codelength.StreamLimitError):
        codelength.decompress(packed, max_output_bytes=len(data) - 1)
    assert codelength.decompress(packed, max_output_bytes=len(data)) == data
    with pytest.raises(ValueError, match="max_output_bytes"):
        codelength.decompress(packed, max_output_bytes=-1)
    with pytest.raises(ValueError, match="max_memory_mib"):
        codelength.decompress(packed, max_memory_mib=0)


def test_compress_refuses_bad_arguments():
    with pytest.raises(TypeError, match="data"):
        codelength.compress("text is not bytes")
    with pytest.raises(TypeError, match="data"):
        codelength.compress(12345)
    with pytest.raises(TypeError, match="data"):
        codelength.decompress(None)
    with pytest.raises(ValueError, match="model"):
        codelength.compress(b"abc", model="zip")
    with pytest.raises(ValueError, match="memory_mib"):
        codelength.compress(b"abc", memory_mib=-5)
    with pytest.raises(ValueError, match="memory_mib"):
        codelength.compress(b"abc", memory_mib=0)
    with pytest.raises(codelength.InvalidArgumentError, match="MiB"):
        codelength.compress(b"abc", model="cm", memory_mib=4)  # below the context-mixing model's 8
    with pytest.raises(ValueError, match="contiguous"):
        codelength.compress(np.arange(100, dtype=np.uint8)[::2])


# --- measure -----------------------------------------------------------------------------

@needs_cli
def test_measure_equals_the_cli_json_and_its_baselines_are_the_known_tools(tmp_path):
    data = sample_text(40_000, seed=13)
    source = tmp_path / "in.txt"
    source.write_bytes(data)
    result = codelength.measure(data, model="ppm", memory_mib=16)
    cli = cli_json("measure", source, "--model", "ppm", "--memory", 16)
    expected = dict(cli["files"][0])
    del expected["file"]
    assert result.to_dict() == expected
    assert result.coded_bytes == len(codelength.compress(data, model="ppm", memory_mib=16))
    assert result.bytes == len(data)
    assert result.bits_per_byte == 8 * result.coded_bytes / len(data)
    assert result.ideal_bits_per_byte == pytest.approx(result.ideal_bits / len(data), rel=1e-15)
    # coded size = ideal code length + header + the range coder's few bytes of flush
    assert result.ideal_bits / 8 < result.coded_bytes < result.ideal_bits / 8 + result.header_bytes + 16
    # Independent sizes: Python's gzip (zlib level 9) and xz (preset 9, CRC64) write the same streams.
    assert result.baselines["gzip_9"] == len(gzip.compress(data, 9, mtime=0))
    assert result.baselines["xz_9"] == len(lzma.compress(data, preset=9, check=lzma.CHECK_CRC64))
    assert result.baselines_bits_per_byte["xz_9"] == 8 * result.baselines["xz_9"] / len(data)
    timed = result.to_dict(timing=True)
    assert timed["seconds"] > 0 and timed["decompress_seconds"] > 0
    assert timed["mb_per_s"] == pytest.approx(len(data) / 1e6 / result.seconds)


def test_measure_of_empty_input_has_no_per_byte_rates():
    result = codelength.measure(b"", model="order0")
    d = result.to_dict()
    assert d["bytes"] == 0 and d["bits_per_byte"] is None and d["ideal_bits_per_byte"] is None
    assert all(v is None for v in d["baselines_bits_per_byte"].values())
    with pytest.raises(TypeError, match="data"):
        codelength.measure([1, 2, 3])
    with pytest.raises(ValueError, match="model"):
        codelength.measure(b"abc", model="CM")


# --- Min-K% and Min-K%++ -----------------------------------------------------------------

def lowest_k_mean(values, k):
    n = len(values)
    count = max(1, int(n * (k / 100.0)))
    return float(np.mean(np.sort(np.asarray(values, dtype=np.float64))[:count]))


def test_min_k_percent_and_plus_plus_on_arrays_and_tensors():
    rng = np.random.default_rng(17)
    values = -rng.exponential(2.0, size=103)
    for k in (20.0, 5.0, 29.0, 100.0, 0.5):
        assert codelength.min_k_percent(values, k) == pytest.approx(lowest_k_mean(values, k), rel=1e-12)
        assert codelength.min_k_plus_plus(values, k=k) == pytest.approx(lowest_k_mean(values, k), rel=1e-12)
    assert codelength.min_k_percent([-1.0, -5.0, -3.0, -2.0], 50) == -4.0
    strided = np.repeat(values, 2)[::2]
    assert codelength.min_k_percent(strided) == codelength.min_k_percent(values)
    torch = pytest.importorskip("torch")
    as32 = values.astype(np.float32)
    assert codelength.min_k_percent(torch.from_numpy(as32)) == pytest.approx(lowest_k_mean(as32, 20.0), rel=1e-12)
    half = torch.tensor(values, dtype=torch.bfloat16)
    assert codelength.min_k_percent(half) == pytest.approx(lowest_k_mean(half.double().numpy(), 20.0), rel=1e-12)
    assert codelength.min_k_percent(np.array([-1.0, -np.inf, -2.0]), 50) == -math.inf


def test_min_k_plus_plus_equals_the_score_of_the_same_logits():
    rng = np.random.default_rng(19)
    logits = rng.normal(size=(64, 30)).astype(np.float32)
    targets = rng.integers(0, 30, size=64)
    scored = codelength.score(logits, targets, per_token=True, k=10.0)
    assert codelength.min_k_plus_plus(scored.min_k_plus_plus_z, 10.0) == pytest.approx(scored.min_k_plus_plus,
                                                                                        rel=1e-12)
    assert codelength.min_k_percent(scored.log_probability_nats, 10.0) == pytest.approx(scored.min_k_percent,
                                                                                         rel=1e-12)


@pytest.mark.parametrize("function", [codelength.min_k_percent, codelength.min_k_plus_plus])
def test_min_k_refuses_bad_input(function):
    with pytest.raises(codelength.InvalidArgumentError):
        function(np.array([-1.0, np.nan, -2.0]))
    with pytest.raises(codelength.InvalidArgumentError):
        function(np.array([-1.0, np.inf]))
    with pytest.raises(codelength.Error):
        function(np.array([], dtype=np.float64))
    with pytest.raises(ValueError, match="1-D"):
        function(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="dtype"):
        function(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="k"):
        function(np.array([-1.0]), k=0.0)
    with pytest.raises(ValueError, match="k"):
        function(np.array([-1.0]), k=101.0)
    with pytest.raises(ValueError, match="k"):
        function(np.array([-1.0]), k=float("nan"))
    with pytest.raises(TypeError):
        function("not an array")


# --- ARPA models -------------------------------------------------------------------------

ARPA_MODEL = {
    ("<unk>",): (-1.5, 0.0), ("<s>",): (-99.0, -0.4), ("</s>",): (-0.8, 0.0),
    ("the",): (-0.9, -0.3), ("cat",): (-1.2, -0.2), ("sat",): (-1.1, -0.25), ("über",): (-1.3, 0.0),
    ("<s>", "the"): (-0.3, -0.12), ("the", "cat"): (-0.5, -0.1), ("cat", "sat"): (-0.4, 0.0),
    ("sat", "</s>"): (-0.2, 0.0), ("the", "über"): (-0.7, 0.0),
    ("<s>", "the", "cat"): (-0.1, 0.0), ("the", "cat", "sat"): (-0.15, 0.0),
}
ARPA_TEXT = "the cat sat\nthe über cat dog\n\n  \nsat the cat\n"


def arpa_text(model):
    order = max(len(k) for k in model)
    out = ["\\data\\"] + [f"ngram {n}={sum(1 for k in model if len(k) == n)}" for n in range(1, order + 1)]
    for n in range(1, order + 1):
        out += ["", f"\\{n}-grams:"]
        for key, (logp, bow) in model.items():
            if len(key) == n:
                out.append(f"{logp!r}\t{' '.join(key)}" + (f"\t{bow!r}" if bow != 0.0 else ""))
    return "\n".join(out + ["", "\\end\\", ""])


@needs_cli
def test_arpa_model_scores_a_text_as_the_cli(tmp_path):
    path = tmp_path / "model.arpa"
    path.write_text(arpa_text(ARPA_MODEL), encoding="utf-8")
    text_path = tmp_path / "text.txt"
    text_path.write_text(ARPA_TEXT, encoding="utf-8")
    model = codelength.ArpaModel(path)
    assert model.order == 3
    assert model.vocabulary_size == 7
    score = model.score_text(ARPA_TEXT)
    assert score.to_dict() == cli_json("ngram", "--arpa", path, "--text", text_path)
    assert model.score_text(ARPA_TEXT.encode("utf-8")).to_dict() == score.to_dict()
    assert codelength.ArpaModel(str(path)).score_text(ARPA_TEXT).to_dict() == score.to_dict()
    assert codelength.ArpaModel.from_text(arpa_text(ARPA_MODEL)).score_text(ARPA_TEXT).to_dict() == score.to_dict()
    assert score.sentences == 3 and score.words == 10 and score.oovs == 1 and score.skipped_oovs == 0
    # "the cat sat </s>" alone, by hand: p(the|<s>) p(cat|<s> the) p(sat|the cat) p(</s>|cat sat)
    # = -0.3 - 0.1 - 0.15 + (bow(cat sat) = 0) - 0.2
    single = model.score_text("the cat sat\n")
    assert single.total_log10_prob == pytest.approx(-0.3 - 0.1 - 0.15 - 0.2, abs=1e-12)
    assert single.bits_per_byte == pytest.approx(0.75 * math.log2(10) / 12, rel=1e-12)


@needs_cli
def test_arpa_model_without_unk_has_infinite_perplexity_like_the_cli(tmp_path):
    no_unk = {k: v for k, v in ARPA_MODEL.items() if k != ("<unk>",)}
    path = tmp_path / "no_unk.arpa"
    path.write_text(arpa_text(no_unk), encoding="utf-8")
    text_path = tmp_path / "text.txt"
    text_path.write_text(ARPA_TEXT, encoding="utf-8")
    score = codelength.ArpaModel(path).score_text(ARPA_TEXT)
    assert score.perplexity == math.inf and score.skipped_oovs == 1
    assert score.to_dict()["perplexity"] is None
    assert score.to_dict() == cli_json("ngram", "--arpa", path, "--text", text_path)


def test_arpa_model_refuses_missing_and_malformed_files(tmp_path):
    with pytest.raises(codelength.IoError, match="nothing.arpa"):
        codelength.ArpaModel(tmp_path / "nothing.arpa")
    with pytest.raises(OSError):
        codelength.ArpaModel(tmp_path)  # a directory
    good = arpa_text(ARPA_MODEL)
    broken = good.replace("-0.5\tthe cat\t-0.1\n", "-0.5\tthe\n", 1)
    (tmp_path / "broken.arpa").write_text(broken, encoding="utf-8")
    line = broken.split("\n").index("-0.5\tthe") + 1
    with pytest.raises(codelength.FormatError, match=f"broken.arpa:{line}"):
        codelength.ArpaModel(tmp_path / "broken.arpa")
    with pytest.raises(codelength.FormatError):
        codelength.ArpaModel.from_text(good.replace("ngram 2=5", "ngram 2=6"))
    with pytest.raises(codelength.FormatError):
        codelength.ArpaModel.from_text(good[:-8])
    with pytest.raises(codelength.FormatError):
        codelength.ArpaModel.from_text("just some text\n")
    with pytest.raises(TypeError):
        codelength.ArpaModel(42)
    with pytest.raises(TypeError):
        codelength.ArpaModel.from_text(good).score_text(42)


# --- memorization ------------------------------------------------------------------------

def memorization_inputs(seed=23, batches=2, positions=90, vocabulary=40):
    """Logits that predict the targets well in places (memorized spans), documents and text."""
    rng = np.random.default_rng(seed)
    count = batches * positions
    targets = rng.integers(0, vocabulary, size=count)
    logits = rng.normal(size=(count, vocabulary)).astype(np.float32)
    confident = rng.random(count) < 0.6
    logits[np.arange(count)[confident], targets[confident]] += 12.0
    token_bytes = rng.integers(1, 4, size=count)
    token_bytes[5] = 0  # a token that spells nothing
    text = bytes(b if b < 128 else ord("?") for b in sample_text(int(token_bytes.sum()), seed=seed))  # ASCII
    reference = rng.normal(size=(count, vocabulary + 3)).astype(np.float32)
    return dict(logits=logits.reshape(batches, positions, vocabulary), targets=targets.reshape(batches, positions),
                doc_offsets=np.array([0, 50, 100, 140]), text=text,
                token_bytes=token_bytes.reshape(batches, positions),
                reference_logits=reference.reshape(batches, positions, vocabulary + 3))


def cli_memorization(tmp_path, inputs, *options):
    paths = {}
    for name in ("logits", "targets", "doc_offsets", "token_bytes", "reference_logits"):
        paths[name] = tmp_path / f"{name}.npy"
        np.save(paths[name], np.ascontiguousarray(inputs[name]))
    paths["text"] = tmp_path / "text.bin"
    paths["text"].write_bytes(inputs["text"])
    return cli_json("memorization", "--logits", paths["logits"], "--targets", paths["targets"],
                    "--doc-offsets", paths["doc_offsets"], "--text", paths["text"],
                    "--token-bytes", paths["token_bytes"], "--reference-logits", paths["reference_logits"],
                    *options)


@needs_cli
def test_memorization_equals_the_cli_json(tmp_path):
    inputs = memorization_inputs()
    expected = cli_memorization(tmp_path, inputs, "--prefix", 10, "--prompt-tokens", 4, "--k", 10,
                                "--span-min-bytes", 8, "--resamples", 200, "--seed", 5)
    result = codelength.memorization(**inputs, prefix_tokens=10, prompt_tokens=4, k=10.0, span_min_bytes=8,
                                     resamples=200, seed=5)
    assert result.to_dict() == expected
    assert len(result.documents) == 4
    assert any(d["memorized_spans"] for d in result.documents)  # the data has spans to find
    assert result.prompt_bits == 4 * math.log2(40)
    # One document's numbers by hand: model bits are the sum of -log2 softmax(logits)[target].
    logits = inputs["logits"].reshape(-1, 40).astype(np.float64)
    targets = inputs["targets"].reshape(-1)
    log_p = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    bits = -log_p[np.arange(len(targets)), targets] / math.log(2)
    first = result.documents[0]
    assert first["model_bits"] == pytest.approx(bits[:50].sum(), rel=1e-7)  # float32 logits
    spelled = inputs["text"][:int(inputs["token_bytes"].reshape(-1)[:50].sum())]
    assert first["zlib_bytes"] == len(zlib.compress(spelled))
    assert first["bytes"] == len(spelled)
    # Threads measure the documents in parallel: the same result, and the CLI's with --threads.
    for threads in (2, 0):
        assert codelength.memorization(**inputs, prefix_tokens=10, prompt_tokens=4, k=10.0, span_min_bytes=8,
                                       resamples=200, seed=5, threads=threads).to_dict() == expected
    assert cli_memorization(tmp_path, inputs, "--prefix", 10, "--prompt-tokens", 4, "--k", 10,
                            "--span-min-bytes", 8, "--resamples", 200, "--seed", 5, "--threads", 3) == expected


@needs_cli
def test_memorization_reads_torch_tensors_and_strided_batches(tmp_path):
    torch = pytest.importorskip("torch")
    inputs = memorization_inputs(seed=29)
    expected = cli_memorization(tmp_path, inputs)
    # The same logits as a (B, T, V) view of a (T, B, V) tensor: batches are not evenly spaced rows.
    swapped = torch.from_numpy(np.ascontiguousarray(inputs["logits"].transpose(1, 0, 2))).transpose(0, 1)
    assert not swapped.is_contiguous()
    reference = torch.from_numpy(inputs["reference_logits"])
    result = codelength.memorization(swapped, torch.from_numpy(inputs["targets"]), inputs["doc_offsets"],
                                     inputs["text"].decode("utf-8"), torch.from_numpy(inputs["token_bytes"]),
                                     reference_logits=reference)
    assert result.to_dict() == expected
    as_lists = codelength.memorization(inputs["logits"], inputs["targets"].tolist(), [0, 50, 100, 140, 180],
                                       bytearray(inputs["text"]), inputs["token_bytes"],
                                       reference_logits=inputs["reference_logits"])
    assert as_lists.to_dict() == expected


def test_memorization_refuses_bad_input():
    good = memorization_inputs(seed=31)

    def call(**changes):
        arguments = dict(good)
        arguments.update(changes)
        return codelength.memorization(**arguments)

    call()  # the unchanged inputs are fine
    with_nan = good["logits"].copy()
    with_nan[1, 7, 3] = np.nan
    with pytest.raises(codelength.InvalidRowError):
        call(logits=with_nan)
    with_inf = good["logits"].copy()
    with_inf[0, 2, 0] = np.inf
    with pytest.raises(codelength.InvalidRowError):
        call(logits=with_inf)
    negative = good["targets"].copy()
    negative[1, 3] = -100
    with pytest.raises(ValueError, match=r"targets\[1, 3\]"):
        call(targets=negative)
    too_large = good["targets"].copy()
    too_large[0, 4] = 40
    with pytest.raises(codelength.TargetOutOfRangeError):
        call(targets=too_large)
    with pytest.raises(ValueError, match="targets"):
        call(targets=good["targets"][:, :-1])
    with pytest.raises(ValueError, match="token_bytes"):
        call(token_bytes=good["token_bytes"].reshape(-1))
    bad_bytes = good["token_bytes"].copy()
    bad_bytes[0, 0] = -1
    with pytest.raises(ValueError, match="token_bytes"):
        call(token_bytes=bad_bytes)
    with pytest.raises(codelength.InvalidArgumentError, match="doc_offsets"):
        call(doc_offsets=np.array([0, 60, 50]))
    with pytest.raises(codelength.InvalidArgumentError, match="doc_offsets"):
        call(doc_offsets=np.array([0, 500]))
    with pytest.raises(codelength.InvalidArgumentError, match="doc_offsets"):
        call(doc_offsets=np.array([], dtype=np.int64))
    with pytest.raises(ValueError, match="doc_offsets"):
        call(doc_offsets=np.array([[0, 50]]))
    with pytest.raises(TypeError, match="doc_offsets"):
        call(doc_offsets=np.array([0.0, 50.0]))
    with pytest.raises(codelength.InvalidArgumentError, match="text"):
        call(text=good["text"][:-1])
    with pytest.raises(TypeError, match="text"):
        call(text=12345)
    with pytest.raises(ValueError, match="reference_logits"):
        call(reference_logits=good["reference_logits"][:, :-1])
    with pytest.raises(TypeError, match="logits"):
        call(logits=good["logits"].astype(np.int32))
    with pytest.raises(ValueError, match="logits"):
        call(logits=good["logits"][0, 0])
    for name, value in (("k", 0.0), ("k", 150.0), ("prefix_tokens", -1), ("prompt_tokens", 0),
                        ("span_min_bytes", 0), ("span_bits_per_byte", -1.0), ("resamples", 0),
                        ("confidence", 1.0), ("seed", -3), ("threads", -1)):
        with pytest.raises(ValueError, match=name):
            call(**{name: value})


# --- MDL ---------------------------------------------------------------------------------

MDL_CASES = [
    dict(unit="nats", vocabulary_size=50257, first_block_items=10, blocks=[(10, 40.5), (20, 61.0), (40, 99.25)],
         final_model_code_length=150.0, parameters=1000, bits_per_parameter="bf16", raw_bytes=4000,
         compressed_bytes=900.5),
    dict(unit="bits", vocabulary_size=256, steps=[(512, 5.5), (512, 4.25), (1024, 3.0)], items=2048,
         final_model_code_length=5000.0, decompressor_bytes=300, reference_bits_per_item=8.0),
    dict(items=10000),
    dict(unit="bits", vocabulary_size=16, items=100, final_model_code_length=120.0, parameters=64,
         bits_per_parameter=5.5, raw_bytes=100, compressed_bytes=60),
]


def mdl_file(arguments):
    lines = ["# written by test_library.py"]
    for key, value in arguments.items():
        if key == "blocks":
            lines += [f"block,{items},{length!r}" for items, length in value]
        elif key == "steps":
            lines += [f"step,{tokens},{loss!r}" for tokens, loss in value]
        elif key == "weights":
            continue
        else:
            lines.append(f"{key},{value}")
    return "\n".join(lines) + "\n"


@needs_cli
@pytest.mark.parametrize("case", range(len(MDL_CASES)))
def test_mdl_equals_the_cli_json(tmp_path, case):
    arguments = MDL_CASES[case]
    path = tmp_path / "mdl.txt"
    path.write_text(mdl_file(arguments))
    result = codelength.mdl(**arguments)
    expected = cli_json("mdl", "--input", path)
    assert result.to_dict() == expected
    assert list(result.keys()) == list(expected.keys())
    for key, value in expected.items():
        assert key in result and result[key] == value


@needs_cli
def test_mdl_with_a_weights_file_equals_the_cli(tmp_path):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(np.random.default_rng(3).normal(size=4000).astype(np.float16).tobytes())
    arguments = dict(unit="bits", vocabulary_size=256, items=5000, final_model_code_length=30000.0)
    path = tmp_path / "mdl.txt"
    path.write_text(mdl_file(arguments))
    result = codelength.mdl(**arguments, weights=weights)
    assert result.to_dict() == cli_json("mdl", "--input", path, "--weights", weights)
    assert result["model_bits"] == 8 * result["weights_bytes_codelength"]


def test_mdl_by_hand_and_bad_input():
    online = codelength.mdl(unit="bits", vocabulary_size=4, first_block_items=2, blocks=[(2, 3.0)])
    assert online["first_block_bits"] == 4.0 and online["online_bits"] == 7.0
    assert online["uniform_bits"] == 8.0 and online["block_ends"] == [2, 4]
    with pytest.raises(codelength.InvalidArgumentError, match="nothing to compute"):
        codelength.mdl(vocabulary_size=5)
    with pytest.raises(codelength.InvalidArgumentError, match="unit"):
        codelength.mdl(blocks=[(2, 3.0)], first_block_items=2, vocabulary_size=4)
    with pytest.raises(ValueError, match="unit"):
        codelength.mdl(unit="bytes", items=10)
    with pytest.raises(codelength.InvalidArgumentError, match="more than one model cost"):
        codelength.mdl(unit="bits", parameters=10, weights_bytes=20, final_model_code_length=5.0)
    with pytest.raises(codelength.InvalidArgumentError, match="bits_per_parameter needs parameters"):
        codelength.mdl(unit="bits", bits_per_parameter=8.0, final_model_code_length=5.0)
    with pytest.raises(ValueError, match="bits_per_parameter"):
        codelength.mdl(parameters=10, bits_per_parameter="fp8", items=3)
    with pytest.raises(ValueError, match="items"):
        codelength.mdl(items=-3)
    with pytest.raises(ValueError, match="raw_bytes"):
        codelength.mdl(raw_bytes=0.0, compressed_bytes=1.0)
    with pytest.raises(ValueError, match="final_model_code_length"):
        codelength.mdl(unit="bits", final_model_code_length=float("nan"))
    with pytest.raises(ValueError, match="blocks"):
        codelength.mdl(unit="bits", vocabulary_size=4, first_block_items=2, blocks=[(0, 3.0)])
    with pytest.raises(codelength.InvalidArgumentError):
        codelength.mdl(unit="bits", vocabulary_size=4, first_block_items=2, blocks=[(2, -3.0)])
    with pytest.raises(codelength.InvalidArgumentError, match="items"):
        codelength.mdl(unit="bits", vocabulary_size=4, first_block_items=2, blocks=[(2, 3.0)], items=5)
    with pytest.raises(codelength.IoError):
        codelength.mdl(items=10, weights="/nonexistent/weights.bin")
    with pytest.raises(TypeError):
        codelength.mdl(items="ten")
    with pytest.raises(KeyError):
        codelength.mdl(items=10)["online_bits"]

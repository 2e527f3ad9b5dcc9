"""`codelength lm-score` / `lm-compress` / `lm-decompress` end to end, with TorchScript models
made here by Debian's PyTorch (a causal forward-only byte model, a GRU byte model with
initial_state/step, a GRU over a SentencePiece vocabulary, a perturbed copy and a model whose
step is not reproducible) and SentencePiece models trained here with spm_train. Checks: the
`lm-score --json` keys and total bits against torch's own cross_entropy, bits_per_byte over the
file's size, rolling windows scoring every token once; byte-identical round trips (byte and
SentencePiece models, state and window mode, empty and binary files, stdin/stdout); a perturbed
model, a model with the same weights and another forward, another tokenizer or other options
fail with the stream's mismatch error and no output; a text the tokenizer cannot reproduce, a
damaged stream, an existing output without --force and a failed verification all fail with a
message and no output; --no-verify skips the verification.
First, the plugin (codelength-lm.so beside the program): the program does not link LibTorch, the
plugin's errors are reported as the program's own (exit status 2 for usage, 1 otherwise), and
without a loadable plugin lm-score fails naming the file it tried while --version still works.
Needs /usr/bin/python3 with torch (the test exits 77, skipped, without it) and spm_train."""
import glob
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys

from cli_check import check, finish, path_of, write

CLI = os.path.abspath(sys.argv[1])
WORK = sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)


def run_program(program, *args):
    return subprocess.run([program, *map(str, args)], capture_output=True)


# 0. The plugin. The program does not load LibTorch (only the plugin links it).
PLUGIN = os.path.join(os.path.dirname(CLI), "codelength-lm.so")
check(os.path.isfile(PLUGIN), f"no {PLUGIN} beside the program")
if shutil.which("ldd"):
    program_libraries = subprocess.run(["ldd", CLI], capture_output=True, text=True).stdout
    check("libtorch" not in program_libraries and "libc10" not in program_libraries,
          f"the program links LibTorch: {program_libraries}")
    plugin_libraries = subprocess.run(["ldd", PLUGIN], capture_output=True, text=True).stdout
    check("libtorch" in plugin_libraries, f"the plugin does not link LibTorch: {plugin_libraries}")
# Errors inside the plugin come back in the program's format and exit status.
result = run_program(CLI, "lm-score", "--bogus")
check(result.returncode == 2 and result.stderr ==
      b"codelength lm-score: unknown option --bogus (see codelength lm-score --help)\n",
      f"usage error through the plugin: exit {result.returncode}: {result.stderr}")
result = run_program(CLI, "lm-decompress", "--model", "m.pt", path_of("missing.lm"), path_of("out"))
check(result.returncode == 1 and result.stderr.startswith(b"codelength lm-decompress: ") and
      b"missing.lm" in result.stderr, f"error through the plugin: exit {result.returncode}: {result.stderr}")
result = run_program(CLI, "lm-compress", "--help")
check(result.returncode == 0 and result.stdout.startswith(b"usage: codelength lm-compress "), "lm-compress --help")
# A copy of the program without its plugin, then with a file that is not one.
alone = os.path.join(WORK, "alone")
os.makedirs(alone)
shutil.copy2(CLI, alone)
ALONE = os.path.join(alone, os.path.basename(CLI))
result = run_program(ALONE, "--version")
check(result.returncode == 0 and b"language models: LibTorch " in result.stdout and
      b"codelength-lm.so is missing" in result.stdout and alone.encode() in result.stdout,
      f"--version without the plugin: exit {result.returncode}: {result.stdout}")
result = run_program(ALONE, "lm-score", "--model", "m.pt", "--text", "t.txt")
check(result.returncode == 1 and
      result.stderr.startswith(b"codelength lm-score: cannot load the language-model plugin codelength-lm.so; ") and
      os.path.join(alone, "codelength-lm.so").encode() in result.stderr,
      f"lm-score without the plugin: exit {result.returncode}: {result.stderr}")
with open(os.path.join(alone, "codelength-lm.so"), "wb") as f:
    f.write(b"not a shared object\n")
result = run_program(ALONE, "lm-compress", "--model", "m.pt", "in", "out")
check(result.returncode == 1 and (os.path.join(alone, "codelength-lm.so") + ": ").encode() in result.stderr,
      f"lm-compress with a broken plugin: exit {result.returncode}: {result.stderr}")
result = run_program(ALONE, "--version")
check(result.returncode == 0 and b"missing" not in result.stdout, f"--version with a plugin file: {result.stdout}")
result = run_program(ALONE, "compress", "--help")
check(result.returncode == 0, "the other commands run without the plugin")

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("skipped: torch is not importable by", sys.executable)
    sys.exit(77)

torch.manual_seed(20261207)
random.seed(20261207)


class Causal(torch.nn.Module):
    """Forward only (window mode): row t depends on inputs 0..t through a running mean."""

    def __init__(self, vocabulary: int):
        super().__init__()
        self.embed = torch.nn.Embedding(vocabulary, 16)
        self.out = torch.nn.Linear(16, vocabulary)

    def forward(self, ids):
        x = self.embed(ids)
        counts = torch.arange(1, ids.size(1) + 1, dtype=x.dtype).view(1, -1, 1)
        return 3.0 * self.out(torch.tanh(x.cumsum(1) / counts + x))


class Recurrent(torch.nn.Module):
    """A GRU with forward and the state interface (initial_state, step)."""

    def __init__(self, vocabulary: int, noisy: bool = False):
        super().__init__()
        self.embed = torch.nn.Embedding(vocabulary, 16)
        self.gru = torch.nn.GRU(16, 32, batch_first=True)
        self.out = torch.nn.Linear(32, vocabulary)
        self.noisy = noisy

    def forward(self, ids):
        h, _ = self.gru(self.embed(ids))
        return 4.0 * self.out(h)

    @torch.jit.export
    def initial_state(self):
        return torch.zeros(1, 1, 32)

    @torch.jit.export
    def step(self, ids, state):
        h, s = self.gru(self.embed(ids), state)
        logits = 4.0 * self.out(h)
        if self.noisy:  # not reproducible: the verifying decode sees other rows
            logits = logits + 3.0 * torch.rand(logits.shape)
        return logits, s


def save_model(name, module):
    module.eval()
    scripted = torch.jit.script(module)
    scripted.save(path_of(name))
    return path_of(name), scripted


byte_causal, causal_module = save_model("byte_causal.pt", Causal(256))
recurrent = Recurrent(256)
byte_gru, gru_module = save_model("byte_gru.pt", recurrent)
with torch.no_grad():
    recurrent.out.bias[7] += 1e-3  # one weight changed
perturbed, _ = save_model("byte_gru_perturbed.pt", recurrent)
noisy, _ = save_model("byte_gru_noisy.pt", Recurrent(256, noisy=True))
spm_gru, spm_module = save_model("spm_gru.pt", Recurrent(400))


class Doubled(Causal):
    """Causal's code with the logits scaled by 6 instead of 3: given Causal's weights, a model
    file whose parameters are identical and whose forward differs."""

    def forward(self, ids):
        x = self.embed(ids)
        counts = torch.arange(1, ids.size(1) + 1, dtype=x.dtype).view(1, -1, 1)
        return 6.0 * self.out(torch.tanh(x.cumsum(1) / counts + x))


doubled = Doubled(256)
doubled.load_state_dict(causal_module.state_dict())
byte_doubled, doubled_module = save_model("byte_doubled.pt", doubled)


def run(*args, stdin=None):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, input=stdin)


def ok(result, what):
    check(result.returncode == 0, f"{what}: exit {result.returncode}: {result.stderr.decode(errors='replace')}")
    return result.returncode == 0


def fails(result, what, needle=None):
    message = result.stderr.decode(errors="replace")
    check(result.returncode == 1, f"{what}: expected exit 1, got {result.returncode}: {message}")
    if needle is not None:
        check(needle in message, f"{what}: message lacks {needle!r}: {message}")


def no_leftovers(name, what):
    check(not os.path.exists(path_of(name)), f"{what}: {name} was written")
    check(not glob.glob(os.path.join(WORK, "." + name + ".tmp-*")), f"{what}: a temporary file was left")


def reference_bits(module, ids, bos):
    """-log2 p of every token (the first from bos) by torch's cross_entropy."""
    if not ids:
        return 0.0
    inputs = torch.tensor([[bos] + ids[:-1]], dtype=torch.int64)
    with torch.no_grad():
        logits = module(inputs)[0].double()
    return F.cross_entropy(logits, torch.tensor(ids), reduction="sum").item() / math.log(2)


words = ["the", "model", "codes", "every", "token", "of", "a", "text", "with", "bits", "and", "bytes",
         "window", "stride", "context", "é", "naïve", "日本", "stream"]
text = " ".join(random.choice(words) for _ in range(400)) + "\n\tend  of text.\n"
text_bytes = text.encode()
text_file = write("text.txt", text_bytes)
corpus = write("corpus.txt", "\n".join(" ".join(random.choice(words) for _ in range(12)) for _ in range(400)))

# 1. lm-score --json: keys, total bits against torch, bytes = the file's size.
SCORE_KEYS = ["tokens", "ignored_tokens", "infinite_tokens", "vocabulary_size", "dtype", "total_bits",
              "bits_per_token", "token_perplexity", "mean_entropy_bits", "k_percent", "min_k_percent",
              "min_k_plus_plus", "bytes", "bits_per_byte", "words", "byte_perplexity", "word_perplexity",
              "context", "stride", "windows", "forward_calls", "tokenizer"]
for name, path, module in [("causal", byte_causal, causal_module), ("gru", byte_gru, gru_module)]:
    result = run("lm-score", "--model", path, "--text", text_file, "--json")
    if ok(result, f"lm-score {name}"):
        report = json.loads(result.stdout)
        check(list(report) == SCORE_KEYS, f"lm-score {name}: keys {list(report)}")
        expected = reference_bits(module, list(text_bytes), 0)
        check(abs(report["total_bits"] - expected) <= 1e-5 * expected + 1e-3,
              f"lm-score {name}: total_bits {report['total_bits']} vs torch {expected}")
        check(report["tokens"] == len(text_bytes), f"lm-score {name}: tokens {report['tokens']}")
        check(report["bytes"] == os.path.getsize(text_file), f"lm-score {name}: bytes {report['bytes']}")
        check(abs(report["bits_per_byte"] - report["total_bits"] / len(text_bytes)) < 1e-12,
              f"lm-score {name}: bits_per_byte {report['bits_per_byte']}")
        check(report["words"] == len(re.split(r"\s+", text)), f"lm-score {name}: words {report['words']}")
        check(abs(report["word_perplexity"] - 2 ** (report["total_bits"] / report["words"])) <=
              1e-9 * report["word_perplexity"], f"lm-score {name}: word_perplexity")
        check(report["vocabulary_size"] == 256 and report["dtype"] == "float32" and report["tokenizer"] == "bytes"
              and report["context"] == 0 and report["windows"] == 1, f"lm-score {name}: {report}")
# --bos changes the first prediction only.
result = run("lm-score", "--model", byte_gru, "--text", text_file, "--bos", "65", "--json")
if ok(result, "lm-score --bos"):
    expected = reference_bits(gru_module, list(text_bytes), 65)
    check(abs(json.loads(result.stdout)["total_bits"] - expected) <= 1e-5 * expected + 1e-3, "lm-score --bos 65")
# Rolling windows cover every token once.
for context, stride in [(64, 32), (64, 64), (100, 7)]:
    result = run("lm-score", "--model", byte_causal, "--text", text_file, "--context", context, "--stride", stride,
                 "--batch-windows", "4", "--json")
    if ok(result, f"lm-score --context {context} --stride {stride}"):
        report = json.loads(result.stdout)
        n = len(text_bytes)
        windows = 1 + math.ceil(max(0, n - context) / stride)
        check(report["tokens"] == n and report["context"] == context and report["stride"] == stride
              and report["windows"] == windows, f"lm-score windows {context}/{stride}: {report}")
# The table without --json, and usage errors.
result = run("lm-score", "--model", byte_gru, "--text", text_file)
ok(result, "lm-score table")
check(b"bits_per_byte" in result.stdout and b"windows" in result.stdout, "lm-score table rows")
check(run("lm-score", "--model", byte_gru, "--text", text_file, "--stride", "4").returncode == 2, "--stride alone")
fails(run("lm-score", "--model", path_of("missing.pt"), "--text", text_file), "missing model", "no such model file")
fails(run("lm-score", "--model", text_file, "--text", text_file), "not a model", "not a loadable TorchScript model")

# 2. Byte-model round trips: state and window mode, empty, binary, stdin/stdout.
binary = write("binary.bin", bytes(random.randrange(256) for _ in range(700)) + bytes(range(256)))
empty = write("empty.txt", b"")


def round_trip(what, source, model, *options, decode_options=None):
    for name in ("rt.lm", "rt.out"):
        if os.path.exists(path_of(name)):
            os.remove(path_of(name))
    compressed = run("lm-compress", "--model", model, *options, source, path_of("rt.lm"))
    if not ok(compressed, f"{what}: lm-compress"):
        return None
    check(b"bits/byte" in compressed.stderr and b"tokens" in compressed.stderr, f"{what}: summary line")
    restored = run("lm-decompress", "--model", model, *(options if decode_options is None else decode_options),
                   path_of("rt.lm"), path_of("rt.out"))
    if ok(restored, f"{what}: lm-decompress"):
        with open(source, "rb") as a, open(path_of("rt.out"), "rb") as b:
            check(a.read() == b.read(), f"{what}: the copy differs")
    return os.path.getsize(path_of("rt.lm"))


size = round_trip("byte GRU, state", text_file, byte_gru)
if size is not None:
    ideal = reference_bits(gru_module, list(text_bytes), 0)
    check(8 * size <= ideal * 1.001 + 8 * 52 + 64, f"lm-compress: {size} bytes vs ideal {ideal / 8:.1f}")
round_trip("byte GRU, window mode", text_file, byte_gru, "--incremental", "window", "--context", "48")
round_trip("causal, window mode", text_file, byte_causal)
round_trip("causal, context 32", text_file, byte_causal, "--context", "32")
round_trip("empty file", empty, byte_gru)
round_trip("binary bytes", binary, byte_gru)
round_trip("--no-verify", text_file, byte_gru, "--no-verify", decode_options=[])
piped = run("lm-compress", "--model", byte_gru, "-", "-", stdin=text_bytes)
if ok(piped, "lm-compress stdin to stdout"):
    back = run("lm-decompress", "--model", byte_gru, "-", "-", stdin=piped.stdout)
    check(ok(back, "lm-decompress stdin to stdout") and back.stdout == text_bytes, "stdin/stdout round trip")

# 3. Mismatches fail with the stream's error and write nothing.
ok(run("lm-compress", "--model", byte_gru, text_file, path_of("text.lm")), "lm-compress text.lm")
for what, options in [("perturbed model", ["--model", perturbed]), ("another model", ["--model", byte_causal]),
                      ("other --bos", ["--model", byte_gru, "--bos", "1"]),
                      ("other --context", ["--model", byte_gru, "--context", "16"]),
                      ("other mode", ["--model", byte_gru, "--incremental", "window"])]:
    fails(run("lm-decompress", *options, path_of("text.lm"), path_of("mismatch.out")), what, "model mismatch")
    no_leftovers("mismatch.out", what)
# Same weights, other forward: the fingerprint covers the module's code, so a stream of one is
# refused by the other up front (the round trips above show that the same file gives the same
# fingerprint in two processes, lm-compress and lm-decompress).
same_weights = causal_module.state_dict(), doubled_module.state_dict()
check(list(same_weights[0]) == list(same_weights[1]) and
      all(torch.equal(same_weights[0][k], same_weights[1][k]) for k in same_weights[0]),
      "the doubled model has the causal model's parameters")
ok(run("lm-compress", "--model", byte_causal, text_file, path_of("causal.lm")), "lm-compress causal.lm")
fails(run("lm-decompress", "--model", byte_doubled, path_of("causal.lm"), path_of("doubled.out")),
      "same weights, other forward", "model mismatch")
no_leftovers("doubled.out", "same weights, other forward")
with open(path_of("text.lm"), "rb") as f:
    stream = f.read()
for what, damaged in [("truncated", stream[: len(stream) // 2]), ("header only", stream[:52]), ("empty", b""),
                      ("payload byte flipped", stream[:-3] + bytes([stream[-3] ^ 0x10]) + stream[-2:]),
                      ("header byte flipped", stream[:20] + bytes([stream[20] ^ 1]) + stream[21:])]:
    fails(run("lm-decompress", "--model", byte_gru, write("damaged.lm", damaged), path_of("damaged.out")), what,
          "damaged.lm")
    no_leftovers("damaged.out", what)
# Existing output: refused without -f, replaced with it.
existing = write("existing.out", b"keep me")
fails(run("lm-decompress", "--model", byte_gru, path_of("text.lm"), existing), "existing output", "--force")
with open(existing, "rb") as f:
    check(f.read() == b"keep me", "existing output kept")
fails(run("lm-compress", "--model", byte_gru, text_file, existing), "existing compress output", "--force")
ok(run("lm-decompress", "--model", byte_gru, path_of("text.lm"), existing, "-f"), "lm-decompress -f")
with open(existing, "rb") as f:
    check(f.read() == text_bytes, "-f replaced the output")
# A model whose coding rows are not reproducible: verification fails and nothing is written;
# --no-verify writes a stream that then fails to decode (never wrong text).
fails(run("lm-compress", "--model", noisy, text_file, path_of("noisy.lm")), "noisy model", "verification failed")
no_leftovers("noisy.lm", "noisy model")
if ok(run("lm-compress", "--model", noisy, "--no-verify", text_file, path_of("noisy.lm")), "noisy --no-verify"):
    fails(run("lm-decompress", "--model", noisy, path_of("noisy.lm"), path_of("noisy.out")), "noisy decode")
    no_leftovers("noisy.out", "noisy decode")

# 4. SentencePiece: trained here, identity normalizer (round-trips) and the default one (lossy).
spm_train = shutil.which("spm_train")
if spm_train is None:
    check(False, "spm_train is missing (Debian's sentencepiece package)")
else:
    def train(prefix, *options):
        result = subprocess.run([spm_train, f"--input={corpus}", f"--model_prefix={path_of(prefix)}",
                                 "--vocab_size=320", "--hard_vocab_limit=false", "--byte_fallback=true",
                                 *options], capture_output=True)
        check(result.returncode == 0, f"spm_train {prefix}: {result.stderr[-500:]}")
        return path_of(prefix + ".model")

    identity = train("identity", "--normalization_rule_name=identity", "--remove_extra_whitespaces=false")
    lossy = train("lossy")
    # lm-score with the tokenizer against torch on spm_encode's ids (one line: spm_encode
    # encodes line by line); BOS is the model's <s> (1).
    line = write("line.txt", " ".join(random.choice(words) for _ in range(150)))
    encoded = subprocess.run([shutil.which("spm_encode") or "spm_encode", f"--model={identity}",
                              "--output_format=id", f"--input={line}"], capture_output=True)
    ids = [int(x) for x in encoded.stdout.split()]
    check(encoded.returncode == 0 and ids, f"spm_encode: {encoded.stderr}")
    result = run("lm-score", "--model", spm_gru, "--tokenizer", identity, "--text", line, "--json")
    if ok(result, "lm-score --tokenizer"):
        report = json.loads(result.stdout)
        expected = reference_bits(spm_module, ids, 1)
        check(report["tokens"] == len(ids), f"lm-score spm: tokens {report['tokens']} vs {len(ids)}")
        check(abs(report["total_bits"] - expected) <= 1e-5 * expected + 1e-3,
              f"lm-score spm: total_bits {report['total_bits']} vs torch {expected}")
        check(report["bytes"] == os.path.getsize(line) and report["tokenizer"] == "identity.model",
              f"lm-score spm: {report}")
        check(abs(report["bits_per_byte"] - report["total_bits"] / os.path.getsize(line)) < 1e-12,
              "lm-score spm: bits_per_byte over the file's bytes")
    result = run("lm-score", "--model", spm_gru, "--tokenizer", identity, "--text", line, "--context", "16",
                 "--stride", "5", "--json")
    if ok(result, "lm-score --tokenizer --context"):
        check(json.loads(result.stdout)["tokens"] == len(ids), "spm windows cover every token once")
    # A byte model cannot take a vocabulary larger than its own.
    fails(run("lm-score", "--model", byte_gru, "--tokenizer", identity, "--text", line), "V too small",
          "tokenizer mismatch")

    round_trip("spm GRU, state", text_file, spm_gru, "--tokenizer", identity)
    round_trip("spm GRU, window", text_file, spm_gru, "--tokenizer", identity, "--incremental", "window",
               "--context", "24")
    round_trip("spm empty file", empty, spm_gru, "--tokenizer", identity)
    ok(run("lm-compress", "--model", spm_gru, "--tokenizer", identity, text_file, path_of("spm.lm")), "spm.lm")
    fails(run("lm-decompress", "--model", spm_gru, "--tokenizer", lossy, path_of("spm.lm"), path_of("spm.out")),
          "another tokenizer", "model mismatch")
    no_leftovers("spm.out", "another tokenizer")
    fails(run("lm-decompress", "--model", spm_gru, path_of("spm.lm"), path_of("spm.out")), "no tokenizer",
          "model mismatch")
    no_leftovers("spm.out", "no tokenizer")
    # The default normalizer collapses "  " and turns tabs and newlines into spaces: refused.
    fails(run("lm-compress", "--model", spm_gru, "--tokenizer", lossy, text_file, path_of("lossy.lm")),
          "lossy tokenizer", "cannot reproduce this text")
    no_leftovers("lossy.lm", "lossy tokenizer")

finish()

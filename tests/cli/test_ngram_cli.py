"""`codelength ngram` end to end: the script writes an ARPA trigram model and a text, runs the
CLI with --json, and checks every field against an independent Python scorer of the same
convention (SRILM `ngram -ppl` / KenLM `query`: <s> is context, </s> is scored and counted, OOVs
scored as <unk>); then each failure mode must exit non-zero with a message naming the problem."""
import json
import math
import os
import shutil
import subprocess
import sys

from cli_check import check, failures

CLI = sys.argv[1]
WORK = sys.argv[2]


def run(*args):
    return subprocess.run([CLI, "ngram", *map(str, args)], capture_output=True, text=True)


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


# n-gram tuple -> (log10 p, log10 back-off); back-off 0 is written as a missing field.
MODEL = {
    ("<unk>",): (-1.5, 0.0), ("<s>",): (-99.0, -0.4), ("</s>",): (-0.8, 0.0),
    ("the",): (-0.9, -0.3), ("cat",): (-1.2, -0.2), ("sat",): (-1.1, -0.25), ("über",): (-1.3, 0.0),
    ("<s>", "the"): (-0.3, -0.12), ("the", "cat"): (-0.5, -0.1), ("cat", "sat"): (-0.4, 0.0),
    ("sat", "</s>"): (-0.2, 0.0), ("the", "über"): (-0.7, 0.0),
    ("<s>", "the", "cat"): (-0.1, 0.0), ("the", "cat", "sat"): (-0.15, 0.0),
}


def arpa_text(model, with_tabs):
    order = max(len(k) for k in model)
    out = ["produced by the test", "", "\\data\\"]
    for n in range(1, order + 1):
        out.append(f"ngram {n}={sum(1 for k in model if len(k) == n)}")
    for n in range(1, order + 1):
        out += ["", f"\\{n}-grams:"]
        for key, (logp, bow) in model.items():
            if len(key) != n:
                continue
            sep = "\t" if with_tabs else " "
            line = f"{logp!r}{sep}{' '.join(key)}"
            if bow != 0.0:
                line += f"{sep}{bow!r}"
            out.append(line)
    return "\n".join(out + ["", "\\end\\", ""])


def log10_prob(model, order, context, word):
    context = tuple(context[-(order - 1):]) if order > 1 else ()
    backoff = 0.0
    while True:
        if context + (word,) in model:
            return backoff + model[context + (word,)][0]
        if context:
            backoff += model.get(context, (0.0, 0.0))[1]
            context = context[1:]
        else:
            raise AssertionError("word missing from the 1-grams")


def reference(model, text):
    order = max(len(k) for k in model)
    vocabulary = {k[0] for k in model if len(k) == 1}
    has_unk = "<unk>" in vocabulary
    r = dict(sentences=0, words=0, oovs=0, total=0.0, oov_total=0.0, skipped=0)
    for line in text.split("\n"):
        tokens = line.split()
        if not tokens:
            continue
        r["sentences"] += 1
        context = ("<s>",)
        for word in tokens:
            r["words"] += 1
            if word not in vocabulary:
                r["oovs"] += 1
                if not has_unk:
                    r["skipped"] += 1
                    context = ()
                    continue
                p = log10_prob(model, order, context, "<unk>")
                r["oov_total"] += p
                r["total"] += p
                context += ("<unk>",)
                continue
            r["total"] += log10_prob(model, order, context, word)
            context += (word,)
        r["total"] += log10_prob(model, order, context, "</s>")
    n = r["words"] + r["sentences"]
    nbytes = len(text.encode("utf-8"))
    inf = r["skipped"] > 0
    return {
        "sentences": r["sentences"], "words": r["words"], "oovs": r["oovs"],
        "total_log10_prob": r["total"],
        "perplexity": None if inf else 10 ** (-r["total"] / n),
        "perplexity_excluding_oov": 10 ** (-(r["total"] - r["oov_total"]) / (n - r["oovs"])),
        "bits_per_byte": None if inf else -r["total"] * math.log2(10) / nbytes,
    }


def compare(report, want, label):
    for key, value in want.items():
        got = report.get(key, "missing")
        if value is None or isinstance(value, int):
            check(got == value, f"{label}: {key} {got!r} != {value!r}")
        else:
            check(isinstance(got, float) and abs(got - value) <= 1e-12 * max(1.0, abs(value)),
                  f"{label}: {key} {got!r} vs {value!r}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    text = ("the cat sat\n"
            "\n"
            "the über cat sat dog\n"      # an OOV scored as <unk>, UTF-8 bytes
            "  sat  \t the   cat  \r\n"   # odd whitespace, CRLF
            "zebra yak\n"                 # an all-OOV sentence
            "cat")                        # one word, no final newline
    text_path = write("text.txt", text)
    want = reference(MODEL, text)
    for with_tabs in (True, False):
        label = "tabs" if with_tabs else "spaces"
        arpa = write(f"model_{label}.arpa", arpa_text(MODEL, with_tabs))
        result = run("--arpa", arpa, "--text", text_path, "--json")
        check(result.returncode == 0, f"{label}: exit {result.returncode}: {result.stderr}")
        if result.returncode == 0:
            report = json.loads(result.stdout)
            compare(report, want, label)
            check(report["order"] == 3 and report["vocabulary_size"] == 7, f"{label}: order/vocabulary")
    check(want["oovs"] == 3 and want["sentences"] == 5, "the reference counts what the text was built for")

    # Without <unk> the OOVs are skipped (SRILM) and the including-OOV numbers are infinite (null).
    no_unk = {k: v for k, v in MODEL.items() if k != ("<unk>",)}
    no_unk_path = write("no_unk.arpa", arpa_text(no_unk, True))
    result = run("--arpa", no_unk_path, "--text", text_path, "--json")
    check(result.returncode == 0, f"no <unk>: exit {result.returncode}: {result.stderr}")
    if result.returncode == 0:
        report = json.loads(result.stdout)
        compare(report, reference(no_unk, text), "no <unk>")
        check(report["skipped_oovs"] == 3, "no <unk>: skipped_oovs")

    # The table output names the same quantities.
    result = run("--arpa", os.path.join(WORK, "model_tabs.arpa"), "--text", text_path)
    check(result.returncode == 0 and "perplexity_excluding_oov" in result.stdout, "table output")

    # Failure modes.
    good_arpa = os.path.join(WORK, "model_tabs.arpa")
    broken = arpa_text(MODEL, True).replace("-0.5\tthe cat\t-0.1\n", "-0.5\tthe\n", 1)
    broken_line = broken.split("\n").index("-0.5\tthe") + 1
    expect_failure("malformed line", 1, ["broken.arpa:" + str(broken_line)],
                   "--arpa", write("broken.arpa", broken), "--text", text_path)
    expect_failure("count mismatch", 1, ["counted.arpa:", "declared"],
                   "--arpa", write("counted.arpa", arpa_text(MODEL, True).replace("ngram 2=5", "ngram 2=6")),
                   "--text", text_path)
    expect_failure("truncated", 1, ["truncated.arpa:", "\\end\\"],
                   "--arpa", write("truncated.arpa", arpa_text(MODEL, True)[:-8]), "--text", text_path)
    expect_failure("not arpa", 1, ["\\data\\"], "--arpa", text_path, "--text", text_path)
    expect_failure("missing model", 1, ["nothing.arpa"], "--arpa", os.path.join(WORK, "nothing.arpa"),
                   "--text", text_path)
    expect_failure("missing text", 1, ["nothing.txt"], "--arpa", good_arpa,
                   "--text", os.path.join(WORK, "nothing.txt"))
    expect_failure("missing --text", 2, ["--text"], "--arpa", good_arpa)
    expect_failure("unknown option", 2, ["--frobnicate"], "--arpa", good_arpa, "--text", text_path, "--frobnicate")

    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all CLI checks passed")


def expect_failure(label, status, needles, *args):
    result = run(*args)
    check(result.returncode == status, f"{label}: exit {result.returncode}, expected {status}: {result.stderr!r}")
    for needle in needles:
        check(needle in result.stderr, f"{label}: stderr {result.stderr!r} does not mention {needle!r}")


if __name__ == "__main__":
    main()

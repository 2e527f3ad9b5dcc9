"""Time to write `codelength report` for many documents, and to load it in headless chromium.

    /usr/bin/python3 benchmarks/report_throughput.py build/release/tools/codelength/codelength [WORKDIR]

Two corpora, made here with NumPy: 1,000 documents of 1,000 tokens and 10,000 of 100, V = 32
float16 logits, 1-6 bytes of English text per token (the GCIDE dictionary when
/usr/share/dictd/gcide.dict.dz is installed, else this repository's README) and a member,
nonmember or suspect label per document. Each report is written with --threads 1 and
--threads 2, alternately, 3 times; the table gives the medians of the wall time, the file's size
and chromium's navigation-to-load-event time (median of 3 loads; n/a without chromium). Most of
the writing time is the per-document compressors (zlib, gzip -9, xz -9, zstd -19, brotli -q 11)
that `codelength memorization` runs too."""
import gzip
import os
import shutil
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from headless_chromium import Browser, BrowserUnavailable  # noqa: E402
from memorization_throughput import timed  # noqa: E402  (this directory is on sys.path as the script's)


def english_text(size):
    dictionary = "/usr/share/dictd/gcide.dict.dz"
    if os.path.exists(dictionary):
        with gzip.open(dictionary, "rb") as f:
            text = f.read(size)
    else:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md"), "rb") as f:
            text = f.read()
    return (text * (size // len(text) + 1))[:size]


def make_corpus(work, name, documents, tokens_per_document, rng):
    tokens, vocabulary = documents * tokens_per_document, 32
    path = lambda suffix: os.path.join(work, f"{name}_{suffix}")
    np.save(path("logits.npy"), (rng.standard_normal((tokens, vocabulary)) * 3).astype(np.float16))
    np.save(path("targets.npy"), rng.integers(0, vocabulary, tokens))
    token_bytes = rng.integers(1, 7, tokens)
    np.save(path("token_bytes.npy"), token_bytes)
    np.save(path("doc_offsets.npy"), np.arange(0, tokens, tokens_per_document))
    with open(path("text.txt"), "wb") as f:
        f.write(english_text(int(token_bytes.sum())))
    with open(path("labels.txt"), "w") as f:
        f.writelines(("member", "nonmember", "suspect")[d % 3] + "\n" for d in range(documents))
    return [
        "--logits", path("logits.npy"), "--targets", path("targets.npy"), "--doc-offsets",
        path("doc_offsets.npy"), "--text", path("text.txt"), "--token-bytes", path("token_bytes.npy"),
        "--labels", path("labels.txt")]


def main():
    cli = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="codelength-report-bench-")
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(5)
    print("documents x tokens | file | written in, 1 thread | 2 threads | chromium load")
    print("--- | --- | --- | --- | ---")
    for documents, tokens_per_document in ((1000, 1000), (10000, 100)):
        name = f"{documents}x{tokens_per_document}"
        inputs = make_corpus(work, name, documents, tokens_per_document, rng)
        report = os.path.join(work, f"{name}.html")
        seconds = {1: [], 2: []}
        for _ in range(3):
            for threads in (1, 2):
                command = [cli, "report", *inputs, "-o", report, "-f", "--threads", str(threads)]
                seconds[threads].append(timed(command))
        load = "n/a"
        try:
            with Browser() as browser:
                loads = []
                for _ in range(3):
                    page = browser.open("file://" + report)
                    loads.append(page.load_seconds)
                load = f"{statistics.median(loads):.2f} s"
        except BrowserUnavailable:
            pass
        print(f"{documents:,} x {tokens_per_document:,} | {os.path.getsize(report) / 1e6:.1f} MB | "
              f"{statistics.median(seconds[1]):.1f} s | {statistics.median(seconds[2]):.1f} s | {load}")
    if len(sys.argv) <= 2:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

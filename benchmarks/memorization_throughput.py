"""Throughput of `codelength memorization` on a 1 GiB float32 logits file: tokens/s and GB/s
of logits, next to `codelength score` on the same file (the row kernel alone), one thread.

    /usr/bin/python3 benchmarks/memorization_throughput.py build/release/tools/codelength/codelength [WORKDIR]

The text is random printable bytes (each token 1-6 bytes) split into 512-token documents;
the figures are medians of 3 runs of each command; the file stays in the page cache."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    cli = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="codelength-memorization-bench-")
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(3)
    vocabulary, tokens, document_tokens = 32000, 8192, 512  # 8192 x 32000 float32 = 1.05 GB
    logits = np.lib.format.open_memmap(os.path.join(work, "logits.npy"), mode="w+", dtype=np.float32,
                                       shape=(tokens, vocabulary))
    for begin in range(0, tokens, 1024):
        logits[begin:begin + 1024] = rng.standard_normal((1024, vocabulary), dtype=np.float32) * 3
    logits.flush()
    del logits
    targets = rng.integers(0, vocabulary, tokens)
    token_bytes = rng.integers(1, 7, tokens)
    np.save(os.path.join(work, "targets.npy"), targets)
    np.save(os.path.join(work, "token_bytes.npy"), token_bytes)
    np.save(os.path.join(work, "doc_offsets.npy"), np.arange(0, tokens, document_tokens))
    with open(os.path.join(work, "text.txt"), "wb") as f:
        f.write(rng.integers(32, 127, int(token_bytes.sum()), dtype=np.uint8).tobytes())
    path = lambda name: os.path.join(work, name)
    memorization = [cli, "memorization", "--logits", path("logits.npy"), "--targets", path("targets.npy"),
                    "--doc-offsets", path("doc_offsets.npy"), "--text", path("text.txt"),
                    "--token-bytes", path("token_bytes.npy"), "--prefix", "32", "--json"]
    score = [cli, "score", "--logits", path("logits.npy"), "--targets", path("targets.npy"), "--json"]
    gigabytes = tokens * vocabulary * 4 / 1e9
    for name, command in (("score", score), ("memorization", memorization)):
        seconds = statistics.median(timed(command) for _ in range(3))
        print(f"{name:<13} {tokens / seconds:>10.0f} tokens/s  {gigabytes / seconds:>6.2f} GB/s of logits  "
              f"({seconds:.3f} s for {tokens} tokens, V = {vocabulary})")
    if len(sys.argv) <= 2:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

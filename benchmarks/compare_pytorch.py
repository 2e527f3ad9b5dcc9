"""Side-by-side timing of `codelength score` and PyTorch's F.cross_entropy on the same float32
logits (out of cache), one thread each; prints GB/s of logits consumed and the ratio.

    /usr/bin/python3 benchmarks/compare_pytorch.py build/release/examples/codelength [WORKDIR]

Installs Debian's python3-torch first if it is missing (apt-get; root or sudo). The codelength
time is the tool's own `seconds` (mapping the file, the fused row kernel computing surprisal,
entropy, variance and rank of every row, and Min-K%/Min-K%++), so it does strictly more work
than cross_entropy."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def ensure_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "install", "-y", "python3-torch"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def main():
    cli = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="codelength-bench-")
    ensure_torch()
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    repetitions = 5
    print(f"torch {torch.__version__}, numpy {np.__version__}, one thread, median of {repetitions}")
    print(f"{'V':>8} {'rows':>6} {'torch GB/s':>11} {'codelength GB/s':>16} {'ratio':>6}")
    rng = np.random.default_rng(1)
    for vocabulary in (32000, 151936):
        rows = (256 << 20) // (4 * vocabulary)
        logits = (rng.standard_normal((rows, vocabulary), dtype=np.float32) * 3)
        targets = rng.integers(0, vocabulary, rows).astype(np.int64)
        logits_path = os.path.join(work, "logits.npy")
        targets_path = os.path.join(work, "targets.npy")
        np.save(logits_path, logits)
        np.save(targets_path, targets)
        gigabytes = logits.nbytes / 1e9

        logits_t = torch.from_numpy(logits)
        targets_t = torch.from_numpy(targets)
        torch_seconds = []
        for _ in range(repetitions):
            start = time.perf_counter()
            loss = F.cross_entropy(logits_t, targets_t, reduction="sum")
            float(loss)
            torch_seconds.append(time.perf_counter() - start)

        ours_seconds = []
        for _ in range(repetitions):
            result = subprocess.run([cli, "score", "--logits", logits_path, "--targets", targets_path,
                                     "--threads", "1", "--json", "--timing"], check=True, capture_output=True, text=True)
            report = json.loads(result.stdout)
            ours_seconds.append(report["seconds"])
        nats_torch = float(loss)
        nats_ours = report["total_bits"] * 0.6931471805599453
        assert abs(nats_torch - nats_ours) <= 1e-5 * abs(nats_torch), (nats_torch, nats_ours)

        torch_rate = gigabytes / statistics.median(torch_seconds)
        ours_rate = gigabytes / statistics.median(ours_seconds)
        print(f"{vocabulary:>8} {rows:>6} {torch_rate:>11.2f} {ours_rate:>16.2f} {ours_rate / torch_rate:>5.1f}x")
    if len(sys.argv) <= 2:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

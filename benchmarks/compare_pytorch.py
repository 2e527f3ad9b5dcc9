"""Side-by-side timing of `codelength score` and PyTorch's F.cross_entropy on the same float32
logits, one thread each; prints GB/s of logits consumed and the ratios.

    /usr/bin/python3 benchmarks/compare_pytorch.py build/release/tools/codelength/codelength [WORKDIR]

F.cross_entropy runs on the tensor already in memory. codelength is timed twice: the whole
process (start, mapping the .npy file from the page cache, scoring, JSON, exit: what a user
waits for), and the tool's own `seconds` (the mapping and the kernel), each on the kernel path
the CPU picks and on the avx2 path (CODELENGTH_ISA=avx2; the common CPU), with the process's
system time (page faults) from getrusage.

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
    print(f"{'V':>8} {'rows':>6} {'path':>7} {'torch GB/s':>11} {'torch s':>8} {'process s':>9} "
          f"{'sys s':>7} {'kernel s':>9} {'vs process':>12} {'vs kernel':>11}")
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

        def run_ours(isa):
            process, kernel, system = [], [], []
            for _ in range(repetitions):
                before = os.times()
                start = time.perf_counter()
                result = subprocess.run([cli, "score", "--logits", logits_path, "--targets", targets_path,
                                         "--threads", "1", "--json", "--timing"], check=True,
                                        capture_output=True, text=True,
                                        env={**os.environ, "CODELENGTH_ISA": isa})
                process.append(time.perf_counter() - start)
                system.append(os.times().children_system - before.children_system)
                report = json.loads(result.stdout)
                kernel.append(report["seconds"])
                nats_ours = report["total_bits"] * 0.6931471805599453
                assert abs(float(loss) - nats_ours) <= 1e-5 * abs(float(loss)), (float(loss), nats_ours)
            return [statistics.median(x) for x in (process, kernel, system)]

        torch_median = statistics.median(torch_seconds)
        for isa in ("", "avx2"):
            process, kernel, system = run_ours(isa)
            print(f"{vocabulary:>8} {rows:>6} {isa or 'widest':>7} {gigabytes / torch_median:>11.2f} "
                  f"{torch_median:>8.3f} {process:>9.3f} {system:>7.3f} {kernel:>9.3f} "
                  f"{torch_median / process:>11.1f}x {torch_median / kernel:>10.1f}x")
    if len(sys.argv) <= 2:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

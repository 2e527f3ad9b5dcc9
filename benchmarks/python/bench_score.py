"""codelength.score against torch.nn.functional.cross_entropy on the same in-memory tensor.

    PYTHONPATH=build/<dir>/python /usr/bin/python3 benchmarks/python/bench_score.py [--repeats 5]

One thread each (torch.set_num_threads(1), score(threads=1)); medians of --repeats runs,
measured side by side in one process, so the ratio holds on a noisy shared machine.
Cases: (T=2048, V=32000) float32 and bfloat16 logits, and one call on a 1 x V row (the
per-call cost of the binding: argument conversion, the kernel on 32,000 logits, the result).
"""

import argparse
import json
import platform
import statistics
import time

import torch
import torch.nn.functional as F

import codelength


def median_seconds(function, repeats, inner=1):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            function()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=2048)
    parser.add_argument("--vocabulary", type=int, default=32000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    flags = open("/proc/cpuinfo").read() if platform.system() == "Linux" else ""
    print(f"CPU: {cpu_name()}, AVX-512: {'yes' if 'avx512f' in flags else 'no'}; "
          f"torch {torch.__version__}, codelength {codelength.__version__}; medians of {args.repeats}")
    results = {}
    for dtype in (torch.float32, torch.bfloat16):
        logits = (torch.randn(args.tokens, args.vocabulary) * 3).to(dtype)
        targets = torch.randint(0, args.vocabulary, (args.tokens,))
        ours = codelength.score(logits, targets)
        theirs = F.cross_entropy(logits.float(), targets, reduction="sum").item()
        assert abs(ours.ledger.total_nats - theirs) <= 1e-4 * abs(theirs), (ours.ledger.total_nats, theirs)
        score_s = median_seconds(lambda: codelength.score(logits, targets), args.repeats)
        torch_s = median_seconds(lambda: F.cross_entropy(logits, targets, reduction="sum"), args.repeats)
        name = f"T={args.tokens} V={args.vocabulary} {str(dtype).removeprefix('torch.')}"
        results[name] = {"codelength_ms": score_s * 1e3, "torch_ms": torch_s * 1e3, "speedup": torch_s / score_s}
        print(f"{name:32s} codelength.score {score_s * 1e3:8.2f} ms   F.cross_entropy {torch_s * 1e3:8.2f} ms"
              f"   ratio {torch_s / score_s:5.1f}x")
    row = torch.randn(1, args.vocabulary)
    target = torch.zeros(1, dtype=torch.int64)
    call_s = median_seconds(lambda: codelength.score(row, target), args.repeats, inner=2000)
    torch_call_s = median_seconds(lambda: F.cross_entropy(row, target, reduction="sum"), args.repeats, inner=2000)
    results["one 1 x V row"] = {"codelength_us": call_s * 1e6, "torch_us": torch_call_s * 1e6}
    print(f"{'one 1 x V float32 row':32s} codelength.score {call_s * 1e6:8.2f} us   "
          f"F.cross_entropy {torch_call_s * 1e6:8.2f} us")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

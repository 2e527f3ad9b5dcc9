#!/usr/bin/env python3
"""`codelength score --manifest` in one process against `codelength-mpi score --manifest` on 1 and
2 ranks, over the same shards (default 16 shards of 64 MiB of float32 logits, made here with
NumPy), runs interleaved, medians of the whole processes' wall time; checks that every report
has the same totals.

    /usr/bin/python3 benchmarks/mpi_ranks.py BUILD_DIR [--shards 16] [--shard-mib 64] [--repeats 5]

BUILD_DIR holds tools/codelength/codelength and tools/codelength-mpi/codelength-mpi.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

VOCABULARY = 32768


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--shard-mib", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cli = os.path.join(args.build_dir, "tools/codelength/codelength")
    mpi_cli = os.path.join(args.build_dir, "tools/codelength-mpi/codelength-mpi")
    env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    rows = args.shard_mib * 2**20 // (4 * VOCABULARY)
    with tempfile.TemporaryDirectory(prefix="codelength-mpi-bench-") as work:
        rng = np.random.default_rng(0)
        lines = []
        for i in range(args.shards):
            np.save(os.path.join(work, f"l{i}.npy"), rng.standard_normal((rows, VOCABULARY), dtype=np.float32))
            np.save(os.path.join(work, f"t{i}.npy"), rng.integers(0, VOCABULARY, rows))
            lines.append(f"l{i}.npy t{i}.npy")
        manifest = os.path.join(work, "shards.txt")
        with open(manifest, "w") as f:
            f.write("\n".join(lines) + "\n")
        commands = {
            "codelength score --manifest (one process)": [cli, "score", "--manifest", manifest, "--json"],
            "mpirun -np 1 codelength-mpi score": ["mpirun", "-np", "1", mpi_cli, "score", "--manifest", manifest,
                                                  "--json"],
            "mpirun -np 2 codelength-mpi score": ["mpirun", "-np", "2", mpi_cli, "score", "--manifest", manifest,
                                                  "--json"],
        }
        times = {name: [] for name in commands}
        totals = set()
        for _ in range(args.repeats):
            for name, command in commands.items():
                started = time.monotonic()
                result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
                times[name].append(time.monotonic() - started)
                report = json.loads(result.stdout)
                totals.add((report["tokens"], report["total_bits"].hex() if isinstance(report["total_bits"], float)
                            else report["total_bits"]))
        gib = args.shards * rows * VOCABULARY * 4 / 2**30
        print(f"{args.shards} shards x {rows} rows x V = {VOCABULARY} float32 ({gib:.2f} GiB), "
              f"{args.repeats} interleaved runs, medians of the whole process:")
        base = statistics.median(times["codelength score --manifest (one process)"])
        for name, values in times.items():
            median = statistics.median(values)
            print(f"  {name:<44} {median:7.3f} s  {gib / median:6.2f} GiB/s  {base / median:5.2f}x")
        print("totals identical in every run" if len(totals) == 1 else f"TOTALS DIFFER: {totals}")


if __name__ == "__main__":
    main()

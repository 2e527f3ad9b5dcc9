#!/usr/bin/env bash
# What run-time dispatch is worth: the kernel benchmarks built twice in one run and run side by
# side, as a consumer builds them (no -march flag: the program links codelength::dispatch and the
# kernels run the widest path the CPU has) and as the fastest header-only build (-march=native,
# the kernels inlined for this CPU, no dispatch). Prints the median real time of each benchmark in
# both builds and their ratio (native time / consumer time: 1.00 means the consumer build is as
# fast; the goal is >= 0.90), then, for the kernels, the consumer build once more per narrower
# path (CODELENGTH_ISA) against its own widest path. V = 256 shows the dispatch overhead per row.
# The context-mixing compressor (bench_context_mixing, no dispatched kernel: it shows what the
# default target costs code that is compiled into the program) runs once per build.
#   benchmarks/compare_dispatch.sh            (builds in build/compare-dispatch/{consumer,native})
#   REPETITIONS=5 MIN_TIME=0.2 benchmarks/compare_dispatch.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/common.sh
work="$root/build/compare-dispatch"
repetitions="${REPETITIONS:-5}"
min_time="${MIN_TIME:-0.2}"
kernel_benchmarks=(bench_row_kernel bench_quantize)
benchmarks=("${kernel_benchmarks[@]}" bench_context_mixing)

build() { # <dir> <cmake options>...
    local dir="$1"
    shift
    cmake_generator "$dir"
    cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCODELENGTH_BUILD_BENCHMARKS=ON \
        -DCODELENGTH_BUILD_TESTS=OFF -DCODELENGTH_BUILD_EXAMPLES=OFF -DCODELENGTH_BUILD_TOOLS=OFF \
        -DCODELENGTH_INSTALL=OFF "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)" --target "${benchmarks[@]}" >/dev/null
}
build "$work/consumer" -DCODELENGTH_WITH_DISPATCH=ON -DCODELENGTH_NATIVE_ARCH=OFF -DCODELENGTH_ARCH=
build "$work/native" -DCODELENGTH_WITH_DISPATCH=OFF -DCODELENGTH_NATIVE_ARCH=ON -DCODELENGTH_ARCH=

run() { # <build> <benchmark> <output json> [CODELENGTH_ISA]
    local repeat="$repetitions"
    [[ "$2" != bench_context_mixing ]] || repeat=1 # two iterations of 256 KiB each already
    CODELENGTH_ISA="${4:-}" "$work/$1/benchmarks/$2" --benchmark_repetitions="$repeat" \
        --benchmark_min_time="$min_time" --benchmark_report_aggregates_only=true \
        --benchmark_format=json --benchmark_out="$3" --benchmark_out_format=json >/dev/null
}
# Interleaved, so both builds see the same machine state.
for bench in "${benchmarks[@]}"; do
    run consumer "$bench" "$work/$bench.consumer.json"
    run native "$bench" "$work/$bench.native.json"
done
for bench in "${kernel_benchmarks[@]}"; do
    for isa in avx2 sse2 scalar; do
        run consumer "$bench" "$work/$bench.consumer-$isa.json" "$isa"
    done
done

cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
avx512="$(grep -q avx512f /proc/cpuinfo && echo yes || echo no)"
/usr/bin/python3 - "$work" "$cpu" "$avx512" "${benchmarks[@]}" <<'PY'
import json, sys
work, cpu, avx512, benches = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def medians(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}, "ms"
    runs = data["benchmarks"]
    # One repetition reports no aggregates: its own time is the median.
    chosen = [b for b in runs if b.get("aggregate_name") == "median"] or [b for b in runs if b.get("run_type") == "iteration"]
    return {b["run_name"]: b["real_time"] for b in chosen}, runs[0]["time_unit"] if runs else "ms"

print(f"CPU: {cpu} (AVX-512: {avx512}); median real time of each benchmark")
print(f"{'benchmark':44} {'consumer':>11} {'native':>11} {'ratio':>6} | {'avx2':>6} {'sse2':>6} {'scalar':>6}")
for bench in benches:
    consumer, unit = medians(f"{work}/{bench}.consumer.json")
    native, _ = medians(f"{work}/{bench}.native.json")
    forced = {isa: medians(f"{work}/{bench}.consumer-{isa}.json")[0] for isa in ("avx2", "sse2", "scalar")}
    for name, time in consumer.items():
        if name not in native:
            continue
        ratio = native[name] / time
        slow = " ".join(f"{forced[isa].get(name, float('nan')) / time:6.2f}" for isa in ("avx2", "sse2", "scalar"))
        print(f"{name:44} {time:9.4f}{unit:>2} {native[name]:9.4f}{unit:>2} {ratio:6.2f} | {slow}")
print("ratio = native / consumer (>= 0.90 is the goal); avx2/sse2/scalar = that forced path's time / the consumer's default path's time")
PY

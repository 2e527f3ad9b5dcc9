#!/usr/bin/env bash
# Builds the libFuzzer programs (clang, AddressSanitizer + UBSan, no recovery) and runs each for
# FUZZ_SECONDS, starting from its checked-in corpus (fuzz/corpus/<target>/, never modified:
# new inputs go to the build directory). Any crash, leak, timeout or out-of-memory fails the
# script; the input that caused it is kept as build/fuzz/artifacts/<target>/crash-*.
#   FUZZ_SECONDS=60  FUZZ_JOBS=2  BUILD_DIR=build/fuzz  scripts/fuzz.sh [target...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

build_dir="${BUILD_DIR:-build/fuzz}"
seconds="${FUZZ_SECONDS:-60}"
parallel="${FUZZ_JOBS:-$(nproc)}"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(stream_decoder byte_decoder npy_reader arpa_reader round_trip)
fi

bash scripts/install_deps.sh
ensure_clang

configure_sanitized "$build_dir" \
    -DCODELENGTH_BUILD_FUZZERS=ON \
    -DCODELENGTH_BUILD_TESTS=OFF \
    "${without_optional[@]}" \
    -DCODELENGTH_BUILD_EXAMPLES=OFF \
    -DCODELENGTH_BUILD_TOOLS=OFF \
    -DCODELENGTH_BUILD_BENCHMARKS=OFF \
    -DCODELENGTH_WITH_BASELINES=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

# One fuzzer per core; each gets `seconds` of wall time, a 10 s per-input timeout and 2 GiB.
# The .npy target writes each input to a scratch file: keep it in memory when possible.
if [[ -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
run_one() {
    local target="$1" work="$build_dir/corpus/$1" artifacts="$build_dir/artifacts/$1/"
    mkdir -p "$work" "$artifacts"
    if "$build_dir/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "fuzz/corpus/$target" \
        >"$build_dir/$target.log" 2>&1; then
        echo "fuzz/$target: $(grep -E '^stat::number_of_executed_units' "$build_dir/$target.log" | awk '{print $2}') runs in ${seconds} s, no finding"
    else
        echo "fuzz/$target: FINDING (log: $build_dir/$target.log, input: $artifacts)"
        tail -n 40 "$build_dir/$target.log"
        return 1
    fi
}
status=0
pids=()
for target in "${targets[@]}"; do
    run_one "$target" &
    pids+=($!)
    if [[ ${#pids[@]} -ge $parallel ]]; then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
exit "$status"

#!/usr/bin/env bash
# Proof that a default-flags build never executes an instruction the CPU lacks: a Release build
# with no -march (linked to codelength::dispatch, as users and packagers build it) runs under
# qemu-user's emulated CPUs:
#   -cpu Westmere (SSE4.2, no AVX): `codelength --version` reports the sse2 kernels; the CLI's
#       encode/decode/compress/decompress/score write the native run's bytes and decode the native
#       files (tests/emulation/qemu_cli_check.sh; an AVX2 probe must die with SIGILL there, so the
#       emulator is shown to enforce the model); the determinism program re-encodes and decodes
#       every case of the native run byte for byte; the unit tests pass (see QEMU_TESTS);
#   -cpu Haswell (AVX2 + FMA + F16C): the same, with the avx2 kernels;
#   -cpu Skylake-Server (AVX-512): the same with the avx512 kernels if this qemu emulates AVX-512
#       (qemu 7.2's TCG does not: the AVX-512 path is then compiled here and run only where the
#       host CPU has it, e.g. by scripts/determinism.sh).
# The two CPUs are checked in parallel. Emulation is 13-25x slower than the host, so by default
# (QEMU_TESTS=kernels) the unit tests run are those of the kernels and the coders: test_numerics
# [dispatch] (every kernel on every path the CPU has, against the scalar path), test_coding's
# quantizer tests but its three slowest (large vocabularies, find inverts interval, and the
# per-token cost's statistics, whose time goes to double-precision reference sums), and its
# checksum, stream format, sequence coder, top-k and coder contract tests; QEMU_TESTS=all runs
# test_numerics and test_coding whole (about 15 minutes).
#   BUILD_DIR=build/qemu-baseline  QEMU_TESTS=kernels|all  scripts/qemu_baseline.sh
# BUILD_DIR may name an existing default-flags build (e.g. scripts/determinism.sh's
# build/determinism/default); its configuration is checked, not changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh
source tests/determinism/cli_files.sh

build_dir="${BUILD_DIR:-build/qemu-baseline}"
jobs="${JOBS:-$(nproc)}"
# <test program>|<Catch2 test spec (with -#: file names as tags)>
case "${QEMU_TESTS:-kernels}" in
kernels)
    unit_runs=(
        'test_numerics|[dispatch]'
        'test_coding|[#test_quantize] ~"large vocabularies*" ~"find inverts*" ~"the per-token quantization cost*"'
        'test_coding|[#test_checksum],[#test_stream_format],[#test_sequence_coder],[#test_top_k],[#test_coder_contracts]'
    )
    ;;
all) unit_runs=('test_numerics|' 'test_coding|') ;;
*)
    echo "qemu_baseline: QEMU_TESTS must be kernels or all, got '$QEMU_TESTS'" >&2
    exit 2
    ;;
esac

if [[ "$(uname -m)" != x86_64 ]]; then
    echo "qemu_baseline: runs on x86-64 hosts only (this is $(uname -m))" >&2
    exit 1
fi
if ! command -v qemu-x86_64 >/dev/null 2>&1; then
    sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq qemu-user >/dev/null
fi

if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    bash scripts/install_deps.sh
    cmake_generator "$build_dir"
    cmake -S . -B "$build_dir" "${generator[@]}" \
        -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS="" \
        -DCODELENGTH_NATIVE_ARCH=OFF \
        -DCODELENGTH_ARCH="" \
        -DCODELENGTH_ISA_CHECKS="" \
        -DCODELENGTH_WITH_DISPATCH=ON \
        -DCODELENGTH_WARNINGS_AS_ERRORS=ON \
        -DCODELENGTH_BUILD_TESTS=ON \
        "${without_optional[@]}" \
        -DCODELENGTH_BUILD_TOOLS=ON \
        -DCODELENGTH_BUILD_EXAMPLES=OFF \
        -DCODELENGTH_BUILD_BENCHMARKS=OFF >/dev/null
fi
cli_default_flags_build "$build_dir"
cmake --build "$build_dir" -j "$jobs" --target codelength_cli codelength_determinism emulation_avx2_probe \
    test_numerics test_coding

cli="$build_dir/tools/codelength/codelength"
program="$build_dir/tests/determinism/codelength_determinism"
probe="$build_dir/tests/emulation/emulation_avx2_probe"
work="$build_dir/qemu-baseline"
echo "$(qemu-x86_64 --version | head -n 1); native: $("$cli" --version | tail -n 1)"
rm -rf "$work"
"$program" write "$work/native-files"

# qemu-x86_64 -cpu <cpu> <program...>, without qemu's warnings about features its TCG lacks.
emulate_quietly() {
    local cpu="$1" status=0 stderr
    shift
    stderr="$(mktemp)"
    qemu-x86_64 -cpu "$cpu" "$@" 2>"$stderr" || status=$?
    grep -v "TCG doesn't support requested feature" "$stderr" >&2 || true
    rm -f "$stderr"
    return "$status"
}

# <qemu cpu> <expected path>: the CLI check, the determinism program and the unit tests.
check_cpu() {
    local cpu="$1" expected="$2" run test_program spec start status log
    start="$(date +%s)"
    # Each step returns on failure itself: callers run this in the background or after ||.
    bash tests/emulation/qemu_cli_check.sh "$cpu" "$expected" "$cli" "$program" "$work/cli-$cpu" "$probe" ||
        return 1
    echo -n "-cpu $cpu: the determinism program re-encodes and decodes the native files: "
    emulate_quietly "$cpu" "$program" check "$work/native-files" || return 1
    for run in "${unit_runs[@]}"; do
        test_program="${run%%|*}" spec="${run#*|}"
        log="$work/$test_program-$cpu.log"
        echo -n "-cpu $cpu: $test_program $spec: "
        status=0
        CODELENGTH_TEST_DATA="$build_dir/tests/data" \
            emulate_quietly "$cpu" "$build_dir/tests/$test_program" -# ${spec:+"$spec"} >"$log" || status=$?
        if [[ "$status" -ne 0 ]]; then
            cat "$log"
            echo "$test_program failed under -cpu $cpu (status $status$([[ "$status" -ne 132 ]] || echo ", SIGILL"))" >&2
            return 1
        fi
        grep -E "^(All tests passed|test cases:)" "$log" || tail -n 1 "$log"
    done
    echo "-cpu $cpu: passed in $(($(date +%s) - start)) s"
}

# The CPUs in parallel (each is one thread), each with its own log, printed in order.
pids=()
for cpu_path in Westmere:sse2 Haswell:avx2; do
    check_cpu "${cpu_path%:*}" "${cpu_path#*:}" >"$work/${cpu_path%:*}.log" 2>&1 &
    pids+=($!)
done
failed=0
for index in "${!pids[@]}"; do
    wait "${pids[$index]}" || failed=1
done
cat "$work/Westmere.log" "$work/Haswell.log"
[[ "$failed" -eq 0 ]] || { echo "qemu_baseline: failed" >&2; exit 1; }
avx512_active="$(cli_active_kernels emulate_quietly Skylake-Server "$cli")"
if [[ "$avx512_active" == avx512 ]]; then
    check_cpu Skylake-Server avx512 || { echo "qemu_baseline: failed" >&2; exit 1; }
else
    echo "-cpu Skylake-Server: this qemu does not emulate AVX-512 (the CLI runs the $avx512_active kernels" \
        "there), so the avx512 path is compiled here and run only on a host CPU with AVX-512" \
        "($(grep -qw avx512f /proc/cpuinfo && echo "this one has it: scripts/determinism.sh runs it" ||
            echo "this one has none"))"
fi
echo "qemu_baseline: passed"

#!/usr/bin/env bash
# Determinism across builds and kernel paths: every build and every path writes the same bytes,
# and decodes everyone's files to the original inputs.
#  - One default-flags build (g++ Release, no -march, linked to codelength::dispatch), as users
#    and packagers build it: each kernel path its `codelength --version` lists as available
#    (scalar, sse2, avx2, avx512 on an AVX-512 CPU) is forced with CODELENGTH_ISA in turn.
#  - Header-only builds (CODELENGTH_WITH_DISPATCH=OFF: the kernels inlined for the compile-time
#    target) for fixed targets: g++ -O3 -march=CODELENGTH_ARCH (default x86-64-v3: AVX2 + FMA),
#    clang -O0 for the baseline x86-64 (SSE2), and on a CPU with AVX-512 g++ -O3 -march=x86-64-v4.
# tests/determinism/determinism.cpp (compressed files of every byte model, coded streams of
# float32/float64/bfloat16/float16 logits at several precisions) runs in every build and, in the
# default build, under every path: each writes its files and checks everyone's. The CLI of the
# default build, under every path, encodes .npy logits of each dtype at several precisions,
# compresses with each byte model and scores (tests/determinism/cli_files.sh); its files must be
# byte-identical under every path, and every path decodes every path's files to the inputs.
# The builds' flags never depend on the machine (only which paths and builds run does).
#   BUILD_DIR=build/determinism  CODELENGTH_ARCH=x86-64-v3  scripts/determinism.sh
# DISPATCH_BUILD_DIR=<dir> uses that configured default-flags build (it must build
# codelength_cli and codelength_determinism) instead of BUILD_DIR/default.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh
source tests/determinism/cli_files.sh

build_root="${BUILD_DIR:-build/determinism}"
jobs="${JOBS:-$(nproc)}"
header_arch="${CODELENGTH_ARCH:-x86-64-v3}"

bash scripts/install_deps.sh
ensure_clang

# <name> <compiler> <build type> <flags> <-march target or ""> <dispatch ON|OFF> <warnings as errors ON|OFF> <targets...>
build() {
    local dir="$build_root/$1"
    cmake_generator "$dir"
    cmake -S . -B "$dir" "${generator[@]}" \
        -DCMAKE_CXX_COMPILER="$2" \
        -DCMAKE_BUILD_TYPE="$3" \
        -DCMAKE_CXX_FLAGS="$4" \
        -DCODELENGTH_NATIVE_ARCH=OFF \
        -DCODELENGTH_ARCH="$5" \
        -DCODELENGTH_ISA_CHECKS="" \
        -DCODELENGTH_WITH_DISPATCH="$6" \
        -DCODELENGTH_WARNINGS_AS_ERRORS="$7" \
        -DCODELENGTH_BUILD_TESTS=ON \
        "${without_optional[@]}" \
        -DCODELENGTH_BUILD_EXAMPLES=OFF \
        -DCODELENGTH_BUILD_TOOLS="$([[ " ${*:8} " == *" codelength_cli "* ]] && echo ON || echo OFF)" \
        -DCODELENGTH_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build "$dir" -j "$jobs" --target "${@:8}"
}

default_dir="${DISPATCH_BUILD_DIR:-$build_root/default}"
if [[ -n "${DISPATCH_BUILD_DIR:-}" ]]; then
    cli_default_flags_build "$default_dir"
    cmake --build "$default_dir" -j "$jobs" --target codelength_cli codelength_determinism
else
    build default g++ Release "" "" ON ON codelength_cli codelength_determinism
fi
headers=("gcc-O3-$header_arch-header" clang-O0-header)
build "${headers[0]}" g++ None "-O3" "$header_arch" OFF ON codelength_determinism
build clang-O0-header clang++ None "-O0" "" OFF ON codelength_determinism
if grep -qw avx512f /proc/cpuinfo 2>/dev/null && [[ "$header_arch" != x86-64-v4 ]]; then
    headers+=(gcc-O3-x86-64-v4-header)
    build gcc-O3-x86-64-v4-header g++ None "-O3" x86-64-v4 OFF OFF codelength_determinism
fi

cli="$default_dir/tools/codelength/codelength"
program="$default_dir/tests/determinism/codelength_determinism"
read -r -a paths <<<"$(cli_available_kernels "$cli")"
if [[ "${#paths[@]}" -lt 2 ]]; then
    echo "determinism: the default build offers the kernel paths '${paths[*]}'; expected at least two" >&2
    exit 1
fi
for path in "${paths[@]}"; do # a forced path that is not taken would make every check below vacuous
    active="$(CODELENGTH_ISA="$path" cli_active_kernels "$cli")"
    if [[ "$active" != "$path" ]]; then
        echo "determinism: CODELENGTH_ISA=$path runs the $active kernels" >&2
        exit 1
    fi
done
echo "kernel paths of the default build: ${paths[*]}; header-only builds: ${headers[*]}"

# The library: each header-only build and each path of the default build writes, then reads
# and re-encodes the files of all of them.
writers=()
for name in "${headers[@]}"; do
    writers+=("$build_root/files-$name")
    rm -rf "${writers[-1]}"
    "$build_root/$name/tests/determinism/codelength_determinism" write "${writers[-1]}"
done
for path in "${paths[@]}"; do
    writers+=("$build_root/files-default-$path")
    rm -rf "${writers[-1]}"
    CODELENGTH_ISA="$path" "$program" write "${writers[-1]}"
done
for name in "${headers[@]}"; do
    echo -n "$name reads and re-encodes the files of every build and path: "
    "$build_root/$name/tests/determinism/codelength_determinism" check "${writers[@]}"
done
for path in "${paths[@]}"; do
    echo -n "the default build's $path path reads and re-encodes the files of every build and path: "
    CODELENGTH_ISA="$path" "$program" check "${writers[@]}"
done

# The CLI: each path writes; the files are byte-identical across paths; each path decodes each
# path's files.
inputs="$build_root/cli-inputs"
rm -rf "$inputs"
"$program" cli-inputs "$inputs"
for path in "${paths[@]}"; do
    cli_write_files "$inputs" "$build_root/cli-files-$path" env CODELENGTH_ISA="$path" "$cli"
    cli_same_files "$build_root/cli-files-${paths[0]}" "$build_root/cli-files-$path"
done
echo "the CLI writes byte-identical streams and compressed files under ${paths[*]}"
for reader in "${paths[@]}"; do
    for writer in "${paths[@]}"; do
        cli_check_files "$inputs" "$build_root/cli-files-$writer" "$build_root/cli-scratch" \
            env CODELENGTH_ISA="$reader" "$cli"
    done
    echo "the CLI's $reader path decodes the files of ${paths[*]}"
done
echo "determinism: passed"

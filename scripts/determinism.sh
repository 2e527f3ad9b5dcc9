#!/usr/bin/env bash
# Cross-build determinism: builds tests/determinism/determinism.cpp with g++ -O3 for a fixed
# target (CODELENGTH_ARCH, default x86-64-v3: AVX2 + FMA) and with clang -O0 for the baseline
# x86-64 (no AVX, no xsimd kernels beyond SSE2), and on a CPU with AVX-512 also with
# g++ -O3 -march=x86-64-v4; each build writes its compressed files and coded streams, and
# checks that it decodes the others' files to the original inputs and writes byte-identical
# files itself. The builds' flags never depend on the machine (only whether the v4 build
# runs does; its warnings are checked on every machine by CODELENGTH_ISA_CHECKS in scripts/test.sh).
#   BUILD_DIR=build/determinism  CODELENGTH_ARCH=x86-64-v3  scripts/determinism.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

build_root="${BUILD_DIR:-build/determinism}"
jobs="${JOBS:-$(nproc)}"

bash scripts/install_deps.sh
ensure_clang

build() { # <name> <compiler> <flags> <-march target or ""> <warnings as errors ON|OFF>
    cmake_generator "$build_root/$1"
    cmake -S . -B "$build_root/$1" "${generator[@]}" \
        -DCMAKE_CXX_COMPILER="$2" \
        -DCMAKE_BUILD_TYPE=None \
        -DCMAKE_CXX_FLAGS="$3" \
        -DCODELENGTH_NATIVE_ARCH=OFF \
        -DCODELENGTH_ARCH="$4" \
        -DCODELENGTH_WARNINGS_AS_ERRORS="$5" \
        -DCODELENGTH_BUILD_TESTS=ON \
        -DCODELENGTH_BUILD_EXAMPLES=OFF \
        -DCODELENGTH_BUILD_TOOLS=OFF \
        -DCODELENGTH_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build "$build_root/$1" -j "$jobs" --target codelength_determinism
}
builds=("gcc-O3-${CODELENGTH_ARCH:-x86-64-v3}" clang-O0)
build "${builds[0]}" g++ "-O3" "${CODELENGTH_ARCH:-x86-64-v3}" ON
build clang-O0 clang++ "-O0" "" ON
if grep -qw avx512f /proc/cpuinfo 2>/dev/null && [[ "${CODELENGTH_ARCH:-x86-64-v3}" != x86-64-v4 ]]; then
    builds+=(gcc-O3-x86-64-v4)
    build gcc-O3-x86-64-v4 g++ "-O3" x86-64-v4 OFF
fi

for name in "${builds[@]}"; do
    rm -rf "$build_root/files-$name"
    "$build_root/$name/tests/determinism/codelength_determinism" write "$build_root/files-$name"
done
for reader in "${builds[@]}"; do
    for writer in "${builds[@]}"; do
        if [[ "$reader" != "$writer" ]]; then
            echo "$reader reads and re-encodes the files of $writer:"
            "$build_root/$reader/tests/determinism/codelength_determinism" check "$build_root/files-$writer"
        fi
    done
done

#!/usr/bin/env bash
# Cross-build determinism: builds tests/determinism/determinism.cpp with g++ -O3 -march=native
# and with clang -O0 for the baseline x86-64 (no AVX, no xsimd kernels beyond SSE2), lets each
# write its compressed files and coded streams, and checks that each build decodes the other's
# files to the original inputs and writes byte-identical files itself.
#   BUILD_DIR=build/determinism  scripts/determinism.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

build_root="${BUILD_DIR:-build/determinism}"
jobs="${JOBS:-$(nproc)}"

bash scripts/install_deps.sh
ensure_clang

cmake_generator "$build_root/gcc-O3"
build() { # <name> <compiler> <flags> <native arch ON|OFF>
    cmake -S . -B "$build_root/$1" "${generator[@]}" \
        -DCMAKE_CXX_COMPILER="$2" \
        -DCMAKE_BUILD_TYPE=None \
        -DCMAKE_CXX_FLAGS="$3" \
        -DCODELENGTH_NATIVE_ARCH="$4" \
        -DCODELENGTH_WARNINGS_AS_ERRORS=ON \
        -DCODELENGTH_BUILD_TESTS=ON \
        -DCODELENGTH_BUILD_EXAMPLES=OFF \
        -DCODELENGTH_BUILD_TOOLS=OFF \
        -DCODELENGTH_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build "$build_root/$1" -j "$jobs" --target codelength_determinism
}
build gcc-O3 g++ "-O3" ON
build clang-O0 clang++ "-O0" OFF

gcc_tool="$build_root/gcc-O3/tests/determinism/codelength_determinism"
clang_tool="$build_root/clang-O0/tests/determinism/codelength_determinism"
rm -rf "$build_root/files-gcc-O3" "$build_root/files-clang-O0"
"$gcc_tool" write "$build_root/files-gcc-O3"
"$clang_tool" write "$build_root/files-clang-O0"
echo "clang -O0 reads and re-encodes the files of g++ -O3 -march=native:"
"$clang_tool" check "$build_root/files-gcc-O3"
echo "g++ -O3 -march=native reads and re-encodes the files of clang -O0:"
"$gcc_tool" check "$build_root/files-clang-O0"

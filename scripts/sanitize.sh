#!/usr/bin/env bash
# Builds the whole test suite with clang and AddressSanitizer + UndefinedBehaviorSanitizer
# (no recovery: the first finding fails the test) and runs it.
#   BUILD_DIR=build/sanitize  JOBS=$(nproc)  CTEST_JOBS=2  scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

build_dir="${BUILD_DIR:-build/sanitize}"
jobs="${JOBS:-$(nproc)}"
ctest_jobs="${CTEST_JOBS:-2}"

bash scripts/install_deps.sh
ensure_clang

cmake_generator "$build_dir"
sanitizers="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S . -B "$build_dir" "${generator[@]}" \
    -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="$sanitizers" \
    -DCMAKE_EXE_LINKER_FLAGS="$sanitizers" \
    -DCODELENGTH_WARNINGS_AS_ERRORS=ON \
    -DCODELENGTH_BUILD_TESTS=ON \
    -DCODELENGTH_BUILD_EXAMPLES=ON \
    -DCODELENGTH_BUILD_BENCHMARKS=OFF
cmake --build "$build_dir" -j "$jobs"
cd "$build_dir"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j "$ctest_jobs"

#!/usr/bin/env bash
# Builds the whole test suite with clang and AddressSanitizer + UndefinedBehaviorSanitizer
# (no recovery: the first finding fails the test) and runs it.
#   BUILD_DIR=build/sanitize  JOBS=$(nproc)  CTEST_JOBS=2  scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${BUILD_DIR:-build/sanitize}"
jobs="${JOBS:-$(nproc)}"
ctest_jobs="${CTEST_JOBS:-2}"

bash scripts/install_deps.sh
command -v clang++ >/dev/null 2>&1 || {
    sudo=(); [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
}

generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
fi
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

#!/usr/bin/env bash
# The CI entry point (.ci/run): dependencies, format check, a warnings-as-errors build of the
# library, tests, examples and benchmarks, then every test (unit, CLI, consumer projects).
#   BUILD_DIR=build/test  JOBS=$(nproc)  CTEST_JOBS=2  scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${BUILD_DIR:-build/test}"
jobs="${JOBS:-$(nproc)}"
ctest_jobs="${CTEST_JOBS:-2}"

bash scripts/install_deps.sh
bash scripts/check_format.sh

generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
fi
cmake -S . -B "$build_dir" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DCODELENGTH_WARNINGS_AS_ERRORS=ON \
    -DCODELENGTH_BUILD_TESTS=ON \
    -DCODELENGTH_BUILD_EXAMPLES=ON \
    -DCODELENGTH_BUILD_BENCHMARKS=ON
cmake --build "$build_dir" -j "$jobs"
cd "$build_dir"
ctest --output-on-failure -j "$ctest_jobs"

#!/usr/bin/env bash
# Builds the whole test suite with clang and AddressSanitizer + UndefinedBehaviorSanitizer
# (no recovery: the first finding fails the test) and runs it.
#   BUILD_DIR=build/sanitize  JOBS=$(nproc)  CTEST_JOBS=2  CTEST_EXCLUDE=<regex>  scripts/sanitize.sh
# CTEST_EXCLUDE leaves those tests out (CI: the packaging and consumer projects, which build the
# library their own way, without the sanitizers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

build_dir="${BUILD_DIR:-build/sanitize}"
jobs="${JOBS:-$(nproc)}"
ctest_jobs="${CTEST_JOBS:-2}"

bash scripts/install_deps.sh
ensure_clang

configure_sanitized "$build_dir" \
    -DCODELENGTH_BUILD_TESTS=ON \
    -DCODELENGTH_BUILD_EXAMPLES=ON \
    -DCODELENGTH_BUILD_TOOLS=ON \
    -DCODELENGTH_BUILD_BENCHMARKS=OFF
cmake --build "$build_dir" -j "$jobs"
cd "$build_dir"
ctest --output-on-failure -j "$ctest_jobs" ${CTEST_EXCLUDE:+-E "$CTEST_EXCLUDE"}

#!/usr/bin/env bash
# The CI entry point (.ci/run): dependencies, format check, a warnings-as-errors build of the
# library, tests, examples, benchmarks and the Python module, then every test (unit, CLI,
# consumer projects, pytest), and the Python package installed with pip into a venv.
#   BUILD_DIR=build/test  BUILD_TYPE=RelWithDebInfo  JOBS=$(nproc)  CTEST_JOBS=2  PIP_CHECK=1
#   BUILD_PYTHON=ON  BUILD_BENCHMARKS=ON  WITH_TORCH=ON  scripts/test.sh
# PIP_CHECK=0 skips the pip install and BUILD_PYTHON=OFF the in-tree Python module and its pytest
# files, BUILD_BENCHMARKS=OFF the benchmark programs and WITH_TORCH=OFF the LibTorch adapter's
# test and the lm-* commands; CTEST_EXCLUDE=<regex> leaves those tests out.
# (CI runs it as a Release build, i.e. -O3, for the compiler's default target with
# codelength::dispatch and CODELENGTH_ISA_CHECKS="x86-64-v3;x86-64-v4": see .ci/run and
# scripts/common.sh.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

build_dir="${BUILD_DIR:-build/test}"
build_type="${BUILD_TYPE:-RelWithDebInfo}"
jobs="${JOBS:-$(nproc)}"
ctest_jobs="${CTEST_JOBS:-2}"

bash scripts/install_deps.sh
bash scripts/check_format.sh

cmake_generator "$build_dir"
arch_options
cmake -S . -B "$build_dir" "${generator[@]}" "${arch_options[@]}" \
    -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DCODELENGTH_WARNINGS_AS_ERRORS=ON \
    -DCODELENGTH_BUILD_TESTS=ON \
    -DCODELENGTH_BUILD_EXAMPLES=ON \
    -DCODELENGTH_BUILD_TOOLS=ON \
    -DCODELENGTH_BUILD_BENCHMARKS="${BUILD_BENCHMARKS:-ON}" \
    -DCODELENGTH_WITH_TORCH="${WITH_TORCH:-ON}" \
    -DCODELENGTH_BUILD_PYTHON="${BUILD_PYTHON:-ON}"
cmake --build "$build_dir" -j "$jobs"
(cd "$build_dir" && ctest --output-on-failure -j "$ctest_jobs" ${CTEST_EXCLUDE:+-E "$CTEST_EXCLUDE"})

# The way a user installs the package: pip into a venv that sees Debian's numpy and torch,
# built offline from the checkout; then the pytest suite and the README's Python example
# against the installed package.
if [[ "${PIP_CHECK:-1}" == 1 ]]; then
    bash scripts/python_install.sh "$build_dir/venv"
    root="$(pwd)"
    build_path="$(realpath "$build_dir")"
    (cd "$(mktemp -d)" && CODELENGTH_CLI="$build_path/tools/codelength/codelength" \
        "$build_path/venv/bin/python" -m pytest -q -p no:cacheprovider "$root/python/tests" &&
        "$build_path/venv/bin/python" "$root/examples/python/quickstart.py")
fi

#!/usr/bin/env bash
# The aarch64 build, tested under emulation: cross-compiles the library (codelength::dispatch
# with its NEON kernels), the CLI and the unit-test programs with Debian's g++-aarch64-linux-gnu
# (cmake/toolchains/aarch64-linux-gnu.cmake), runs the unit tests and the CLI tests under
# qemu-aarch64 (qemu-user), and checks that x86-64 and aarch64 write identical streams and
# compressed files and decode each other's (scripts/cross_determinism.sh).
#   BUILD_DIR=build/aarch64  HOST_BUILD_DIR=build/aarch64-host  HOST_CLI=  JOBS=$(nproc)
#   CTEST_JOBS=2  AARCH64_TESTS=kernels|all  scripts/cross_aarch64.sh
# Emulation runs the tests 13-25 times slower than natively, so by default (AARCH64_TESTS=kernels,
# what CI runs) the unit tests are those of the kernels and the coders, as in
# scripts/qemu_baseline.sh: test_numerics [dispatch] (every kernel on every path against the
# scalar path), test_coding's quantizer, checksum, stream-format, sequence, top-k and coder
# contracts, and the CLI tests of encode/decode, compress and the kernel paths;
# AARCH64_TESTS=all builds every unit-test program and runs every module's tests and CLI test.
# Installs what is missing: the cross compiler and qemu-user, and (dpkg --add-architecture
# arm64) the arm64 -dev packages of the libraries the build links. Header-only dependencies
# that Debian cannot install for arm64 next to the host's (xtensor: xtl-dev is not multiarch)
# are taken from the host's packages. Without an arm64 compressor library the build goes on
# without codelength::baselines and the CLI (-DCODELENGTH_WITH_BASELINES=OFF), and says so.
# Not run here: benchmarks, Python, fuzzers (their corpora replay), examples, and the ctest
# suites about host packaging (packaging/, consumers/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

build_dir="${BUILD_DIR:-build/aarch64}"
host_build_dir="${HOST_BUILD_DIR:-build/aarch64-host}"
jobs="${JOBS:-$(nproc)}"
ctest_jobs="${CTEST_JOBS:-2}"
sysroot=/usr/aarch64-linux-gnu
start_seconds=$SECONDS

bash scripts/install_deps.sh # cmake, ninja, Catch2, xsimd, xtensor, numpy, ... for the host

# --- Cross compiler, emulator and arm64 libraries ---------------------------------------------
sudo=()
[[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
apt_install() { # <packages...>: 0 when all of them are installed afterwards
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

host_packages=(g++-aarch64-linux-gnu qemu-user)
arm64_packages=(zlib1g-dev:arm64 liblzma-dev:arm64 libzstd-dev:arm64 libbrotli-dev:arm64 libxsimd-dev:arm64)
need_update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "cross_aarch64.sh: dpkg --add-architecture arm64"
    "${sudo[@]}" dpkg --add-architecture arm64
    need_update=1
fi
missing=()
for package in "${host_packages[@]}" "${arm64_packages[@]}"; do
    installed "$package" || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "cross_aarch64.sh: installing ${missing[*]}"
    need_update=1
fi
if [[ "$need_update" == 1 ]]; then
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
fi
if [[ ${#missing[@]} -gt 0 ]] && ! apt_install "${missing[@]}"; then
    for package in "${missing[@]}"; do # one by one: install what can be had
        apt_install "$package" || echo "cross_aarch64.sh: $package cannot be installed" >&2
    done
fi
for package in "${host_packages[@]}"; do
    if ! installed "$package"; then
        echo "cross_aarch64.sh: $package is required" >&2
        exit 1
    fi
done

configure_options=()
with_cli=ON
for package in zlib1g-dev liblzma-dev libzstd-dev libbrotli-dev; do
    if ! installed "$package:arm64"; then
        echo "cross_aarch64.sh: no $package:arm64: building without codelength::baselines and the CLI" >&2
        with_cli=OFF
    fi
done
configure_options+=("-DCODELENGTH_WITH_BASELINES=$with_cli" "-DCODELENGTH_BUILD_TOOLS=$with_cli")
# Header-only packages: the host's CMake package files describe the same headers.
host_package_dir() { # <package> <config file name>: the directory of the host package's config
    dpkg -L "$1" 2>/dev/null | grep "/$2\$" | head -n 1 | xargs -r dirname
}
if ! installed libxsimd-dev:arm64; then
    configure_options+=("-Dxsimd_DIR=$(host_package_dir libxsimd-dev xsimdConfig.cmake)")
fi
if [[ ! -f /usr/lib/aarch64-linux-gnu/cmake/xtensor/xtensorConfig.cmake ]]; then
    configure_options+=("-Dxtensor_DIR=$(host_package_dir libxtensor-dev xtensorConfig.cmake)")
fi

# --- Build --------------------------------------------------------------------------------------
cmake_generator "$build_dir"
cmake -S . -B "$build_dir" "${generator[@]}" \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCODELENGTH_NATIVE_ARCH=OFF \
    -DCODELENGTH_ARCH= \
    -DCODELENGTH_ISA_CHECKS= \
    -DCODELENGTH_WARNINGS_AS_ERRORS=ON \
    -DCODELENGTH_BUILD_TESTS=ON \
    "${without_optional[@]}" \
    -DCODELENGTH_BUILD_EXAMPLES=OFF \
    -DCODELENGTH_BUILD_BENCHMARKS=OFF \
    -DCODELENGTH_BUILD_PYTHON=OFF \
    -DCODELENGTH_INSTALL=OFF \
    "${configure_options[@]}" >/dev/null

# The unit-test programs, the programs other ctest tests run, the fuzz corpora replays and the CLI.
tests_mode="${AARCH64_TESTS:-kernels}"
case "$tests_mode" in
kernels) targets=(test_numerics test_coding codelength_determinism) ;;
all)
    targets=(test_core test_numerics test_numerics_no_simd test_coding test_models test_metrics
        test_compress test_io test_io_xtensor test_io_parse_double_fallback npy_write_samples
        test_adapters test_baselines test_hardening codelength_determinism
        fuzz_replay_stream_decoder fuzz_replay_byte_decoder fuzz_replay_npy_reader
        fuzz_replay_arpa_reader fuzz_replay_round_trip)
    ;;
*)
    echo "cross_aarch64.sh: AARCH64_TESTS must be kernels or all, got '$tests_mode'" >&2
    exit 2
    ;;
esac
[[ "$with_cli" == OFF ]] || targets+=(codelength_cli)
cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"
build_seconds=$((SECONDS - start_seconds))

# The row kernel runs xsimd's NEON code: the dispatch library's NEON unit instantiates the
# kernels for xsimd::neon64, in the aarch64 target namespace.
neon_object="$(find "$build_dir/src" -name 'kernels_neon.cpp.o' | head -n 1)"
neon_listing="$(aarch64-linux-gnu-nm -C "$neon_object")" # (grep -q on a pipe would fail it under pipefail)
neon_symbols="$(grep -c 'xsimd::neon64' <<<"$neon_listing" || true)"
if [[ -z "$neon_object" || "$neon_symbols" -eq 0 ]] || ! grep -q 'isa_neon[a-z_]*::' <<<"$neon_listing"; then
    echo "cross_aarch64.sh: no xsimd::neon64 kernels in ${neon_object:-kernels_neon.cpp.o}" >&2
    exit 1
fi
echo "NEON kernels: $neon_symbols xsimd::neon64 symbols in $(basename "$neon_object")"

# --- Tests under qemu-aarch64 -------------------------------------------------------------------
# ctest starts the test programs through the toolchain's CMAKE_CROSSCOMPILING_EMULATOR. The CLI
# tests (Python scripts handed the CLI's path) get a wrapper that starts it under QEMU.
# Left out as too slow emulated: exact_sum's 2^31 additions (integer carries: 7 s natively, about
# 110 s emulated) and the row kernel against its long-double reference (long double is IEEE
# binary128 in software on aarch64: about 500 s per element type emulated).
if [[ "$tests_mode" == all ]]; then
    modules='core|numerics|coding|models|metrics|compress|io|adapters|baselines|hardening|determinism|fuzz'
    too_slow='exact_sum: 2\^31 additions|row kernel matches the long-double reference'
    (cd "$build_dir" && ctest --output-on-failure -j "$ctest_jobs" --timeout 600 -R "^($modules)/" -E "$too_slow")
    cli_scripts=(tests/cli/test_*_cli.py)
else
    emulator=(qemu-aarch64 -L "$sysroot" -E "LD_LIBRARY_PATH=$sysroot/lib")
    # -w NoTests: a test specification that matches nothing fails instead of passing quietly.
    "${emulator[@]}" "$build_dir/tests/test_numerics" -w NoTests '[dispatch]'
    "${emulator[@]}" "$build_dir/tests/test_coding" -w NoTests -# \
        '[#test_quantize] ~"large vocabularies*" ~"find inverts*" ~"the per-token quantization cost*"'
    "${emulator[@]}" "$build_dir/tests/test_coding" -w NoTests -# \
        '[#test_checksum],[#test_stream_format],[#test_sequence_coder],[#test_top_k],[#test_coder_contracts]'
    cli_scripts=(tests/cli/test_codec_cli.py tests/cli/test_compress_cli.py tests/cli/test_dispatch_cli.py)
fi
ctest_seconds=$((SECONDS - start_seconds - build_seconds))

if [[ "$with_cli" == ON ]]; then
    wrapper="$(realpath "$build_dir")/codelength-qemu"
    # As the toolchain file's emulator: the loader and the C library both from the -L root.
    printf '#!/bin/sh\nexec %s -L %s -E LD_LIBRARY_PATH=%s/lib %s "$@"\n' "$(command -v qemu-aarch64)" \
        "$sysroot" "$sysroot" "$(realpath "$build_dir/tools/codelength/codelength")" >"$wrapper"
    chmod 755 "$wrapper"
    cli_passed=0
    cli_failed=()
    for script in "${cli_scripts[@]}"; do
        name="$(basename "$script" .py)"
        work_dir="$(realpath "$build_dir")/cli-tests/$name"
        rm -rf "$work_dir"
        mkdir -p "$work_dir"
        echo "CLI under qemu-aarch64: $name"
        if /usr/bin/python3 "$script" "$wrapper" "$work_dir" >"$work_dir.log" 2>&1; then
            cli_passed=$((cli_passed + 1))
        else
            cli_failed+=("$name")
            tail -n 30 "$work_dir.log"
        fi
    done
    echo "CLI tests under qemu-aarch64: $cli_passed passed, ${#cli_failed[@]} failed ${cli_failed[*]}"
    [[ ${#cli_failed[@]} -eq 0 ]]
else
    echo "cross_aarch64.sh: no CLI (no arm64 compressor libraries): its tests are skipped" >&2
fi
ARM_BUILD_DIR="$build_dir" HOST_BUILD_DIR="$host_build_dir" CROSS_SYSROOT="$sysroot" \
    bash scripts/cross_determinism.sh
echo "cross_aarch64.sh: $((SECONDS - start_seconds)) s (build ${build_seconds} s, ctest ${ctest_seconds} s)"

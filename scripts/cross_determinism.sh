#!/usr/bin/env bash
# Cross-architecture determinism: an x86-64 build and an aarch64 build (run under qemu-aarch64)
# write byte-identical compressed files and coded streams, and each decodes the other's files to
# the original inputs, with the inputs and checks scripts/determinism.sh uses across builds:
#   1. tests/determinism/codelength_determinism: each architecture writes its files (every byte
#      model; streams of float32/float64/bfloat16/float16 logits at several precisions), then
#      checks the other's (they decode to the input, and it writes the same bytes itself);
#   2. the CLI (tests/determinism/cli_files.sh) on `codelength_determinism cli-inputs`: encode,
#      compress and score on x86-64 and under each kernel path the aarch64 CLI offers (neon,
#      scalar); the coded files are byte-identical, the scores within 1e-6 bits per token, and
#      each architecture decodes and decompresses the other's files to the inputs.
# scripts/cross_aarch64.sh calls it after building codelength_cli and codelength_determinism in
# ARM_BUILD_DIR; the x86-64 side is built here as packagers build it (g++ Release, no -march
# flag, codelength::dispatch) in HOST_BUILD_DIR, and HOST_CLI may name another x86-64 codelength:
#   ARM_BUILD_DIR=build/aarch64  HOST_BUILD_DIR=build/aarch64-host  HOST_CLI=  scripts/cross_determinism.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh
source tests/determinism/cli_files.sh

arm_build="${ARM_BUILD_DIR:-build/aarch64}"
host_build="${HOST_BUILD_DIR:-build/aarch64-host}"
jobs="${JOBS:-$(nproc)}"
sysroot="${CROSS_SYSROOT:-/usr/aarch64-linux-gnu}"
emulator=(qemu-aarch64 -L "$sysroot" -E "LD_LIBRARY_PATH=$sysroot/lib") # as the toolchain file's
work="$arm_build/cross-determinism"

arm_cli="$arm_build/tools/codelength/codelength"
arm_program="$arm_build/tests/determinism/codelength_determinism"
if [[ ! -x "$arm_program" ]]; then
    echo "cross_determinism.sh: $arm_program is missing (scripts/cross_aarch64.sh builds it)" >&2
    exit 1
fi
with_cli=1
if [[ ! -x "$arm_cli" ]]; then # a build without the arm64 compressor libraries
    echo "cross_determinism.sh: no aarch64 CLI ($arm_cli): checking the library's files only" >&2
    with_cli=0
fi

# The x86-64 side: the portable build a package manager would ship. An existing HOST_BUILD_DIR
# (e.g. scripts/determinism.sh's build/determinism/default) must be one: it is checked, not changed.
if [[ ! -f "$host_build/CMakeCache.txt" ]]; then
    cmake_generator "$host_build"
    cmake -S . -B "$host_build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCODELENGTH_NATIVE_ARCH=OFF \
        -DCODELENGTH_ARCH= -DCODELENGTH_ISA_CHECKS= -DCODELENGTH_WITH_DISPATCH=ON -DCODELENGTH_WARNINGS_AS_ERRORS=ON \
        -DCODELENGTH_BUILD_TESTS=ON -DCODELENGTH_BUILD_TOOLS=ON -DCODELENGTH_BUILD_EXAMPLES=OFF \
        "${without_optional[@]}" >/dev/null
fi
cli_default_flags_build "$host_build"
host_targets=(codelength_determinism)
[[ -n "${HOST_CLI:-}" || "$with_cli" == 0 ]] || host_targets+=(codelength_cli)
cmake --build "$host_build" -j "$jobs" --target "${host_targets[@]}"
host_cli="${HOST_CLI:-$host_build/tools/codelength/codelength}"
host_program="$host_build/tests/determinism/codelength_determinism"

rm -rf "$work"
mkdir -p "$work"

# 1. The library: each side writes, then reads and re-encodes the other's files.
"$host_program" write "$work/files-x86_64"
"${emulator[@]}" "$arm_program" write "$work/files-aarch64"
echo -n "x86-64 reads and re-encodes the files of aarch64: "
"$host_program" check "$work/files-aarch64"
echo -n "aarch64 reads and re-encodes the files of x86-64: "
"${emulator[@]}" "$arm_program" check "$work/files-x86_64"

if [[ "$with_cli" == 0 ]]; then
    exit 0
fi

# The kernel paths of the aarch64 CLI: its default must be NEON (xsimd's neon64 kernels).
read -r -a arm_paths <<<"$(cli_available_kernels "${emulator[@]}" "$arm_cli")"
arm_active="$(cli_active_kernels "${emulator[@]}" "$arm_cli")"
echo "aarch64 kernel paths: ${arm_paths[*]} (active by default: $arm_active); x86-64: $(cli_active_kernels "$host_cli")"
if [[ "$arm_active" != neon ]]; then
    echo "cross_determinism.sh: the aarch64 CLI runs the '$arm_active' kernels by default, not neon" >&2
    exit 1
fi

# 2. The CLI: the inputs are the same bytes on both sides; each aarch64 path writes the same
# files as x86-64, and each side decodes the other's.
"$host_program" cli-inputs "$work/cli-inputs"
"${emulator[@]}" "$arm_program" cli-inputs "$work/cli-inputs-aarch64"
if ! diff -r -q "$work/cli-inputs" "$work/cli-inputs-aarch64"; then
    echo "cross_determinism.sh: codelength_determinism cli-inputs writes other inputs on aarch64" >&2
    exit 1
fi
inputs="$work/cli-inputs"
cli_write_files "$inputs" "$work/cli-files-x86_64" "$host_cli"
for path in "${arm_paths[@]}"; do
    cli_write_files "$inputs" "$work/cli-files-aarch64-$path" env CODELENGTH_ISA="$path" "${emulator[@]}" "$arm_cli"
    cli_same_files "$work/cli-files-x86_64" "$work/cli-files-aarch64-$path"
    echo "aarch64 ($path) writes the CLI files x86-64 writes, and decodes x86-64's"
    cli_check_files "$inputs" "$work/cli-files-x86_64" "$work/scratch" \
        env CODELENGTH_ISA="$path" "${emulator[@]}" "$arm_cli"
done
echo "x86-64 decodes the CLI files of aarch64:"
cli_check_files "$inputs" "$work/cli-files-aarch64-${arm_paths[-1]}" "$work/scratch" "$host_cli"
echo "cross-architecture determinism: x86-64 and aarch64 (${arm_paths[*]}) write identical files and decode each other's"

#!/usr/bin/env bash
# The CLI of a default-flags build under an emulated x86-64 CPU (qemu-user): `codelength
# --version` reports the kernel path expected for that CPU; encode, decode, compress, decompress
# and score run without SIGILL; the files written under emulation are byte-identical to the
# native run's (scores within 1e-6 bits per token), and the native files decode under emulation.
# With the AVX2 probe (tests/emulation/avx2_probe.cpp), also checks that the emulator enforces
# the CPU model: the probe must die with SIGILL on a CPU whose path is sse2 and run on the others.
#   qemu_cli_check.sh <qemu cpu> <expected path> <codelength> <codelength_determinism> <work dir> [<avx2 probe>]
# Exits 77 (ctest: skipped) with a message when qemu-x86_64 is not installed.
set -euo pipefail
# shellcheck source=tests/determinism/cli_files.sh
source "$(dirname "${BASH_SOURCE[0]}")/../determinism/cli_files.sh"

if [[ $# -lt 5 || $# -gt 6 ]]; then
    echo "usage: $0 <qemu cpu> <expected path> <codelength> <codelength_determinism> <work dir> [<avx2 probe>]" >&2
    exit 2
fi
cpu="$1" expected="$2" cli="$3" program="$4" work="$5" probe="${6:-}"
if ! command -v qemu-x86_64 >/dev/null 2>&1; then
    echo "SKIPPED: qemu-x86_64 is not installed (apt-get install qemu-user): the CLI was not run under -cpu $cpu"
    exit 77
fi

# qemu-x86_64 -cpu <cpu> <program...>, without qemu's warnings about CPU features its TCG lacks.
qemu_stderr="$(mktemp)"
trap 'rm -f "$qemu_stderr"' EXIT
emulate() {
    local status=0
    qemu-x86_64 -cpu "$cpu" "$@" 2>"$qemu_stderr" || status=$?
    grep -v "TCG doesn't support requested feature" "$qemu_stderr" >&2 || true
    [[ "$status" -ne 132 ]] || echo "SIGILL under -cpu $cpu: $*" >&2
    return "$status"
}

if [[ -n "$probe" ]]; then
    status=0
    (ulimit -c 0 && emulate "$probe") >/dev/null 2>&1 || status=$? # no core file from the SIGILL
    if [[ "$expected" == sse2 && "$status" -ne 132 ]]; then
        echo "the AVX2 probe exited with status $status under -cpu $cpu, not SIGILL (132): this qemu does not enforce the CPU model" >&2
        exit 1
    elif [[ "$expected" != sse2 && "$status" -ne 0 ]]; then
        echo "the AVX2 probe failed (status $status) under -cpu $cpu, which has AVX2" >&2
        exit 1
    fi
fi

active="$(cli_active_kernels emulate "$cli")"
if [[ "$active" != "$expected" ]]; then
    echo "under -cpu $cpu the CLI runs the '$active' kernels, expected $expected" >&2
    exit 1
fi
echo "-cpu $cpu: $(emulate "$cli" --version | tail -n 1)"

rm -rf "$work"
mkdir -p "$work"
"$program" cli-inputs "$work/inputs"
cli_write_files "$work/inputs" "$work/native" "$cli"
cli_write_files "$work/inputs" "$work/emulated" emulate "$cli"
cli_same_files "$work/native" "$work/emulated"
echo "-cpu $cpu: encode, compress and score write the native run's files"
cli_check_files "$work/inputs" "$work/native" "$work/scratch" emulate "$cli"
echo "-cpu $cpu: decode and decompress restore the native files' inputs"

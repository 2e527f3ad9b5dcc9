#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing, benchmarking and the demo need,
# only those that are missing (apt-get update runs once, and only if something is missing).
# Set CODELENGTH_SKIP_DEPS=1 to skip this step (e.g. on a non-Debian system with its own setup).
set -euo pipefail

packages=(
    cmake g++ make ninja-build                 # toolchain
    libxsimd-dev xtl-dev libxtensor-dev        # SIMD kernels, xtensor adapter
    libeigen3-dev                              # Eigen adapter
    catch2 libbenchmark-dev                    # tests, benchmarks
    python3-numpy                              # demo data, .npy fixtures (/usr/bin/python3)
    python3-scipy                              # the membership CLI test's Welch t-test check
    clang-format                               # Debian 12: clang-format 14 (scripts/check_format.sh)
    zlib1g-dev liblzma-dev libzstd-dev libbrotli-dev # compressor baselines (codelength::baselines)
    pkg-config                                 # finds libzstd and libbrotlienc
    gzip xz-utils zstd                         # the CLI tests compare the baselines with these tools
    locales util-linux                         # localedef builds de_DE for the parse_double test; setpriv (CLI tests)
    python3-dev python3-pybind11 pybind11-dev  # the Python package (python/)
    python3-venv python3-setuptools python3-pytest # pip install into a venv; its test suite
    python3-torch                              # the Python tests' cross-checks (cross_entropy, tensors)
    libtorch-dev                               # the LibTorch adapter and the lm-* commands (optional)
    libsentencepiece-dev sentencepiece         # the SentencePiece tokenizer adapter (optional); spm_train in tests
    libopenmpi-dev openmpi-bin                 # codelength::mpi (distributed/mpi.hpp, optional); mpiexec runs its tests
    chromium fonts-dejavu-core                 # the report's browser test (headless) and its screenshot
)

if [[ "${CODELENGTH_SKIP_DEPS:-0}" == 1 ]]; then
    exit 0
fi
if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_deps.sh: no dpkg/apt-get; install these yourself: ${packages[*]}" >&2
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    # dpkg-query, not dpkg -s: that refuses a name installed for two architectures (arm64 too,
    # scripts/cross_aarch64.sh); the host's own (or arch all) instance must be installed.
    if ! dpkg-query -W -f='${Architecture} ${db:Status-Abbrev}\n' "$package" 2>/dev/null |
        grep -Eq "^($(dpkg --print-architecture)|all) ii"; then
        missing+=("$package")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install_deps.sh: missing packages (${missing[*]}) and not root, no sudo" >&2
        exit 1
    fi
    sudo=(sudo)
fi
echo "install_deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

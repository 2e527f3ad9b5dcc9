# Sourced by the build scripts: what they share.
#   ensure_clang                 installs clang 14 and its sanitizer/libFuzzer runtimes if missing
#   ensure_packages <package>... installs the Debian packages that are not installed
#   cmake_generator <build dir>  sets the array `generator` (Ninja for a new build dir if present)
#   configure_sanitized <build dir> <cmake args>...
#                                configures a clang build with ASan + UBSan (no recovery) and
#                                warnings as errors, and exports the sanitizers' run options
#   arch_options                 sets the array `arch_options` from the environment:
#                                CODELENGTH_ARCH=x86-64-v3  -> -DCODELENGTH_ARCH=... (a fixed
#                                -march for the project's programs; empty: the default target);
#                                CODELENGTH_ISA_CHECKS="x86-64-v3;x86-64-v4" -> compile the
#                                kernel-using sources for each (.ci/run sets both)
#   without_optional             the cmake options that leave out LibTorch, SentencePiece and MPI
#                                (builds that need none of them: cross builds, emulation, fuzzing)

ensure_clang() {
    if command -v clang++ >/dev/null 2>&1 && [[ "$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a)" == /* ]]; then
        return
    fi
    local sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
}

ensure_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$package")
    done
    [[ ${#missing[@]} -gt 0 ]] || return 0
    local sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

without_optional=(-DCODELENGTH_WITH_TORCH=OFF -DCODELENGTH_WITH_SENTENCEPIECE=OFF -DCODELENGTH_WITH_MPI=OFF)

cmake_generator() {
    generator=()
    if [[ ! -f "$1/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
        generator=(-G Ninja)
    fi
}

arch_options() {
    arch_options=()
    # Set (even to nothing) in the environment: passed on, so a reused build tree follows it.
    if [[ -n "${CODELENGTH_ARCH+set}" ]]; then
        arch_options+=("-DCODELENGTH_ARCH=$CODELENGTH_ARCH")
    fi
    if [[ -n "${CODELENGTH_ISA_CHECKS+set}" ]]; then
        arch_options+=("-DCODELENGTH_ISA_CHECKS=$CODELENGTH_ISA_CHECKS")
    fi
}

configure_sanitized() {
    local build_dir="$1"
    shift
    cmake_generator "$build_dir"
    local arch_options
    arch_options
    local sanitizers="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    cmake -S . -B "$build_dir" "${generator[@]}" \
        -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS="$sanitizers" \
        -DCMAKE_EXE_LINKER_FLAGS="$sanitizers" \
        -DCODELENGTH_WARNINGS_AS_ERRORS=ON \
        "${arch_options[@]}" \
        "$@"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
    export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp"
}

# Sourced by the build scripts: what they share.
#   ensure_clang                 installs clang 14 and its sanitizer/libFuzzer runtimes if missing
#   cmake_generator <build dir>  sets the array `generator` (Ninja for a new build dir if present)

ensure_clang() {
    if command -v clang++ >/dev/null 2>&1 && [[ "$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a)" == /* ]]; then
        return
    fi
    local sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
}

cmake_generator() {
    generator=()
    if [[ ! -f "$1/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
        generator=(-G Ninja)
    fi
}

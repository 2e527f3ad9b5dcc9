#!/usr/bin/env bash
# Demonstration: builds the command-line tool (Release, build/release) and runs
# `codelength measure` — the built-in context-mixing model's code length of each file, ideal and
# real (compressed, decompressed and compared), next to gzip -9, xz -9, zstd -19 and brotli -q 11.
#   scripts/demo.sh                       the repository's own README.md, its four largest headers
#                                         and all its headers concatenated (present on every checkout)
#   scripts/demo.sh FILE...               your files instead
#   scripts/demo.sh [FILE...] --model ppm --json    options are passed on to `codelength measure`
# BUILD_DIR (default build/release, relative to the repository) and JOBS (default nproc) can be
# set in the environment. Paths in the arguments are relative to the current directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_dir="${BUILD_DIR:-build/release}"
[[ "$build_dir" == /* ]] || build_dir="$root/$build_dir"
jobs="${JOBS:-$(nproc)}"

bash "$root/scripts/install_deps.sh"

generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
fi
cmake -S "$root" -B "$build_dir" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCODELENGTH_BUILD_TESTS=OFF \
    -DCODELENGTH_BUILD_EXAMPLES=ON \
    -DCODELENGTH_BUILD_TOOLS=ON \
    -DCODELENGTH_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build_dir" --target codelength_cli -j "$jobs"

cli="$build_dir/tools/codelength/codelength"
if [[ ! -x "$cli" ]]; then
    cli="$(find "$build_dir" -type f -name codelength -perm -u+x -print -quit)"
fi
if [[ -z "$cli" || ! -x "$cli" ]]; then
    echo "demo.sh: built codelength_cli but found no codelength executable under $build_dir" >&2
    exit 1
fi

# Files among the arguments (anything that is not an option or an option's value).
files=()
options=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model | --memory) options+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
        -*) options+=("$1"); shift ;;
        *) files+=("$1"); shift ;;
    esac
done

if [[ ${#files[@]} -eq 0 ]]; then
    # The default input: the repository itself, shown with paths relative to its root.
    cd "$root"
    demo_dir="$build_dir/demo"
    mkdir -p "$demo_dir"
    mapfile -t headers < <(find include -name '*.hpp' -type f | LC_ALL=C sort)
    cat "${headers[@]}" >"$demo_dir/all_headers.hpp"
    mapfile -t largest < <(wc -c "${headers[@]}" | grep -v ' total$' | sort -rn | head -n 4 | awk '{print $2}')
    relative_demo_dir="$(realpath --relative-to="$root" "$demo_dir")"
    [[ -f README.md ]] && files+=(README.md)
    files+=("${largest[@]}" "$relative_demo_dir/all_headers.hpp")
    echo "demo: README.md, the 4 largest of ${#headers[@]} headers, and all of them concatenated"
fi

command=("$cli" measure --timing "${files[@]}" "${options[@]}")
echo "+ ${command[*]}"
"${command[@]}"

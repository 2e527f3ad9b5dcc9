#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy; clang-tidy 14) over the project's own translation units
# (tests/, examples/, benchmarks/) using a build's compile_commands.json; the library headers are
# checked through them (HeaderFilterRegex include/codelength/). Not part of scripts/test.sh:
# it is slow (every TU parsed again: about 4-5 s per file, 20 s for the first 5 files with
# JOBS=1; it prints its timing).
#   scripts/tidy.sh [BUILD_DIR] [-- extra clang-tidy args]     BUILD_DIR defaults to build/test
#   JOBS=2 scripts/tidy.sh build/test -- --fix
# The build directory needs CMAKE_EXPORT_COMPILE_COMMANDS=ON (scripts/test.sh sets it).
# Only the .clang-tidy checks are reported: the build's -Werror is neutralized (-Wno-error) and
# clang-diagnostic-* is off, so compiler warnings stay the compiler's business. The exit status
# is non-zero only when a file could not be analysed (WarningsAsErrors is empty).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"

build_dir="build/test"
if [[ $# -gt 0 && "$1" != "--" ]]; then
    build_dir="$1"
    shift
fi
[[ "${1:-}" == "--" ]] && shift
jobs="${JOBS:-$(nproc)}"

if [[ ! -f "$build_dir/compile_commands.json" ]]; then
    echo "tidy.sh: $build_dir/compile_commands.json not found;" \
         "configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON (scripts/test.sh does)" >&2
    exit 1
fi
clang_tidy="${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy || true)}"
if [[ -z "$clang_tidy" ]]; then
    echo "tidy.sh: clang-tidy not found (apt-get install clang-tidy)" >&2
    exit 1
fi

# The project's own sources that the build compiles (not the consumer projects' copies).
mapfile -t files < <(/usr/bin/python3 - "$build_dir/compile_commands.json" "$root" <<'PY'
import json, os, sys
root = os.path.realpath(sys.argv[2])
seen = set()
for entry in json.load(open(sys.argv[1])):
    path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
    relative = os.path.relpath(path, root)
    if relative.split(os.sep)[0] in ("tests", "examples", "benchmarks") and relative not in seen:
        seen.add(relative)
        print(relative)
PY
)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "tidy.sh: no project sources in $build_dir/compile_commands.json"
    exit 0
fi

echo "tidy.sh: $clang_tidy over ${#files[@]} files with $jobs jobs"
start=$SECONDS
status=0
printf '%s\0' "${files[@]}" |
    xargs -0 -n 1 -P "$jobs" "$clang_tidy" -p "$build_dir" --quiet --extra-arg=-Wno-error "$@" || status=$?
echo "tidy.sh: done in $((SECONDS - start)) s (exit $status)"
exit "$status"

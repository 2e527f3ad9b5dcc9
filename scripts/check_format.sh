#!/usr/bin/env bash
# Checks (or with --fix, applies) .clang-format over the C++ sources under include/ tests/
# examples/ tools/ benchmarks/: files tracked by git plus new, not ignored ones.
#   scripts/check_format.sh          exit 1 and list the offending lines if anything is off
#   scripts/check_format.sh --fix    rewrite the files in place
# The style is pinned to clang-format 14 (Debian 12); set CLANG_FORMAT to choose the binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

clang_format="${CLANG_FORMAT:-}"
if [[ -z "$clang_format" ]]; then
    for candidate in clang-format-14 clang-format; do
        if command -v "$candidate" >/dev/null 2>&1; then
            clang_format="$candidate"
            break
        fi
    done
fi
if [[ -z "$clang_format" ]]; then
    echo "check_format.sh: clang-format not found (apt-get install clang-format)" >&2
    exit 1
fi
version="$("$clang_format" --version)"
if [[ "$version" != *"version 14."* ]]; then
    echo "check_format.sh: warning: .clang-format is pinned to clang-format 14, found: $version" >&2
fi

dirs=(include tests examples tools benchmarks fuzz python)
files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    while IFS= read -r -d '' file; do
        [[ -f "$file" ]] && files+=("$file")
    done < <(git ls-files -z --cached --others --exclude-standard -- \
        "${dirs[@]/%//*.hpp}" "${dirs[@]/%//*.cpp}" | sort -zu)
else
    while IFS= read -r -d '' file; do
        files+=("$file")
    done < <(find "${dirs[@]}" -type f \( -name '*.hpp' -o -name '*.cpp' \) -print0 2>/dev/null | sort -z)
fi
if [[ ${#files[@]} -eq 0 ]]; then
    echo "check_format.sh: no files"
    exit 0
fi

if [[ "${1:-}" == "--fix" ]]; then
    "$clang_format" -i "${files[@]}"
    echo "check_format.sh: formatted ${#files[@]} files"
    exit 0
fi
if ! "$clang_format" --dry-run --Werror "${files[@]}"; then
    echo "check_format.sh: not formatted (fix: scripts/check_format.sh --fix):" >&2
    for file in "${files[@]}"; do
        "$clang_format" --dry-run --Werror "$file" >/dev/null 2>&1 || echo "  $file" >&2
    done
    exit 1
fi
echo "check_format.sh: ${#files[@]} files formatted correctly ($version)"

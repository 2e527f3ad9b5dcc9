#!/usr/bin/env bash
# The context-mixing compressor's speed across versions of this repository, measured side by
# side in one run: builds the command-line tool of each git revision given (Release, default
# flags, or REV@ARCH for -march=ARCH: the programs of revisions before run-time dispatch were
# built with -march=native), then runs ROUNDS interleaved rounds of `compress` and `decompress`
# of the first 4 MiB of the GCIDE dictionary (dict-gcide is installed if missing) and prints
# each revision's median seconds and MB/s, and its speed against the first revision. Every
# revision's compressed file must be byte-identical to the first one's and decompress to the input.
#   benchmarks/compare_cm_versions.sh b2120c3@znver3 HEAD~1 HEAD        (ROUNDS=7 by default)
# Each revision is checked out as a git worktree in build/cm-versions/ and built there once; later
# runs reuse the build (`git worktree prune` after deleting the directory).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/common.sh
work="$root/build/cm-versions"
rounds="${ROUNDS:-7}"
[[ $# -gt 0 ]] || set -- HEAD
mkdir -p "$work"

ensure_packages dict-gcide
dictionary=/usr/share/dictd/gcide.dict.dz
input="$work/gcide-4MiB.txt"
input_bytes=$((4 << 20))
{ zcat "$dictionary" || true; } | head -c "$input_bytes" >"$input" # zcat stops at the closed pipe
[[ "$(stat -c %s "$input")" -eq "$input_bytes" ]] || { echo "$dictionary holds less than 4 MiB of text" >&2; exit 1; }

programs=()
for spec in "$@"; do
    revision="${spec%@*}"
    arch=""
    [[ "$spec" != *@* ]] || arch="${spec#*@}"
    commit="$(git rev-parse --short=12 "$revision^{commit}")"
    tree="$work/$commit${arch:+-$arch}"
    if [[ ! -x "$tree/build/tools/codelength/codelength" ]]; then
        rm -rf "$tree"
        git worktree prune
        git worktree add --detach -f "$tree" "$commit" >/dev/null
        cmake_generator "$tree/build"
        cmake -S "$tree" -B "$tree/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
            -DCODELENGTH_BUILD_TESTS=OFF -DCODELENGTH_BUILD_EXAMPLES=OFF -DCODELENGTH_INSTALL=OFF \
            -DCODELENGTH_NATIVE_ARCH=OFF "-DCODELENGTH_ARCH=$arch" >/dev/null
        cmake --build "$tree/build" -j "$(nproc)" --target codelength >/dev/null
    fi
    programs+=("$spec=$tree/build/tools/codelength/codelength")
done

times="$work/times.txt"
: >"$times"
for ((round = 0; round < rounds; ++round)); do
    for entry in "${programs[@]}"; do
        name="${entry%%=*}"
        cli="${entry#*=}"
        coded="$work/${name//[^A-Za-z0-9_.-]/_}.clz"
        start=$(date +%s.%N)
        "$cli" compress "$input" "$coded" --force
        middle=$(date +%s.%N)
        "$cli" decompress "$coded" "$work/restored" --force
        end=$(date +%s.%N)
        cmp -s "$work/restored" "$input" || { echo "$name: decompressed file differs from the input" >&2; exit 1; }
        echo "$name $start $middle $end" >>"$times"
    done
done
first="$work/${1//[^A-Za-z0-9_.-]/_}.clz"
for spec in "$@"; do
    cmp -s "$first" "$work/${spec//[^A-Za-z0-9_.-]/_}.clz" ||
        { echo "$spec: compressed file differs from $1's" >&2; exit 1; }
done

python3 - "$times" "$input_bytes" "$rounds" "$(stat -c %s "$first")" <<'PY'
import collections, statistics, sys
times, size, rounds, coded = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
seconds = collections.defaultdict(lambda: ([], []))
order = []
for line in open(times):
    name, start, middle, end = line.split()
    if name not in seconds:
        order.append(name)
    seconds[name][0].append(float(middle) - float(start))
    seconds[name][1].append(float(end) - float(middle))
print(f"{size} bytes -> {coded} bytes; medians of {rounds} interleaved rounds; MB/s = 10^6 bytes/s")
print(f"{'revision':24} {'compress s':>10} {'MB/s':>6} {'speed':>6} | {'decompress s':>12} {'MB/s':>6} {'speed':>6}")
base = [statistics.median(seconds[order[0]][k]) for k in (0, 1)]
for name in order:
    row = [statistics.median(seconds[name][k]) for k in (0, 1)]
    print(f"{name:24} {row[0]:10.2f} {size / row[0] / 1e6:6.2f} {base[0] / row[0]:6.2f} | "
          f"{row[1]:12.2f} {size / row[1] / 1e6:6.2f} {base[1] / row[1]:6.2f}")
PY

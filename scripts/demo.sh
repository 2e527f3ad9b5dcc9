#!/usr/bin/env bash
# Demonstration: builds the command-line tool (Release, build/release) and scores a built-in
# example, the T x 256 logits an adaptive order-1 byte model assigns to a short English text.
#   scripts/demo.sh                 codelength score --logits build/release/demo/logits.npy --targets ...
#   scripts/demo.sh --json          extra arguments are passed on to `codelength score`
#   scripts/demo.sh --logits L.npy --targets T.npy [...]   score your own files instead
# BUILD_DIR (default build/release, relative to the repository) and JOBS (default nproc) can be
# set in the environment. Paths in the arguments are relative to the current directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_dir="${BUILD_DIR:-build/release}"
[[ "$build_dir" == /* ]] || build_dir="$root/$build_dir"
jobs="${JOBS:-$(nproc)}"
python=/usr/bin/python3 # Debian's python3-numpy; the python3 on PATH may lack numpy

bash "$root/scripts/install_deps.sh"

generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
fi
cmake -S "$root" -B "$build_dir" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCODELENGTH_BUILD_TESTS=OFF \
    -DCODELENGTH_BUILD_EXAMPLES=ON \
    -DCODELENGTH_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build_dir" --target codelength_cli -j "$jobs"

cli="$build_dir/examples/codelength"
if [[ ! -x "$cli" ]]; then
    cli="$(find "$build_dir" -type f -name codelength -perm -u+x -print -quit)"
fi
if [[ -z "$cli" || ! -x "$cli" ]]; then
    echo "demo.sh: built codelength_cli but found no codelength executable under $build_dir" >&2
    exit 1
fi

user_inputs=0
for argument in "$@"; do
    [[ "$argument" == --logits || "$argument" == --logits=* ]] && user_inputs=1
done
inputs=()
if [[ $user_inputs -eq 0 ]]; then
    demo_dir="$build_dir/demo"
    mkdir -p "$demo_dir"
    "$python" - "$demo_dir" <<'PY'
# logits[t] = log(count(prev, b) + 1/2) of an order-1 KT byte model that has seen text[:t+1]
# and predicts targets[t] = text[t+1]; float32 T x 256 and int64 T, as a framework would save.
import sys
import numpy as np

text = (b"It was the best of times, it was the worst of times, it was the age of wisdom, "
        b"it was the age of foolishness, it was the epoch of belief, it was the epoch of "
        b"incredulity, it was the season of Light, it was the season of Darkness.\n")
counts = np.zeros((256, 256))
logits = np.empty((len(text) - 1, 256), dtype=np.float32)
for t in range(len(text) - 1):
    logits[t] = np.log(counts[text[t]] + 0.5)
    counts[text[t], text[t + 1]] += 1
targets = np.frombuffer(text[1:], dtype=np.uint8).astype(np.int64)
np.save(sys.argv[1] + "/logits.npy", logits)
np.save(sys.argv[1] + "/targets.npy", targets)
print(f"demo: {len(targets)} bytes of text, logits {logits.shape} {logits.dtype} -> {sys.argv[1]}")
PY
    inputs=(--logits "$demo_dir/logits.npy" --targets "$demo_dir/targets.npy")
fi

command=("$cli" score "${inputs[@]}" "$@")
echo "+ ${command[*]}"
"${command[@]}"

#!/usr/bin/env bash
# A byte-level language model in the coding loop, end to end from the command line:
# trains (or reuses) the small GRU of train_byte_model.py, then scores its held-out text with
# `codelength lm-score`, compresses it with `lm-compress`, decompresses it with `lm-decompress`
# and compares the copy byte for byte, and prints bits/byte next to xz -9, zstd -19 and
# `codelength compress` (the built-in context-mixing model) on the same bytes.
#
#   examples/torch/run_example.sh [--smoke] [--retrain] [--dir DIR] [CODELENGTH]
#
# CODELENGTH is the codelength program (argument, or the CODELENGTH environment variable; it
# must be built with LibTorch for the lm-* commands). DIR (default ./example-torch, or
# ./example-torch-smoke with --smoke) holds the model, the held-out text and the outputs; an
# existing model there is reused unless --retrain is given. --smoke trains 10 steps and uses
# 1,000 held-out bytes: the whole path in seconds, for CI. PYTHON (default /usr/bin/python3,
# Debian's, with python3-torch) runs the training.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-/usr/bin/python3}"
codelength="${CODELENGTH:-}"
smoke=0
retrain=0
dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --retrain) retrain=1 ;;
    --dir) dir="$2"; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_example.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) codelength="$1" ;;
  esac
  shift
done
if [[ -z "$codelength" ]]; then
  echo "run_example.sh: give the codelength program as an argument or in CODELENGTH" >&2
  exit 2
fi
if [[ ! -x "$codelength" ]]; then
  echo "run_example.sh: $codelength is not an executable program" >&2
  exit 2
fi
if [[ -z "$dir" ]]; then
  dir="example-torch"
  [[ $smoke -eq 1 ]] && dir="example-torch-smoke"
fi
mkdir -p "$dir"
model="$dir/byte_gru.pt"
text="$dir/held_out.txt"
summary="$dir/summary.json"

# 1. The model: trained here unless a previous run left one.
if [[ $retrain -eq 1 || ! -f "$model" || ! -f "$text" || ! -f "$summary" ]]; then
  train_options=(--output-dir "$dir")
  [[ $smoke -eq 1 ]] && train_options+=(--smoke)
  "$python" "$here/train_byte_model.py" "${train_options[@]}"
else
  echo "reusing $model and $text (--retrain to train again)"
fi

json_field() {  # json_field FILE KEY: one top-level member of a JSON object
  "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
bytes_of() { wc -c < "$1" | tr -d ' '; }
now() { date +%s.%N; }
rate() { awk -v b="$1" -v n="$2" 'BEGIN { printf "%.4f", 8 * b / n }'; }

n=$(bytes_of "$text")
rows=()  # "name|bytes|bits/byte"
add_row() { rows+=("$1|$2|$3"); }
print_table() {
  echo
  echo "held-out text: $n bytes ($text); model: $(json_field "$summary" steps) training steps on" \
    "$(json_field "$summary" train_bytes) bytes"
  printf '%-40s %10s %10s\n' "compressor" "bytes" "bits/byte"
  local row name size bpb
  for row in "${rows[@]}"; do
    IFS='|' read -r name size bpb <<< "$row"
    printf '%-40s %10s %10s\n' "$name" "$size" "$bpb"
  done
}

# 2. The baselines, on the same bytes.
eager_bits=$(json_field "$summary" held_out_bits)
add_row "byte GRU, eager PyTorch (-log2 p)" "$(awk -v b="$eager_bits" 'BEGIN { printf "%.1f", b / 8 }')" \
  "$(awk -v b="$eager_bits" -v n="$n" 'BEGIN { printf "%.4f", b / n }')"
"$codelength" compress "$text" "$dir/held_out.cm" --force
"$codelength" decompress "$dir/held_out.cm" "$dir/held_out.cm.out" --force
cmp "$text" "$dir/held_out.cm.out"
size=$(bytes_of "$dir/held_out.cm")
add_row "codelength compress (context mixing)" "$size" "$(rate "$size" "$n")"
for baseline in "xz -9" "zstd -19"; do
  read -r -a command <<< "$baseline"
  if command -v "${command[0]}" > /dev/null; then
    size=$("${command[@]}" -c -q < "$text" | wc -c | tr -d ' ')
    add_row "$baseline" "$size" "$(rate "$size" "$n")"
  else
    add_row "$baseline" "-" "(not installed)"
  fi
done

# 3. The model in the loop, from C++.
for command in lm-score lm-compress lm-decompress; do
  if ! "$codelength" "$command" --help > /dev/null 2>&1; then
    print_table
    echo >&2
    echo "run_example.sh: $codelength has no '$command' command: build it with LibTorch" \
      "(libtorch-dev) found by CMake; the baselines above are all this run could measure" >&2
    exit 3
  fi
done
# No --bos: the model begins a text with input 0, the lm-* commands' default for byte models.
"$codelength" lm-score --model "$model" --text "$text" --json > "$dir/lm_score.json"
score_bits=$(json_field "$dir/lm_score.json" total_bits)
add_row "byte GRU, lm-score (-log2 p)" "$(awk -v b="$score_bits" 'BEGIN { printf "%.1f", b / 8 }')" \
  "$(awk -v b="$(json_field "$dir/lm_score.json" bits_per_byte)" 'BEGIN { printf "%.4f", b }')"

rm -f "$dir/held_out.lm" "$dir/held_out.lm.out"
started=$(now)
"$codelength" lm-compress --model "$model" "$text" "$dir/held_out.lm"
compress_seconds=$(awk -v a="$started" -v b="$(now)" 'BEGIN { print b - a }')
started=$(now)
"$codelength" lm-decompress --model "$model" "$dir/held_out.lm" "$dir/held_out.lm.out"
decompress_seconds=$(awk -v a="$started" -v b="$(now)" 'BEGIN { print b - a }')
if ! cmp "$text" "$dir/held_out.lm.out"; then
  echo "run_example.sh: lm-decompress did not restore $text" >&2
  exit 1
fi
size=$(bytes_of "$dir/held_out.lm")
add_row "byte GRU + range coder (lm-compress)" "$size" "$(rate "$size" "$n")"

print_table
awk -v n="$n" -v c="$compress_seconds" -v d="$decompress_seconds" 'BEGIN {
  printf "\nlm-compress (with its verifying decode): %.2f s, %.0f bytes/s; lm-decompress: %.2f s, %.0f bytes/s\n",
    c, n / c, d, n / d }'
echo "round trip: lm-decompress restored all $n bytes (cmp)"

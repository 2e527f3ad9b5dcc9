# shellcheck shell=bash
# Sourced (bash): the CLI's side of the determinism checks, shared by scripts/determinism.sh
# (every kernel path forced with CODELENGTH_ISA), scripts/qemu_baseline.sh and the ctest in
# tests/emulation (the CLI under emulated CPUs). A "runner" is the command that starts the CLI,
# e.g. `env CODELENGTH_ISA=avx2 build/tools/codelength/codelength` or
# `qemu-x86_64 -cpu Westmere build/tools/codelength/codelength`.
#   cli_write_files <inputs dir> <out dir> <runner...>   encode every logits file at several
#                                                         precisions, compress every input with
#                                                         every byte model, score every logits file
#   cli_check_files <inputs dir> <files dir> <scratch dir> <runner...>
#                                                         decode and decompress every file of
#                                                         <files dir>; each must give its input
#   cli_same_files <reference dir> <files dir>           the coded files are byte-identical, the
#                                                         scores within 1e-6 bits per token
# The inputs come from `codelength_determinism cli-inputs <dir>`. Each function prints what
# failed on stderr and returns non-zero on any failure.

# The files: stream_<logits name>_p<precision>.clen, compress_<model>_input<kind>.clzb, and
# score_<logits name>.json.
cli_stream_cases=( # <logits name> <targets> <precisions...>
    "float32_v1000 targets_v1000 12 16 24 31"
    "float64_v1000 targets_v1000 12 24 31"
    "bfloat16_v1000 targets_v1000 12 24 31"
    "float16_v1000 targets_v1000 12 24 31"
    "float32_v4097 targets_v4097 13 20"
)
cli_compress_models=("cm --memory 8" "ppm --memory 2" "order0")
cli_compress_inputs=(0 1 2)

cli_write_files() {
    local inputs="$1" out="$2"
    shift 2
    local case name targets precision precisions spec model kind
    rm -rf "$out"
    mkdir -p "$out"
    for case in "${cli_stream_cases[@]}"; do
        read -r name targets precisions <<<"$case"
        for precision in $precisions; do
            "$@" encode --logits "$inputs/logits_$name.npy" --targets "$inputs/$targets.npy" \
                --precision "$precision" -o "$out/stream_${name}_p$precision.clen" >/dev/null ||
                { echo "encode $name at precision $precision failed: $*" >&2; return 1; }
        done
        "$@" score --logits "$inputs/logits_$name.npy" --targets "$inputs/$targets.npy" --json \
            >"$out/score_$name.json" || { echo "score $name failed: $*" >&2; return 1; }
    done
    for spec in "${cli_compress_models[@]}"; do
        model="${spec%% *}"
        for kind in "${cli_compress_inputs[@]}"; do
            # shellcheck disable=SC2086 # the model's options are words
            "$@" compress "$inputs/input$kind.bin" "$out/compress_${model}_input$kind.clzb" --model $spec \
                >/dev/null || { echo "compress input$kind with $model failed: $*" >&2; return 1; }
        done
    done
}

# <file> <what> <restored> <original> <command...>: the command restores <file> into <restored>,
# which must equal <original>.
cli_restores() {
    local file="$1" what="$2" restored="$3" original="$4"
    shift 4
    rm -f "$restored"
    if ! "$@" >/dev/null; then
        echo "$file: $what failed: $*" >&2
        return 1
    elif ! cmp -s "$restored" "$original"; then
        echo "$file: $what gives other bytes than $original: $*" >&2
        return 1
    fi
}

cli_check_files() {
    local inputs="$1" files="$2" scratch="$3"
    shift 3
    local case name targets precision precisions spec kind file failures=0 checked=0
    mkdir -p "$scratch"
    for case in "${cli_stream_cases[@]}"; do
        read -r name targets precisions <<<"$case"
        for precision in $precisions; do
            file="$files/stream_${name}_p$precision.clen"
            cli_restores "$file" decode "$scratch/targets.npy" "$inputs/$targets.npy" \
                "$@" decode --logits "$inputs/logits_$name.npy" -i "$file" -o "$scratch/targets.npy" ||
                failures=$((failures + 1))
            checked=$((checked + 1))
        done
    done
    for spec in "${cli_compress_models[@]}"; do
        for kind in "${cli_compress_inputs[@]}"; do
            file="$files/compress_${spec%% *}_input$kind.clzb"
            cli_restores "$file" decompress "$scratch/input.bin" "$inputs/input$kind.bin" \
                "$@" decompress "$file" "$scratch/input.bin" || failures=$((failures + 1))
            checked=$((checked + 1))
        done
    done
    [[ "$failures" -eq 0 ]] || echo "$failures of $checked files of $files failed" >&2
    [[ "$failures" -eq 0 ]]
}

# The value of a number member of a one-line or pretty-printed JSON object.
cli_json_number() { # <file> <key>
    sed -n "s/.*\"$2\": *\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1
}

cli_same_files() {
    local reference="$1" files="$2" file name failures=0 ref_bits bits tokens
    for file in "$reference"/*.clen "$reference"/*.clzb; do
        name="$(basename "$file")"
        if ! cmp -s "$file" "$files/$name"; then
            echo "$files/$name differs from $file" >&2
            failures=$((failures + 1))
        fi
    done
    # The row kernel's statistics agree between paths within 1e-6 bits per token.
    for file in "$reference"/score_*.json; do
        name="$(basename "$file")"
        ref_bits="$(cli_json_number "$file" total_bits)"
        bits="$(cli_json_number "$files/$name" total_bits)"
        tokens="$(cli_json_number "$file" tokens)"
        if [[ -z "$ref_bits" || -z "$bits" || -z "$tokens" ]] ||
            ! awk -v a="$ref_bits" -v b="$bits" -v n="$tokens" \
                'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-6 * n) }'; then
            echo "$files/$name: total_bits $bits, $file: $ref_bits ($tokens tokens)" >&2
            failures=$((failures + 1))
        fi
    done
    [[ "$failures" -eq 0 ]]
}

# The kernel path `codelength --version` reports as active, and the available ones.
cli_active_kernels() { # <runner...>
    "$@" --version | sed -n 's/^kernels: \([a-z0-9]*\) .*/\1/p'
}
cli_available_kernels() { # <runner...>
    "$@" --version | sed -n 's/^kernels: .*(available: \(.*\))$/\1/p'
}

# Succeeds when the build in <dir> compiles the project's programs with no -march flag and
# links codelength::dispatch (a build that picks its kernels at run time); says why otherwise.
cli_default_flags_build() { # <build dir>
    local cache="$1/CMakeCache.txt" value
    [[ -f "$cache" ]] || { echo "$1: not a configured build (no CMakeCache.txt)" >&2; return 1; }
    value="$(sed -n 's/^CODELENGTH_ARCH:STRING=//p' "$cache")"
    [[ -z "$value" ]] || { echo "$1: built for -march=$value (CODELENGTH_ARCH), not default flags" >&2; return 1; }
    value="$(sed -n 's/^CODELENGTH_NATIVE_ARCH:BOOL=//p' "$cache")"
    [[ "$value" == OFF ]] || { echo "$1: built with -march=native (CODELENGTH_NATIVE_ARCH=$value)" >&2; return 1; }
    value="$(sed -n 's/^CODELENGTH_WITH_DISPATCH:BOOL=//p' "$cache")"
    [[ "$value" == ON ]] || { echo "$1: built without codelength::dispatch (CODELENGTH_WITH_DISPATCH=$value)" >&2; return 1; }
    value="$(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$cache")"
    [[ " $value " != *" -m"* ]] || { echo "$1: built with CMAKE_CXX_FLAGS='$value'" >&2; return 1; }
}

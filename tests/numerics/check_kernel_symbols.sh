#!/usr/bin/env bash
# The per-ISA objects of codelength::dispatch (src/numerics/kernels_<path>.cpp) must not define a
# symbol the linker could merge with a copy compiled for another target: an inline function that
# the AVX2 unit emits under the same name as the baseline's would let the linker keep the AVX2
# copy for everyone (SIGILL on an older CPU) or the baseline copy for the AVX2 unit (results that
# depend on the link order). So, for each unit, `nm -C --defined-only` may show:
#   - weak and unique symbols (W, V, u, w, v) whose names carry the unit's target tag
#     (CODELENGTH_TARGET_NAMESPACE, e.g. isa_sse2_sse42_avx_avx2_fma_f16c_xsimd_kernels), or that
#     are xsimd templates instantiated for the unit's own xsimd architecture, or
#     DW.ref.__gxx_personality_v0 (the same in every C++ object), and under UBSan the RTTI of
#     function types and __clang_call_terminate;
#   - one strong global symbol: the unit's table, codelength::v0::kernel_abi::<path>_kernels();
#   - local symbols (t, r, d, b, n: never merged across objects).
# The tag itself must name the unit's instruction set (the AVX2 unit's has _avx2 and no
# _avx512f, the baseline units' have neither), and every expected unit must be present.
#   tests/numerics/check_kernel_symbols.sh --nm nm --paths scalar,sse2,avx2,avx512 OBJECT...
# Prints each unit's tag and symbol counts; on failure, every offending symbol.
set -euo pipefail

nm_tool=nm
expected_paths=""
objects=()
while [[ $# -gt 0 ]]; do
    case "$1" in
    --nm)
        nm_tool="$2"
        shift 2
        ;;
    --paths)
        expected_paths="$2"
        shift 2
        ;;
    *)
        objects+=("$1")
        shift
        ;;
    esac
done
if [[ ${#objects[@]} -eq 0 || -z "$expected_paths" ]]; then
    echo "usage: $0 [--nm NM] --paths scalar,sse2,... OBJECT..." >&2
    exit 2
fi

# The xsimd architecture names a unit's templates may be instantiated for.
xsimd_arch_pattern() {
    case "$1" in
    scalar | sse2) echo 'xsimd::(sse2|generic)' ;;
    avx2) echo 'xsimd::(avx2|fma3<xsimd::avx2>|avx|sse4_2|generic)' ;;
    avx512) echo 'xsimd::(avx512bw|avx512dq|avx512cd|avx512f|fma3<xsimd::avx2>|avx2|generic)' ;;
    neon) echo 'xsimd::(neon64|neon|generic)' ;;
    *) echo 'xsimd::generic' ;;
    esac
}

# Whether a unit's tag names its instruction set.
tag_fits_path() {
    local path="$1" tag="$2"
    case "$path" in
    scalar | sse2) [[ "$tag" != *_avx* && "$tag" != *_neon* ]] ;;
    avx2) [[ "$tag" == *_avx2_* && "$tag" == *_fma_* && "$tag" == *_f16c_* && "$tag" != *_avx512* ]] ;;
    avx512) [[ "$tag" == *_avx512f_avx512bw_avx512dq_avx512vl_* ]] ;;
    neon) [[ "$tag" == *_neon* ]] ;;
    *) return 1 ;;
    esac
}

failures=0
declare -A found
IFS=',;' read -r -a wanted <<<"$expected_paths"
for object in "${objects[@]}"; do
    name="$(basename "$object")"
    if [[ ! "$name" =~ ^kernels_([a-z0-9]+)\.cpp\.(o|obj)$ ]]; then
        continue # dispatch.cpp: the choice itself, no header kernels
    fi
    path="${BASH_REMATCH[1]}"
    found[$path]=1
    listing="$("$nm_tool" -C --defined-only "$object")"
    # Every tag in the unit's symbols (mangled or demangled): there must be exactly one.
    mapfile -t tags < <(grep -oE 'isa_[a-z0-9_]*_kernels' <<<"$listing" | sort -u)
    if [[ ${#tags[@]} -ne 1 ]]; then
        echo "FAILED: $name: expected one target tag isa_..._kernels in its symbols, found ${#tags[@]}: ${tags[*]:-none}"
        failures=$((failures + 1))
        continue
    fi
    tag="${tags[0]}"
    if ! tag_fits_path "$path" "$tag"; then
        echo "FAILED: $name: its tag $tag does not name the $path instruction set"
        failures=$((failures + 1))
    fi
    arch="$(xsimd_arch_pattern "$path")"
    table="codelength::v0::kernel_abi::${path}_kernels()"
    offenders=()
    weak=0
    while IFS= read -r line; do
        [[ -z "$line" ]] && continue
        # "<address> <type> <name>"; the name may contain spaces.
        rest="${line#* }"
        type="${rest%% *}"
        symbol="${rest#* }"
        case "$type" in
        W | V | u | w | v)
            weak=$((weak + 1))
            if [[ "$symbol" == *"$tag"* || "$symbol" == "DW.ref.__gxx_personality_v0" ]]; then
                continue
            fi
            # Under UBSan (the sanitizer leg): RTTI data of function types, and clang's helper that
            # calls std::terminate from a noexcept function; data, or the same two calls everywhere.
            if [[ "$symbol" == "typeinfo for "* || "$symbol" == "typeinfo name for "* ||
                "$symbol" == "__clang_call_terminate" ]]; then
                continue
            fi
            if [[ "$symbol" =~ $arch ]]; then
                continue
            fi
            offenders+=("$type $symbol")
            ;;
        [A-Z])
            [[ "$symbol" == "$table" ]] && continue
            offenders+=("$type $symbol (a strong global symbol other than the unit's table)")
            ;;
        *) ;; # local
        esac
    done <<<"$listing"
    if ! grep -qF " T $table" <<<"$listing"; then
        offenders+=("(missing) T $table")
    fi
    if [[ ${#offenders[@]} -gt 0 ]]; then
        echo "FAILED: $name ($path, tag $tag): ${#offenders[@]} symbols could be merged with another target's copy:"
        printf '    %s\n' "${offenders[@]}"
        failures=$((failures + 1))
    else
        echo "ok: $name ($path): $weak weak/unique symbols, all tagged $tag"
    fi
done
for path in "${wanted[@]}"; do
    if [[ -z "${found[$path]:-}" ]]; then
        echo "FAILED: no object kernels_$path.cpp.o among the arguments"
        failures=$((failures + 1))
    fi
done
if [[ $failures -eq 0 ]]; then
    echo "all ${#found[@]} kernel units define only target-tagged mergeable symbols"
else
    echo "$failures kernel units failed"
    exit 1
fi

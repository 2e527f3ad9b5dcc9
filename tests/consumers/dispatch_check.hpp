// Shared by the consumer programs that link codelength::dispatch (find_package, add_subdirectory,
// pkg-config): they are compiled without any -march flag, as most users compile, and must
// still run the widest kernels the CPU has, with the same code length on every path.
#pragma once

#include <codelength/numerics/dispatch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if !defined(CODELENGTH_DISPATCH)
#error "dispatch_check.hpp is for consumers of codelength::dispatch (CODELENGTH_DISPATCH=1)"
#endif

#define CONSUMER_STRINGIFY_IMPL(x) #x
#define CONSUMER_STRINGIFY(x) CONSUMER_STRINGIFY_IMPL(x)

namespace consumer {

// The names of the available paths, space separated.
inline void print_available(const char* program) {
    std::printf("%s: available paths:", program);
    for (const auto isa : codelength::all_instruction_sets) {
        if (codelength::instruction_set_available(isa)) {
            std::printf(" %s", codelength::instruction_set_name(isa));
        }
    }
    std::printf("\n");
}

// Checks that the headers were compiled for the dispatched kernels, that the active path is the
// widest the CPU runs (AVX2 or wider on an x86-64 CPU with AVX2 and FMA, whatever the consumer's
// own flags), and that `score()` (the total code length in bits of `tokens` tokens) agrees on
// every available path within 1e-6 bits per token. Returns the number of failed checks; leaves
// the path that was active on entry active.
template <class Score>
int check_dispatch(const char* program, Score score, std::int64_t tokens) {
    int failures = 0;
    const char* target = CONSUMER_STRINGIFY(CODELENGTH_TARGET_NAMESPACE);
    const auto active = codelength::active_instruction_set();
    const auto detected = codelength::detected_instruction_set();
    std::printf("%s: headers compiled as %s; kernels: %s (detected %s)\n", program, target,
                codelength::instruction_set_name(active), codelength::instruction_set_name(detected));
    print_available(program);
    if (std::strstr(target, "_dispatch") == nullptr) {
        std::fprintf(stderr, "%s: the target namespace %s lacks _dispatch\n", program, target);
        ++failures;
    }
    if (std::getenv("CODELENGTH_ISA") == nullptr && active != detected) {
        std::fprintf(stderr, "%s: active path %s is not the detected %s\n", program,
                     codelength::instruction_set_name(active), codelength::instruction_set_name(detected));
        ++failures;
    }
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
    // libgcc's own CPU check (it also asks the OS, xgetbv, on GCC >= 12 and clang).
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        detected != codelength::instruction_set::avx2 && detected != codelength::instruction_set::avx512) {
        std::fprintf(stderr, "%s: the CPU has AVX2 and FMA but the dispatcher detected %s\n", program,
                     codelength::instruction_set_name(detected));
        ++failures;
    }
#endif
#if !defined(__AVX2__)
    std::printf("%s: compiled without AVX2 (baseline flags); the kernels run %s\n", program,
                codelength::instruction_set_name(active));
#endif

    const double reference = score();
    for (const auto isa : codelength::all_instruction_sets) {
        if (!codelength::instruction_set_available(isa)) {
            continue;
        }
        if (!codelength::try_use_instruction_set(isa) || codelength::active_instruction_set() != isa) {
            std::fprintf(stderr, "%s: cannot select the available path %s\n", program,
                         codelength::instruction_set_name(isa));
            ++failures;
            continue;
        }
        const double total = score();
        const double per_token = std::fabs(total - reference) / static_cast<double>(tokens);
        std::printf("%s: path %-6s %.12f bits (%.3g bits/token from %s)\n", program,
                    codelength::instruction_set_name(isa), total, per_token,
                    codelength::instruction_set_name(active));
        if (!(per_token <= 1e-6)) {
            std::fprintf(stderr, "%s: path %s differs by %.3g bits per token\n", program,
                         codelength::instruction_set_name(isa), per_token);
            ++failures;
        }
    }
    if (!codelength::try_use_instruction_set(active)) {
        ++failures;
    }
    return failures;
}

} // namespace consumer

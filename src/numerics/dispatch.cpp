// codelength::dispatch's choice of the kernels' path (numerics/dispatch.hpp): what the CPU
// and the operating system support, read with cpuid and xgetbv (libgcc's
// __builtin_cpu_supports does not check that the OS saves the wider registers before GCC 12,
// and clang 14 does not know "f16c"), capped by the environment variable CODELENGTH_ISA.
// Compiled for the baseline target: nothing here may execute a wider instruction.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "codelength/numerics/dispatch.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace codelength::inline v0 {

namespace {

#if defined(__x86_64__) || defined(_M_X64)
// The XCR0 register: which register states the operating system saves on a context switch.
std::uint64_t read_xcr0() noexcept {
    std::uint32_t low = 0;
    std::uint32_t high = 0;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return (static_cast<std::uint64_t>(high) << 32U) | low;
}

bool bit(std::uint32_t word, unsigned index) noexcept {
    return ((word >> index) & 1U) != 0;
}

// The x86-64 micro-architecture levels the kernel units are compiled for (-march=x86-64-v3 and
// -march=x86-64-v4), with the operating system saving the registers they use.
struct x86_support {
    bool avx2 = false;   // x86-64-v3: v2 (SSE3, SSSE3, SSE4.1/4.2, POPCNT, CMPXCHG16B, LAHF),
                         // AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT, MOVBE; YMM state saved
    bool avx512 = false; // x86-64-v4: and AVX-512 F, BW, CD, DQ, VL; opmask and ZMM state saved
};

x86_support detect_x86() noexcept {
    x86_support support;
    unsigned eax = 0;
    unsigned ebx = 0;
    unsigned ecx = 0;
    unsigned edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) {
        return support;
    }
    // SSE3, SSSE3, CMPXCHG16B, SSE4.1, SSE4.2, POPCNT; FMA, MOVBE, OSXSAVE, AVX, F16C.
    const bool level2 =
        bit(ecx, 0) && bit(ecx, 9) && bit(ecx, 13) && bit(ecx, 19) && bit(ecx, 20) && bit(ecx, 23);
    const bool level3_leaf1 = bit(ecx, 12) && bit(ecx, 22) && bit(ecx, 27) && bit(ecx, 28) && bit(ecx, 29);
    unsigned extended_ecx = 0;
    if (__get_cpuid(0x80000001U, &eax, &ebx, &extended_ecx, &edx) == 0) {
        return support;
    }
    const bool lahf_lzcnt = bit(extended_ecx, 0) && bit(extended_ecx, 5);
    if (!(level2 && level3_leaf1 && lahf_lzcnt)) {
        return support;
    }
    const std::uint64_t xcr0 = read_xcr0();
    const bool os_saves_ymm = (xcr0 & 0x6U) == 0x6U;   // SSE and AVX state
    const bool os_saves_zmm = (xcr0 & 0xe6U) == 0xe6U; // and opmask, ZMM_Hi256, Hi16_ZMM
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) {
        return support;
    }
    support.avx2 = os_saves_ymm && bit(ebx, 3) && bit(ebx, 5) && bit(ebx, 8); // BMI1, AVX2, BMI2
    support.avx512 = support.avx2 && os_saves_zmm && bit(ebx, 16) && bit(ebx, 17) && bit(ebx, 28) &&
                     bit(ebx, 30) && bit(ebx, 31); // AVX-512 F, DQ, CD, BW, VL
    return support;
}
#endif

// The paths this build compiled and this machine runs.
struct availability {
    bool paths[all_instruction_sets.size()] = {};
    instruction_set widest = instruction_set::scalar;
};

availability detect() noexcept {
    availability result;
    const auto allow = [&result](instruction_set isa) {
        result.paths[static_cast<std::size_t>(isa)] = true;
        result.widest = isa;
    };
    allow(instruction_set::scalar);
#if defined(CODELENGTH_KERNELS_SSE2)
    allow(instruction_set::sse2);
#endif
#if defined(__x86_64__) || defined(_M_X64)
    const x86_support x86 = detect_x86();
#if defined(CODELENGTH_KERNELS_AVX2)
    if (x86.avx2) {
        allow(instruction_set::avx2);
    }
#endif
#if defined(CODELENGTH_KERNELS_AVX512)
    if (x86.avx512) {
        allow(instruction_set::avx512);
    }
#endif
    (void)x86;
#endif
#if defined(CODELENGTH_KERNELS_NEON)
    allow(instruction_set::neon);
#endif
    return result;
}

const availability& machine() noexcept {
    static const availability detected = detect();
    return detected;
}

const kernel_abi::kernel_table* table_of(instruction_set isa) noexcept {
    if (!instruction_set_available(isa)) {
        return nullptr;
    }
    switch (isa) {
    case instruction_set::scalar:
        return &kernel_abi::scalar_kernels();
#if defined(CODELENGTH_KERNELS_SSE2)
    case instruction_set::sse2:
        return &kernel_abi::sse2_kernels();
#endif
#if defined(CODELENGTH_KERNELS_AVX2)
    case instruction_set::avx2:
        return &kernel_abi::avx2_kernels();
#endif
#if defined(CODELENGTH_KERNELS_AVX512)
    case instruction_set::avx512:
        return &kernel_abi::avx512_kernels();
#endif
#if defined(CODELENGTH_KERNELS_NEON)
    case instruction_set::neon:
        return &kernel_abi::neon_kernels();
#endif
    default:
        return nullptr;
    }
}

// CODELENGTH_ISA, capped at what this machine runs (with a message), else the widest path.
instruction_set initial_instruction_set() noexcept {
    const instruction_set widest = machine().widest;
    const char* requested = std::getenv("CODELENGTH_ISA");
    if (requested == nullptr || *requested == '\0') {
        return widest;
    }
    for (const auto isa : all_instruction_sets) {
        if (std::strcmp(requested, instruction_set_name(isa)) != 0) {
            continue;
        }
        if (instruction_set_available(isa)) {
            return isa;
        }
        // Every narrower path is available, so the widest one is the cap.
        std::fprintf(stderr,
                     "codelength: CODELENGTH_ISA=%s, but this CPU, operating system or build cannot run the "
                     "%s kernels; using %s\n",
                     requested, requested, instruction_set_name(widest));
        return widest;
    }
    std::fprintf(stderr,
                 "codelength: CODELENGTH_ISA=%s is not one of scalar, sse2, avx2, avx512, neon; using %s\n",
                 requested, instruction_set_name(widest));
    return widest;
}

std::atomic<const kernel_abi::kernel_table*>& active_table() noexcept {
    static std::atomic<const kernel_abi::kernel_table*> active{table_of(initial_instruction_set())};
    return active;
}

} // namespace

const char* instruction_set_name(instruction_set isa) noexcept {
    switch (isa) {
    case instruction_set::scalar:
        return "scalar";
    case instruction_set::sse2:
        return "sse2";
    case instruction_set::avx2:
        return "avx2";
    case instruction_set::avx512:
        return "avx512";
    case instruction_set::neon:
        return "neon";
    }
    return "unknown";
}

bool instruction_set_available(instruction_set isa) noexcept {
    const auto index = static_cast<std::size_t>(isa);
    return index < all_instruction_sets.size() && machine().paths[index];
}

instruction_set detected_instruction_set() noexcept {
    return machine().widest;
}

instruction_set active_instruction_set() noexcept {
    return active_table().load(std::memory_order_acquire)->isa;
}

bool try_use_instruction_set(instruction_set isa) noexcept {
    const kernel_abi::kernel_table* table = table_of(isa);
    if (table == nullptr) {
        return false;
    }
    active_table().store(table, std::memory_order_release);
    return true;
}

namespace kernel_abi {

const kernel_table& active_kernels() noexcept {
    return *active_table().load(std::memory_order_acquire);
}

const kernel_table* kernels_for(instruction_set isa) noexcept {
    return table_of(isa);
}

} // namespace kernel_abi

} // namespace codelength::inline v0

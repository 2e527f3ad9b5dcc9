// Prints the baseline unit's results (and the wide unit's, where the CPU runs it) one per line:
//   b <total bits> <bfloat16 interval> <crc>
//   a <...> | a skipped: ...
// and fails when a's total is more than 1e-6 bits per row from b's.
// Compiled with no -m flag, so this file itself runs on any x86-64.
#include <cmath>
#include <cstdint>
#include <cstdio>

double b_total_bits();
std::uint64_t b_bfloat16_interval();
std::uint32_t b_checksum();
#if defined(LINK_ORDER_WITH_A)
double a_total_bits();
std::uint64_t a_bfloat16_interval();
std::uint32_t a_checksum();
#endif

int main() {
    const double b_total = b_total_bits();
    std::printf("b %.17g %llu %u\n", b_total, static_cast<unsigned long long>(b_bfloat16_interval()),
                static_cast<unsigned>(b_checksum()));
#if defined(LINK_ORDER_WITH_A)
    __builtin_cpu_init();
    if (__builtin_cpu_supports(LINK_ORDER_A_ISA)) {
        const double a_total = a_total_bits();
        std::printf("a %.17g %llu %u\n", a_total, static_cast<unsigned long long>(a_bfloat16_interval()),
                    static_cast<unsigned>(a_checksum()));
        if (!(std::abs(a_total - b_total) <= 64 * 1e-6)) { // 64 rows, 1e-6 bits each
            std::fprintf(stderr, "a's total %.17g bits is %.3g bits from b's\n", a_total, a_total - b_total);
            return 3;
        }
    } else {
        std::printf("a skipped: the CPU lacks %s\n", LINK_ORDER_A_ISA);
    }
#endif
    return 0;
}

// Both copies in one program: each translation unit must see its own version's functions.
#include <cmath>
#include <cstdio>
#include <numbers>

double v0_nats_to_bits(double nats);
double v1_nats_to_bits(double nats);
const char* v0_version();
const char* v1_version();

int main() {
    const double v0 = v0_nats_to_bits(1.0);
    const double v1 = v1_nats_to_bits(1.0);
    std::printf("v0 (%s): 1 nat = %.17g bits; v1 copy: 1 nat = %.17g bits\n", v0_version(), v0, v1);
    if (v0 != std::numbers::log2e || v1 != 2.0 * std::numbers::log2e) {
        std::fprintf(stderr,
                     "a translation unit called the other copy's to_bits: the versions share symbols\n");
        return 1;
    }
    return 0;
}

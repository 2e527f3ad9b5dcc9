// Units of information: one mechanism (information_unit, to_bits and the conversion constants
// in core/units.hpp, `_bits`/`_nats` in names). This file includes units.hpp alone on purpose.
#include <cmath>
#include <type_traits>

#include "codelength/core/units.hpp"
#include "support/catch.hpp"

TEST_CASE("core/units.hpp alone gives information_unit and to_bits", "[core][units]") {
    using codelength::information_unit;
    STATIC_REQUIRE(std::is_enum_v<information_unit>);
    STATIC_REQUIRE(codelength::to_bits(3.0, information_unit::bits) == 3.0);
    STATIC_REQUIRE(codelength::to_bits(1.0, information_unit::nats) == codelength::bits_per_nat);
    CHECK(std::fabs(codelength::bits_per_nat - 1.0 / std::log(2.0)) <= 1e-15);
    CHECK(std::fabs(codelength::bits_per_nat * codelength::nats_per_bit - 1.0) <= 1e-15);
    CHECK(std::fabs(codelength::to_bits(std::log(2.0), information_unit::nats) - 1.0) <= 1e-15);
}

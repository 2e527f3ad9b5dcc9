// Why a kernel refused a row of logits, as a plain value: the one form that translation units
// compiled for different instruction sets hand each other (numerics/dispatch.hpp) and that the
// library's own kernels throw inside such a unit (core/error.hpp's row_refusal). Deliberately
// outside CODELENGTH_TARGET_NAMESPACE: plain types only, no functions.
#pragma once

#include <cstdint>

namespace codelength::inline v0::kernel_abi {

// A NaN or +inf logit (at `column`, with its value), every logit -inf, the quantizer's internal
// check, or no memory.
enum class fault_kind : std::uint8_t { none, bad_logit, all_minus_infinity, internal, out_of_memory };

struct row_fault {
    fault_kind kind = fault_kind::none;
    std::int64_t column = -1;
    double value = 0.0;
};

} // namespace codelength::inline v0::kernel_abi

// How the headers call the kernels of codelength::dispatch (numerics/dispatch.hpp): choosing
// the path by name with errors, and the conversions between the library's types and the
// kernel table's plain ones.
#pragma once

#include <cstdint>
#include <new>
#include <string>
#include <type_traits>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/numerics/dispatch.hpp"
#include "codelength/numerics/row_statistics.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Makes `isa` the path of every later kernel call (see dispatch.hpp); invalid_argument_error
// naming the path when this build or machine cannot run it.
//   codelength::use_instruction_set(codelength::instruction_set::sse2);
inline void use_instruction_set(instruction_set isa) {
    if (!try_use_instruction_set(isa)) {
        throw invalid_argument_error(
            std::string("the ") + instruction_set_name(isa) +
            " kernels cannot run here (this CPU, operating system or build lacks them; "
            "the widest available is " +
            instruction_set_name(detected_instruction_set()) + ")");
    }
}

// Makes `isa` the active path for its lifetime, then restores the previous one (tests).
class scoped_instruction_set {
public:
    explicit scoped_instruction_set(instruction_set isa) : m_previous(active_instruction_set()) {
        use_instruction_set(isa);
    }
    scoped_instruction_set(const scoped_instruction_set&) = delete;
    scoped_instruction_set& operator=(const scoped_instruction_set&) = delete;
    ~scoped_instruction_set() { (void)try_use_instruction_set(m_previous); }

private:
    instruction_set m_previous;
};

namespace detail {

template <class Element>
[[nodiscard]] constexpr std::size_t kernel_element_index() noexcept {
    using kernel_abi::element_index;
    if constexpr (std::is_same_v<Element, float>) {
        return static_cast<std::size_t>(element_index::float32);
    } else if constexpr (std::is_same_v<Element, double>) {
        return static_cast<std::size_t>(element_index::float64);
    } else if constexpr (std::is_same_v<Element, bfloat16>) {
        return static_cast<std::size_t>(element_index::bfloat16);
    } else {
        static_assert(std::is_same_v<Element, float16>,
                      "the kernels take float, double, bfloat16 or float16");
        return static_cast<std::size_t>(element_index::float16);
    }
}

template <class Element>
[[nodiscard]] kernel_abi::row_input kernel_row(strided_row<Element> row) noexcept {
    return kernel_abi::row_input{row.data, row.size, row.stride};
}

// row_statistics in the kernel table's plain form (in a kernel unit), and back (in the caller).
inline void store_row_statistics(const row_statistics& statistics,
                                 kernel_abi::row_statistics_output& out) noexcept {
    out.max_logit = statistics.max_logit;
    out.log_sum_exp_nats = statistics.log_sum_exp_nats;
    out.target_log_probability_nats = statistics.target_log_probability_nats;
    out.entropy_nats = statistics.entropy_nats;
    out.log_probability_variance_nats2 = statistics.log_probability_variance_nats2;
    out.target_rank = statistics.target_rank;
}

[[nodiscard]] inline row_statistics load_row_statistics(const kernel_abi::row_statistics_output& out,
                                                        std::int64_t target) noexcept {
    row_statistics statistics;
    statistics.target = target;
    statistics.max_logit = out.max_logit;
    statistics.log_sum_exp_nats = out.log_sum_exp_nats;
    statistics.target_log_probability_nats = out.target_log_probability_nats;
    statistics.entropy_nats = out.entropy_nats;
    statistics.log_probability_variance_nats2 = out.log_probability_variance_nats2;
    statistics.target_rank = out.target_rank;
    return statistics;
}

// Rethrows what a kernel reported for row `row_index`.
inline void throw_if_fault(const kernel_abi::row_fault& fault, std::int64_t row_index) {
    if (fault.kind == kernel_abi::fault_kind::none) {
        return;
    }
    if (fault.kind == kernel_abi::fault_kind::out_of_memory) {
        throw std::bad_alloc();
    }
    refuse_row(row_index, row_refusal{fault.kind, fault.column, fault.value});
}

} // namespace detail

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

// What a "model" is: categorical next-token models (logits or log-probabilities over a
// vocabulary, optionally adaptive) and binary models (fixed-point p(bit = 1)), with two-tier
// customization (members, or a codelength::customize::model_traits specialization) and the
// accessors every library algorithm goes through.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "codelength/core/config.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace customize {

// Adapts a type you do not own. Specialize it with static functions; when a specialization
// exists the library uses it exclusively (members of the type are then ignored).
//   template <> struct codelength::customize::model_traits<their::lm> {
//       static std::int64_t vocabulary_size(const their::lm& m) { return m.n_vocab(); }
//       static std::span<const float> next_logits(their::lm& m) { return m.logits(); }
//       static void update(their::lm& m, std::int64_t token) { m.push(token); }
//   };
// A binary model's traits provide `static constexpr int probability_bits`, `p1(T&)` and
// `update(T&, int bit)`. next_log_probabilities(T&) may replace next_logits(T&).
template <class Model>
struct model_traits {
    // Marks the primary template: "not specialized". Specializations must not declare it.
    using codelength_unspecialized_model_traits = void;
};

} // namespace customize

// The element types a row of logits or log-probabilities may hold.
template <class Element>
concept row_element = std::same_as<Element, float> || std::same_as<Element, double> ||
    std::same_as<Element, bfloat16> || std::same_as<Element, float16>;

// What a categorical model's row holds; the row kernel renormalizes either kind, so both are
// scored the same way (log-probabilities are logits whose log-sum-exp is 0).
enum class row_kind {
    logits,            // next_logits(): unnormalized natural-log scores
    log_probabilities, // next_log_probabilities(): ln p_i, sum_i p_i = 1
};

namespace detail {

// Which row types a model may return, and how each becomes a strided_row.
template <class Row>
struct row_type_traits {
    static constexpr bool is_row = false;
};
template <row_element Element, std::size_t Extent>
struct row_type_traits<std::span<const Element, Extent>> {
    static constexpr bool is_row = true;
    using element_type = Element;
    static strided_row<Element> to_row(std::span<const Element, Extent> row) noexcept {
        return strided_row<Element>{row.data(), static_cast<std::int64_t>(row.size()), 1};
    }
};
template <row_element Element, std::size_t Extent>
struct row_type_traits<std::span<Element, Extent>> {
    static constexpr bool is_row = true;
    using element_type = Element;
    static strided_row<Element> to_row(std::span<Element, Extent> row) noexcept {
        return strided_row<Element>{row.data(), static_cast<std::int64_t>(row.size()), 1};
    }
};
template <row_element Element>
struct row_type_traits<strided_row<Element>> {
    static constexpr bool is_row = true;
    using element_type = Element;
    static strided_row<Element> to_row(strided_row<Element> row) noexcept { return row; }
};

template <class Row>
concept model_row_type = row_type_traits<std::remove_cvref_t<Row>>::is_row;

template <class Model>
using traits_of = customize::model_traits<std::remove_cvref_t<Model>>;

// Tier 2 (a model_traits specialization) wins over tier 1 (members) whenever it exists.
template <class Model>
concept uses_model_traits = !requires {
    typename traits_of<Model>::codelength_unspecialized_model_traits;
};

// --- each requirement, "present" and "well-typed" separately, for the static_assert messages.
template <class Model>
concept has_vocabulary_size = (uses_model_traits<Model> &&
                               requires(const Model& m) { traits_of<Model>::vocabulary_size(m); }) ||
                              (!uses_model_traits<Model> &&
                               requires(const Model& m) { m.vocabulary_size(); });

template <class Model>
concept has_next_logits = (uses_model_traits<Model> &&
                           requires(Model & m) { traits_of<Model>::next_logits(m); }) ||
                          (!uses_model_traits<Model> && requires(Model & m) { m.next_logits(); });

template <class Model>
concept has_next_log_probabilities = (uses_model_traits<Model> &&
                                      requires(Model & m) { traits_of<Model>::next_log_probabilities(m); }) ||
                                     (!uses_model_traits<Model> &&
                                      requires(Model & m) { m.next_log_probabilities(); });

template <class Model>
concept has_token_update =
    (uses_model_traits<Model> &&
     requires(Model & m, std::int64_t token) { traits_of<Model>::update(m, token); }) ||
    (!uses_model_traits<Model> && requires(Model & m, std::int64_t token) { m.update(token); });

template <class Model>
concept has_p1 = (uses_model_traits<Model> && requires(Model & m) { traits_of<Model>::p1(m); }) ||
                 (!uses_model_traits<Model> && requires(Model & m) { m.p1(); });

template <class Model>
concept has_probability_bits = (uses_model_traits<Model> &&
                                requires { traits_of<Model>::probability_bits; }) ||
                               (!uses_model_traits<Model> &&
                                requires { std::remove_cvref_t<Model>::probability_bits; });

template <class Model>
concept has_bit_update = (uses_model_traits<Model> &&
                          requires(Model & m, int bit) { traits_of<Model>::update(m, bit); }) ||
                         (!uses_model_traits<Model> && requires(Model & m, int bit) { m.update(bit); });

// Calls the model's functions through whichever tier applies.
template <class Model>
decltype(auto) raw_vocabulary_size(const Model& model) {
    if constexpr (uses_model_traits<Model>) {
        return traits_of<Model>::vocabulary_size(model);
    } else {
        return model.vocabulary_size();
    }
}
template <class Model>
decltype(auto) raw_next_row(Model& model) {
    if constexpr (uses_model_traits<Model>) {
        if constexpr (has_next_logits<Model>) {
            return traits_of<Model>::next_logits(model);
        } else {
            return traits_of<Model>::next_log_probabilities(model);
        }
    } else {
        if constexpr (has_next_logits<Model>) {
            return model.next_logits();
        } else {
            return model.next_log_probabilities();
        }
    }
}
template <class Model>
decltype(auto) raw_p1(Model& model) {
    if constexpr (uses_model_traits<Model>) {
        return traits_of<Model>::p1(model);
    } else {
        return model.p1();
    }
}
template <class Model>
consteval auto raw_probability_bits() {
    if constexpr (uses_model_traits<Model>) {
        return traits_of<Model>::probability_bits;
    } else {
        return std::remove_cvref_t<Model>::probability_bits;
    }
}

template <class Model>
concept vocabulary_size_is_integer = has_vocabulary_size<Model> &&
    std::integral<std::remove_cvref_t<decltype(raw_vocabulary_size(std::declval<const Model&>()))>>;

// When both exist, next_logits() is the one used (and checked).
template <class Model>
concept has_next_row = has_next_logits<Model> || has_next_log_probabilities<Model>;

template <class Model>
concept next_row_is_well_typed =
    has_next_row<Model> && model_row_type<decltype(raw_next_row(std::declval<Model&>()))>;

template <class Model>
concept p1_is_unsigned =
    has_p1<Model> && std::unsigned_integral<std::remove_cvref_t<decltype(raw_p1(std::declval<Model&>()))>>;

template <class Model>
concept probability_bits_in_range = has_probability_bits<Model> &&
    std::integral<std::remove_cvref_t<decltype(raw_probability_bits<Model>())>> &&
    (raw_probability_bits<Model>() >= 1 && raw_probability_bits<Model>() <= 32);

} // namespace detail

// A next-token model over a finite vocabulary: vocabulary_size() and, for the current
// context, next_logits() or next_log_probabilities() returning std::span<const E> or
// strided_row<E> with E one of float, double, bfloat16, float16 (or the same through
// customize::model_traits). Check a near miss with check_categorical_model<M>().
template <class Model>
concept categorical_model = detail::vocabulary_size_is_integer<std::remove_reference_t<Model>> &&
    detail::next_row_is_well_typed<std::remove_reference_t<Model>>;

// An adaptive categorical model: update(std::int64_t token) appends token to the context
// (a replay of precomputed logits moves to the next row).
template <class Model>
concept sequential_categorical_model =
    categorical_model<Model> && detail::has_token_update<std::remove_reference_t<Model>>;

// A bitwise model: p1() is p(bit = 1) * 2^probability_bits as an unsigned integer,
// probability_bits is a static constexpr integer in [1, 32], update(int bit) learns the bit.
template <class Model>
concept binary_model = detail::p1_is_unsigned<std::remove_reference_t<Model>> &&
    detail::probability_bits_in_range<std::remove_reference_t<Model>> &&
    detail::has_bit_update<std::remove_reference_t<Model>>;

// Fails to compile with one message per unmet requirement of categorical_model; true otherwise.
//   static_assert(codelength::check_categorical_model<my_model>());
template <class Model>
consteval bool check_categorical_model() {
    using model = std::remove_reference_t<Model>;
    static_assert(
        detail::has_vocabulary_size<model>,
        "codelength: the model has no vocabulary_size(): add `std::int64_t vocabulary_size() const` "
        "or specialize codelength::customize::model_traits with "
        "`static std::int64_t vocabulary_size(const T&)`");
    static_assert(!detail::has_vocabulary_size<model> || detail::vocabulary_size_is_integer<model>,
                  "codelength: vocabulary_size() must return an integer (std::int64_t)");
    static_assert(detail::has_next_row<model>,
                  "codelength: the model has neither next_logits() nor next_log_probabilities(): add "
                  "`std::span<const float> next_logits()` (or next_log_probabilities(), natural log) or "
                  "specialize codelength::customize::model_traits with `static ... next_logits(T&)`");
    static_assert(!detail::has_next_logits<model> || detail::next_row_is_well_typed<model>,
                  "codelength: next_logits() must return std::span<const float|double|bfloat16|float16> or "
                  "codelength::strided_row<float|double|bfloat16|float16>");
    static_assert(
        detail::has_next_logits<model> || !detail::has_next_log_probabilities<model> ||
            detail::next_row_is_well_typed<model>,
        "codelength: next_log_probabilities() must return std::span<const float|double|bfloat16|float16> "
        "or codelength::strided_row<float|double|bfloat16|float16>");
    return true;
}

// Like check_categorical_model, plus the update(token) of adaptive models.
template <class Model>
consteval bool check_sequential_categorical_model() {
    static_assert(check_categorical_model<Model>());
    static_assert(
        detail::has_token_update<std::remove_reference_t<Model>>,
        "codelength: update(token) missing: add `void update(std::int64_t token)` for adaptive models "
        "(it appends token to the context) or `static void update(T&, std::int64_t)` to "
        "codelength::customize::model_traits; a const model cannot be updated");
    return true;
}

// Fails to compile with one message per unmet requirement of binary_model; true otherwise.
template <class Model>
consteval bool check_binary_model() {
    using model = std::remove_reference_t<Model>;
    static_assert(detail::has_p1<model>,
                  "codelength: the binary model has no p1(): add `std::uint32_t p1() const` returning "
                  "p(bit = 1) * 2^probability_bits, or specialize codelength::customize::model_traits");
    static_assert(!detail::has_p1<model> || detail::p1_is_unsigned<model>,
                  "codelength: p1() must return an unsigned integer (fixed-point p(bit = 1))");
    static_assert(detail::has_probability_bits<model>,
                  "codelength: the binary model has no probability_bits: add `static constexpr int "
                  "probability_bits = 12;` (the fixed-point precision of p1())");
    static_assert(!detail::has_probability_bits<model> || detail::probability_bits_in_range<model>,
                  "codelength: probability_bits must be a static constexpr integer in [1, 32]");
    static_assert(detail::has_bit_update<model>,
                  "codelength: update(bit) missing: add `void update(int bit)` to the binary model");
    return true;
}

// The row element type of a categorical model (float, double, bfloat16 or float16).
template <categorical_model Model>
using model_element_t = typename detail::row_type_traits<std::remove_cvref_t<decltype(detail::raw_next_row(
    std::declval<std::remove_reference_t<Model>&>()))>>::element_type;

// Whether model_next_row returns logits or log-probabilities (next_logits() wins if both exist).
template <categorical_model Model>
inline constexpr row_kind model_row_kind_v =
    detail::has_next_logits<std::remove_reference_t<Model>> ? row_kind::logits : row_kind::log_probabilities;

// The fixed-point precision of a binary model's p1().
template <binary_model Model>
inline constexpr int model_probability_bits_v =
    static_cast<int>(detail::raw_probability_bits<std::remove_reference_t<Model>>());

// The model's vocabulary size V (the length of every row).
template <class Model>
[[nodiscard]] std::int64_t model_vocabulary_size(const Model& model) {
    if constexpr (detail::vocabulary_size_is_integer<Model>) {
        return static_cast<std::int64_t>(detail::raw_vocabulary_size(model));
    } else {
        static_assert(check_categorical_model<Model>());
        return 0;
    }
}

// The distribution for the current context as a strided row of V logits or log-probabilities
// (see model_row_kind_v); it stays valid until the next model_update.
template <class Model>
[[nodiscard]] auto model_next_row(Model& model) {
    if constexpr (categorical_model<Model>) {
        using traits = detail::row_type_traits<std::remove_cvref_t<decltype(detail::raw_next_row(model))>>;
        return traits::to_row(detail::raw_next_row(model));
    } else {
        static_assert(check_categorical_model<Model>());
        return strided_row<float>{};
    }
}

// Appends token to an adaptive model's context.
template <class Model>
void model_update(Model& model, std::int64_t token) {
    if constexpr (sequential_categorical_model<Model>) {
        if constexpr (detail::uses_model_traits<Model>) {
            detail::traits_of<Model>::update(model, token);
        } else {
            model.update(token);
        }
    } else {
        static_assert(check_sequential_categorical_model<Model>());
    }
}

// p(bit = 1) * 2^model_probability_bits_v<Model> for the current context.
template <class Model>
[[nodiscard]] std::uint32_t model_p1(Model& model) {
    if constexpr (binary_model<Model>) {
        return static_cast<std::uint32_t>(detail::raw_p1(model));
    } else {
        static_assert(check_binary_model<Model>());
        return 0;
    }
}

// Before the first bit of each byte, coders that know the byte (encoders, code-length loops)
// pass it to a binary model's optional prefetch_byte(std::uint8_t): a hint with which the model
// can load what that byte's bits need ahead of them (context_mixing_model does). Predictions
// must not depend on it. Does nothing for models without it.
template <class Model>
void model_prefetch_byte(Model& model, std::uint8_t byte) noexcept {
    if constexpr (requires { model.prefetch_byte(byte); }) {
        model.prefetch_byte(byte);
    }
}

// Teaches a binary model the bit that occurred (0 or 1).
template <class Model>
void model_update_bit(Model& model, int bit) {
    if constexpr (binary_model<Model>) {
        if constexpr (detail::uses_model_traits<Model>) {
            detail::traits_of<Model>::update(model, bit);
        } else {
            model.update(bit);
        }
    } else {
        static_assert(check_binary_model<Model>());
    }
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

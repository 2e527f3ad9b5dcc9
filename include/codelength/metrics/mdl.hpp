// Description length (MDL) of data together with its model (README, "Description length and memorization"):
// the block-wise online (prequential) code, the prequential code of a training log, two-part codes with a
// pluggable model cost, the break-even data size, the model-size-adjusted compression rate and
// the information a training run stored in the weights.
//
//   const auto ends = codelength::online_block_ends(10'000); // 10, 20, 40, ..., 10000
//   const auto code = codelength::online_code_length(50'257, ends, later_nats,
//                                                    codelength::information_unit::nats);
//   code.online_bits; *code.compression; // uniform_bits / online_bits
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/units.hpp"
#include "codelength/numerics/compensated_sum.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// information_unit and to_bits(amount, unit) come from core/units.hpp.

// The block schedule of Voita & Titov (2020): cumulative fractions of the N items at which the
// online code's blocks end (0.1%, 0.2%, 0.4%, 0.8%, 1.6%, 3.2%, 6.25%, 12.5%, 25%, 50%, 100%),
// in parts per million so that the boundaries are computed exactly in integers.
inline constexpr std::int64_t parts_per_million = 1'000'000;
inline constexpr std::array<std::int64_t, 11> default_online_block_ppm = {
    1'000, 2'000, 4'000, 8'000, 16'000, 32'000, 62'500, 125'000, 250'000, 500'000, 1'000'000};

// Exclusive end of each block of the online code over `items` items: block k is
// [ends[k-1], ends[k]) with ends[-1] = 0 (block-wise version).
// Rounding (exact, integer): end_k = floor(ppm_k * items / 10^6 + 1/2), nearest with halves up,
// clamped to [1, items]; equal ends are merged, so every block is non-empty and the ends are
// strictly increasing, and the last end is `items`. The ppm values must be strictly increasing
// in (0, 10^6] and end with 10^6; items >= 1. Throws invalid_argument_error otherwise.
// Examples: items = 1 -> {1}; items = 5 with the default schedule -> {1, 3, 5};
// items = 10000 -> {10, 20, 40, 80, 160, 320, 625, 1250, 2500, 5000, 10000}.
[[nodiscard]] inline std::vector<std::int64_t>
online_block_ends(std::int64_t items, std::span<const std::int64_t> ppm = default_online_block_ppm) {
    if (items < 1) {
        throw invalid_argument_error("online block schedule: items must be >= 1, got " +
                                     std::to_string(items));
    }
    if (ppm.empty() || ppm.back() != parts_per_million) {
        throw invalid_argument_error("online block schedule: the last fraction must be 1000000 ppm (100%)");
    }
    // ppm * items / 10^6 = ppm * q + ppm * r / 10^6 with items = q 10^6 + r: no overflow, since
    // ppm * q <= items and ppm * r < 10^12.
    const std::int64_t q = items / parts_per_million;
    const std::int64_t r = items % parts_per_million;
    std::vector<std::int64_t> ends;
    std::int64_t previous = 0;
    for (std::size_t k = 0; k < ppm.size(); ++k) {
        if (!(ppm[k] > previous && ppm[k] <= parts_per_million)) {
            throw invalid_argument_error("online block schedule: fraction " + std::to_string(k) + " (" +
                                         std::to_string(ppm[k]) + " ppm) is not in (previous, 1000000]");
        }
        previous = ppm[k];
        std::int64_t end = ppm[k] * q + (ppm[k] * r + parts_per_million / 2) / parts_per_million;
        end = end < 1 ? 1 : (end > items ? items : end);
        if (ends.empty() || end > ends.back()) {
            ends.push_back(end);
        }
    }
    return ends;
}

// One block of the online code after the first: its item count and the code length of its
// items under the model trained on every earlier block (in the unit the caller states).
struct coded_block {
    std::int64_t items = 0;
    double code_length = 0.0;
};

// The block-wise online code (Blier & Ollivier 2018; Voita & Titov 2020).
// Invariants: online_bits = first_block_bits + later_blocks_bits;
// first_block_bits = first_block_items * log2 V; uniform_bits = items * log2 V.
struct online_code_result {
    std::int64_t items = 0;             // N, all blocks
    std::int64_t first_block_items = 0; // n_1
    std::int64_t blocks = 0;            // first block included
    double first_block_bits = 0.0;      // n_1 log2 V: the uniform code of the first block
    double later_blocks_bits = 0.0;     // sum of the caller's block code lengths, in bits
    double online_bits = 0.0;           // first_block_bits + later_blocks_bits
    double uniform_bits = 0.0;          // N log2 V
    std::optional<double> compression;  // uniform_bits / online_bits; nullopt when online_bits = 0
};

// The online code of N = first_block_items + sum of later items items over a vocabulary of V
// symbols: the first block coded uniformly (n_1 log2 V bits), block i by the caller's code length
// under a model trained on blocks < i. Throws invalid_argument_error for V < 1, a block without
// items, or a negative or non-finite code length (the message names the 1-based block).
[[nodiscard]] inline online_code_result online_code_length(std::int64_t vocabulary_size,
                                                           std::int64_t first_block_items,
                                                           std::span<const coded_block> later_blocks,
                                                           information_unit unit) {
    if (vocabulary_size < 1) {
        throw invalid_argument_error("online code: vocabulary size must be >= 1, got " +
                                     std::to_string(vocabulary_size));
    }
    if (first_block_items < 1) {
        throw invalid_argument_error("online code: the first block needs >= 1 item, got " +
                                     std::to_string(first_block_items));
    }
    const double log2_v = std::log2(static_cast<double>(vocabulary_size));
    online_code_result result;
    result.first_block_items = first_block_items;
    result.items = first_block_items;
    result.blocks = 1 + static_cast<std::int64_t>(later_blocks.size());
    detail::compensated_sum later_bits;
    for (std::size_t i = 0; i < later_blocks.size(); ++i) {
        const coded_block& block = later_blocks[i];
        const std::string name = "online code: block " + std::to_string(i + 2);
        if (block.items < 1) {
            throw invalid_argument_error(name + " has " + std::to_string(block.items) +
                                         " items (needs >= 1)");
        }
        if (!std::isfinite(block.code_length) || block.code_length < 0) {
            throw invalid_argument_error(name + " has code length " + std::to_string(block.code_length) +
                                         " (needs a finite value >= 0)");
        }
        result.items += block.items;
        later_bits.add(to_bits(block.code_length, unit));
    }
    result.first_block_bits = static_cast<double>(first_block_items) * log2_v;
    result.later_blocks_bits = later_bits.value();
    result.online_bits = result.first_block_bits + result.later_blocks_bits;
    result.uniform_bits = static_cast<double>(result.items) * log2_v;
    if (result.online_bits > 0) {
        result.compression = result.uniform_bits / result.online_bits;
    }
    return result;
}

// The online code on a schedule (block_ends from online_block_ends): code_lengths[i] is the code
// length of block i + 2 (block 1 is coded uniformly), so code_lengths.size() = ends.size() - 1.
[[nodiscard]] inline online_code_result online_code_length(std::int64_t vocabulary_size,
                                                           std::span<const std::int64_t> block_ends,
                                                           std::span<const double> code_lengths,
                                                           information_unit unit) {
    if (block_ends.empty() || code_lengths.size() + 1 != block_ends.size()) {
        throw invalid_argument_error("online code: " + std::to_string(block_ends.size()) + " blocks need " +
                                     std::to_string(block_ends.empty() ? 0 : block_ends.size() - 1) +
                                     " code lengths (the first block is uniform), got " +
                                     std::to_string(code_lengths.size()));
    }
    std::vector<coded_block> blocks(code_lengths.size());
    for (std::size_t i = 0; i < code_lengths.size(); ++i) {
        blocks[i] = {block_ends[i + 1] - block_ends[i], code_lengths[i]};
    }
    return online_code_length(vocabulary_size, block_ends[0], blocks, unit);
}

// One logged training step: how many tokens its batch held and their mean loss (cross-entropy
// per token, in the unit the caller states), logged before that batch's update.
struct training_step {
    std::int64_t tokens = 0;
    double mean_loss = 0.0;
};

// The prequential code length of a single-epoch training log (a loss logged
// before its gradient step is a prequential code of that batch). Invariant:
// total_bits = sum_i mean_loss_i * tokens_i in bits; bits_per_token = total_bits / tokens.
struct training_log_code {
    std::int64_t steps = 0;
    std::int64_t tokens = 0;
    double total_bits = 0.0;
    std::optional<double> bits_per_token; // nullopt without tokens
};

// Sums a training log into its prequential code length. Throws invalid_argument_error naming
// the step (0-based) for a negative token count or a negative or non-finite loss.
[[nodiscard]] inline training_log_code prequential_code_length_from_log(std::span<const training_step> log,
                                                                        information_unit unit) {
    training_log_code result;
    detail::compensated_sum total;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const training_step& step = log[i];
        if (step.tokens < 0) {
            throw invalid_argument_error("training log: step " + std::to_string(i) + " has " +
                                         detail::count_noun(step.tokens, "token", "tokens"));
        }
        if (!std::isfinite(step.mean_loss) || step.mean_loss < 0) {
            throw invalid_argument_error("training log: step " + std::to_string(i) + " has mean loss " +
                                         std::to_string(step.mean_loss));
        }
        total.add(to_bits(step.mean_loss, unit) * static_cast<double>(step.tokens));
        result.tokens += step.tokens;
    }
    result.steps = static_cast<std::int64_t>(log.size());
    result.total_bits = total.value();
    if (result.tokens > 0) {
        result.bits_per_token = result.total_bits / static_cast<double>(result.tokens);
    }
    return result;
}

// Storage formats of a parameter, for the "parameters x bits per parameter" model cost.
enum class parameter_format : std::uint8_t { fp32, bf16, fp16, int8, int4 };

// Bits one parameter takes in `format`: fp32 32, bf16 16, fp16 16, int8 8, int4 4.
[[nodiscard]] constexpr double bits_per_parameter(parameter_format format) noexcept {
    switch (format) {
    case parameter_format::fp32:
        return 32;
    case parameter_format::bf16:
    case parameter_format::fp16:
        return 16;
    case parameter_format::int8:
        return 8;
    case parameter_format::int4:
        return 4;
    }
    return 0;
}

// Where a two-part code's L(model) comes from.
enum class model_cost_source : std::uint8_t { parameters, weights_file, decompressor };

// L(model) of a two-part code in bits, with its source. Invariant: bits >= 0 and finite.
struct model_cost {
    model_cost_source source = model_cost_source::parameters;
    double bits = 0.0;

    // parameters x bits_per_parameter (a custom width, e.g. 5.5 for a mixed quantization).
    [[nodiscard]] static model_cost from_parameters(std::int64_t parameters, double bits_per_parameter) {
        if (parameters < 0 || !std::isfinite(bits_per_parameter) || bits_per_parameter < 0) {
            throw invalid_argument_error("model cost: " + std::to_string(parameters) + " parameters at " +
                                         std::to_string(bits_per_parameter) + " bits each is not a size");
        }
        return {model_cost_source::parameters, static_cast<double>(parameters) * bits_per_parameter};
    }
    // parameters x the width of `format` (fp32 32, bf16/fp16 16, int8 8, int4 4 bits).
    [[nodiscard]] static model_cost from_parameters(std::int64_t parameters, parameter_format format) {
        return from_parameters(parameters, bits_per_parameter(format));
    }
    // The compressed size of a weights file (weights_file_cost_bytes_codelength or _zstd), x 8.
    [[nodiscard]] static model_cost from_weights_file_bytes(std::uint64_t compressed_bytes) noexcept {
        return {model_cost_source::weights_file, 8.0 * static_cast<double>(compressed_bytes)};
    }
    // The decompressor's size (Large Text Compression Benchmark convention), x 8.
    [[nodiscard]] static model_cost from_decompressor_bytes(std::uint64_t decompressor_bytes) noexcept {
        return {model_cost_source::decompressor, 8.0 * static_cast<double>(decompressor_bytes)};
    }
    // bits / 8.
    [[nodiscard]] double bytes() const noexcept { return bits / 8.0; }
};

// A two-part code L(model) + L(data | model). Invariants:
// total_bits = model_bits + data_bits; the per-item values divide by items (nullopt for 0 items).
struct two_part_code {
    double model_bits = 0.0;
    double data_bits = 0.0;
    double total_bits = 0.0;
    std::int64_t items = 0;
    std::optional<double> data_bits_per_item;
    std::optional<double> total_bits_per_item;
};

// The two-part code of `items` data items whose code length under the model is
// data_code_length (in `unit`). Throws for a negative or non-finite code length or items < 0.
[[nodiscard]] inline two_part_code two_part_code_length(const model_cost& model, double data_code_length,
                                                        information_unit unit, std::int64_t items) {
    if (!std::isfinite(data_code_length) || data_code_length < 0 || items < 0 || !std::isfinite(model.bits) ||
        model.bits < 0) {
        throw invalid_argument_error("two-part code: needs finite code lengths >= 0 and items >= 0");
    }
    two_part_code result;
    result.model_bits = model.bits;
    result.data_bits = to_bits(data_code_length, unit);
    result.total_bits = result.model_bits + result.data_bits;
    result.items = items;
    if (items > 0) {
        result.data_bits_per_item = result.data_bits / static_cast<double>(items);
        result.total_bits_per_item = result.total_bits / static_cast<double>(items);
    }
    return result;
}

// The data size n* (items) at which a model pays for itself against a reference code (uniform
// log2 V, or a generic compressor): model_bits + n model_bits_per_item = n reference_bits_per_item
// gives n* = model_bits / (reference_bits_per_item - model_bits_per_item). nullopt when the
// model is not better per item (reference <= model: it never pays), or an input is not finite.
[[nodiscard]] inline std::optional<double> break_even_items(double model_bits, double model_bits_per_item,
                                                            double reference_bits_per_item) noexcept {
    const double saving_bits = reference_bits_per_item - model_bits_per_item;
    if (!std::isfinite(model_bits) || !std::isfinite(saving_bits) || !(saving_bits > 0)) {
        return std::nullopt;
    }
    return model_bits / saving_bits;
}

// Compression rates of a corpus (Deletang et al. 2023): the raw rate
// compressed / raw and the adjusted rate (model + compressed) / raw, which charges the model.
struct compression_rates {
    std::optional<double> raw_rate;      // compressed_bytes / raw_bytes; nullopt for raw_bytes = 0
    std::optional<double> adjusted_rate; // (model_bytes + compressed_bytes) / raw_bytes
};

// The raw and adjusted compression rates. Sizes may be fractional (ideal bits / 8). Throws
// invalid_argument_error for a negative or non-finite size.
[[nodiscard]] inline compression_rates compression_rates_of(double raw_bytes, double compressed_bytes,
                                                            double model_bytes) {
    for (const double size : {raw_bytes, compressed_bytes, model_bytes}) {
        if (!std::isfinite(size) || size < 0) {
            throw invalid_argument_error("compression rates: size " + std::to_string(size) +
                                         " bytes is not a size");
        }
    }
    if (raw_bytes == 0) {
        return {};
    }
    return {compressed_bytes / raw_bytes, (model_bytes + compressed_bytes) / raw_bytes};
}

// L_preq(D) - L(D | final model) in bits: an estimate of how much of D the
// training stored in the weights. Both code lengths in `unit`, over the same data D. It can be
// negative: with noisy data or an overfitted final model evaluated elsewhere, or when the
// prequential code was cheap early (it is an estimate, not a bound).
[[nodiscard]] constexpr double information_in_weights_bits(double prequential_code_length,
                                                           double final_model_code_length,
                                                           information_unit unit) noexcept {
    return to_bits(prequential_code_length, unit) - to_bits(final_model_code_length, unit);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

// Every description-length quantity a set of inputs allows, in the order `codelength mdl` reports
// them (its table and --json keys; the Python package's mdl() dict): the online code, the
// prequential code of a training log, the information in the weights, the model cost, the
// two-part code and its break-even size, the compression rates and the online code's blocks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/units.hpp"
#include "codelength/metrics/mdl.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The inputs of compute_mdl; each is optional (see `codelength mdl --help` for their meaning).
// Code lengths (block code lengths, step losses, final_model_code_length) are in `unit`.
struct mdl_inputs {
    std::optional<information_unit> unit;
    std::optional<std::int64_t> vocabulary_size; // >= 1
    std::optional<std::int64_t> items;           // >= 1
    std::optional<std::int64_t> first_block_items;
    std::vector<coded_block> blocks;
    std::vector<training_step> steps;
    std::optional<double> final_model_code_length;
    std::optional<std::int64_t> parameters;
    std::optional<double> bits_per_parameter; // with parameters; 32 (fp32) when not given
    std::optional<std::int64_t> weights_bytes;
    std::optional<std::int64_t> decompressor_bytes;
    // A weights file's size coded by the library's context-mixing coder and by zstd -19 (both
    // or neither); the former becomes the model cost. weights_file_label names it in messages.
    std::optional<std::uint64_t> weights_file_bytes_codelength;
    std::optional<std::uint64_t> weights_file_bytes_zstd;
    std::string weights_file_label = "weights";
    std::optional<double> reference_bits_per_item;
    std::optional<double> raw_bytes; // > 0
    std::optional<double> compressed_bytes;
};

// The storage format a name selects ("fp32", "bf16", "fp16", "int8", "int4"); std::nullopt for
// any other name.
[[nodiscard]] inline std::optional<parameter_format> parameter_format_named(std::string_view name) noexcept {
    const std::pair<const char*, parameter_format> names[] = {{"fp32", parameter_format::fp32},
                                                              {"bf16", parameter_format::bf16},
                                                              {"fp16", parameter_format::fp16},
                                                              {"int8", parameter_format::int8},
                                                              {"int4", parameter_format::int4}};
    for (const auto& [format_name, format] : names) {
        if (name == format_name) {
            return format;
        }
    }
    return std::nullopt;
}

// One reported quantity: a number (std::nullopt: undefined), an integer, a text or integers.
struct mdl_value {
    enum class kind : std::uint8_t { number, integer, text, integers };
    std::string key;
    kind type = kind::number;
    std::optional<double> number;
    std::int64_t integer = 0;
    std::string text;
    std::vector<std::int64_t> integers;
};

// Where an input came from, for messages: the prefix of an error about `key` (a file's
// "path:line: ", an argument's "key: ").
using mdl_input_locator = std::function<std::string(std::string_view key)>;

namespace detail {

// The keys of the single-valued inputs that are set, sorted.
inline std::vector<std::string> mdl_given_keys(const mdl_inputs& in) {
    std::vector<std::string> keys;
    const auto add = [&](bool given, const char* key) {
        if (given) {
            keys.emplace_back(key);
        }
    };
    add(in.unit.has_value(), "unit");
    add(in.vocabulary_size.has_value(), "vocabulary_size");
    add(in.items.has_value(), "items");
    add(in.first_block_items.has_value(), "first_block_items");
    add(in.final_model_code_length.has_value(), "final_model_code_length");
    add(in.parameters.has_value(), "parameters");
    add(in.bits_per_parameter.has_value(), "bits_per_parameter");
    add(in.weights_bytes.has_value(), "weights_bytes");
    add(in.decompressor_bytes.has_value(), "decompressor_bytes");
    add(in.reference_bits_per_item.has_value(), "reference_bits_per_item");
    add(in.raw_bytes.has_value(), "raw_bytes");
    add(in.compressed_bytes.has_value(), "compressed_bytes");
    std::sort(keys.begin(), keys.end());
    return keys;
}

// Throws invalid_argument_error unless every given input is in its range.
inline void check_mdl_inputs(const mdl_inputs& in, const mdl_input_locator& where) {
    const auto integer_at_least = [&](const std::optional<std::int64_t>& value, const char* key,
                                      std::int64_t minimum) {
        if (value && *value < minimum) {
            throw invalid_argument_error(where(key) + key + " must be an integer >= " +
                                         std::to_string(minimum) + ", got " + std::to_string(*value));
        }
    };
    const auto finite_number = [&](const std::optional<double>& value, const char* key, bool positive) {
        if (value && (!std::isfinite(*value) || *value < 0 || (positive && *value == 0))) {
            throw invalid_argument_error(where(key) + key + " must be a finite number " +
                                         (positive ? "> 0" : ">= 0") + ", got " + std::to_string(*value));
        }
    };
    integer_at_least(in.vocabulary_size, "vocabulary_size", 1);
    integer_at_least(in.items, "items", 1);
    integer_at_least(in.first_block_items, "first_block_items", 1);
    integer_at_least(in.parameters, "parameters", 0);
    integer_at_least(in.weights_bytes, "weights_bytes", 0);
    integer_at_least(in.decompressor_bytes, "decompressor_bytes", 0);
    finite_number(in.final_model_code_length, "final_model_code_length", false);
    finite_number(in.bits_per_parameter, "bits_per_parameter", false);
    finite_number(in.reference_bits_per_item, "reference_bits_per_item", false);
    finite_number(in.raw_bytes, "raw_bytes", true);
    finite_number(in.compressed_bytes, "compressed_bytes", false);
    if (in.weights_file_bytes_codelength.has_value() != in.weights_file_bytes_zstd.has_value()) {
        throw invalid_argument_error(where("weights") + "a weights file needs both of its sizes");
    }
}

} // namespace detail

// Every quantity the inputs allow, in report order (see the top of this file and `codelength mdl
// --help`). Throws invalid_argument_error, its message starting with `source` or where(key), for
// an input out of range, code lengths without a unit, an online code without first_block_items
// and vocabulary_size, items that differ from the online code's, bits_per_parameter without
// parameters, more than one model cost, or inputs from which nothing can be computed.
//   mdl_inputs in; in.items = 10000; compute_mdl(in, "x", ...) -> block_ends_source, block_ends
[[nodiscard]] inline std::vector<mdl_value> compute_mdl(const mdl_inputs& in, const std::string& source,
                                                        const mdl_input_locator& where) {
    detail::check_mdl_inputs(in, where);
    std::vector<mdl_value> report;
    const auto add_number = [&](const char* key, std::optional<double> value) {
        report.push_back(mdl_value{key, mdl_value::kind::number, value, 0, {}, {}});
    };
    const auto add_integer = [&](const char* key, std::int64_t value) {
        report.push_back(mdl_value{key, mdl_value::kind::integer, std::nullopt, value, {}, {}});
    };
    const auto add_text = [&](const char* key, std::string value) {
        report.push_back(mdl_value{key, mdl_value::kind::text, std::nullopt, 0, std::move(value), {}});
    };
    const bool needs_unit = !in.blocks.empty() || !in.steps.empty() || in.final_model_code_length.has_value();
    if (needs_unit && !in.unit) {
        throw invalid_argument_error(source + ": code lengths need 'unit,bits' or 'unit,nats'");
    }
    const information_unit unit = in.unit.value_or(information_unit::bits);
    if (in.unit) {
        add_text("unit", unit == information_unit::bits ? "bits" : "nats");
    }

    // The block-wise online code.
    std::optional<online_code_result> online;
    if (in.first_block_items || !in.blocks.empty()) {
        if (!in.first_block_items || !in.vocabulary_size) {
            throw invalid_argument_error(source +
                                         ": the online code needs first_block_items and vocabulary_size");
        }
        online = online_code_length(*in.vocabulary_size, *in.first_block_items, in.blocks, unit);
        if (in.items && *in.items != online->items) {
            throw invalid_argument_error(where("items") + "items is " + std::to_string(*in.items) +
                                         " but first_block_items and the blocks hold " +
                                         std::to_string(online->items));
        }
        add_integer("online_items", online->items);
        add_integer("online_blocks", online->blocks);
        add_number("first_block_bits", online->first_block_bits);
        add_number("online_bits", online->online_bits);
        add_number("uniform_bits", online->uniform_bits);
        add_number("online_compression", online->compression);
    } else if (in.items && in.vocabulary_size) {
        add_number("uniform_bits",
                   static_cast<double>(*in.items) * std::log2(static_cast<double>(*in.vocabulary_size)));
    }

    // The prequential code of the training log.
    std::optional<training_log_code> log;
    if (!in.steps.empty()) {
        log = prequential_code_length_from_log(in.steps, unit);
        add_integer("training_steps", log->steps);
        add_integer("training_tokens", log->tokens);
        add_number("prequential_bits", log->total_bits);
        add_number("prequential_bits_per_token", log->bits_per_token);
    }

    // L(D | final model) and the information the training stored in the weights.
    if (in.final_model_code_length) {
        const double final_bits = to_bits(*in.final_model_code_length, unit);
        add_number("final_model_bits", final_bits);
        if (log || online) {
            const double preq_bits = log ? log->total_bits : online->online_bits;
            add_text("information_in_weights_source", log ? "training_log" : "online_code");
            add_number("information_in_weights_bits",
                       information_in_weights_bits(preq_bits, final_bits, information_unit::bits));
        }
    }

    // The model cost: at most one source.
    std::optional<model_cost> cost;
    const auto set_cost = [&](model_cost value, const std::string& from) {
        if (cost) {
            throw invalid_argument_error(source + ": more than one model cost (" + from +
                                         " and another); give one of parameters, weights_bytes, "
                                         "decompressor_bytes, " +
                                         in.weights_file_label);
        }
        cost = value;
    };
    if (in.parameters) {
        set_cost(model_cost::from_parameters(*in.parameters, in.bits_per_parameter.value_or(
                                                                 bits_per_parameter(parameter_format::fp32))),
                 "parameters");
    } else if (in.bits_per_parameter) {
        throw invalid_argument_error(where("bits_per_parameter") + "bits_per_parameter needs parameters");
    }
    if (in.weights_bytes) {
        set_cost(model_cost::from_weights_file_bytes(static_cast<std::uint64_t>(*in.weights_bytes)),
                 "weights_bytes");
    }
    if (in.decompressor_bytes) {
        set_cost(model_cost::from_decompressor_bytes(static_cast<std::uint64_t>(*in.decompressor_bytes)),
                 "decompressor_bytes");
    }
    if (in.weights_file_bytes_codelength && in.weights_file_bytes_zstd) {
        add_integer("weights_bytes_codelength", static_cast<std::int64_t>(*in.weights_file_bytes_codelength));
        add_integer("weights_bytes_zstd", static_cast<std::int64_t>(*in.weights_file_bytes_zstd));
        set_cost(model_cost::from_weights_file_bytes(*in.weights_file_bytes_codelength),
                 in.weights_file_label);
    }
    if (cost) {
        const char* cost_source = cost->source == model_cost_source::parameters     ? "parameters"
                                  : cost->source == model_cost_source::weights_file ? "weights_file"
                                                                                    : "decompressor";
        add_text("model_cost_source", cost_source);
        add_number("model_bits", cost->bits);
        add_number("model_bytes", cost->bytes());
    }

    // The two-part code and its break-even data size.
    const std::optional<std::int64_t> data_items =
        in.items
            ? in.items
            : (online ? std::optional(online->items) : (log ? std::optional(log->tokens) : std::nullopt));
    if (cost && in.final_model_code_length) {
        const two_part_code code =
            two_part_code_length(*cost, *in.final_model_code_length, unit, data_items.value_or(0));
        add_number("two_part_bits", code.total_bits);
        if (data_items) {
            add_integer("data_items", *data_items);
            add_number("data_bits_per_item", code.data_bits_per_item);
            add_number("two_part_bits_per_item", code.total_bits_per_item);
            std::optional<double> reference = in.reference_bits_per_item;
            if (!reference && in.vocabulary_size) {
                reference = std::log2(static_cast<double>(*in.vocabulary_size));
            }
            if (reference && code.data_bits_per_item) {
                add_number("reference_bits_per_item", reference);
                add_number("break_even_items",
                           break_even_items(code.model_bits, *code.data_bits_per_item, *reference));
            }
        }
    }

    // Raw and model-size-adjusted compression rates.
    if (in.raw_bytes && in.compressed_bytes) {
        const compression_rates rates =
            compression_rates_of(*in.raw_bytes, *in.compressed_bytes, cost ? cost->bytes() : 0.0);
        add_number("raw_compression_rate", rates.raw_rate);
        if (cost) {
            add_number("adjusted_compression_rate", rates.adjusted_rate);
        }
    }

    // The blocks' ends: the input's own blocks, else the default schedule for N items.
    std::vector<std::int64_t> ends;
    if (online) {
        ends.push_back(online->first_block_items);
        for (const coded_block& block : in.blocks) {
            ends.push_back(ends.back() + block.items);
        }
        add_text("block_ends_source", "input");
    } else if (in.items) {
        ends = online_block_ends(*in.items);
        add_text("block_ends_source", "default_schedule");
    }
    if (!ends.empty()) {
        report.push_back(
            mdl_value{"block_ends", mdl_value::kind::integers, std::nullopt, 0, {}, std::move(ends)});
    }
    if (report.size() <= (in.unit ? 1U : 0U)) {
        std::string given;
        for (const std::string& key : detail::mdl_given_keys(in)) {
            given += (given.empty() ? "" : ", ") + key;
        }
        throw invalid_argument_error(source + ": nothing to compute from " +
                                     (given.empty() ? "these records" : given) +
                                     " (`codelength mdl --help` lists what each output needs)");
    }
    return report;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

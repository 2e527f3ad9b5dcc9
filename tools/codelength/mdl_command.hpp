// `codelength mdl`: description-length quantities (online and prequential codes, two-part codes,
// break-even data size, adjusted compression rate, information in the weights) from a small
// `key,value` text file (README, "Description length and memorization"; metrics/mdl.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/baselines/weights_cost.hpp"
#include "codelength/core/error.hpp"
#include "codelength/metrics/mdl.hpp"
#include "codelength/metrics/mdl_report.hpp"
#include "codelength/metrics/mdl_weights.hpp"
#include "json_writer.hpp"

namespace codelength::cli {

inline constexpr const char* mdl_usage =
    "usage: codelength mdl --input FILE [--weights FILE] [--json]\n"
    "\n"
    "Computes every MDL quantity its inputs allow. FILE (`-` for stdin) holds one record per\n"
    "line, fields separated by commas; blank lines and lines starting with '#' are ignored:\n"
    "  unit,bits|nats                 unit of code_length, mean_loss and final_model_code_length\n"
    "  vocabulary_size,V              symbols per item, V >= 1 (uniform code: log2 V bits per item)\n"
    "  items,N                        data items, N >= 1; alone it prints the default block schedule\n"
    "  first_block_items,N1           online code: the first block, N1 >= 1 items coded uniformly\n"
    "  block,ITEMS,CODE_LENGTH        online code: each later block (ITEMS >= 1), in order, coded\n"
    "                                 by a model trained on the blocks before it\n"
    "  step,TOKENS,MEAN_LOSS          training log: one line per step (TOKENS >= 1), loss logged\n"
    "                                 before the update\n"
    "  final_model_code_length,L      L(D | final model), the code length of the same data\n"
    "  parameters,P                   model cost P x bits_per_parameter ...\n"
    "  bits_per_parameter,B           ... B = fp32|bf16|fp16|int8|int4 or a number (default fp32)\n"
    "  weights_bytes,S                ... or a compressed weights file of S bytes\n"
    "  decompressor_bytes,S           ... or a decompressor of S bytes (give one model cost)\n"
    "  reference_bits_per_item,R      break-even reference code (default log2 V)\n"
    "  raw_bytes,S / compressed_bytes,S   raw (S > 0) and compressed size: raw and (with a model\n"
    "                                 cost) adjusted compression rate\n"
    "Each key at most once. A file from which nothing can be computed is an error. Outputs:\n"
    "block_ends, the exclusive end of each block of the online code: the input's blocks when it\n"
    "gives them (block_ends_source input), else the default schedule (Voita & Titov 2020: 0.1%,\n"
    "0.2%, 0.4%, ... 50%, 100% of items; block_ends_source default_schedule);\n"
    "online_bits, uniform_bits, online_compression;\n"
    "prequential_bits; information_in_weights_bits = L_preq - L(D | final model) (from the\n"
    "training log, else the online code; may be negative with noise); model_bits, two_part_bits,\n"
    "break_even_items (null when the model is not better per item than the reference);\n"
    "raw_compression_rate, adjusted_compression_rate = (model + compressed bytes) / raw bytes.\n"
    "\n";

inline arguments mdl_arguments() {
    arguments args;
    args.option("input", "FILE", "the key,value file described above")
        .option("weights", "FILE",
                "a weights file: report its size coded by the library's context-mixing coder"
                " and by zstd -19, and use the former as the model cost")
        .flag("json", "print one JSON object instead of the table")
        .flag("help", "show this help", 'h');
    return args;
}

namespace detail {

// The parsed input file: single values by key, block and step rows in order.
struct mdl_input {
    std::string path;
    std::map<std::string, std::pair<std::string, int>> values; // key -> (value, line)
    std::vector<coded_block> blocks;
    std::vector<training_step> steps;
    int records = 0; // lines that are not blank or comments

    [[nodiscard]] bool has(const std::string& key) const { return values.count(key) != 0; }
    [[nodiscard]] std::string where(int line) const { return path + ":" + std::to_string(line) + ": "; }
    [[nodiscard]] std::string where(const std::string& key) const { return where(values.at(key).second); }

    // A finite number >= 0 (> 0 when `positive`); the error names the line.
    [[nodiscard]] double number_at(const std::string& text, int line, const std::string& what,
                                   bool positive = false) const {
        std::size_t used = 0;
        double parsed = 0.0;
        try {
            parsed = std::stod(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (text.empty() || used != text.size() || !std::isfinite(parsed) || parsed < 0 ||
            (positive && parsed == 0)) {
            throw invalid_argument_error(where(line) + what + " must be a finite number " +
                                         (positive ? "> 0" : ">= 0") + ", got '" + text + "'");
        }
        return parsed;
    }
    // An integer >= minimum; the error names the line.
    [[nodiscard]] std::int64_t integer_at(const std::string& text, int line, const std::string& what,
                                          std::int64_t minimum = 0) const {
        std::size_t used = 0;
        long long parsed = 0;
        try {
            parsed = std::stoll(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (text.empty() || used != text.size() || parsed < minimum) {
            throw invalid_argument_error(where(line) + what + " must be an integer >= " +
                                         std::to_string(minimum) + ", got '" + text + "'");
        }
        return parsed;
    }
    [[nodiscard]] std::optional<double> number(const std::string& key, bool positive = false) const {
        if (!has(key)) {
            return std::nullopt;
        }
        return number_at(values.at(key).first, values.at(key).second, key, positive);
    }
    [[nodiscard]] std::optional<std::int64_t> integer(const std::string& key,
                                                      std::int64_t minimum = 0) const {
        if (!has(key)) {
            return std::nullopt;
        }
        return integer_at(values.at(key).first, values.at(key).second, key, minimum);
    }
};

inline std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

inline std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    while (true) {
        const auto comma = line.find(',', start);
        fields.push_back(
            trim(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) {
            return fields;
        }
        start = comma + 1;
    }
}

inline mdl_input read_mdl_input(const std::string& path) {
    static const char* const single_keys[] = {
        "unit",       "vocabulary_size",    "items",         "first_block_items",  "final_model_code_length",
        "parameters", "bits_per_parameter", "weights_bytes", "decompressor_bytes", "reference_bits_per_item",
        "raw_bytes",  "compressed_bytes"};
    const std::string content = read_whole_text(path); // names the path and the reason (a directory)
    mdl_input input;
    input.path = display_name(path, "stdin");
    int line = 0;
    for (std::size_t start = 0; start < content.size();) {
        const std::size_t newline = content.find('\n', start);
        const std::size_t end = newline == std::string::npos ? content.size() : newline;
        const std::string text = trim(content.substr(start, end - start));
        start = end + 1;
        ++line;
        if (text.empty() || text.front() == '#') {
            continue;
        }
        ++input.records;
        const std::vector<std::string> fields = split_fields(text);
        const std::string& key = fields[0];
        if (key == "block" || key == "step") {
            if (fields.size() != 3) {
                throw invalid_argument_error(input.where(line) + key + " needs 2 values (" +
                                             (key == "block" ? "ITEMS,CODE_LENGTH" : "TOKENS,MEAN_LOSS") +
                                             "), got " + std::to_string(fields.size() - 1));
            }
            if (key == "block") {
                input.blocks.push_back({input.integer_at(fields[1], line, "block items", 1),
                                        input.number_at(fields[2], line, "block code length")});
            } else {
                input.steps.push_back({input.integer_at(fields[1], line, "step tokens", 1),
                                       input.number_at(fields[2], line, "step mean loss")});
            }
            continue;
        }
        bool known = false;
        for (const char* k : single_keys) {
            known = known || key == k;
        }
        if (!known) {
            throw invalid_argument_error(input.where(line) + "unknown key '" + key + "'");
        }
        if (fields.size() != 2) {
            throw invalid_argument_error(input.where(line) + key + " needs exactly 1 value, got " +
                                         std::to_string(fields.size() - 1));
        }
        if (input.has(key)) {
            throw invalid_argument_error(input.where(line) + key + " given twice (first on line " +
                                         std::to_string(input.values.at(key).second) + ")");
        }
        input.values[key] = {fields[1], line};
    }
    if (input.records == 0) {
        throw invalid_argument_error(input.path + ": no records (the file holds only blank lines and "
                                                  "comments), so there is nothing to compute");
    }
    return input;
}

// Table and JSON at once, in the same order.
class mdl_report {
public:
    void add_number(const std::string& key, std::optional<double> value) {
        m_json.add(key, value);
        m_lines.emplace_back(key,
                             value && std::isfinite(*value) ? json_object::format_double(*value) : "n/a");
    }
    void add_integer(const std::string& key, std::int64_t value) {
        m_json.add(key, value);
        m_lines.emplace_back(key, std::to_string(value));
    }
    void add_text(const std::string& key, const std::string& value) {
        m_json.add(key, std::string_view(value));
        m_lines.emplace_back(key, value);
    }
    void add_array(const std::string& key, const std::vector<std::int64_t>& values) {
        std::string text;
        for (const auto v : values) {
            text += (text.empty() ? "" : ", ") + std::to_string(v);
        }
        m_arrays.emplace_back(key, "[" + text + "]");
        m_lines.emplace_back(key, text);
    }
    void print(bool json) const {
        if (json) {
            std::string body = m_json.str();
            body.pop_back(); // the closing brace; the arrays follow the scalars
            for (const auto& [key, text] : m_arrays) {
                body += (body.size() > 1 ? ", " : "") + json_object::quote(key) + ": " + text;
            }
            std::printf("%s}\n", body.c_str());
            return;
        }
        for (const auto& [key, text] : m_lines) {
            std::printf("%-30s %s\n", key.c_str(), text.c_str());
        }
    }

private:
    json_object m_json;
    std::vector<std::pair<std::string, std::string>> m_arrays;
    std::vector<std::pair<std::string, std::string>> m_lines;
};

inline information_unit mdl_unit(const mdl_input& in) {
    if (!in.has("unit")) {
        throw invalid_argument_error(in.path + ": code lengths need 'unit,bits' or 'unit,nats'");
    }
    const std::string& unit = in.values.at("unit").first;
    if (unit == "bits") {
        return information_unit::bits;
    }
    if (unit == "nats") {
        return information_unit::nats;
    }
    throw invalid_argument_error(in.where("unit") + "unit must be bits or nats, got '" + unit + "'");
}

inline double mdl_bits_per_parameter(const mdl_input& in) {
    if (!in.has("bits_per_parameter")) {
        return bits_per_parameter(parameter_format::fp32);
    }
    if (const auto format = parameter_format_named(in.values.at("bits_per_parameter").first)) {
        return bits_per_parameter(*format);
    }
    return *in.number("bits_per_parameter");
}

} // namespace detail

// Runs `codelength mdl` with argv[first..); returns the exit status.
inline int run_mdl(int argc, char** argv, int first) {
    arguments args = mdl_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(mdl_usage)) {
        return 0;
    }
    args.reject_positional();
    const detail::mdl_input in = detail::read_mdl_input(args.required("input"));
    const bool needs_unit = !in.blocks.empty() || !in.steps.empty() || in.has("final_model_code_length");
    mdl_inputs inputs;
    if (needs_unit || in.has("unit")) {
        inputs.unit = detail::mdl_unit(in);
    }
    inputs.vocabulary_size = in.integer("vocabulary_size", 1);
    inputs.items = in.integer("items", 1);
    inputs.first_block_items = in.integer("first_block_items", 1);
    inputs.blocks = in.blocks;
    inputs.steps = in.steps;
    inputs.final_model_code_length = in.number("final_model_code_length");
    inputs.parameters = in.integer("parameters");
    if (in.has("bits_per_parameter")) {
        inputs.bits_per_parameter = detail::mdl_bits_per_parameter(in);
    }
    inputs.weights_bytes = in.integer("weights_bytes");
    inputs.decompressor_bytes = in.integer("decompressor_bytes");
    if (const auto weights = args.get("weights")) {
        inputs.weights_file_bytes_codelength = weights_file_cost_bytes_codelength(*weights);
        inputs.weights_file_bytes_zstd = weights_file_cost_bytes_zstd(*weights);
    }
    inputs.weights_file_label = "--weights";
    inputs.reference_bits_per_item = in.number("reference_bits_per_item");
    inputs.raw_bytes = in.number("raw_bytes", true);
    inputs.compressed_bytes = in.number("compressed_bytes");
    const auto where = [&in](std::string_view key) {
        return in.has(std::string(key)) ? in.where(std::string(key)) : in.path + ": ";
    };
    detail::mdl_report report;
    for (const mdl_value& value : compute_mdl(inputs, in.path, where)) {
        switch (value.type) {
        case mdl_value::kind::number:
            report.add_number(value.key, value.number);
            break;
        case mdl_value::kind::integer:
            report.add_integer(value.key, value.integer);
            break;
        case mdl_value::kind::text:
            report.add_text(value.key, value.text);
            break;
        case mdl_value::kind::integers:
            report.add_array(value.key, value.integers);
            break;
        }
    }
    report.print(args.has("json"));
    return 0;
}

} // namespace codelength::cli

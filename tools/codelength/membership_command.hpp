// `codelength membership`: dataset-level membership verdicts from per-document scores (the
// records of `codelength memorization --json` or --csv, or any CSV of scores) and one label per
// document: AUROC with a bootstrap interval, TPR at low FPR, conformal thresholds and dataset
// inference p-values per score, and a combined p-value (metrics/membership.hpp).
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/core/error.hpp"
#include "codelength/metrics/membership.hpp"
#include "json_reader.hpp"
#include "json_writer.hpp"
#include "output_file.hpp"

namespace codelength::cli {

inline constexpr const char* membership_usage =
    "usage: codelength membership RECORDS --labels FILE [options]\n"
    "\n"
    "Dataset-level membership verdicts from per-document scores. RECORDS is what `codelength\n"
    "memorization --json` or --csv writes, or any CSV of scores with a header row (`-` reads stdin).\n"
    "It is read as JSON when it starts with '{' or '[' (an object with a \"documents\" array of\n"
    "objects, or an array of objects; null is no value), otherwise as CSV (one record per line up to\n"
    "the first blank line, which ends memorization's records; an empty cell is no value). --labels\n"
    "FILE holds one label per line in document order: member, nonmember or suspect.\n"
    "\n"
    "Scores: without --score, every column with a known direction (a document is member-like when\n"
    "the score is lower or higher):\n"
    "  lower:  model_bits_per_byte, bits_per_byte, mean_surprisal_bits, loss_over_zlib_bytes,\n"
    "          model_over_reference_bits\n"
    "  higher: gain_ratio_over_gzip_9, gain_ratio_over_xz_9, gain_ratio_over_zstd_19,\n"
    "          gain_ratio_over_brotli_11, zlib_entropy_over_log_perplexity, min_k_percent (mean\n"
    "          of the lowest k% ln p), min_k_plus_plus\n"
    "A known column without any value (model_over_reference_bits without a reference model) is left\n"
    "out; one where only some documents have no value (undefined or infinite in the records) is\n"
    "left out with the reason. --score NAME[:higher|:lower][,NAME[:higher|:lower]...] chooses the\n"
    "columns instead (the direction may be omitted for a known name); each needs a number for\n"
    "every document.\n"
    "\n"
    "Per score: AUROC = P(member more member-like than non-member), ties one half, with a\n"
    "stratified percentile-bootstrap interval; TPR at FPR 0.1%, 1% and 5% (the largest TPR over\n"
    "thresholds whose empirical FPR is <= the target, no interpolation; n/a (null) with fewer than\n"
    "1/FPR non-members); the conformal threshold at FPR 1% and 5% from the non-members (flag a\n"
    "document when its score is >= the threshold for a higher score, <= for a lower one: a new\n"
    "non-member exchangeable with them is flagged with probability <= the FPR); and the one-sided\n"
    "Welch t-test p-value of the suspects against the non-members (when no document is a suspect,\n"
    "the members are tested, and the output says so), plus one combined p-value over the scores\n"
    "(Maini et al. 2024: Fisher's discriminant learned on half of each set, Welch-tested on the\n"
    "other halves). The p-values assume that suspects and non-members come from one distribution\n"
    "apart from membership (an IID split); otherwise they measure distribution shift. AUROC and TPR\n"
    "need members; every verdict needs non-members; the p-values 2 or more documents per set (the\n"
    "combined one 4 or more, and 2 or more scores with finite values).\n"
    "\n"
    "The table rounds; --json prints one object: \"documents\", \"members\", \"nonmembers\",\n"
    "\"suspects\", \"suspect_role\" (\"suspect\" or \"member\"), \"assumption\", \"seed\", \"resamples\",\n"
    "\"confidence\", \"directions\" ({score: \"lower\"|\"higher\"}), \"skipped_scores\" ({score: reason}),\n"
    "\"combined_p_value\", \"combined_weights\", and per score {\"auroc\", \"auroc_interval\":\n"
    "{\"lower\", \"upper\"}, \"tpr_at_fpr\": {\"0.001\", \"0.01\", \"0.05\"}, \"threshold_at_fpr\":\n"
    "{\"0.01\", \"0.05\"}, \"p_value\"}.\n"
    "\n";

inline arguments membership_arguments() {
    arguments args;
    args.option("labels", "FILE", "one label per document and line: member, nonmember or suspect")
        .option("score", "LIST",
                "comma-separated NAME[:higher|:lower]: the columns (default: the known scores)")
        .option("resamples", "N", "bootstrap resamples (default 1000)")
        .option("confidence", "FRACTION", "bootstrap interval's confidence (default 0.95)")
        .option("seed", "N", "seed of the bootstrap and of the combined test's split (default 20261128)")
        .option("output", "FILE", "write the table or JSON to FILE (whole or not at all), not stdout", 'o')
        .flag("force", "replace the --output file if it exists", 'f')
        .flag("json", "print one JSON object")
        .flag("help", "show this help", 'h');
    return args;
}

namespace detail {

// The scores whose direction is known (see the usage text).
struct known_membership_score {
    std::string_view name;
    score_direction direction;
};
inline constexpr std::array<known_membership_score, 12> known_membership_scores{{
    {"model_bits_per_byte", score_direction::lower_is_member},
    {"bits_per_byte", score_direction::lower_is_member},
    {"mean_surprisal_bits", score_direction::lower_is_member},
    {"loss_over_zlib_bytes", score_direction::lower_is_member},
    {"model_over_reference_bits", score_direction::lower_is_member},
    {"gain_ratio_over_gzip_9", score_direction::higher_is_member},
    {"gain_ratio_over_xz_9", score_direction::higher_is_member},
    {"gain_ratio_over_zstd_19", score_direction::higher_is_member},
    {"gain_ratio_over_brotli_11", score_direction::higher_is_member},
    {"zlib_entropy_over_log_perplexity", score_direction::higher_is_member},
    {"min_k_percent", score_direction::higher_is_member},
    {"min_k_plus_plus", score_direction::higher_is_member},
}};

inline std::optional<score_direction> known_score_direction(std::string_view name) {
    for (const known_membership_score& known : known_membership_scores) {
        if (known.name == name) {
            return known.direction;
        }
    }
    return std::nullopt;
}

inline const char* direction_word(score_direction direction) {
    return direction == score_direction::lower_is_member ? "lower" : "higher";
}

// One cell of a record column: no value (empty CSV cell, JSON null or absent), a number, or
// something else (kept as text for messages).
struct record_cell {
    enum class kind : std::uint8_t { missing, number, other };
    kind type = kind::missing;
    double number = 0.0;
    std::string text;
};

// The records as columns of cells, with each document's line in the file.
struct score_records {
    std::string path;
    std::string format; // "json" or "csv"
    std::vector<std::string> columns;
    std::vector<std::vector<record_cell>> cells; // [column][document]
    std::vector<std::int64_t> lines;             // [document]

    [[nodiscard]] std::size_t documents() const noexcept { return lines.size(); }
    // The index of the column `name`, added (with no values) when it is new.
    std::size_t column_index(const std::string& name) {
        const auto it = std::find(columns.begin(), columns.end(), name);
        if (it != columns.end()) {
            return static_cast<std::size_t>(it - columns.begin());
        }
        columns.push_back(name);
        cells.emplace_back(documents(), record_cell{});
        return columns.size() - 1;
    }
};

inline void append_document(score_records& records, std::int64_t line) {
    records.lines.push_back(line);
    for (auto& column : records.cells) {
        column.emplace_back();
    }
}

inline score_records read_json_records(const std::string& path, const std::string& text) {
    const json_value root = parse_json(text, path);
    const json_value* documents = &root;
    if (root.type == json_value::kind::object) {
        documents = root.member("documents");
        if (documents == nullptr) {
            throw invalid_argument_error(path +
                                         ": the JSON object has no \"documents\" member (the records of "
                                         "`codelength memorization --json`)");
        }
    }
    if (documents->type != json_value::kind::array) {
        throw invalid_argument_error(path + ":" + std::to_string(documents->line) + ":" +
                                     std::to_string(documents->column) +
                                     ": expected an array of records, found " + documents->kind_name());
    }
    score_records records;
    records.path = path;
    records.format = "json";
    for (const json_value& document : documents->items) {
        if (document.type != json_value::kind::object) {
            throw invalid_argument_error(path + ":" + std::to_string(document.line) + ":" +
                                         std::to_string(document.column) +
                                         ": expected a record (an object), found " + document.kind_name());
        }
        append_document(records, document.line);
        for (std::size_t m = 0; m < document.keys.size(); ++m) {
            const json_value& value = document.values[m];
            record_cell& cell = records.cells[records.column_index(document.keys[m])].back();
            if (value.type == json_value::kind::number) {
                cell.type = record_cell::kind::number;
                cell.number = value.number;
            } else if (value.type != json_value::kind::null) {
                cell.type = record_cell::kind::other;
                cell.text = value.kind_name();
            }
        }
    }
    return records;
}

// The fields of one CSV line (RFC 4180 quoting within the line: "a,b" and "" for a quote).
inline std::vector<std::string> csv_fields(std::string_view line, const std::string& where) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                fields.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                fields.back() += c;
            }
        } else if (c == '"' && fields.back().empty()) {
            quoted = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    if (quoted) {
        throw invalid_argument_error(where + ": a quoted field is not closed on its line");
    }
    return fields;
}

inline std::string_view trimmed(std::string_view text) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!text.empty() && space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// The lines of `text` ('\n'-separated; a final '\n' ends the last line, '\r' before it is dropped).
inline std::vector<std::string_view> text_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        lines.push_back(line);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    return lines;
}

inline score_records read_csv_records(const std::string& path, const std::string& text) {
    const std::vector<std::string_view> lines = text_lines(text);
    if (lines.empty() || trimmed(lines.front()).empty()) {
        throw invalid_argument_error(path + ":1: expected a header row of column names");
    }
    score_records records;
    records.path = path;
    records.format = "csv";
    const std::vector<std::string> header = csv_fields(lines.front(), path + ":1");
    for (const std::string& name : header) {
        const std::string column(trimmed(name));
        if (std::find(records.columns.begin(), records.columns.end(), column) != records.columns.end()) {
            throw invalid_argument_error(path + ":1: the column name '" + column + "' appears twice");
        }
        records.column_index(column);
    }
    for (std::size_t l = 1; l < lines.size() && !trimmed(lines[l]).empty(); ++l) {
        const std::string where = path + ":" + std::to_string(l + 1);
        const std::vector<std::string> fields = csv_fields(lines[l], where);
        if (fields.size() != header.size()) {
            throw invalid_argument_error(where + ": " + std::to_string(fields.size()) +
                                         " fields, but the header has " + std::to_string(header.size()));
        }
        append_document(records, static_cast<std::int64_t>(l + 1));
        for (std::size_t c = 0; c < fields.size(); ++c) {
            const std::string_view field = trimmed(fields[c]);
            record_cell& cell = records.cells[c].back();
            if (field.empty()) {
                continue;
            }
            double value = 0.0;
            const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
            if (error == std::errc() && end == field.data() + field.size()) {
                cell.type = record_cell::kind::number;
                cell.number = value;
            } else {
                cell.type = record_cell::kind::other;
                cell.text = "'" + std::string(field) + "'";
            }
        }
    }
    return records;
}

// Reads RECORDS as JSON or CSV (by its first character that is not white space).
inline score_records read_score_records(const std::string& path) {
    const std::string text = read_whole_text(path);
    const std::string name = display_name(path, "stdin");
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    score_records records = first != std::string::npos && (text[first] == '{' || text[first] == '[')
                                ? read_json_records(name, text)
                                : read_csv_records(name, text);
    if (records.documents() == 0) {
        throw invalid_argument_error(name + ": no records");
    }
    return records;
}

enum class membership_label : std::uint8_t { member, nonmember, suspect };

// One label per line (surrounding blanks ignored); `documents` of them.
inline std::vector<membership_label> read_membership_labels(const std::string& path, std::size_t documents,
                                                            const std::string& records_name) {
    const std::string text = read_whole_text(path);
    const std::string name = display_name(path, "stdin");
    std::vector<membership_label> labels;
    const std::vector<std::string_view> lines = text_lines(text);
    for (std::size_t l = 0; l < lines.size(); ++l) {
        const std::string_view word = trimmed(lines[l]);
        const std::string where = name + ":" + std::to_string(l + 1) + ": ";
        if (word == "member") {
            labels.push_back(membership_label::member);
        } else if (word == "nonmember") {
            labels.push_back(membership_label::nonmember);
        } else if (word == "suspect") {
            labels.push_back(membership_label::suspect);
        } else if (word.empty()) {
            throw invalid_argument_error(where +
                                         "empty line (one label per line: member, nonmember or suspect)");
        } else {
            throw invalid_argument_error(where + "unknown label '" + to_valid_utf8(word) +
                                         "' (member, nonmember or suspect)");
        }
    }
    if (labels.size() != documents) {
        throw invalid_argument_error(name + ": " + std::to_string(labels.size()) + " labels, but " +
                                     records_name + " has " + std::to_string(documents) +
                                     " documents (one label per document)");
    }
    return labels;
}

// A score column chosen for evaluation, one value per document.
struct chosen_score {
    std::string name;
    score_direction direction = score_direction::higher_is_member;
    std::vector<double> values;
};

// The reason a cell cannot be a score value, or nullopt when it is a number other than NaN.
inline std::optional<std::string> bad_cell(const record_cell& cell) {
    switch (cell.type) {
    case record_cell::kind::missing:
        return std::string("no value (empty or null: undefined or infinite in the records)");
    case record_cell::kind::other:
        return "not a number (" + cell.text + ")";
    case record_cell::kind::number:
        break;
    }
    if (std::isnan(cell.number)) {
        return std::string("NaN");
    }
    return std::nullopt;
}

inline std::string cell_place(const score_records& records, std::size_t document, const std::string& column) {
    return records.path + ":" + std::to_string(records.lines[document]) + ": document " +
           std::to_string(document) + ", column " + column;
}

// The columns named by --score (NAME[:higher|:lower], comma-separated); every cell must be a number.
inline std::vector<chosen_score> chosen_scores(const score_records& records, const std::string& list) {
    std::vector<chosen_score> out;
    for (std::string_view rest = list; true;) {
        const std::size_t comma = rest.find(',');
        std::string_view item = trimmed(rest.substr(0, comma));
        chosen_score score;
        std::optional<score_direction> direction;
        if (const std::size_t colon = item.rfind(':'); colon != std::string_view::npos) {
            const std::string_view word = item.substr(colon + 1);
            if (word == "higher") {
                direction = score_direction::higher_is_member;
            } else if (word == "lower") {
                direction = score_direction::lower_is_member;
            } else {
                throw usage_error("--score: '" + std::string(item) +
                                  "': the direction after ':' is higher or lower");
            }
            item = item.substr(0, colon);
        }
        score.name = std::string(item);
        if (score.name.empty()) {
            throw usage_error("--score: an empty column name in '" + list + "'");
        }
        if (!direction) {
            direction = known_score_direction(score.name);
            if (!direction) {
                throw usage_error("--score: the direction of '" + score.name + "' is not known; write " +
                                  score.name + ":higher or " + score.name + ":lower");
            }
        }
        score.direction = *direction;
        const auto column = std::find(records.columns.begin(), records.columns.end(), score.name);
        if (column == records.columns.end()) {
            throw invalid_argument_error(records.path + ": no column '" + score.name + "' (--score)");
        }
        const std::vector<record_cell>& cells =
            records.cells[static_cast<std::size_t>(column - records.columns.begin())];
        for (std::size_t d = 0; d < cells.size(); ++d) {
            if (const auto reason = bad_cell(cells[d])) {
                throw invalid_argument_error(cell_place(records, d, score.name) + ": " + *reason);
            }
            score.values.push_back(cells[d].number);
        }
        if (std::any_of(out.begin(), out.end(),
                        [&](const chosen_score& s) { return s.name == score.name; })) {
            throw usage_error("--score: '" + score.name + "' named twice");
        }
        out.push_back(std::move(score));
        if (comma == std::string_view::npos) {
            break;
        }
        rest = rest.substr(comma + 1);
    }
    return out;
}

// Every column with a known direction; a column with no values is skipped silently, one with
// some missing values is skipped with the reason (in `skipped`); other bad cells throw.
inline std::vector<chosen_score> known_scores(const score_records& records,
                                              std::vector<std::pair<std::string, std::string>>& skipped) {
    std::vector<chosen_score> out;
    for (std::size_t c = 0; c < records.columns.size(); ++c) {
        const std::optional<score_direction> direction = known_score_direction(records.columns[c]);
        const std::vector<record_cell>& cells = records.cells[c];
        if (!direction || std::all_of(cells.begin(), cells.end(), [](const record_cell& cell) {
                return cell.type == record_cell::kind::missing;
            })) {
            continue;
        }
        chosen_score score{records.columns[c], *direction, {}};
        for (std::size_t d = 0; d < cells.size() && score.values.size() == d; ++d) {
            if (cells[d].type == record_cell::kind::missing) {
                skipped.emplace_back(score.name, "document " + std::to_string(d) + " (line " +
                                                     std::to_string(records.lines[d]) +
                                                     ") has no value: undefined or infinite in the records");
            } else if (const auto reason = bad_cell(cells[d])) {
                throw invalid_argument_error(cell_place(records, d, score.name) + ": " + *reason);
            } else {
                score.values.push_back(cells[d].number);
            }
        }
        if (score.values.size() == cells.size()) {
            out.push_back(std::move(score));
        }
    }
    if (out.empty()) {
        throw invalid_argument_error(records.path +
                                     ": no score column with a known direction and a value for every "
                                     "document; choose columns with --score NAME:higher or NAME:lower");
    }
    return out;
}

inline constexpr std::array<double, 3> membership_tpr_fprs{0.001, 0.01, 0.05};
inline constexpr std::array<const char*, 3> membership_tpr_keys{"0.001", "0.01", "0.05"};
inline constexpr std::array<double, 2> membership_threshold_fprs{0.01, 0.05};
inline constexpr std::array<const char*, 2> membership_threshold_keys{"0.01", "0.05"};

// The verdicts on one score.
struct score_verdict {
    std::optional<membership_evaluation> evaluation; // when there are members
    std::array<std::optional<double>, 2> thresholds; // at membership_threshold_fprs
    std::optional<double> p_value;                   // one-sided Welch, suspects vs non-members
    bool finite = true;                              // every suspect and non-member value is finite
};

inline std::vector<double> pick(const std::vector<double>& values,
                                const std::vector<membership_label>& labels, membership_label label) {
    std::vector<double> out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (labels[i] == label) {
            out.push_back(values[i]);
        }
    }
    return out;
}

// `value` rounded to `precision` decimals (fixed_point) or significant digits; "n/a" when empty.
inline std::string rounded(std::optional<double> value, int precision, bool fixed_point) {
    if (!value) {
        return "n/a";
    }
    char text[64];
    if (fixed_point) {
        std::snprintf(text, sizeof text, "%.*f", precision, *value);
    } else {
        std::snprintf(text, sizeof text, "%.*g", precision, *value);
    }
    return text;
}
inline std::string fixed(std::optional<double> value, int decimals) {
    return rounded(value, decimals, true);
}
inline std::string general(std::optional<double> value, int digits) {
    return rounded(value, digits, false);
}

inline std::string padded(std::string text, std::size_t width, bool left_align = false) {
    if (text.size() < width) {
        text.insert(left_align ? text.size() : 0, width - text.size(), ' ');
    }
    return text;
}

inline constexpr const char* membership_assumption =
    "the suspect and non-member documents come from one distribution apart from membership (an IID "
    "split); otherwise the p-values measure distribution shift";

// The names of the metadata members of the JSON report, which a score may not take.
inline constexpr std::array<std::string_view, 18> membership_metadata_keys{
    "input",     "input_hex",  "labels",     "labels_hex",     "format",           "documents",
    "members",   "nonmembers", "suspects",   "suspect_role",   "assumption",       "seed",
    "resamples", "confidence", "directions", "skipped_scores", "combined_p_value", "combined_weights"};

} // namespace detail

// Runs `codelength membership` with argv[first..); returns the exit status.
inline int run_membership(int argc, char** argv, int first) {
    arguments args = membership_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(membership_usage)) {
        return 0;
    }
    if (args.positional().size() != 1) {
        throw usage_error(args.positional().empty() ? "RECORDS is required"
                                                    : "unexpected argument '" + args.positional()[1] + "'");
    }
    const std::string records_path = args.positional().front();
    const std::string labels_path = args.required("labels");
    check_stdin_named_once({records_path, labels_path});
    bootstrap_options bootstrap;
    bootstrap.resamples = args.integer("resamples", 1000, 1, 100000000);
    bootstrap.confidence = args.number("confidence", 0.95, 0.0, 0.999999);
    bootstrap.seed = static_cast<std::uint64_t>(args.integer("seed", 20261128, 0, INT64_MAX));
    std::optional<output_target> output;
    if (const auto path = args.get("output")) {
        output.emplace(output_target::prepare(*path, args.has("force"), {records_path, labels_path}));
    }

    detail::score_records records = detail::read_score_records(records_path);
    const std::vector<detail::membership_label> labels =
        detail::read_membership_labels(labels_path, records.documents(), records.path);
    std::vector<std::pair<std::string, std::string>> skipped;
    const std::vector<detail::chosen_score> scores = args.has("score")
                                                         ? detail::chosen_scores(records, *args.get("score"))
                                                         : detail::known_scores(records, skipped);
    for (const auto& score : scores) {
        if (std::find(detail::membership_metadata_keys.begin(), detail::membership_metadata_keys.end(),
                      score.name) != detail::membership_metadata_keys.end()) {
            throw invalid_argument_error("the score column '" + score.name +
                                         "' has the name of a member of the report; rename it");
        }
    }
    const auto count = [&](detail::membership_label label) {
        return static_cast<std::int64_t>(std::count(labels.begin(), labels.end(), label));
    };
    const std::int64_t members = count(detail::membership_label::member);
    const std::int64_t nonmembers = count(detail::membership_label::nonmember);
    const std::int64_t suspects = count(detail::membership_label::suspect);
    if (nonmembers == 0) {
        throw invalid_argument_error(display_name(labels_path, "stdin") +
                                     ": no document is labelled nonmember; every verdict is relative to "
                                     "known non-members");
    }
    if (members == 0 && suspects == 0) {
        throw invalid_argument_error(display_name(labels_path, "stdin") +
                                     ": no document is labelled member or suspect");
    }
    const detail::membership_label tested =
        suspects > 0 ? detail::membership_label::suspect : detail::membership_label::member;
    const std::int64_t tested_count = suspects > 0 ? suspects : members;

    // Per score: AUROC and TPR, conformal thresholds, and the Welch p-value.
    membership_options evaluation_options;
    evaluation_options.target_fprs.assign(detail::membership_tpr_fprs.begin(),
                                          detail::membership_tpr_fprs.end());
    evaluation_options.bootstrap = bootstrap;
    dataset_inference_options inference_options;
    inference_options.seed = bootstrap.seed;
    std::vector<detail::score_verdict> verdicts(scores.size());
    std::vector<std::vector<double>> tested_values(scores.size());
    std::vector<std::vector<double>> reference_values(scores.size());
    std::vector<dataset_inference_score> combinable;
    std::vector<std::string> combined_names;
    for (std::size_t s = 0; s < scores.size(); ++s) {
        const detail::chosen_score& score = scores[s];
        detail::score_verdict& verdict = verdicts[s];
        const std::vector<double> nonmember_values =
            detail::pick(score.values, labels, detail::membership_label::nonmember);
        if (members > 0) {
            verdict.evaluation =
                evaluate_membership(detail::pick(score.values, labels, detail::membership_label::member),
                                    nonmember_values, score.direction, evaluation_options);
        }
        const conformal_calibration calibration(nonmember_values, score.direction);
        for (std::size_t a = 0; a < detail::membership_threshold_fprs.size(); ++a) {
            verdict.thresholds[a] = calibration.threshold(detail::membership_threshold_fprs[a]).threshold;
        }
        tested_values[s] = detail::pick(score.values, labels, tested);
        reference_values[s] = nonmember_values;
        const auto finite = [](const std::vector<double>& v) {
            return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
        };
        verdict.finite = finite(tested_values[s]) && finite(reference_values[s]);
        if (verdict.finite && tested_count >= 2 && nonmembers >= 2) {
            const dataset_inference_score input{score.name, score.direction, tested_values[s],
                                                reference_values[s]};
            verdict.p_value =
                dataset_inference(std::span<const dataset_inference_score>(&input, 1), inference_options)
                    .per_score.front()
                    .test.p_value_greater;
            combinable.push_back(input);
            combined_names.push_back(score.name);
        }
    }
    std::optional<combined_dataset_inference> combined;
    if (combinable.size() >= 2 && tested_count >= 4 && nonmembers >= 4) {
        combined = dataset_inference(combinable, inference_options).combined;
    }

    std::string report;
    if (args.has("json")) {
        json_object object;
        object.add_name("input", records_path)
            .add_name("labels", labels_path)
            .add("format", records.format)
            .add("documents", static_cast<std::int64_t>(records.documents()))
            .add("members", members)
            .add("nonmembers", nonmembers)
            .add("suspects", suspects)
            .add("suspect_role", suspects > 0 ? "suspect" : "member")
            .add("assumption", detail::membership_assumption)
            .add("seed", static_cast<std::int64_t>(bootstrap.seed))
            .add("resamples", bootstrap.resamples)
            .add("confidence", bootstrap.confidence);
        json_object directions;
        for (const auto& score : scores) {
            directions.add(score.name, detail::direction_word(score.direction));
        }
        json_object skipped_object;
        for (const auto& [name, reason] : skipped) {
            skipped_object.add(name, reason);
        }
        json_object weights;
        if (combined) {
            for (std::size_t i = 0; i < combined_names.size(); ++i) {
                weights.add(combined_names[i], combined->weights[i]);
            }
        }
        object.add_object("directions", directions)
            .add_object("skipped_scores", skipped_object)
            .add("combined_p_value",
                 combined ? std::optional<double>(combined->test.p_value_greater) : std::optional<double>());
        if (combined) {
            object.add_object("combined_weights", weights);
        } else {
            object.add("combined_weights", std::optional<double>());
        }
        for (std::size_t s = 0; s < scores.size(); ++s) {
            const detail::score_verdict& verdict = verdicts[s];
            json_object entry;
            json_object interval;
            json_object tpr;
            json_object thresholds;
            if (verdict.evaluation) {
                entry.add("auroc", verdict.evaluation->auroc);
                interval.add("lower", verdict.evaluation->auroc_interval.lower)
                    .add("upper", verdict.evaluation->auroc_interval.upper);
                entry.add_object("auroc_interval", interval);
            } else {
                entry.add("auroc", std::optional<double>()).add("auroc_interval", std::optional<double>());
            }
            for (std::size_t a = 0; a < detail::membership_tpr_keys.size(); ++a) {
                tpr.add(detail::membership_tpr_keys[a],
                        verdict.evaluation ? verdict.evaluation->tpr_at_fpr[a].point.true_positive_rate
                                           : std::optional<double>());
            }
            for (std::size_t a = 0; a < detail::membership_threshold_keys.size(); ++a) {
                thresholds.add(detail::membership_threshold_keys[a], verdict.thresholds[a]);
            }
            entry.add_object("tpr_at_fpr", tpr)
                .add_object("threshold_at_fpr", thresholds)
                .add("p_value", verdict.p_value);
            object.add_object(scores[s].name, entry);
        }
        report = object.str() + "\n";
    } else {
        std::size_t width = 8;
        for (const auto& score : scores) {
            width = std::max(width, score.name.size());
        }
        const std::string confidence = format_shortest(100.0 * bootstrap.confidence) + "%";
        using codelength::detail::count_noun;
        report += count_noun(records.documents(), "document", "documents") + ": " +
                  count_noun(members, "member", "members") + ", " +
                  count_noun(nonmembers, "non-member", "non-members") + ", " +
                  count_noun(suspects, "suspect", "suspects") + "; " +
                  count_noun(bootstrap.resamples, "bootstrap resample", "bootstrap resamples") + ", seed " +
                  std::to_string(bootstrap.seed) + "\n";
        report += detail::padded("score", width, true) + "  member if   AUROC  " +
                  detail::padded("[" + confidence + " interval]", 18, true) +
                  "  TPR@0.1%  TPR@1%  TPR@5%   thr@FPR1%   thr@FPR5%  p (Welch)\n";
        for (std::size_t s = 0; s < scores.size(); ++s) {
            const detail::score_verdict& v = verdicts[s];
            const auto& e = v.evaluation;
            std::string interval = "n/a";
            if (e) {
                interval = "[" + detail::fixed(e->auroc_interval.lower, 4) + ", " +
                           detail::fixed(e->auroc_interval.upper, 4) + "]";
            }
            const auto tpr = [&](std::size_t a) {
                return e ? e->tpr_at_fpr[a].point.true_positive_rate : std::optional<double>();
            };
            report +=
                detail::padded(scores[s].name, width, true) + "  " +
                detail::padded(detail::direction_word(scores[s].direction), 9, true) + " " +
                detail::padded(detail::fixed(e ? std::optional<double>(e->auroc) : std::nullopt, 4), 7) +
                "  " + detail::padded(interval, 18, true) + "  " +
                detail::padded(detail::fixed(tpr(0), 4), 8) + "  " +
                detail::padded(detail::fixed(tpr(1), 4), 6) + "  " +
                detail::padded(detail::fixed(tpr(2), 4), 6) + "  " +
                detail::padded(detail::general(v.thresholds[0], 6), 10) + "  " +
                detail::padded(detail::general(v.thresholds[1], 6), 10) + "  " +
                detail::padded(v.finite || tested_count < 2 ? detail::general(v.p_value, 3) : "n/a (inf)",
                               9) +
                "\n";
        }
        report += detail::padded("combined (" +
                                     codelength::detail::count_noun(combinable.size(), "score", "scores") +
                                     ", split halves)",
                                 width + 91, true) +
                  detail::padded(
                      detail::general(
                          combined ? std::optional<double>(combined->test.p_value_greater) : std::nullopt, 3),
                      9) +
                  "\n";
        report += std::string("p-values: the ") +
                  (suspects > 0 ? "suspects" : "members (no document is a suspect)") +
                  " against the non-members, one-sided; assumed: " + detail::membership_assumption + ".\n";
        for (const auto& [name, reason] : skipped) {
            report += "left out: " + name + ": " + reason + "\n";
        }
    }
    if (output) {
        output->write(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(report.data()),
                                                    report.size()));
    } else {
        std::fputs(report.c_str(), stdout);
    }
    return 0;
}

} // namespace codelength::cli

// A reader for ARPA back-off n-gram files (the text format SRILM, KenLM and IRSTLM write):
// a `\data\` section with `ngram N=count` lines, one `\N-grams:` section per order with lines
// `log10prob <w1 ... wN> [log10backoff]` (fields separated by spaces or tabs; a missing back-off
// weight means 0), then `\end\`. Storage is one string table for the vocabulary and, per order,
// a sorted flat array of word-id tuples with double log10 probabilities and back-off weights
// (double, not float, so a normalized model's rows sum to 1 within 1e-12, not 1e-7).
#pragma once

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/io/parse_double.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The n-grams of one order n: entry i is the id tuple ids[i*n .. i*n+n) (oldest word first).
// Invariant: tuples are strictly increasing in lexicographic order (so lookups are binary
// searches); log10_backoff is empty for the highest order (it never serves as a context).
struct arpa_order {
    int order = 0;
    std::vector<std::int32_t> ids;
    std::vector<double> log10_probability;
    std::vector<double> log10_backoff;

    // The number of n-grams of this order.
    [[nodiscard]] std::size_t size() const noexcept { return log10_probability.size(); }

    // The index of the n-gram `tuple` (tuple.size() == order), or -1 when it is not listed.
    [[nodiscard]] std::int64_t find(std::span<const std::int32_t> tuple) const noexcept {
        const auto n = static_cast<std::size_t>(order);
        std::size_t low = 0;
        std::size_t high = size();
        while (low < high) {
            const std::size_t middle = low + (high - low) / 2;
            const std::int32_t* entry = ids.data() + middle * n;
            const bool less = std::lexicographical_compare(entry, entry + n, tuple.begin(), tuple.end());
            if (less) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        if (low < size() && std::equal(tuple.begin(), tuple.end(), ids.data() + low * n)) {
            return static_cast<std::int64_t>(low);
        }
        return -1;
    }
};

// A parsed ARPA file: vocabulary (ids in the order of the 1-gram section) and the n-grams.
// Invariant: orders[k] holds the (k+1)-grams; every word of every n-gram is a 1-gram.
class arpa_file {
public:
    arpa_file() = default;
    // Move-only: the word index holds views into this object's string table.
    arpa_file(const arpa_file&) = delete;
    arpa_file& operator=(const arpa_file&) = delete;
    arpa_file(arpa_file&&) noexcept = default;
    arpa_file& operator=(arpa_file&&) noexcept = default;
    ~arpa_file() = default;

    // The highest n-gram order N.
    [[nodiscard]] int max_order() const noexcept { return static_cast<int>(m_orders.size()); }
    // The number of vocabulary words (1-grams).
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept {
        return static_cast<std::int64_t>(m_word_offsets.size()) - 1;
    }
    // The n-grams of order n in [1, max_order()].
    [[nodiscard]] const arpa_order& order(int n) const {
        return m_orders.at(static_cast<std::size_t>(n - 1));
    }
    // The id of `word`, or -1 when it is not in the vocabulary.
    [[nodiscard]] std::int32_t word_id(std::string_view word) const {
        const auto it = m_ids.find(word);
        return it == m_ids.end() ? -1 : it->second;
    }
    // The spelling of word id (0 <= id < vocabulary_size()).
    [[nodiscard]] std::string_view word(std::int32_t id) const {
        if (id < 0 || id >= vocabulary_size()) {
            throw invalid_argument_error("arpa: word id " + std::to_string(id) +
                                         " is outside the vocabulary [0, " +
                                         std::to_string(vocabulary_size()) + ")");
        }
        const auto begin = m_word_offsets[static_cast<std::size_t>(id)];
        const auto end = m_word_offsets[static_cast<std::size_t>(id) + 1];
        return std::string_view(m_words.data() + begin, end - begin);
    }

private:
    friend arpa_file parse_arpa(std::string_view text, const std::string& source_name);

    // Every word, concatenated (the string table); a vector, not a std::string, so that moving
    // the file keeps the buffer the m_ids views point into (a short string would move inline).
    std::vector<char> m_words;
    std::vector<std::size_t> m_word_offsets{0};               // word id i spans [offsets[i], offsets[i+1])
    std::unordered_map<std::string_view, std::int32_t> m_ids; // views into m_words
    std::vector<arpa_order> m_orders;
};

namespace detail {

// The highest order the reader accepts (no published model comes close).
inline constexpr int arpa_max_order = 64;

[[noreturn]] inline void arpa_fail(const std::string& source, std::size_t line_number,
                                   const std::string& what) {
    throw format_error(source + ":" + std::to_string(line_number) + ": " + what);
}

inline bool arpa_is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r';
}

// Splits a line into fields separated by runs of spaces, tabs and carriage returns.
inline void arpa_split(std::string_view line, std::vector<std::string_view>& fields) {
    fields.clear();
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && arpa_is_space(line[i])) {
            ++i;
        }
        const std::size_t begin = i;
        while (i < line.size() && !arpa_is_space(line[i])) {
            ++i;
        }
        if (i > begin) {
            fields.push_back(line.substr(begin, i - begin));
        }
    }
}

inline std::string_view arpa_trim(std::string_view line) {
    while (!line.empty() && arpa_is_space(line.front())) {
        line.remove_prefix(1);
    }
    while (!line.empty() && arpa_is_space(line.back())) {
        line.remove_suffix(1);
    }
    return line;
}

// A finite log10 value (or -inf for a probability of zero); NaN and +inf are rejected.
inline double arpa_parse_log10(std::string_view field, const std::string& source, std::size_t line_number,
                               const char* what) {
    // Locale-independent, also where std::from_chars has no double overload (libc++ < 17).
    const std::optional<double> value = parse_double(field);
    if (!value || std::isnan(*value) || *value == std::numeric_limits<double>::infinity()) {
        arpa_fail(source, line_number, std::string("bad ") + what + " '" + std::string(field) + "'");
    }
    return *value;
}

inline std::uint64_t arpa_parse_count(std::string_view field, const std::string& source,
                                      std::size_t line_number) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec != std::errc() || end != field.data() + field.size() || field.empty()) {
        arpa_fail(source, line_number, "bad count '" + std::string(field) + "'");
    }
    return value;
}

// Parses `\N-grams:`; returns N or 0 when the line is not such a header.
inline int arpa_section_order(std::string_view line) {
    constexpr std::string_view suffix = "-grams:";
    if (line.size() < 2 + suffix.size() || line.front() != '\\' || !line.ends_with(suffix)) {
        return 0;
    }
    const std::string_view digits = line.substr(1, line.size() - 1 - suffix.size());
    int value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value < 1) {
        return 0;
    }
    return value;
}

// Sorts one order's tuples (with their weights) and rejects duplicates.
inline void arpa_sort_order(arpa_order& o, const arpa_file& file, const std::string& source) {
    const auto n = static_cast<std::size_t>(o.order);
    std::vector<std::uint32_t> permutation(o.size());
    std::iota(permutation.begin(), permutation.end(), 0U);
    const auto tuple_at = [&](std::uint32_t i) { return o.ids.data() + static_cast<std::size_t>(i) * n; };
    std::sort(permutation.begin(), permutation.end(), [&](std::uint32_t a, std::uint32_t b) {
        return std::lexicographical_compare(tuple_at(a), tuple_at(a) + n, tuple_at(b), tuple_at(b) + n);
    });
    arpa_order sorted;
    sorted.order = o.order;
    sorted.ids.resize(o.ids.size());
    sorted.log10_probability.resize(o.size());
    sorted.log10_backoff.resize(o.log10_backoff.size());
    for (std::size_t i = 0; i < permutation.size(); ++i) {
        const std::uint32_t from = permutation[i];
        std::copy(tuple_at(from), tuple_at(from) + n, sorted.ids.data() + i * n);
        sorted.log10_probability[i] = o.log10_probability[from];
        if (!sorted.log10_backoff.empty()) {
            sorted.log10_backoff[i] = o.log10_backoff[from];
        }
        if (i > 0 && std::equal(sorted.ids.data() + (i - 1) * n, sorted.ids.data() + i * n,
                                sorted.ids.data() + i * n)) {
            std::string words;
            for (std::size_t k = 0; k < n; ++k) {
                words += (k > 0 ? " " : "") + std::string(file.word(sorted.ids[i * n + k]));
            }
            throw format_error(source + ": the " + std::to_string(n) + "-gram '" + words +
                               "' is listed twice");
        }
    }
    o = std::move(sorted);
}

} // namespace detail

// Parses the text of an ARPA file; source_name (usually the path) prefixes every error message,
// which also names the 1-based line number: `model.arpa:17: 3 fields, a 2-gram line needs ...`.
// Lines before `\data\` (tool banners, comments) and after `\end\` are ignored; sections must
// come in order 1..N, each with exactly the count its `ngram N=count` line declared; every word
// of an n-gram of order >= 2 must be a 1-gram; probabilities are log10 values <= 0 (or -inf),
// back-off weights any finite log10 value. A back-off weight on the highest order is ignored.
// Counts larger than the file could hold are rejected before anything is allocated.
//   codelength::arpa_file lm = codelength::parse_arpa("\\data\\\nngram 1=1\n\n\\1-grams:\n0 a\n\n\\end\\\n",
//   "x");
[[nodiscard]] inline arpa_file parse_arpa(std::string_view text, const std::string& source_name) {
    arpa_file file;
    std::vector<std::uint64_t> counts; // counts[k]: declared number of (k+1)-grams
    std::vector<std::string_view> fields;
    enum class state { preamble, data, ngrams, done } where = state::preamble;
    int section = 0;              // the order whose section is open (0: none yet)
    std::uint64_t in_section = 0; // entries read in the open section
    std::size_t line_number = 0;
    std::size_t position = 0;

    const auto close_section = [&](std::size_t at_line) {
        if (section == 0) {
            return;
        }
        if (in_section != counts[static_cast<std::size_t>(section - 1)]) {
            detail::arpa_fail(source_name, at_line,
                              "the " + std::to_string(section) + "-grams section has " +
                                  std::to_string(in_section) + " entries, but \\data\\ declared " +
                                  std::to_string(counts[static_cast<std::size_t>(section - 1)]));
        }
        if (section == 1) {
            // The string table is complete: index it (views stay valid from now on).
            file.m_ids.reserve(static_cast<std::size_t>(file.vocabulary_size()));
            for (std::int32_t id = 0; id < file.vocabulary_size(); ++id) {
                if (!file.m_ids.emplace(file.word(id), id).second) {
                    throw format_error(source_name + ": the 1-gram '" + std::string(file.word(id)) +
                                       "' is listed twice");
                }
            }
        }
    };

    while (position < text.size() && where != state::done) {
        const std::size_t newline = text.find('\n', position);
        const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
        const std::string_view line = detail::arpa_trim(text.substr(position, end - position));
        position = end + 1;
        ++line_number;

        if (where == state::preamble) {
            if (line == "\\data\\") {
                where = state::data;
            }
            continue;
        }
        if (line.empty()) {
            continue;
        }
        if (where == state::data) {
            if (line.starts_with("ngram ") || line.starts_with("ngram\t")) {
                const std::string_view spec = detail::arpa_trim(line.substr(6));
                const std::size_t equals = spec.find('=');
                if (equals == std::string_view::npos) {
                    detail::arpa_fail(source_name, line_number,
                                      "expected 'ngram N=count', got '" + std::string(line) + "'");
                }
                const std::uint64_t n = detail::arpa_parse_count(detail::arpa_trim(spec.substr(0, equals)),
                                                                 source_name, line_number);
                const std::uint64_t count = detail::arpa_parse_count(
                    detail::arpa_trim(spec.substr(equals + 1)), source_name, line_number);
                if (n != counts.size() + 1) {
                    detail::arpa_fail(source_name, line_number,
                                      "expected 'ngram " + std::to_string(counts.size() + 1) +
                                          "=...', got '" + std::string(line) + "'");
                }
                if (n > static_cast<std::uint64_t>(detail::arpa_max_order)) {
                    detail::arpa_fail(source_name, line_number,
                                      "order " + std::to_string(n) + " exceeds the supported maximum " +
                                          std::to_string(detail::arpa_max_order));
                }
                // An entry line holds at least a 1-character number and n words, each after a
                // separator, and a newline: 2n + 2 bytes.
                if (count > text.size() / (2 * n + 2)) {
                    detail::arpa_fail(source_name, line_number,
                                      "ngram " + std::to_string(n) + "=" + std::to_string(count) +
                                          " is more entries than a " + std::to_string(text.size()) +
                                          "-byte file can hold");
                }
                if (count > std::numeric_limits<std::uint32_t>::max()) {
                    detail::arpa_fail(source_name, line_number, "more than 2^32 - 1 n-grams of one order");
                }
                if (n == 1 &&
                    count > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max() - 1)) {
                    detail::arpa_fail(source_name, line_number, "more than 2^31 - 2 words");
                }
                counts.push_back(count);
                continue;
            }
            if (detail::arpa_section_order(line) == 0) {
                detail::arpa_fail(source_name, line_number,
                                  "expected 'ngram N=count' or '\\1-grams:', got '" + std::string(line) +
                                      "'");
            }
            if (counts.empty()) {
                detail::arpa_fail(source_name, line_number, "\\data\\ declares no 'ngram N=count' line");
            }
            where = state::ngrams;
            // Falls through to the section header below.
        }
        // state::ngrams
        if (line == "\\end\\") {
            close_section(line_number);
            if (section != static_cast<int>(counts.size())) {
                detail::arpa_fail(source_name, line_number,
                                  "\\end\\ before the " + std::to_string(section + 1) + "-grams section");
            }
            where = state::done;
            continue;
        }
        if (const int header = detail::arpa_section_order(line); header != 0) {
            close_section(line_number);
            if (header != section + 1 || header > static_cast<int>(counts.size())) {
                detail::arpa_fail(source_name, line_number,
                                  "unexpected '" + std::string(line) + "' (expected \\" +
                                      std::to_string(section + 1) + "-grams: of " +
                                      std::to_string(counts.size()) + " declared orders)");
            }
            section = header;
            in_section = 0;
            arpa_order o;
            o.order = header;
            const auto count = static_cast<std::size_t>(counts[static_cast<std::size_t>(header - 1)]);
            o.ids.reserve(count * static_cast<std::size_t>(header));
            o.log10_probability.reserve(count);
            if (header < static_cast<int>(counts.size())) {
                o.log10_backoff.reserve(count);
            }
            file.m_orders.push_back(std::move(o));
            continue;
        }
        if (section == 0) {
            detail::arpa_fail(source_name, line_number,
                              "expected '\\1-grams:', got '" + std::string(line) + "'");
        }
        // An entry of the open section.
        const auto n = static_cast<std::size_t>(section);
        const bool highest = section == static_cast<int>(counts.size());
        detail::arpa_split(line, fields);
        if (fields.size() != n + 1 && fields.size() != n + 2) {
            detail::arpa_fail(source_name, line_number,
                              std::to_string(fields.size()) + " fields, a " + std::to_string(n) +
                                  "-gram line needs log10prob, " + std::to_string(n) +
                                  (n == 1 ? " word" : " words") + " and an optional log10 back-off");
        }
        if (in_section == counts[n - 1]) {
            detail::arpa_fail(source_name, line_number,
                              "more " + std::to_string(n) + "-grams than the " +
                                  std::to_string(counts[n - 1]) + " \\data\\ declared");
        }
        const double log10_probability =
            detail::arpa_parse_log10(fields[0], source_name, line_number, "log10 probability");
        if (log10_probability > 0.0) {
            detail::arpa_fail(source_name, line_number,
                              "log10 probability " + std::string(fields[0]) +
                                  " is positive (probability > 1)");
        }
        double log10_backoff = 0.0;
        if (fields.size() == n + 2) {
            log10_backoff =
                detail::arpa_parse_log10(fields[n + 1], source_name, line_number, "log10 back-off weight");
            if (std::isinf(log10_backoff)) {
                detail::arpa_fail(source_name, line_number, "log10 back-off weight must be finite");
            }
        }
        arpa_order& o = file.m_orders.back();
        if (n == 1) {
            file.m_words.insert(file.m_words.end(), fields[1].begin(), fields[1].end());
            file.m_word_offsets.push_back(file.m_words.size());
        } else {
            for (std::size_t k = 1; k <= n; ++k) {
                const std::int32_t id = file.word_id(fields[k]);
                if (id < 0) {
                    detail::arpa_fail(source_name, line_number,
                                      "the word '" + std::string(fields[k]) + "' is not a 1-gram");
                }
                o.ids.push_back(id);
            }
        }
        if (n == 1) {
            o.ids.push_back(static_cast<std::int32_t>(in_section));
        }
        o.log10_probability.push_back(log10_probability);
        if (!highest) {
            o.log10_backoff.push_back(log10_backoff);
        }
        ++in_section;
    }
    if (where == state::preamble) {
        throw format_error(source_name + ": no \\data\\ line (not an ARPA file)");
    }
    if (where != state::done) {
        detail::arpa_fail(source_name, line_number, "the file ends before \\end\\ (truncated?)");
    }
    for (std::size_t k = 1; k < file.m_orders.size(); ++k) {
        detail::arpa_sort_order(file.m_orders[k], file, source_name);
    }
    return file;
}

// Reads and parses the ARPA file at path (see parse_arpa); throws io_error when it cannot be read.
[[nodiscard]] inline arpa_file read_arpa(const std::filesystem::path& path) {
    // A directory opens as a stream on Linux; refuse it by name instead of reading garbage sizes.
    std::error_code status_error;
    if (std::filesystem::is_directory(path, status_error)) {
        throw io_error(path.string() +
                       ": cannot read: " + std::make_error_code(std::errc::is_a_directory).message());
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int error_number = errno;
        throw io_error(
            path.string() + ": cannot open for reading" +
            (error_number != 0 ? ": " + std::generic_category().message(error_number) : std::string()));
    }
    // Read to the end (works for pipes and devices, whose size is unknown).
    std::string text;
    std::string chunk(std::size_t{1} << 16U, '\0');
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
        text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
        throw io_error(path.string() + ": read failed");
    }
    return parse_arpa(text, path.string());
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

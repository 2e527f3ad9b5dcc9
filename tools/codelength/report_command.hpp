// `codelength report`: one self-contained HTML file from the memorization inputs — per-token
// surprisal heat maps with memorized spans, the compression table, ROC curves and histograms per
// score when labels are given, and the online (MDL) code curve when an mdl input is given.
// No network, no script: inline CSS and SVG, tooltips are title attributes.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arguments.hpp"
#include "codelength/metrics/membership.hpp"
#include "mdl_command.hpp"
#include "membership_command.hpp"
#include "memorization_command.hpp"
#include "number_format.hpp"
#include "output_file.hpp"

namespace codelength::cli {

inline constexpr const char* report_usage =
    "usage: codelength report --logits L.npy --targets T.npy --doc-offsets D.npy --text FILE\n"
    "                         --token-bytes B.npy -o REPORT.html [options]\n"
    "\n"
    "Writes one self-contained HTML file (no network, no script: inline CSS and SVG, tooltips are\n"
    "title attributes) from the inputs of `codelength memorization` (see its --help; the same\n"
    "records):\n"
    "  - the compression table: the model's bits next to zlib, gzip -9, xz -9, zstd -19 and\n"
    "    brotli -q 11, per document and in total;\n"
    "  - documents sorted by --sort-by, the most memorized (most member-like) first; the --show N\n"
    "    most and N least memorized get a heat map, every document a row of the table. A heat map\n"
    "    is the document's text with one element per token, coloured by its surprisal in bits\n"
    "    (viridis, legend in bits), its tooltip bits, entropy and rank; memorized spans are\n"
    "    outlined. Text is escaped byte by byte: bytes outside well-formed UTF-8 and control\n"
    "    characters (other than tab, line feed and carriage return) show as U+FFFD; a character\n"
    "    whose bytes span several tokens is shown in the token where it starts, and a token left\n"
    "    with no character of its own (or with 0 bytes) is an empty element;\n"
    "  - with --labels (one line per document: member, nonmember or suspect): per score with a\n"
    "    known direction (see `codelength membership --help`) and a finite value for every\n"
    "    document, the ROC curve of members against non-members with its AUROC, and histograms of\n"
    "    both sets;\n"
    "  - with --mdl FILE (the key,value input of `codelength mdl`, with unit, vocabulary_size,\n"
    "    first_block_items and block lines): the online code, bits per item of each block.\n"
    "The file is written whole or not at all.\n"
    "\n";

inline arguments report_arguments() {
    arguments args;
    add_memorization_inputs(args)
        .option("labels", "FILE", "one label per document and line: member, nonmember or suspect")
        .option("mdl", "FILE", "the key,value input of `codelength mdl`: draws the online code")
        .option("sort-by", "SCORE",
                "order of the documents, a score of `membership` (default model_bits_per_byte)")
        .option("show", "N", "heat maps for the N most and the N least memorized documents (default 20)")
        .option("threads", "N",
                "threads for the row kernel and the documents' compressors (default 1, 0 = all cores)")
        .option("output", "FILE", "the HTML file (`-` for stdout)", 'o')
        .flag("force", "replace the --output file if it exists", 'f')
        .flag("help", "show this help", 'h');
    return args;
}

namespace detail {

// Colour classes c0..c9 of a token by its surprisal: c0 below report_bit_edges[0] bits, c9 at or
// above the last edge (and for +inf or NaN). Viridis sampled at ten points, from yellow (known
// text, few bits) to dark violet (surprising text).
inline constexpr std::array<double, 9> report_bit_edges{0.5, 1, 2, 3, 4, 6, 8, 11, 15};
inline constexpr std::array<const char*, 10> report_colours{"#fde725", "#b5de2b", "#6ece58", "#35b779",
                                                            "#1f9e89", "#26828e", "#31688e", "#3e4989",
                                                            "#482878", "#440154"};

inline std::size_t surprisal_class(double bits) {
    std::size_t c = 0;
    while (c < report_bit_edges.size() && bits >= report_bit_edges[c]) {
        ++c;
    }
    return std::isnan(bits) ? report_bit_edges.size() : c;
}

// Appends bytes as HTML text: the five special characters as references, bytes that are not part
// of a well-formed UTF-8 character and control characters (C0 other than tab, LF, CR; DEL; C1) as
// U+FFFD. Returns nothing; `bytes` may be any bytes.
inline void append_html_character(std::string& out, std::string_view character) {
    if (character.size() == 1) {
        const auto c = static_cast<unsigned char>(character[0]);
        switch (c) {
        case '&':
            out += "&amp;";
            return;
        case '<':
            out += "&lt;";
            return;
        case '>':
            out += "&gt;";
            return;
        case '"':
            out += "&quot;";
            return;
        case '\'':
            out += "&#39;";
            return;
        default:
            if ((c < 0x20U && c != '\t' && c != '\n' && c != '\r') || c == 0x7FU) {
                out += "&#xFFFD;";
                return;
            }
        }
    } else if (character.size() == 2 && static_cast<unsigned char>(character[0]) == 0xC2U &&
               static_cast<unsigned char>(character[1]) < 0xA0U) {
        out += "&#xFFFD;"; // C1 control
        return;
    }
    out.append(character);
}

// Appends the characters of `bytes` that start in [position, end) escaped (see
// append_html_character; each byte outside well-formed UTF-8 is one U+FFFD); a character that
// starts before `end` is appended whole. Returns the position after the last one appended.
inline std::size_t append_html_characters(std::string& out, std::string_view bytes, std::size_t position,
                                          std::size_t end) {
    while (position < end) {
        const std::size_t length = utf8_sequence_length(bytes.substr(position));
        if (length == 0) {
            out += "&#xFFFD;";
            ++position;
        } else {
            append_html_character(out, bytes.substr(position, length));
            position += length;
        }
    }
    return position;
}

inline const char* label_word(membership_label label) {
    switch (label) {
    case membership_label::member:
        return "member";
    case membership_label::nonmember:
        return "nonmember";
    case membership_label::suspect:
        break;
    }
    return "suspect";
}

inline std::string html_text(std::string_view bytes) {
    std::string out;
    append_html_characters(out, bytes, 0, bytes.size());
    return out;
}

// A score per document for ordering and ROC curves: its value in each record (nullopt when
// undefined or not finite).
inline std::vector<std::optional<double>> record_scores(const std::vector<memorization_record>& records,
                                                        std::string_view name) {
    std::vector<std::optional<double>> out;
    out.reserve(records.size());
    for (const memorization_record& r : records) {
        std::optional<double> value;
        for (const memorization_field& field : memorization_record_fields(r)) {
            if (field.name == name && field.value && std::isfinite(*field.value)) {
                value = field.value;
            }
        }
        out.push_back(value);
    }
    return out;
}

// Document indices, the most member-like (memorized) first by `scores` oriented by `direction`;
// documents without a value last; ties by document index.
inline std::vector<std::size_t> memorization_order(const std::vector<std::optional<double>>& scores,
                                                   score_direction direction) {
    std::vector<std::size_t> order(scores.size());
    for (std::size_t d = 0; d < order.size(); ++d) {
        order[d] = d;
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (!scores[a] || !scores[b]) {
            return scores[a].has_value() && !scores[b].has_value();
        }
        return codelength::detail::oriented_score(*scores[a], direction) >
               codelength::detail::oriented_score(*scores[b], direction);
    });
    return order;
}

// One document's heat map: every token one <span class="t cK"> with a title, memorized spans
// wrapped in <span class="m">. Token k of the document has the bytes [offsets[k], offsets[k+1]).
inline void append_heat_map(std::string& out, const corpus_memorization_inputs& in, std::size_t d) {
    const memorization_record& r = in.records[d];
    const auto begin = static_cast<std::size_t>(in.bounds[d]);
    const auto end = static_cast<std::size_t>(in.bounds[d + 1]);
    const std::string_view text(reinterpret_cast<const char*>(in.text.data()) + r.byte_begin,
                                static_cast<std::size_t>(r.metrics.bytes));
    const std::vector<memorized_span>& spans = r.metrics.memorized_spans;
    std::size_t next_span = 0;
    std::size_t position = 0;  // next byte of `text` to show
    std::size_t token_end = 0; // end of the current token's bytes
    out += "<div class=\"doc\">";
    for (std::size_t t = begin; t < end; ++t) {
        const auto k = static_cast<std::int64_t>(t - begin);
        if (next_span < spans.size() && spans[next_span].token_begin == k) {
            const memorized_span& s = spans[next_span];
            out += "<span class=\"m\" title=\"memorized span: bytes [" + std::to_string(s.byte_begin) + ", " +
                   std::to_string(s.byte_end) + "), " + fixed(s.model_bits_per_byte, 3) + " bits/byte\">";
        }
        token_end += static_cast<std::size_t>(in.token_bytes[t]);
        const double bits = in.model.surprisal_bits[t];
        out += "<span class=\"t c" + std::to_string(surprisal_class(bits)) + "\" title=\"bits " +
               fixed(bits, 2) + ", entropy " + fixed(in.model.entropy_bits[t], 2) + ", rank " +
               std::to_string(in.model.ranks[t]) + "\">";
        // A character that starts in this token is shown whole here.
        position = append_html_characters(out, text, position, token_end);
        out += "</span>";
        if (next_span < spans.size() && spans[next_span].token_end == k + 1) {
            out += "</span>";
            ++next_span;
        }
    }
    out += "</div>\n";
}

// An SVG plot area: x and y in [0, 1] map to a square of `size` pixels with a margin for labels.
struct plot_frame {
    double size = 220.0;
    double margin = 34.0;
    [[nodiscard]] double x(double fraction) const { return margin + fraction * size; }
    [[nodiscard]] double y(double fraction) const { return margin / 2 + (1.0 - fraction) * size; }
    [[nodiscard]] std::string open(const std::string& label) const {
        const std::string w = fixed(size + 1.5 * margin, 0);
        return "<svg class=\"plot\" width=\"" + w + "\" height=\"" + w + "\" viewBox=\"0 0 " + w + " " + w +
               "\" role=\"img\" aria-label=\"" + label + "\"><rect x=\"" + fixed(x(0), 1) + "\" y=\"" +
               fixed(y(1), 1) + "\" width=\"" + fixed(size, 1) + "\" height=\"" + fixed(size, 1) +
               "\" class=\"frame\"/>";
    }
    [[nodiscard]] std::string text(double px, double py, const std::string& words,
                                   const char* anchor = "middle") const {
        return "<text x=\"" + fixed(px, 1) + "\" y=\"" + fixed(py, 1) + "\" text-anchor=\"" + anchor + "\">" +
               words + "</text>";
    }
};

// The ROC staircase of oriented member and non-member scores: (FPR, TPR) after each distinct
// threshold, from (0, 0) to (1, 1).
inline std::vector<std::pair<double, double>> roc_points(std::vector<double> members,
                                                         std::vector<double> nonmembers) {
    std::sort(members.begin(), members.end(), std::greater<>());
    std::sort(nonmembers.begin(), nonmembers.end(), std::greater<>());
    std::vector<std::pair<double, double>> points{{0.0, 0.0}};
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < members.size() || j < nonmembers.size()) {
        const double v = i < members.size() && (j == nonmembers.size() || members[i] >= nonmembers[j])
                             ? members[i]
                             : nonmembers[j];
        for (; i < members.size() && members[i] == v; ++i) {
        }
        for (; j < nonmembers.size() && nonmembers[j] == v; ++j) {
        }
        points.emplace_back(static_cast<double>(j) / static_cast<double>(nonmembers.size()),
                            static_cast<double>(i) / static_cast<double>(members.size()));
    }
    return points;
}

inline std::string roc_svg(const std::string& name, score_direction direction,
                           const std::vector<double>& members, const std::vector<double>& nonmembers) {
    std::vector<double> m;
    std::vector<double> n;
    for (const double v : members) {
        m.push_back(codelength::detail::oriented_score(v, direction));
    }
    for (const double v : nonmembers) {
        n.push_back(codelength::detail::oriented_score(v, direction));
    }
    const double area = auroc(members, nonmembers, direction);
    const plot_frame f;
    // The staircase in hundredths of a pixel (what the path prints), without repeated points and
    // without the inner points of vertical or horizontal runs: the same drawing, and a path of
    // 10,000 documents stays small.
    std::vector<std::pair<long, long>> pixels;
    for (const auto& [fpr, tpr] : roc_points(m, n)) {
        const std::pair<long, long> p{std::lround(f.x(fpr) * 100), std::lround(f.y(tpr) * 100)};
        if (!pixels.empty() && pixels.back() == p) {
            continue;
        }
        const std::size_t k = pixels.size();
        if (k >= 2 && ((pixels[k - 2].first == pixels[k - 1].first && pixels[k - 1].first == p.first) ||
                       (pixels[k - 2].second == pixels[k - 1].second && pixels[k - 1].second == p.second))) {
            pixels.back() = p;
        } else {
            pixels.push_back(p);
        }
    }
    std::string path;
    for (const auto& [x, y] : pixels) {
        path += (path.empty() ? "M" : " L") + fixed(static_cast<double>(x) / 100, 2) + "," +
                fixed(static_cast<double>(y) / 100, 2);
    }
    return f.open("ROC of " + name) + "<line class=\"chance\" x1=\"" + fixed(f.x(0), 1) + "\" y1=\"" +
           fixed(f.y(0), 1) + "\" x2=\"" + fixed(f.x(1), 1) + "\" y2=\"" + fixed(f.y(1), 1) +
           "\"/><path class=\"roc\" data-score=\"" + name + "\" d=\"" + path + "\"><title>" + name +
           ": AUROC " + fixed(area, 4) + "</title></path>" +
           f.text(f.x(0.5), f.y(0) + 26, "false-positive rate") +
           f.text(f.x(0.6), f.y(0.1), "AUROC " + fixed(area, 3)) + f.text(f.x(0), f.y(0) + 12, "0") +
           f.text(f.x(1), f.y(0) + 12, "1") + f.text(f.x(0) - 4, f.y(1) + 4, "1", "end") +
           f.text(f.x(0) - 4, f.y(0.5), "TPR", "end") + "</svg>";
}

// Histograms of member and non-member scores over 20 equal bins of [min, max], each set
// normalised to its own count.
inline std::string histogram_svg(const std::string& name, const std::vector<double>& members,
                                 const std::vector<double>& nonmembers) {
    constexpr std::size_t bins = 20;
    double low = members.front();
    double high = members.front();
    for (const auto* set : {&members, &nonmembers}) {
        for (const double v : *set) {
            low = std::min(low, v);
            high = std::max(high, v);
        }
    }
    const double width = high > low ? (high - low) / static_cast<double>(bins) : 1.0;
    const auto counts = [&](const std::vector<double>& set) {
        std::vector<double> c(bins, 0.0);
        for (const double v : set) {
            const auto b = std::min(bins - 1, static_cast<std::size_t>((v - low) / width));
            c[b] += 1.0 / static_cast<double>(set.size());
        }
        return c;
    };
    const std::vector<double> cm = counts(members);
    const std::vector<double> cn = counts(nonmembers);
    const double top =
        std::max(*std::max_element(cm.begin(), cm.end()), *std::max_element(cn.begin(), cn.end()));
    const plot_frame f;
    std::string svg = f.open("histogram of " + name);
    for (std::size_t b = 0; b < bins; ++b) {
        const double x0 = static_cast<double>(b) / bins;
        for (const auto& [fraction, kind] : {std::pair{cn[b], "nonmember"}, std::pair{cm[b], "member"}}) {
            svg += "<rect class=\"" + std::string(kind) + "\" x=\"" + fixed(f.x(x0), 2) + "\" y=\"" +
                   fixed(f.y(fraction / top), 2) + "\" width=\"" + fixed(f.size / bins, 2) + "\" height=\"" +
                   fixed(f.size * fraction / top, 2) + "\"><title>" + kind + "s in [" +
                   fixed(low + width * static_cast<double>(b), 4) + ", " +
                   fixed(low + width * static_cast<double>(b + 1), 4) + "): " + fixed(100 * fraction, 1) +
                   "%</title></rect>";
        }
    }
    return svg + f.text(f.x(0), f.y(0) + 12, fixed(low, 3)) + f.text(f.x(1), f.y(0) + 12, fixed(high, 3)) +
           f.text(f.x(0.5), f.y(0) + 26, name) + "</svg>";
}

// The membership section: per known score with a value for every document, ROC and histograms.
inline std::string membership_section(const corpus_memorization_inputs& in,
                                      const std::vector<membership_label>& labels) {
    std::string out = "<h2 id=\"membership\">Membership</h2>\n";
    const auto members =
        static_cast<std::size_t>(std::count(labels.begin(), labels.end(), membership_label::member));
    const auto nonmembers =
        static_cast<std::size_t>(std::count(labels.begin(), labels.end(), membership_label::nonmember));
    using codelength::detail::count_noun;
    out += "<p>" + count_noun(members, "member", "members") + ", " +
           count_noun(nonmembers, "non-member", "non-members") + ", " +
           count_noun(labels.size() - members - nonmembers, "suspect", "suspects") +
           " (not in the curves). Scores are oriented so that the member-like side is "
           "flagged first; AUROC = P(member more member-like than non-member), ties one half.</p>\n";
    if (members == 0 || nonmembers == 0) {
        return out + "<p>ROC curves need both members and non-members.</p>\n";
    }
    out += "<div class=\"plots\">\n";
    std::string skipped;
    for (const known_membership_score& known : known_membership_scores) {
        const std::string name(known.name);
        const std::vector<std::optional<double>> scores = record_scores(in.records, name);
        if (std::none_of(scores.begin(), scores.end(), [](const auto& v) { return v.has_value(); })) {
            continue; // not in the records (e.g. no reference model)
        }
        std::vector<double> m;
        std::vector<double> n;
        bool complete = true;
        for (std::size_t d = 0; d < scores.size() && complete; ++d) {
            complete = scores[d].has_value();
            if (complete && labels[d] == membership_label::member) {
                m.push_back(*scores[d]);
            } else if (complete && labels[d] == membership_label::nonmember) {
                n.push_back(*scores[d]);
            }
        }
        if (!complete) {
            skipped += (skipped.empty() ? "" : ", ") + name;
            continue;
        }
        out += "<figure><figcaption>" + name + " (" + direction_word(known.direction) +
               " is member-like)</figcaption>" + roc_svg(name, known.direction, m, n) +
               histogram_svg(name, m, n) + "</figure>\n";
    }
    out += "</div>\n";
    if (!skipped.empty()) {
        out += "<p>Left out (undefined or infinite for some document): " + skipped + ".</p>\n";
    }
    return out;
}

// The online code of an mdl input: bits per item of the uniform first block and of each block.
inline std::string mdl_section(const std::string& path) {
    const mdl_input in = read_mdl_input(path);
    const std::string name = html_text(display_name(path, "stdin"));
    const std::optional<std::int64_t> vocabulary = in.integer("vocabulary_size", 1);
    const std::optional<std::int64_t> first = in.integer("first_block_items", 1);
    if (!vocabulary || !first || in.blocks.empty()) {
        throw invalid_argument_error(display_name(path, "stdin") +
                                     ": the report's online code needs vocabulary_size, first_block_items "
                                     "and block lines");
    }
    const information_unit unit = mdl_unit(in);
    const double uniform = std::log2(static_cast<double>(*vocabulary));
    std::vector<std::pair<std::int64_t, double>> blocks{{*first, uniform}}; // items, bits per item
    double online = uniform * static_cast<double>(*first);
    std::int64_t items = *first;
    for (const coded_block& b : in.blocks) {
        const double bits = to_bits(b.code_length, unit);
        blocks.emplace_back(b.items, bits / static_cast<double>(b.items));
        online += bits;
        items += b.items;
    }
    double top = 0.0;
    for (const auto& b : blocks) {
        top = std::max(top, b.second);
    }
    top = top > 0.0 ? top : 1.0;
    const plot_frame f{420.0, 40.0};
    std::string path_data;
    std::int64_t done = 0;
    for (const auto& [count, bits] : blocks) {
        const double x0 = static_cast<double>(done) / static_cast<double>(items);
        done += count;
        const double x1 = static_cast<double>(done) / static_cast<double>(items);
        path_data += (path_data.empty() ? "M" : " L") + fixed(f.x(x0), 2) + "," + fixed(f.y(bits / top), 2) +
                     " L" + fixed(f.x(x1), 2) + "," + fixed(f.y(bits / top), 2);
    }
    const double uniform_total = uniform * static_cast<double>(items);
    std::string out =
        "<h2 id=\"mdl\">Online code (MDL)</h2>\n<p>From " + name + ": " + std::to_string(items) +
        " items in " + std::to_string(blocks.size()) + " blocks, the first coded uniformly (" +
        fixed(uniform, 3) + " bits per item); online code " + fixed(online, 1) + " bits, uniform " +
        fixed(uniform_total, 1) + " bits, compression " + fixed(uniform_total / online, 3) + ".</p>\n";
    out += f.open("online code, bits per item per block") + "<path class=\"mdl\" d=\"" + path_data + "\"/>" +
           f.text(f.x(0.5), f.y(0) + 26, "items (" + std::to_string(items) + ")") +
           f.text(f.x(0) - 4, f.y(1) + 4, fixed(top, 2), "end") + f.text(f.x(0) - 4, f.y(0), "0", "end") +
           f.text(f.x(0) - 4, f.y(0.5), "bits/item", "end") + "</svg>\n";
    return out;
}

inline std::string compression_cell(double model_bits, std::uint64_t generic_bytes) {
    const double bits = 8.0 * static_cast<double>(generic_bytes);
    return "<td>" + std::to_string(generic_bytes) + "</td><td>" + fixed(bits / model_bits, 3) + "</td>";
}

inline const char* report_style() {
    return "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#111;background:#fff}"
           "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:2px 6px;"
           "text-align:right}th{background:#eee;white-space:nowrap}.doc{white-space:pre-wrap;word-wrap:break-"
           "word;"
           "font:13px/1.7 ui-monospace,monospace;border:1px solid #ccc;padding:6px;margin:.3em 0 1.2em}"
           ".m{outline:2px solid #d7191c;outline-offset:1px}.legend span{display:inline-block;"
           "padding:0 6px;font:12px ui-monospace,monospace}.plots{display:flex;flex-wrap:wrap;gap:12px}"
           "figure{margin:0;border:1px solid #ddd;padding:4px}svg text{font:11px sans-serif}"
           ".frame{fill:none;stroke:#888}.chance{stroke:#aaa;stroke-dasharray:4 3}"
           ".roc,.mdl{fill:none;stroke:#3e4989;stroke-width:2}.member{fill:#d7191c;fill-opacity:.5}"
           ".nonmember{fill:#2c7bb6;fill-opacity:.5}";
}

inline std::string colour_style() {
    std::string out;
    for (std::size_t c = 0; c < report_colours.size(); ++c) {
        out +=
            ".c" + std::to_string(c) + "{background:" + report_colours[c] + (c >= 6 ? ";color:#fff}" : "}");
    }
    return out;
}

inline std::string legend() {
    std::string out = "<p class=\"legend\">surprisal, bits per token: ";
    for (std::size_t c = 0; c < report_colours.size(); ++c) {
        const std::string low = c == 0 ? "0" : fixed(report_bit_edges[c - 1], 1);
        const std::string high = c < report_bit_edges.size() ? fixed(report_bit_edges[c], 1) : "&#8734;";
        out += "<span class=\"c" + std::to_string(c) + "\">[" + low + ", " + high + ")</span>";
    }
    return out + " <span class=\"m\">memorized span</span></p>\n";
}

} // namespace detail

// Runs `codelength report` with argv[first..); returns the exit status.
inline int run_report(int argc, char** argv, int first) {
    arguments args = report_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(report_usage)) {
        return 0;
    }
    args.reject_positional();
    const memorization_options options = memorization_options_from(args);
    const std::string sort_by = args.get("sort-by").value_or("model_bits_per_byte");
    const std::optional<score_direction> direction = detail::known_score_direction(sort_by);
    if (!direction) {
        throw usage_error("--sort-by must be a score of `codelength membership --help`, got '" +
                          to_valid_utf8(sort_by) + "'");
    }
    const auto show = static_cast<std::size_t>(args.integer("show", 20, 0, INT64_MAX));
    const auto threads = static_cast<unsigned>(args.integer("threads", 1, 0, 1024));
    std::vector<std::string> inputs{args.required("logits"), args.required("targets"),
                                    args.required("doc-offsets"), args.required("text"),
                                    args.required("token-bytes")};
    for (const char* name : {"reference-logits", "labels", "mdl"}) {
        if (const auto path = args.get(name)) {
            inputs.push_back(*path);
        }
    }
    const output_target output = output_target::prepare(args.required("output"), args.has("force"), inputs);

    const corpus_memorization_inputs in = measure_memorization_inputs(args, options, threads);
    std::optional<std::vector<detail::membership_label>> labels;
    if (const auto path = args.get("labels")) {
        labels = detail::read_membership_labels(*path, in.records.size(),
                                                display_name(args.required("doc-offsets"), "stdin"));
    }
    const std::string mdl = args.has("mdl") ? detail::mdl_section(*args.get("mdl")) : std::string();
    const std::vector<std::optional<double>> scores = detail::record_scores(in.records, sort_by);
    if (std::none_of(scores.begin(), scores.end(), [](const auto& v) { return v.has_value(); })) {
        throw usage_error("--sort-by " + sort_by + ": no document has a value (" + sort_by +
                          " needs --reference-logits)");
    }
    const std::vector<std::size_t> order = detail::memorization_order(scores, *direction);
    std::vector<bool> shown(order.size(), false);
    for (std::size_t i = 0; i < order.size(); ++i) {
        shown[order[i]] = i < show || i + show >= order.size();
    }

    using detail::fixed;
    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\"><title>codelength report</title><style>";
    html += detail::report_style();
    html += detail::colour_style();
    html += "</style></head><body>\n<h1>codelength report</h1>\n";
    std::int64_t tokens = 0;
    std::int64_t bytes = 0;
    double model_bits = 0.0;
    generic_compressed_sizes total;
    for (const memorization_record& r : in.records) {
        tokens += r.metrics.tokens;
        bytes += r.metrics.bytes;
        model_bits += r.metrics.model_bits;
        total.zlib_default += r.sizes.zlib_default;
        total.gzip_9 += r.sizes.gzip_9;
        total.xz_9 += r.sizes.xz_9;
        total.zstd_19 += r.sizes.zstd_19;
        total.brotli_11 += r.sizes.brotli_11;
    }
    html += "<p>" + std::to_string(in.records.size()) + " documents, " + std::to_string(tokens) +
            " tokens, " + std::to_string(bytes) + " bytes, vocabulary " + std::to_string(in.vocabulary_size) +
            ". Sorted by " + sort_by + " (" + detail::direction_word(*direction) +
            " is more memorized), most memorized first. Sections: <a href=\"#compression\">compression</a>" +
            (labels ? ", <a href=\"#membership\">membership</a>" : "") +
            (mdl.empty() ? "" : ", <a href=\"#mdl\">MDL</a>") +
            ", <a href=\"#documents\">documents</a>.</p>\n";

    html +=
        "<h2 id=\"compression\">Compression</h2>\n<p>Every document compressed on its own; ratio = "
        "compressor bits / model bits (&gt; 1: the model describes the text in fewer "
        "bits).</p>\n<table><tr><th></th><th>bytes</th><th>model bits</th><th>bits/byte</th>"
        "<th>zlib bytes</th><th>ratio</th><th>gzip -9 bytes</th><th>ratio</th><th>xz -9 bytes</th>"
        "<th>ratio</th><th>zstd -19 bytes</th><th>ratio</th><th>brotli -q 11 bytes</th><th>ratio</th></tr>\n";
    const auto compression_row = [&](const std::string& label, std::int64_t n, double bits,
                                     const generic_compressed_sizes& s) {
        return "<tr><th>" + label + "</th><td>" + std::to_string(n) + "</td><td>" +
               fixed(bits, bits < 100.0 ? 3 : 1) + "</td><td>" + fixed(bits / static_cast<double>(n), 4) +
               "</td>" + detail::compression_cell(bits, s.zlib_default) +
               detail::compression_cell(bits, s.gzip_9) + detail::compression_cell(bits, s.xz_9) +
               detail::compression_cell(bits, s.zstd_19) + detail::compression_cell(bits, s.brotli_11) +
               "</tr>\n";
    };
    html += compression_row("total", bytes, model_bits, total);
    for (const std::size_t d : order) {
        if (shown[d]) {
            const memorization_record& r = in.records[d];
            html += compression_row("document " + std::to_string(d), r.metrics.bytes, r.metrics.model_bits,
                                    r.sizes);
        }
    }
    html += "</table>\n<p>Per document rows: the documents with a heat map; every document's ratios are in "
            "the table of documents.</p>\n";

    if (labels) {
        html += detail::membership_section(in, *labels);
    }
    html += mdl;

    html += "<h2 id=\"documents\">Documents</h2>\n" + detail::legend();
    html += "<p>Heat maps of the " + std::to_string(show) + " most and " + std::to_string(show) +
            " least memorized documents (--show); hover a token for its bits, entropy and rank.</p>\n";
    for (std::size_t i = 0; i < order.size(); ++i) {
        const std::size_t d = order[i];
        if (!shown[d]) {
            continue;
        }
        const memorization_record& r = in.records[d];
        html += "<h3 id=\"doc-" + std::to_string(d) + "\">#" + std::to_string(i + 1) + ": document " +
                std::to_string(d) +
                (labels ? std::string(" (") + detail::label_word((*labels)[d]) + ")" : "") + "</h3>\n<p>" +
                sort_by + " " + (scores[d] ? fixed(*scores[d], 4) : "n/a") + ", " +
                std::to_string(r.metrics.tokens) + " tokens, " + std::to_string(r.metrics.bytes) +
                " bytes, " + fixed(r.metrics.model_bits_per_byte, 4) + " bits/byte, " +
                std::to_string(r.metrics.memorized_spans.size()) + " memorized spans (" +
                std::to_string(r.metrics.memorized_bytes) + " bytes)</p>\n";
        detail::append_heat_map(html, in, d);
    }
    html += "<table class=\"documents\"><tr><th>rank</th><th>document</th>" +
            std::string(labels ? "<th>label</th>" : "") + "<th>" + sort_by +
            "</th><th>tokens</th><th>bytes</th><th>bits/byte</th><th>gain over xz -9</th><th>spans</th>"
            "<th>memorized bytes</th></tr>\n";
    for (std::size_t i = 0; i < order.size(); ++i) {
        const std::size_t d = order[i];
        const memorization_record& r = in.records[d];
        const std::string id = std::to_string(d);
        html += "<tr><td>" + std::to_string(i + 1) + "</td><td>" +
                (shown[d] ? "<a href=\"#doc-" + id + "\">" + id + "</a>" : id) + "</td>" +
                (labels ? std::string("<td>") + detail::label_word((*labels)[d]) + "</td>" : "") + "<td>" +
                (scores[d] ? fixed(*scores[d], 4) : "n/a") + "</td><td>" + std::to_string(r.metrics.tokens) +
                "</td><td>" + std::to_string(r.metrics.bytes) + "</td><td>" +
                fixed(r.metrics.model_bits_per_byte, 4) + "</td><td>" +
                fixed(r.metrics.gain_over_xz_9.ratio, 3) + "</td><td>" +
                std::to_string(r.metrics.memorized_spans.size()) + "</td><td>" +
                std::to_string(r.metrics.memorized_bytes) + "</td></tr>\n";
    }
    html += "</table>\n</body></html>\n";
    output.write(std::span(reinterpret_cast<const std::uint8_t*>(html.data()), html.size()));
    return 0;
}

} // namespace codelength::cli

// `codelength score --manifest FILE` and `codelength memorization --manifest FILE`: many shard
// files scored in one process and merged in shard order, so that the totals equal one run over
// the shards concatenated in manifest order. The pieces are separate functions so that a
// driver that spreads the shards over MPI ranks can reuse them:
//   read_manifest                  manifest -> shards (paths resolved, sizes for largest-first)
//   run_shards                     one rank's shards, in order, under one progress line
//   score_shard / measure_memorization_shard   one shard -> its result, or its error
//   merge_score_shards / merge_memorization_shards   results in shard order -> totals + failures
//   score_manifest_report / memorization_manifest_members   the report (JSON or table)
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "json_writer.hpp"
#include "memorization_command.hpp"
#include "number_format.hpp"
#include "output_file.hpp"
#include "score_command.hpp"

namespace codelength::cli {

// The exit status when some shards failed (the report covers the others).
inline constexpr int exit_status_failed_shards = 3;

// The columns of a manifest line: names (in order, as the JSON names the paths) and how many
// are required; the others are optional, but every line must have the same number.
struct manifest_columns {
    std::vector<std::string> names;
    std::size_t required = 0;
};

// `score --manifest`: LOGITS TARGETS [TOKEN_BYTES].
inline manifest_columns score_manifest_columns() {
    return {{"logits", "targets", "token_bytes"}, 2};
}

// `memorization --manifest`: LOGITS TARGETS TOKEN_BYTES DOC_OFFSETS TEXT [REFERENCE_LOGITS].
inline manifest_columns memorization_manifest_columns() {
    return {{"logits", "targets", "token_bytes", "doc_offsets", "text", "reference_logits"}, 5};
}

// One shard of a manifest.
struct manifest_shard {
    std::size_t index = 0;          // among the manifest's shards, from 0 (the merge order)
    std::size_t line = 0;           // the manifest line, from 1
    std::vector<std::string> paths; // in column order; relative ones resolved against the manifest
    std::uint64_t input_bytes = 0;  // the files' sizes (0 for one that cannot be found): progress
                                    // and largest-first scheduling
};

// A shard that could not be read, scored or merged.
struct shard_failure {
    std::size_t shard = 0;
    std::string error;
    int rank = 0; // the MPI rank that tried it (0 in one process)
};

namespace detail {

// The fields of one manifest line (without its '\n'); `where` names the manifest and the line
// ("shards.txt: line 3") for errors. Fields are separated by blanks (space, tab, \r, \v, \f). A
// field that starts with `"` is quoted: it runs to the next unescaped `"`, which must be
// followed by a blank or the end of the line, and inside it `\"` is a quote and `\\` a
// backslash (any other backslash is an error); so any path can be written, with blanks, quotes
// or `#`. A field that does not start with `"` is taken as it is (backslashes and quotes after
// its first character included), as manifests always were. No fields: a blank line or a
// comment (first non-blank character `#`). Throws invalid_argument_error naming the line and
// the column (bytes from 1) for an unterminated quote, a bad escape, text right after a
// closing quote or an empty quoted path.
inline std::vector<std::string> manifest_fields(std::string_view line, const std::string& where) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
    const auto fail = [&](std::size_t at, const std::string& what) {
        throw invalid_argument_error(where + ", column " + std::to_string(at + 1) + ": " + what);
    };
    std::vector<std::string> fields;
    std::size_t i = 0;
    while (true) {
        while (i < line.size() && blank(line[i])) {
            ++i;
        }
        if (i == line.size() || (fields.empty() && line[i] == '#')) {
            return fields;
        }
        const std::size_t start = i;
        if (line[i] != '"') {
            while (i < line.size() && !blank(line[i])) {
                ++i;
            }
            fields.emplace_back(line.substr(start, i - start));
            continue;
        }
        std::string field;
        for (++i;; ++i) {
            if (i == line.size()) {
                fail(i, "unterminated quote: the path opened with \" at column " + std::to_string(start + 1) +
                            " has no closing \"");
            }
            if (line[i] == '"') {
                break;
            }
            if (line[i] == '\\') {
                if (i + 1 == line.size() || (line[i + 1] != '"' && line[i + 1] != '\\')) {
                    fail(i, std::string("bad escape \\") +
                                (i + 1 == line.size() ? std::string() : std::string(1, line[i + 1])) +
                                " in a quoted path (only \\\" and \\\\ are escapes)");
                }
                ++i;
            }
            field += line[i];
        }
        ++i; // past the closing quote
        if (i < line.size() && !blank(line[i])) {
            fail(i, "a quoted path must be followed by a blank or the end of the line");
        }
        if (field.empty()) {
            fail(start, "an empty path (\"\")");
        }
        fields.push_back(std::move(field));
    }
}

} // namespace detail

// Reads the manifest `path` (`-`: stdin, paths then relative to the working directory): one
// shard per line that is neither blank nor a comment (first non-blank character `#`), its
// blank-separated paths in `columns` order. A path with blanks, quotes or a leading `#` is
// written in double quotes, with `\"` for a quote and `\\` for a backslash inside them
// ("my shards/l 0.npy"); unquoted paths are taken as they are (detail::manifest_fields). Throws
// invalid_argument_error naming the manifest and the line for a wrong number of columns or `-`
// as a shard path, the line and the column for a bad quoted path, and naming the manifest when
// it lists no shard; io_error when it cannot be read.
inline std::vector<manifest_shard> read_manifest(const std::string& path, const manifest_columns& columns) {
    const std::string text = read_whole_text(path);
    const std::string name = display_name(path, "stdin");
    const std::filesystem::path base =
        is_standard_stream(path) ? std::filesystem::path() : std::filesystem::path(path).parent_path();
    std::vector<manifest_shard> shards;
    std::size_t line_number = 0;
    for (std::size_t begin = 0; begin < text.size();) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) {
            end = text.size();
        }
        ++line_number;
        const std::vector<std::string> words =
            detail::manifest_fields(std::string_view(text).substr(begin, end - begin),
                                    name + ": line " + std::to_string(line_number));
        begin = end + 1;
        if (words.empty()) {
            continue;
        }
        const std::string where = name + ": line " + std::to_string(line_number) + ": ";
        if (words.size() < columns.required || words.size() > columns.names.size()) {
            std::string expected;
            for (std::size_t c = 0; c < columns.names.size(); ++c) {
                const bool optional = c >= columns.required;
                expected += std::string(c > 0 ? " " : "") + (optional ? "[" : "") + columns.names[c] +
                            (optional ? "]" : "");
            }
            throw invalid_argument_error(where +
                                         codelength::detail::count_noun(words.size(), "column", "columns") +
                                         "; expected " + expected);
        }
        if (!shards.empty() && words.size() != shards.front().paths.size()) {
            throw invalid_argument_error(
                where + codelength::detail::count_noun(words.size(), "column", "columns") + " but line " +
                std::to_string(shards.front().line) + " has " + std::to_string(shards.front().paths.size()) +
                ": every line names the optional " +
                columns.names[std::min(words.size(), shards.front().paths.size())] + " or none does");
        }
        manifest_shard shard;
        shard.index = shards.size();
        shard.line = line_number;
        for (const std::string& word : words) {
            if (is_standard_stream(word)) {
                throw invalid_argument_error(where + "`-` (stdin) cannot be a shard's file");
            }
            const std::filesystem::path file(word);
            shard.paths.push_back(file.is_relative() && !base.empty() ? (base / file).string() : word);
            shard.input_bytes += input_file_bytes(shard.paths.back());
        }
        shards.push_back(std::move(shard));
    }
    if (shards.empty()) {
        throw invalid_argument_error(name +
                                     ": the manifest lists no shards (every line is blank or a # comment)");
    }
    return shards;
}

// The shard's paths as JSON members named by the columns ("logits": ..., "targets": ...).
inline json_object& add_shard_paths(json_object& object, const manifest_shard& shard,
                                    const manifest_columns& columns) {
    for (std::size_t c = 0; c < shard.paths.size(); ++c) {
        object.add_name(columns.names[c], shard.paths[c]);
    }
    return object;
}

// The JSON array of failed shards: {"shard", "line", "rank", <paths>, "error"} each.
inline std::string failed_shards_json(std::span<const shard_failure> failures,
                                      std::span<const manifest_shard> shards,
                                      const manifest_columns& columns) {
    std::string array = "[";
    for (const shard_failure& failure : failures) {
        const manifest_shard& shard = shards[failure.shard];
        json_object object;
        object.add("shard", static_cast<std::int64_t>(shard.index))
            .add("line", static_cast<std::int64_t>(shard.line))
            .add("rank", static_cast<std::int64_t>(failure.rank));
        add_shard_paths(object, shard, columns).add_name("error", failure.error);
        array += (array.size() > 1 ? ", " : "") + object.str();
    }
    return array + "]";
}

// Prints each failure on stderr: "codelength COMMAND: shard I (MANIFEST line L, rank R): ERROR".
inline void report_failures(const char* command, const std::string& manifest_path,
                            std::span<const shard_failure> failures, std::span<const manifest_shard> shards) {
    for (const shard_failure& failure : failures) {
        std::fprintf(stderr, "codelength %s: shard %zu (%s line %zu, rank %d) failed: %s\n", command,
                     failure.shard, display_name(manifest_path, "stdin").c_str(), shards[failure.shard].line,
                     failure.rank, failure.error.c_str());
    }
}

// A shard's progress on a bar over the whole manifest: the note says shards and bytes done.
struct manifest_progress {
    progress_bar* bar = nullptr;
    std::uint64_t done_bytes = 0;  // of the shards before this one
    std::uint64_t total_bytes = 0; // of every shard
};

namespace detail {

// Runs `work` and turns any exception into the error text of the shard.
template <class Work>
std::optional<std::string> shard_error_of(Work&& work) {
    try {
        std::forward<Work>(work)();
        return std::nullopt;
    } catch (const std::bad_alloc&) {
        return std::string("out of memory");
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

inline void note_shards(const manifest_progress& progress, std::size_t done, std::size_t total) {
    if (progress.bar != nullptr) {
        progress.bar->note(std::to_string(done) + "/" + std::to_string(total) + " shards, " +
                           mebibytes_done(progress.done_bytes, progress.total_bytes));
        progress.bar->update(progress.done_bytes, progress.total_bytes);
    }
}

} // namespace detail

// Runs work(shard, progress) -> result on each of `shards` in order (one rank's share, or all)
// under one progress line labelled `label` (shards and bytes done; `mode` as --progress says);
// returns the results in the same order.
template <class Work>
auto run_shards(std::span<const manifest_shard> shards, const std::string& label, const char* phase,
                progress_mode mode, Work&& work) {
    using result_type = std::invoke_result_t<Work&, const manifest_shard&, const manifest_progress&>;
    manifest_progress progress;
    for (const manifest_shard& shard : shards) {
        progress.total_bytes += shard.input_bytes;
    }
    progress_bar bar(label, progress.total_bytes, mode);
    bar.phase(phase);
    progress.bar = &bar;
    std::vector<result_type> results;
    results.reserve(shards.size());
    for (const manifest_shard& shard : shards) {
        detail::note_shards(progress, results.size(), shards.size());
        results.push_back(work(shard, std::as_const(progress)));
        progress.done_bytes += shard.input_bytes;
    }
    detail::note_shards(progress, results.size(), shards.size());
    bar.finish();
    return results;
}

// ---- score --manifest ----

// One shard scored (score_files): its ledger (with bytes when the shard has token bytes) and
// the Min-K% and Min-K%++ inputs of its scored tokens, or the error that stopped it.
struct score_shard_result {
    std::size_t shard = 0;
    int rank = 0;
    std::optional<std::string> error;
    std::int64_t vocabulary_size = 0;
    std::string dtype;
    bool has_token_bytes = false;
    // ledger, log_probabilities_nats and z_scores in row order (rows, surprisal_bits and
    // entropies_bits are dropped: the totals are in the ledger).
    score_result result;
};

// Scores one shard as `score --logits --targets [--bytes]` would (memory-mapped); errors
// (unreadable file, bad .npy, shape mismatch, bad row) are returned, not thrown.
inline score_shard_result score_shard(const manifest_shard& shard, score_options options,
                                      bool log_probabilities, const manifest_progress& progress = {}) {
    score_shard_result out;
    out.shard = shard.index;
    options.keep_per_token = true; // Min-K% and Min-K%++ of the merged result
    out.error = detail::shard_error_of([&] {
        const std::optional<std::string> bytes_path =
            shard.paths.size() > 2 ? std::optional<std::string>(shard.paths[2]) : std::nullopt;
        detail::scored_files scored =
            detail::score_files(shard.paths[0], shard.paths[1], bytes_path, options, log_probabilities,
                                progress.bar, progress.done_bytes, progress.total_bytes);
        out.vocabulary_size = scored.in.logits.shape().back();
        out.dtype = logits_dtype_name(scored.in.logits);
        out.has_token_bytes = scored.in.token_bytes.has_value();
        out.result = std::move(scored.result);
        out.result.rows = {};
        out.result.surprisal_bits = {};
        out.result.entropies_bits = {};
    });
    return out;
}

// The shards' results merged in shard order.
struct merged_score_shards {
    score_result result;              // exact ledger; Min-K% inputs of every finished shard, in order
    std::int64_t vocabulary_size = 0; // of the first finished shard (0 when none finished)
    std::string dtype;                // their dtype, "mixed" when they differ
    bool has_token_bytes = false;
    std::vector<shard_failure> failures; // in shard order
};

namespace detail {

// Calls merge(result, is_first) for each finished shard of `results` in shard order (so the
// merge never depends on the order the shards finished in); returns the failures in shard
// order: the shards' own errors, and a vocabulary that differs from the first finished shard's.
template <class Result, class Merge>
std::vector<shard_failure> merge_in_shard_order(std::span<const Result> results, Merge&& merge) {
    std::vector<const Result*> ordered;
    for (const Result& r : results) {
        ordered.push_back(&r);
    }
    std::sort(ordered.begin(), ordered.end(),
              [](const Result* a, const Result* b) { return a->shard < b->shard; });
    std::vector<shard_failure> failures;
    std::optional<std::size_t> first;
    std::int64_t first_vocabulary_size = 0;
    for (const Result* r : ordered) {
        if (r->error) {
            failures.push_back({r->shard, *r->error, r->rank});
        } else if (first && r->vocabulary_size != first_vocabulary_size) {
            failures.push_back({r->shard,
                                "vocabulary size " + std::to_string(r->vocabulary_size) +
                                    " differs from shard " + std::to_string(*first) + "'s " +
                                    std::to_string(first_vocabulary_size),
                                r->rank});
        } else {
            if (!first) {
                first = r->shard;
                first_vocabulary_size = r->vocabulary_size;
            }
            merge(*r, r->shard == *first);
        }
    }
    return failures;
}

} // namespace detail

// Merges `results` (one per shard, in any order: they are merged in shard order). A finished
// shard whose vocabulary differs from the first finished shard's is a failure too.
inline merged_score_shards merge_score_shards(std::span<const score_shard_result> results) {
    merged_score_shards merged;
    merged.result.has_per_token = true;
    merged.failures = detail::merge_in_shard_order(results, [&](const score_shard_result& r, bool is_first) {
        if (is_first) {
            merged.vocabulary_size = r.vocabulary_size;
            merged.dtype = r.dtype;
            merged.has_token_bytes = r.has_token_bytes;
        } else if (merged.dtype != r.dtype) {
            merged.dtype = "mixed";
        }
        merged.result.ledger += r.result.ledger;
        auto& logp = merged.result.log_probabilities_nats;
        logp.insert(logp.end(), r.result.log_probabilities_nats.begin(),
                    r.result.log_probabilities_nats.end());
        auto& z = merged.result.z_scores;
        z.insert(z.end(), r.result.z_scores.begin(), r.result.z_scores.end());
    });
    return merged;
}

// What a `score --manifest` report shows besides the totals.
struct score_manifest_settings {
    double k_percent = 20.0;
    int ranks = 1;
    bool json = false;
    bool per_shard = false;
    std::optional<double> seconds; // --timing
};

// The report: with settings.json the members of `score --json` (bytes and bits_per_byte when the
// shards have token bytes), then shards, ranks, failed_shards and, with per_shard, per_shard
// (one object per shard); otherwise the table of `score`, then those as lines.
inline std::string score_manifest_report(const merged_score_shards& merged,
                                         std::span<const score_shard_result> results,
                                         std::span<const manifest_shard> shards,
                                         const score_manifest_settings& settings) {
    const manifest_columns columns = score_manifest_columns();
    const code_length_ledger& ledger = merged.result.ledger;
    std::vector<const score_shard_result*> by_shard(shards.size(), nullptr);
    for (const score_shard_result& r : results) {
        by_shard[r.shard] = &r;
    }
    const auto shard_object = [&](const manifest_shard& shard) {
        json_object object;
        object.add("shard", static_cast<std::int64_t>(shard.index));
        add_shard_paths(object, shard, columns);
        const score_shard_result* r = by_shard[shard.index];
        const auto failure = std::find_if(merged.failures.begin(), merged.failures.end(),
                                          [&](const shard_failure& f) { return f.shard == shard.index; });
        if (r == nullptr || failure != merged.failures.end()) {
            return object.add_name("error", failure != merged.failures.end() ? failure->error : "not scored");
        }
        const code_length_ledger& l = r->result.ledger;
        object.add("rank", static_cast<std::int64_t>(r->rank))
            .add("tokens", l.tokens())
            .add("ignored_tokens", l.ignored_tokens())
            .add("infinite_tokens", l.infinite_tokens())
            .add("total_bits", l.total_bits())
            .add("bits_per_token", l.bits_per_token());
        if (r->has_token_bytes) {
            object.add("bytes", l.bytes()).add("bits_per_byte", l.bits_per_byte());
        }
        return object;
    };
    std::string text;
    if (settings.json) {
        json_object report;
        add_score_members(report, merged.result, merged.vocabulary_size, merged.dtype, settings.k_percent);
        if (merged.has_token_bytes) {
            report.add("bytes", ledger.bytes()).add("bits_per_byte", ledger.bits_per_byte());
        }
        if (settings.seconds) {
            report.add("seconds", *settings.seconds);
        }
        report.add("shards", static_cast<std::int64_t>(shards.size()))
            .add("ranks", static_cast<std::int64_t>(settings.ranks));
        std::string object = detail::with_raw_member(report.str(), "failed_shards",
                                                     failed_shards_json(merged.failures, shards, columns));
        if (settings.per_shard) {
            std::string array = "[";
            for (const manifest_shard& shard : shards) {
                array += (array.size() > 1 ? ",\n  " : "\n  ") + shard_object(shard).str();
            }
            object = detail::with_raw_member(std::move(object), "per_shard", array + "\n]");
        }
        return object + "\n";
    }
    char* buffer = nullptr;
    std::size_t size = 0;
    std::FILE* memory = ::open_memstream(&buffer, &size);
    if (memory == nullptr) {
        throw std::bad_alloc();
    }
    print_score_rows(merged.result, settings.k_percent, memory);
    std::fclose(memory);
    text.assign(buffer, size);
    std::free(buffer);
    if (merged.has_token_bytes) {
        append_format(text, "%-24s %lld\n", "bytes", static_cast<long long>(ledger.bytes()));
        append_format(text, "%-24s %s\n", "bits_per_byte",
                      detail::format_optional(ledger.bits_per_byte()).c_str());
    }
    if (settings.seconds) {
        append_format(text, "%-24s %.3f\n", "seconds", *settings.seconds);
    }
    append_format(text, "%-24s %zu\n", "shards", shards.size());
    append_format(text, "%-24s %d\n", "ranks", settings.ranks);
    append_format(text, "%-24s %zu\n", "failed_shards", merged.failures.size());
    if (settings.per_shard) {
        append_format(text, "\n%6s %5s %12s %18s %14s %14s  %s\n", "shard", "rank", "tokens", "total_bits",
                      "bits/token", "bits/byte", "logits");
        for (const manifest_shard& shard : shards) {
            const score_shard_result* r = by_shard[shard.index];
            const auto failure = std::find_if(merged.failures.begin(), merged.failures.end(),
                                              [&](const shard_failure& f) { return f.shard == shard.index; });
            if (r == nullptr || failure != merged.failures.end()) {
                append_format(text, "%6zu %s: %s\n", shard.index, "failed",
                              failure != merged.failures.end() ? failure->error.c_str() : "not scored");
                continue;
            }
            const code_length_ledger& l = r->result.ledger;
            append_format(text, "%6zu %5d %12lld %18s %14s %14s  %s\n", shard.index, r->rank,
                          static_cast<long long>(l.tokens()),
                          json_object::format_double(l.total_bits()).c_str(),
                          detail::format_optional(l.bits_per_token()).c_str(),
                          r->has_token_bytes ? detail::format_optional(l.bits_per_byte()).c_str() : "-",
                          shard.paths[0].c_str());
        }
    }
    return text;
}

namespace detail {

// Writes the report to -o FILE when every shard finished, else (or without -o) to stdout.
inline void deliver_report(const std::optional<output_target>& output, const std::string& text,
                           bool complete) {
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size());
    if (output && complete) {
        output->write(bytes);
        return;
    }
    if (output && !output->is_standard_output()) {
        std::fprintf(stderr,
                     "codelength: %s is not written because shards failed; the report follows on stdout\n",
                     output->path().c_str());
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

// The -o target of a manifest command, checked before any work (the manifest and its files are
// its inputs).
inline std::optional<output_target> manifest_output(const arguments& args,
                                                    std::span<const manifest_shard> shards) {
    const auto path = args.get("output");
    if (!path) {
        return std::nullopt;
    }
    std::vector<std::string> inputs{args.required("manifest")};
    for (const manifest_shard& shard : shards) {
        inputs.insert(inputs.end(), shard.paths.begin(), shard.paths.end());
    }
    return output_target::prepare(*path, args.has("force"), inputs);
}

inline void reject_single_inputs(const arguments& args, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        if (args.has(name)) {
            throw usage_error(std::string("--") + name +
                              " and --manifest exclude each other (the manifest names"
                              " the shards' files)");
        }
    }
}

} // namespace detail

// `score --manifest`, with the shards scored where `distribute` says:
//   distribute(shards, label, mode, work) -> std::optional<std::vector<score_shard_result>>
// runs work(shard, progress) on the shards this process owns and returns every shard's result
// on the process that reports (one process: all of them, here), std::nullopt on the others,
// which then return 0. `ranks` is the number of processes, for the report.
template <class Distribute>
int run_score_manifest_with(const arguments& args, int ranks, Distribute&& distribute) {
    detail::reject_single_inputs(args, {"logits", "targets", "bytes", "per-token"});
    score_manifest_settings settings;
    settings.k_percent = args.number("k", 20.0, 0.0, 100.0);
    settings.json = args.has("json");
    settings.per_shard = args.has("per-shard");
    score_options options;
    options.threads = static_cast<unsigned>(args.integer("threads", 1, 0, 1024));
    const progress_mode mode = progress_mode_of(args);

    const std::string manifest_path = args.required("manifest");
    const std::vector<manifest_shard> shards = read_manifest(manifest_path, score_manifest_columns());
    const std::optional<output_target> output = detail::manifest_output(args, shards);

    settings.ranks = ranks;
    const auto started = std::chrono::steady_clock::now();
    const std::optional<std::vector<score_shard_result>> gathered =
        distribute(std::span<const manifest_shard>(shards), display_name(manifest_path, "stdin"), mode,
                   [&](const manifest_shard& shard, const manifest_progress& progress) {
                       return score_shard(shard, options, args.has("logprobs"), progress);
                   });
    if (!gathered) {
        return 0;
    }
    const std::vector<score_shard_result>& results = *gathered;
    const merged_score_shards merged = merge_score_shards(results);
    if (args.has("timing")) {
        settings.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    report_failures("score", manifest_path, merged.failures, shards);
    detail::deliver_report(output, score_manifest_report(merged, results, shards, settings),
                           merged.failures.empty());
    return merged.failures.empty() ? 0 : exit_status_failed_shards;
}

inline int run_score_manifest(const arguments& args) {
    return run_score_manifest_with(
        args, 1,
        [](std::span<const manifest_shard> shards, const std::string& label, progress_mode mode,
           auto&& work) { return std::optional(run_shards(shards, label, "score", mode, work)); });
}

// ---- memorization --manifest ----

// One shard measured (measure_memorization_files): its records numbered within the shard, and
// what the merge shifts the next shards' numbers by; or the error that stopped it.
struct memorization_shard_result {
    std::size_t shard = 0;
    int rank = 0;
    std::optional<std::string> error;
    std::vector<memorization_record> records;
    std::int64_t targets = 0;    // the shard's target positions (token_begin of the next shard)
    std::int64_t text_bytes = 0; // its TEXT's size (byte_begin of the next shard)
    std::int64_t vocabulary_size = 0;
    std::optional<double> prompt_bits;
};

// Measures one shard as `memorization` with the shard's files would; errors are returned.
inline memorization_shard_result measure_memorization_shard(const manifest_shard& shard,
                                                            const memorization_options& options,
                                                            unsigned threads) {
    memorization_shard_result out;
    out.shard = shard.index;
    out.error = detail::shard_error_of([&] {
        memorization_paths paths{shard.paths[0], shard.paths[1], shard.paths[2],
                                 shard.paths[3], shard.paths[4], {}};
        if (shard.paths.size() > 5) {
            paths.reference_logits = shard.paths[5];
        }
        corpus_memorization_inputs in = measure_memorization_files(paths, options, threads);
        out.records = std::move(in.records);
        out.targets = static_cast<std::int64_t>(in.token_bytes.size());
        out.text_bytes = static_cast<std::int64_t>(in.text.size());
        out.vocabulary_size = in.vocabulary_size;
        out.prompt_bits = in.options.prompt_bits;
    });
    return out;
}

// The shards' records merged in shard order, numbered as one run over the concatenation.
struct merged_memorization_shards {
    std::vector<memorization_record> records;
    std::int64_t vocabulary_size = 0;
    std::optional<double> prompt_bits;
    std::vector<shard_failure> failures;
};

// Merges `results` in shard order: document, token_begin and byte_begin of each record are
// shifted by the documents, targets and text bytes of the finished shards before it. A
// finished shard whose vocabulary differs from the first finished shard's fails.
inline merged_memorization_shards
merge_memorization_shards(std::span<const memorization_shard_result> results) {
    merged_memorization_shards merged;
    std::int64_t documents = 0;
    std::int64_t targets = 0;
    std::int64_t bytes = 0;
    merged.failures =
        detail::merge_in_shard_order(results, [&](const memorization_shard_result& r, bool is_first) {
            if (is_first) {
                merged.vocabulary_size = r.vocabulary_size;
                merged.prompt_bits = r.prompt_bits;
            }
            for (memorization_record record : r.records) {
                record.document += documents;
                record.token_begin += targets;
                record.byte_begin += bytes;
                merged.records.push_back(std::move(record));
            }
            documents += static_cast<std::int64_t>(r.records.size());
            targets += r.targets;
            bytes += r.text_bytes;
        });
    return merged;
}

// The JSON members `memorization --manifest` adds: shards, ranks, failed_shards (raw JSON).
inline std::vector<std::pair<std::string, std::string>>
memorization_manifest_members(const merged_memorization_shards& merged,
                              std::span<const manifest_shard> shards, int ranks) {
    return {{"shards", std::to_string(shards.size())},
            {"ranks", std::to_string(ranks)},
            {"failed_shards", failed_shards_json(merged.failures, shards, memorization_manifest_columns())}};
}

// `memorization --manifest`, with the shards measured where `distribute` says (as
// run_score_manifest_with).
template <class Distribute>
int run_memorization_manifest_with(const arguments& args, int ranks, Distribute&& distribute) {
    detail::reject_single_inputs(
        args, {"logits", "targets", "token-bytes", "doc-offsets", "text", "reference-logits"});
    const memorization_options options = memorization_options_from(args);
    const bootstrap_options bootstrap = memorization_bootstrap_from(args);
    const auto threads = static_cast<unsigned>(args.integer("threads", 1, 0, 1024));
    const progress_mode mode = progress_mode_of(args);

    const std::string manifest_path = args.required("manifest");
    const std::vector<manifest_shard> shards = read_manifest(manifest_path, memorization_manifest_columns());
    const std::optional<output_target> output = detail::manifest_output(args, shards);

    const std::optional<std::vector<memorization_shard_result>> results =
        distribute(std::span<const manifest_shard>(shards), display_name(manifest_path, "stdin"), mode,
                   [&](const manifest_shard& shard, const manifest_progress&) {
                       return measure_memorization_shard(shard, options, threads);
                   });
    if (!results) {
        return 0;
    }
    const merged_memorization_shards merged = merge_memorization_shards(*results);
    report_failures("memorization", manifest_path, merged.failures, shards);
    const std::string text =
        memorization_text(args, options, bootstrap, merged.records, merged.vocabulary_size,
                          merged.prompt_bits, memorization_manifest_members(merged, shards, ranks));
    detail::deliver_report(output, text, merged.failures.empty());
    return merged.failures.empty() ? 0 : exit_status_failed_shards;
}

inline int run_memorization_manifest(const arguments& args) {
    return run_memorization_manifest_with(
        args, 1,
        [](std::span<const manifest_shard> shards, const std::string& label, progress_mode mode,
           auto&& work) { return std::optional(run_shards(shards, label, "measure", mode, work)); });
}

} // namespace codelength::cli

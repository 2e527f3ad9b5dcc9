// `codelength lm-score`, `lm-compress` and `lm-decompress`: the plugin codelength-lm.so (see
// lm_commands.hpp), the only translation unit of the tool that includes LibTorch (and loads the
// SentencePiece plugin, when found). Its one exported symbol is codelength_lm_run.
#include "lm_commands.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <torch/version.h>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/adapters/torch.hpp"
#include "codelength/codelength.hpp"
#include "codelength/coding/fingerprint.hpp"
#include "codelength/coding/sequence_coder.hpp"
#include "codelength/core/tokenizer.hpp"
#include "codelength/metrics/tokenized_document.hpp"
#include "codelength/models/byte_tokenizer.hpp"
#include "json_writer.hpp"
#include "output_file.hpp"
#include "score_command.hpp"

namespace codelength::cli {

namespace {

constexpr const char* lm_score_usage =
    "usage: codelength lm-score --model M.pt --text FILE [--tokenizer T.model] [options]\n"
    "\n"
    "Scores every token of FILE under a TorchScript language model (torch.jit.save of a module\n"
    "whose forward maps int64 ids (B, T) to logits (B, T, V), row t predicting token t + 1),\n"
    "teacher-forced: the first token is predicted from --bos (default: the tokenizer's BOS id, 0\n"
    "for bytes), so `tokens` is the text's token count. Without --tokenizer the tokens are the\n"
    "text's bytes (V must be at least 256). With --context N the text is scored in rolling windows\n"
    "of at most N inputs advancing by --stride S (default N): every token is scored once, with at\n"
    "least N - S tokens of context after the first window. Prints the keys of `codelength score`\n"
    "plus bytes, bits_per_byte, words, byte_perplexity and word_perplexity (the original text's\n"
    "bytes and whitespace-separated words, whatever the tokenizer), context, stride, windows,\n"
    "forward_calls and tokenizer (\"bytes\" or the tokenizer's file name). FILE may be `-` for stdin.\n"
    "\n";

constexpr const char* lm_compress_usage =
    "usage: codelength lm-compress --model M.pt [--tokenizer T.model] [options] IN OUT\n"
    "\n"
    "Compresses IN with a TorchScript language model driving a range coder: each token's\n"
    "next-token logits (the module's initial_state/step when it has them, else forward over the\n"
    "last --context inputs) are quantized and coded. OUT is a checked codelength stream whose\n"
    "fingerprint covers the model's weights, V, --bos, --context and the incremental mode, and the\n"
    "tokenizer; `codelength lm-decompress` with the same model, tokenizer and options restores IN.\n"
    "A text the tokenizer cannot reproduce exactly (decode(encode(IN)) != IN, e.g. a SentencePiece\n"
    "model with a normalizer) is refused. OUT is first decoded again with a freshly loaded model\n"
    "(--no-verify skips this) and written only when that restores IN; it is written to a temporary\n"
    "file beside it and renamed into place, and an existing OUT is kept unless --force is given.\n"
    "IN or OUT may be `-` for stdin or stdout. A one-line summary goes to stderr. A stream decodes\n"
    "only with the same LibTorch build, thread count and CPU kernels (adapters/torch.hpp).\n"
    "\n";

constexpr const char* lm_decompress_usage =
    "usage: codelength lm-decompress --model M.pt [--tokenizer T.model] [options] IN OUT\n"
    "\n"
    "Restores the file `codelength lm-compress` packed into IN, given the same model, tokenizer,\n"
    "--context, --bos and --incremental (the stream's fingerprint covers them all: anything else\n"
    "fails with a model mismatch before decoding). A damaged stream fails its checks; nothing is\n"
    "written unless every check passed (OUT is written to a temporary file and renamed into place;\n"
    "an existing OUT is kept unless --force is given). IN or OUT may be `-` for stdin or stdout.\n"
    "A one-line summary goes to stderr.\n"
    "\n";

// --model, --tokenizer, --bos and --context, shared by the three commands.
arguments& add_lm_model_options(arguments& args) {
    return args.option("model", "FILE", "the TorchScript model (torch.jit.save), run on the CPU")
        .option("tokenizer", "FILE",
                "a SentencePiece model (spm_train's .model); default: the text's bytes are the tokens")
        .option("bos", "ID",
                "the input that predicts the first token (default: the tokenizer's BOS id; 0 for bytes)")
        .option("context", "N", "most inputs per forward call (default 0: unbounded)");
}

// --incremental, shared by lm-compress and lm-decompress.
arguments& add_incremental_option(arguments& args) {
    return args.option("incremental", "MODE",
                       "how coding gets next-token logits: automatic (default: state when the model has"
                       " it), state (initial_state/step) or window (forward over the last --context inputs)");
}

torch_incremental_mode parse_incremental(const arguments& args) {
    const std::string mode = args.get("incremental").value_or("automatic");
    if (mode == "automatic") {
        return torch_incremental_mode::automatic;
    }
    if (mode == "state") {
        return torch_incremental_mode::state;
    }
    if (mode == "window") {
        return torch_incremental_mode::window;
    }
    throw usage_error("--incremental must be automatic, state or window, got '" + mode + "'");
}

// The bytes of a file name or path, for messages and "tokenizer" in JSON.
std::string file_name_of(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

#if CODELENGTH_CLI_WITH_SENTENCEPIECE
// The SentencePiece plugin (sentencepiece_bridge.cpp: why it is not linked), found where
// open_plugin looks (lm_commands.hpp: beside the program, then the install's plugin directory),
// loaded with its own symbols first.
class sentencepiece_plugin {
public:
    static const sentencepiece_plugin& get() {
        static const sentencepiece_plugin plugin;
        return plugin;
    }
    void* (*open)(const char*, char*, std::size_t) = nullptr;
    void (*close)(void*) = nullptr;
    void (*describe)(void*, std::int64_t*, std::int64_t*, std::uint64_t*) = nullptr;
    int (*encode)(void*, const char*, std::size_t, std::vector<std::int64_t>*, std::vector<std::int64_t>*,
                  char*, std::size_t) = nullptr;
    int (*decode)(void*, const std::int64_t*, std::size_t, std::string*, char*, std::size_t) = nullptr;

private:
    sentencepiece_plugin() {
        const char* const name = "codelength-sentencepiece.so";
        std::string reasons;
        m_handle = open_plugin(name, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND, reasons);
        if (m_handle == nullptr) {
            throw error(std::string("--tokenizer: cannot load the SentencePiece plugin ") + name + reasons);
        }
        bind(open, "codelength_spm_open");
        bind(close, "codelength_spm_close");
        bind(describe, "codelength_spm_describe");
        bind(encode, "codelength_spm_encode");
        bind(decode, "codelength_spm_decode");
    }
    template <class Function>
    void bind(Function& function, const char* symbol) {
        void* const address = ::dlsym(m_handle, symbol);
        if (address == nullptr) {
            throw error(std::string("--tokenizer: the SentencePiece plugin lacks ") + symbol);
        }
        function = reinterpret_cast<Function>(address);
    }
    void* m_handle = nullptr; // never closed: the process ends with the command
};
#endif

// The text's tokenizer: the byte tokenizer, or a SentencePiece model (--tokenizer).
class lm_tokenizer {
public:
    explicit lm_tokenizer(const std::optional<std::string>& path) {
        if (!path) {
            return;
        }
#if CODELENGTH_CLI_WITH_SENTENCEPIECE
        m_name = file_name_of(*path);
        const sentencepiece_plugin& plugin = sentencepiece_plugin::get();
        std::array<char, 1024> message{};
        void* const model = plugin.open(path->c_str(), message.data(), message.size());
        if (model == nullptr) {
            throw error(std::string("--tokenizer: ") + message.data());
        }
        m_sentencepiece = std::shared_ptr<void>(model, plugin.close);
        plugin.describe(model, &m_vocabulary_size, &m_bos_id, &m_fingerprint);
#else
        throw usage_error(
            "--tokenizer needs SentencePiece, and this codelength was built without it "
            "(install libsentencepiece-dev and configure again); byte models need no --tokenizer");
#endif
    }

    // "bytes" or the tokenizer's file name.
    [[nodiscard]] const std::string& name() const noexcept {
        return m_name;
    }
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept {
        return m_vocabulary_size;
    }
    [[nodiscard]] std::int64_t bos_id() const noexcept {
        return m_bos_id;
    }
    [[nodiscard]] std::uint64_t fingerprint() const noexcept {
        return m_fingerprint;
    }
    [[nodiscard]] tokenized_text encode(std::string_view text) const {
#if CODELENGTH_CLI_WITH_SENTENCEPIECE
        if (m_sentencepiece) {
            tokenized_text out;
            std::array<char, 1024> message{};
            if (sentencepiece_plugin::get().encode(m_sentencepiece.get(), text.data(), text.size(), &out.ids,
                                                   &out.token_bytes, message.data(), message.size()) != 0) {
                throw error(m_name + ": " + message.data());
            }
            return out;
        }
#endif
        return byte_tokenizer::encode(text);
    }
    [[nodiscard]] std::string decode(std::span<const std::int64_t> ids) const {
#if CODELENGTH_CLI_WITH_SENTENCEPIECE
        if (m_sentencepiece) {
            std::string out;
            std::array<char, 1024> message{};
            if (sentencepiece_plugin::get().decode(m_sentencepiece.get(), ids.data(), ids.size(), &out,
                                                   message.data(), message.size()) != 0) {
                throw error(m_name + ": " + message.data());
            }
            return out;
        }
#endif
        return byte_tokenizer::decode(ids);
    }

private:
    std::string m_name = "bytes";
    std::int64_t m_vocabulary_size = byte_tokenizer::vocabulary_size();
    std::int64_t m_bos_id = byte_tokenizer::bos_id();
    std::uint64_t m_fingerprint = byte_tokenizer::fingerprint();
#if CODELENGTH_CLI_WITH_SENTENCEPIECE
    std::shared_ptr<void> m_sentencepiece;
#endif
};

static_assert(tokenizer<lm_tokenizer>);

// The model options of --bos and --context (the tokenizer's BOS id by default).
torch_model_options model_options(const arguments& args, const lm_tokenizer& tok) {
    torch_model_options options;
    options.bos_token = args.integer("bos", tok.bos_id(), 0, std::int64_t{1} << 40);
    options.context_tokens = args.integer("context", 0, 0, std::int64_t{1} << 40);
    return options;
}

// Loads the model and checks that the tokenizer's ids fit its vocabulary.
torch_language_model load_model(const std::string& path, const torch_model_options& options,
                                const lm_tokenizer& tok) {
    torch_language_model model = torch_language_model::load(path, options);
    if (tok.vocabulary_size() > model.vocabulary_size()) {
        throw invalid_argument_error("tokenizer mismatch: " + tok.name() + " has " +
                                     std::to_string(tok.vocabulary_size()) + " ids, but " + path +
                                     " predicts only " + std::to_string(model.vocabulary_size()) +
                                     (tok.name() == "bytes" ? " (a byte model needs V >= 256; give the"
                                                              " model's --tokenizer)"
                                                            : ""));
    }
    return model;
}

// Reads the text and tokenizes it, checking the tokenizer's byte counts.
tokenized_text tokenize(const lm_tokenizer& tok, const std::string& text) {
    tokenized_text tokenized = tok.encode(text);
    check_tokenized_text(tokenized, text, tok.vocabulary_size());
    return tokenized;
}

// The sequential categorical model the commands code with: the LibTorch model, with a
// fingerprint that also covers the tokenizer (a stream decoded with another tokenizer fails
// with the stream's model mismatch, like one decoded with another model).
class lm_coding_model {
public:
    lm_coding_model(torch_language_model& model, const lm_tokenizer& tok) : m_model(model) {
        fingerprint_hasher hasher(0x434c4c4d434c4901ULL); // "CLLMCLI" and this scheme's version
        hasher.update_u64(model.fingerprint());
        hasher.update_u64(tok.fingerprint());
        m_fingerprint = hasher.digest();
        if (m_fingerprint == 0) {
            m_fingerprint = 1; // 0 means "not fingerprinted" in the stream header
        }
    }
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return m_model.vocabulary_size(); }
    [[nodiscard]] std::span<const float> next_logits() { return m_model.next_logits(); }
    void update(std::int64_t token) { m_model.update(token); }
    [[nodiscard]] std::uint64_t fingerprint() const noexcept { return m_fingerprint; }

private:
    torch_language_model& m_model;
    std::uint64_t m_fingerprint = 0;
};

// The first byte where two texts differ (or the shorter length).
std::size_t first_difference(std::string_view a, std::string_view b) {
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) {
        ++i;
    }
    return i;
}

double seconds_since(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

// bits / bytes with 4 decimals, "n/a" for an empty text (the summary lines).
std::string per_byte(double bits, std::size_t bytes) {
    if (bytes == 0) {
        return "n/a";
    }
    std::array<char, 64> text{};
    std::snprintf(text.data(), text.size(), "%.4f", bits / static_cast<double>(bytes));
    return text.data();
}

// IN and OUT, exactly two positional arguments.
std::pair<std::string, std::string> input_output(const arguments& args) {
    const auto& words = args.positional();
    if (words.size() != 2) {
        throw usage_error("expected IN and OUT, got " +
                          codelength::detail::count_noun(words.size(), "argument", "arguments"));
    }
    return {words[0], words[1]};
}

// What lm-compress and lm-decompress share: the model, IN, OUT (checked before any work, see
// output_file.hpp), the tokenizer and the model's options (--bos, --context, --incremental).
struct lm_coding_command {
    explicit lm_coding_command(const arguments& args)
        : model_path(args.required("model")), paths(input_output(args)),
          output(output_target::prepare(paths.second, args.has("force"), inputs(args))),
          tok(args.get("tokenizer")), options(model_options(args, tok)) {
        options.incremental = parse_incremental(args);
    }
    // The command's inputs, which OUT may not be: IN, the model and the tokenizer.
    [[nodiscard]] std::vector<std::string> inputs(const arguments& args) const {
        std::vector<std::string> files{paths.first, model_path};
        if (const auto tokenizer_path = args.get("tokenizer")) {
            files.push_back(*tokenizer_path);
        }
        return files;
    }
    [[nodiscard]] std::string input_name() const { return display_name(paths.first, "stdin"); }

    std::string model_path;
    std::pair<std::string, std::string> paths; // IN, OUT
    output_target output;
    lm_tokenizer tok;
    torch_model_options options;
};

// Decodes `stream` with a model loaded from `model_path`; stream errors name the input and, for
// a model mismatch, what must match. Returns the tokens (every check passed).
std::vector<std::int64_t> decode_stream(std::span<const std::uint8_t> stream, const std::string& model_path,
                                        const torch_model_options& options, const lm_tokenizer& tok,
                                        const decoding_options& decoding, const std::string& input_name) {
    torch_language_model model = load_model(model_path, options, tok);
    lm_coding_model coding(model, tok);
    try {
        return decode_sequence(coding, stream, decoding);
    } catch (const stream_model_mismatch_error& e) {
        throw format_error(input_name + ": " + e.what() +
                           " (the stream was written with another model, tokenizer, --context, --bos or"
                           " --incremental)");
    } catch (const stream_error& e) {
        throw format_error(input_name + ": " + e.what());
    }
}

// `codelength --version` prints the LibTorch version CMake found (main.cpp does not load this
// plugin for it): the one these headers are.
static_assert(std::string_view(TORCH_VERSION) == CODELENGTH_CLI_TORCH_VERSION,
              "the LibTorch headers are not the version CMake found (CODELENGTH_CLI_TORCH_VERSION)");

int run_lm_score(int argc, char** argv, int first) {
    arguments args;
    add_lm_model_options(args)
        .option("text", "FILE", "the text to score (`-`: stdin)")
        .option("stride", "S", "the rolling windows' stride, in [1, N] (default N; needs --context N)")
        .option("batch-windows", "N", "windows stacked into one forward call (default 1)")
        .option("k", "PERCENT", "percentage for Min-K% and Min-K%++ (default 20)")
        .flag("json", "print one JSON object instead of the table");
    add_timing_flag(args).flag("help", "show this help", 'h');
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(lm_score_usage)) {
        return 0;
    }
    args.reject_positional();
    const std::string model_path = args.required("model");
    const std::string text_path = args.required("text");
    const double k_percent = args.number("k", 20.0, 0.0, 100.0);
    torch_scoring_options scoring;
    scoring.batch_windows = args.integer("batch-windows", 1, 1, 1 << 20);
    scoring.keep_per_token = true; // Min-K% and Min-K%++ need every token's values
    const lm_tokenizer tok(args.get("tokenizer"));
    const torch_model_options options = model_options(args, tok);
    if (args.has("stride")) {
        if (options.context_tokens == 0) {
            throw usage_error("--stride needs --context N (an unbounded context is one forward pass)");
        }
        scoring.stride_tokens = args.integer("stride", 0, 1, options.context_tokens);
    }

    const auto started = std::chrono::steady_clock::now();
    const std::string text = read_whole_text(text_path);
    const tokenized_text tokenized = tokenize(tok, text);
    torch_language_model model = load_model(model_path, options, tok);
    torch_score_result scored = model.score(tokenized.ids, scoring);
    code_length_ledger& ledger = scored.scores.ledger;
    add_tokenized_document(ledger, text, tokenized, model.vocabulary_size());
    const double seconds = seconds_since(started);

    if (args.has("json")) {
        json_object report;
        add_score_members(report, scored.scores, model.vocabulary_size(), scored.dtype, k_percent);
        report.add("bytes", ledger.bytes())
            .add("bits_per_byte", ledger.bits_per_byte())
            .add("words", ledger.words())
            .add("byte_perplexity", ledger.byte_perplexity())
            .add("word_perplexity", ledger.word_perplexity())
            .add("context", scored.context_tokens)
            .add("stride", scored.stride_tokens)
            .add("windows", scored.windows)
            .add("forward_calls", scored.forward_calls)
            .add_name("tokenizer", tok.name());
        if (args.has("timing")) {
            report.add("seconds", seconds);
        }
        std::printf("%s\n", report.str().c_str());
        return 0;
    }
    print_score_rows(scored.scores, k_percent);
    std::printf("%-24s %lld\n", "bytes", static_cast<long long>(ledger.bytes()));
    std::printf("%-24s %s\n", "bits_per_byte", detail::format_optional(ledger.bits_per_byte()).c_str());
    std::printf("%-24s %lld\n", "words", static_cast<long long>(ledger.words()));
    std::printf("%-24s %s\n", "byte_perplexity", detail::format_optional(ledger.byte_perplexity()).c_str());
    std::printf("%-24s %s\n", "word_perplexity", detail::format_optional(ledger.word_perplexity()).c_str());
    std::printf("%-24s %lld%s\n", "context", static_cast<long long>(scored.context_tokens),
                scored.context_tokens == 0 ? " (unbounded)" : "");
    std::printf("%-24s %lld\n", "stride", static_cast<long long>(scored.stride_tokens));
    std::printf("%-24s %lld\n", "windows", static_cast<long long>(scored.windows));
    std::printf("%-24s %lld\n", "forward_calls", static_cast<long long>(scored.forward_calls));
    std::printf("%-24s %s\n", "tokenizer", tok.name().c_str());
    if (args.has("timing")) {
        std::printf("%-24s %.3f\n", "seconds", seconds);
    }
    return 0;
}

int run_lm_compress(int argc, char** argv, int first) {
    arguments args;
    add_incremental_option(add_lm_model_options(args))
        .flag("no-verify", "skip decoding OUT again before writing it")
        .flag("force", "replace OUT if it exists", 'f')
        .flag("help", "show this help", 'h');
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(lm_compress_usage)) {
        return 0;
    }
    const lm_coding_command command(args);

    const auto started = std::chrono::steady_clock::now();
    const std::string input_name = command.input_name();
    const std::string text = read_whole_text(command.paths.first);
    const tokenized_text tokenized = tokenize(command.tok, text);
    if (!round_trips(command.tok, text, tokenized)) {
        const std::string back = command.tok.decode(tokenized.ids);
        throw invalid_argument_error(
            input_name + ": the tokenizer " + command.tok.name() +
            " cannot reproduce this text (its decoding differs from byte " +
            std::to_string(first_difference(text, back)) +
            " on: a normalizing tokenizer), so it cannot be compressed with it; use a SentencePiece"
            " model trained with --normalization_rule_name=identity --remove_extra_whitespaces=false"
            " --byte_fallback=true");
    }
    torch_language_model model = load_model(command.model_path, command.options, command.tok);
    lm_coding_model coding(model, command.tok);
    const encoded_stream encoded = encode_sequence(coding, tokenized.ids);
    const double encode_seconds = seconds_since(started);

    if (!args.has("no-verify")) {
        decoding_options decoding;
        decoding.limits.max_symbols = tokenized.ids.size();
        std::vector<std::int64_t> decoded;
        try {
            decoded = decode_stream(encoded.bytes, command.model_path, command.options, command.tok, decoding,
                                    "the new stream");
            check_round_trip(tokenized.ids, decoded);
            if (command.tok.decode(decoded) != text) {
                throw error("the decoded tokens do not spell the input");
            }
        } catch (const error& e) {
            throw error(input_name +
                        ": verification failed, nothing was written: decoding the new stream with a"
                        " freshly loaded model did not restore the input (" +
                        e.what() + "); the model's logits are not reproducible on this machine");
        }
    }
    command.output.write(encoded.bytes);
    std::fprintf(stderr,
                 "lm-compress %s: %zu bytes, %zu tokens -> %zu stream bytes, %s bits/byte (ideal %s); %.3f s"
                 " (encode %.3f s%s)\n",
                 input_name.c_str(), text.size(), tokenized.ids.size(), encoded.bytes.size(),
                 per_byte(8.0 * static_cast<double>(encoded.bytes.size()), text.size()).c_str(),
                 per_byte(encoded.ledger.ideal_bits, text.size()).c_str(), seconds_since(started),
                 encode_seconds, args.has("no-verify") ? ", not verified" : ", then verified");
    return 0;
}

int run_lm_decompress(int argc, char** argv, int first) {
    arguments args;
    add_incremental_option(add_lm_model_options(args))
        .option("max-symbols", "N", "refuse a stream of more than N tokens (default 268435456 = 2^28)")
        .flag("force", "replace OUT if it exists", 'f')
        .flag("help", "show this help", 'h');
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(lm_decompress_usage)) {
        return 0;
    }
    const lm_coding_command command(args);
    decoding_options decoding;
    decoding.limits.max_symbols = static_cast<std::uint64_t>(args.integer(
        "max-symbols", static_cast<std::int64_t>(decoding.limits.max_symbols), 0, std::int64_t{1} << 48));

    const auto started = std::chrono::steady_clock::now();
    const std::string input_name = command.input_name();
    const std::vector<std::uint8_t> stream = read_whole_input(command.paths.first);
    try {
        (void)parse_stream(stream); // a damaged stream fails here, before the model is loaded
    } catch (const stream_error& e) {
        throw format_error(input_name + ": " + e.what());
    }
    const std::vector<std::int64_t> ids =
        decode_stream(stream, command.model_path, command.options, command.tok, decoding, input_name);
    const std::string text = command.tok.decode(ids);
    command.output.write(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    std::fprintf(
        stderr, "lm-decompress %s: %zu stream bytes -> %zu tokens, %zu bytes, %s bits/byte; %.3f s\n",
        input_name.c_str(), stream.size(), ids.size(), text.size(),
        per_byte(8.0 * static_cast<double>(stream.size()), text.size()).c_str(), seconds_since(started));
    return 0;
}

} // namespace

} // namespace codelength::cli

extern "C" __attribute__((visibility("default"))) int codelength_lm_run(const char* command, int argc,
                                                                        char** argv, int first,
                                                                        codelength_lm_report_function report,
                                                                        void* context) {
    using namespace codelength::cli;
    try {
        const std::string_view name = command;
        if (name == "lm-score") {
            return run_lm_score(argc, argv, first);
        }
        if (name == "lm-compress") {
            return run_lm_compress(argc, argv, first);
        }
        if (name == "lm-decompress") {
            return run_lm_decompress(argc, argv, first);
        }
        report(context, ("the language-model plugin has no command '" + std::string(name) + "'").c_str());
        return 2;
    } catch (const usage_error& e) {
        report(context, e.what());
        return 2;
    } catch (const std::exception& e) {
        report(context, e.what());
        return 1;
    } catch (...) {
        report(context, "unknown error");
        return 1;
    }
}

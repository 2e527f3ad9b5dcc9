// The codelength command-line tool: one subcommand per job.
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "arguments.hpp"
#include "codelength/numerics/dispatch.hpp"
#include "codelength/version.hpp"
#include "compress_command.hpp"
#include "decode_command.hpp"
#include "encode_command.hpp"
#if CODELENGTH_CLI_WITH_TORCH
#include "lm_commands.hpp" // the plugin's interface only: this program does not link LibTorch
#endif
#include "manifest_command.hpp" // defines run_score_manifest and run_memorization_manifest
#include "mdl_command.hpp"
#include "measure_command.hpp"
#include "membership_command.hpp"
#include "memorization_command.hpp"
#include "ngram_command.hpp"
#include "report_command.hpp"
#include "score_command.hpp"

namespace {

constexpr const char* usage =
    "usage: codelength <command> [options]\n"
    "\n"
    "commands:\n"
    "  compress    compress a file with an adaptive byte model (context mixing by default)\n"
    "  decompress  restore a file `codelength compress` made\n"
    "  measure     code lengths of files under the model (ideal and real, round-trip verified)\n"
    "              next to gzip -9, xz -9, zstd -19 and brotli -q 11\n"
    "  score       code lengths of targets under precomputed logits (.npy): bits, perplexity,\n"
    "              entropy, Min-K%, Min-K%++\n"
    "  encode      code targets with a range coder driven by precomputed logits; write the stream\n"
    "              and report its bits (ideal, quantized, coder overhead, header)\n"
    "  decode      decode such a stream back into the targets (int64 .npy), given the same logits\n"
    "  memorization  per-document memorization evidence from logits + text (.npy): zlib ratios,\n"
    "              Min-K%, extractability, memorized spans, bootstrap summary\n"
    "  membership  dataset-level verdicts from per-document scores and member/nonmember/suspect\n"
    "              labels: AUROC, TPR at low FPR, calibrated thresholds, dataset-inference p-values\n"
    "  mdl         description lengths: online/prequential codes, two-part codes, break-even size,\n"
    "              adjusted compression rate (key,value input)\n"
    "  report      one self-contained HTML report from logits + text (.npy): per-token surprisal\n"
    "              heat maps, compression table, ROC curves with labels, online code curve\n"
    "  ngram       perplexity and bits/byte of a text under an ARPA n-gram model (SRILM/KenLM\n"
    "              convention: </s> counted, with and without OOVs)\n"
#if CODELENGTH_CLI_WITH_TORCH
    "  lm-score    bits, bits/byte and perplexities of a text under a TorchScript language model\n"
    "              (bytes or a SentencePiece tokenizer; rolling windows with --context/--stride)\n"
    "  lm-compress   compress a text with a TorchScript language model driving a range coder\n"
    "  lm-decompress restore a text `codelength lm-compress` made, with the same model\n"
#else
    "  lm-score, lm-compress, lm-decompress: not available (built without LibTorch)\n"
#endif
    "\n"
    "`codelength <command> --help` (or -h) describes a command; `codelength --version` prints the\n"
    "version.\n"
    "\n"
    "Conventions of every command: help shows what a value is (FILE, N, PERCENT, MIB, BYTES) and\n"
    "ranges as [low, high] (closed) or (low, high] (half-open). --json prints one JSON object in\n"
    "UTF-8; numbers are the shortest decimals that read back to the same double, infinite or\n"
    "undefined values are null. Text that is not valid UTF-8 (a file name) has each byte outside a\n"
    "well-formed UTF-8 sequence replaced by U+FFFD, and the exact bytes follow in a `<key>_hex`\n"
    "member (e.g. \"file_hex\": \"626164fffe2e747874\" for bad\\xff\\xfe.txt). Tables print the same\n"
    "shortest numbers, except the aligned columns of measure, memorization and membership (rounded).\n";

#if CODELENGTH_CLI_WITH_TORCH
// What the language-model plugin was built with, for --version: CMake's LibTorch version, which
// lm_commands.cpp checks against its headers, so --version need not load LibTorch. The plugin
// itself is only looked for (a file that is there may still fail to load: lm-score says why).
std::string lm_build_description() {
    std::string description = std::string("LibTorch ") + CODELENGTH_CLI_TORCH_VERSION;
#if CODELENGTH_CLI_WITH_SENTENCEPIECE
    description += ", SentencePiece";
#else
    description += ", without SentencePiece";
#endif
    std::string looked_in;
    for (const auto& candidate : codelength::cli::plugin_candidates(codelength::cli::lm_plugin_name)) {
        std::error_code failure;
        if (std::filesystem::is_regular_file(candidate, failure)) {
            return description;
        }
        looked_in += (looked_in.empty() ? "" : ", ") + candidate.string();
    }
    return description + "; but the plugin " + codelength::cli::lm_plugin_name + " is missing (looked for " +
           looked_in + ")";
}

// Runs an lm-* command in the plugin (lm_commands.hpp), loaded now; its errors come back as the
// exceptions main reports (a usage error, exit status 2, or any other, 1).
int run_lm_command(const std::string& command, int argc, char** argv) {
    std::string reasons;
    void* const plugin =
        codelength::cli::open_plugin(codelength::cli::lm_plugin_name, RTLD_NOW | RTLD_LOCAL, reasons);
    if (plugin == nullptr) {
        throw std::runtime_error(std::string("cannot load the language-model plugin ") +
                                 codelength::cli::lm_plugin_name + reasons);
    }
    // Never closed: the process ends with the command.
    const auto run =
        reinterpret_cast<codelength_lm_run_function>(::dlsym(plugin, codelength::cli::lm_plugin_entry));
    if (run == nullptr) {
        throw std::runtime_error(std::string("the language-model plugin ") + codelength::cli::lm_plugin_name +
                                 " lacks " + codelength::cli::lm_plugin_entry);
    }
    struct reported {
        bool any = false;
        std::string message;
    } outcome;
    const int status = run(
        command.c_str(), argc, argv, 2,
        [](void* context, const char* message) {
            auto& out = *static_cast<reported*>(context);
            try {
                out.message = message;
            } catch (...) { // out of memory: the message is lost, never throw into the plugin
            }
            out.any = true;
        },
        &outcome);
    if (outcome.any) {
        if (status == 2) {
            throw codelength::cli::usage_error(outcome.message);
        }
        throw std::runtime_error(outcome.message);
    }
    return status;
}
#endif

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
        std::fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    if (command == "--version") {
        std::printf("codelength %s\n", codelength::version_string);
        // The kernels' path (CODELENGTH_ISA chooses a narrower one) and what this machine runs.
        std::printf("kernels: %s (available:",
                    codelength::instruction_set_name(codelength::active_instruction_set()));
        for (const auto isa : codelength::all_instruction_sets) {
            if (codelength::instruction_set_available(isa)) {
                std::printf(" %s", codelength::instruction_set_name(isa));
            }
        }
        std::printf(")\n");
#if CODELENGTH_CLI_WITH_TORCH
        std::printf("language models: %s\n", lm_build_description().c_str());
#else
        std::printf("language models: built without LibTorch (no lm-score, lm-compress, lm-decompress)\n");
#endif
        return 0;
    }
    try {
        if (command == "compress") {
            return codelength::cli::run_compress(argc, argv, 2);
        }
        if (command == "decompress") {
            return codelength::cli::run_decompress(argc, argv, 2);
        }
        if (command == "measure") {
            return codelength::cli::run_measure(argc, argv, 2);
        }
        if (command == "score") {
            return codelength::cli::run_score(argc, argv, 2);
        }
        if (command == "encode") {
            return codelength::cli::run_encode(argc, argv, 2);
        }
        if (command == "decode") {
            return codelength::cli::run_decode(argc, argv, 2);
        }
        if (command == "memorization") {
            return codelength::cli::run_memorization(argc, argv, 2);
        }
        if (command == "membership") {
            return codelength::cli::run_membership(argc, argv, 2);
        }
        if (command == "mdl") {
            return codelength::cli::run_mdl(argc, argv, 2);
        }
        if (command == "report") {
            return codelength::cli::run_report(argc, argv, 2);
        }
        if (command == "ngram") {
            return codelength::cli::run_ngram(argc, argv, 2);
        }
#if CODELENGTH_CLI_WITH_TORCH
        if (command == "lm-score" || command == "lm-compress" || command == "lm-decompress") {
            return run_lm_command(command, argc, argv);
        }
#else
        if (command == "lm-score" || command == "lm-compress" || command == "lm-decompress") {
            std::fprintf(stderr,
                         "codelength: '%s' is not available: this codelength was built without LibTorch "
                         "(install libtorch-dev and configure again)\n",
                         command.c_str());
            return 2;
        }
#endif
        std::fprintf(stderr, "codelength: unknown command '%s'\n\n%s", command.c_str(), usage);
        return 2;
    } catch (const codelength::cli::usage_error& e) {
        std::fprintf(stderr, "codelength %s: %s (see codelength %s --help)\n", command.c_str(), e.what(),
                     command.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "codelength %s: %s\n", command.c_str(), e.what());
        return 1;
    }
}

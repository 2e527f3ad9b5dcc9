// The codelength command-line tool: one subcommand per job.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "arguments.hpp"
#include "codelength/numerics/dispatch.hpp"
#include "codelength/version.hpp"
#include "compress_command.hpp"
#include "decode_command.hpp"
#include "encode_command.hpp"
#if CODELENGTH_CLI_WITH_TORCH
#include "lm_commands.hpp"
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
        std::printf("language models: %s\n", codelength::cli::lm_build_description().c_str());
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
        if (command == "lm-score") {
            return codelength::cli::run_lm_score(argc, argv, 2);
        }
        if (command == "lm-compress") {
            return codelength::cli::run_lm_compress(argc, argv, 2);
        }
        if (command == "lm-decompress") {
            return codelength::cli::run_lm_decompress(argc, argv, 2);
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

// The SentencePiece tokenizer adapter: byte counts per token, round trips, errors, metrics.
// The models are trained here, on text generated here, into a temporary directory.
#include "codelength/adapters/sentencepiece.hpp"
#include "codelength/core/tokenizer.hpp"
#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/metrics/tokenized_document.hpp"
#include "codelength/metrics/word_count.hpp"
#include "codelength/models/byte_tokenizer.hpp"

#include <sentencepiece_trainer.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "support/catch.hpp"

namespace {

namespace fs = std::filesystem;
using codelength::sentencepiece_tokenizer;
using codelength::tokenized_text;

// A temporary directory removed at exit.
struct temporary_directory {
    fs::path path;
    explicit temporary_directory(const std::string& name)
        : path(fs::temp_directory_path() /
               ("codelength_spm_test_" + std::to_string(::getpid()) + "_" + name)) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temporary_directory() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    temporary_directory(const temporary_directory&) = delete;
    temporary_directory& operator=(const temporary_directory&) = delete;
};

// The training text: English-like lines (ASCII plus é, ö), never the test's CJK or emoji.
std::string training_text() {
    const char* words[] = {"the", "quick", "brown", "fox",  "jumps",  "over",  "lazy",
                           "dog", "héllo", "wörld", "code", "length", "model", "bits",
                           "per", "byte",  "token", "text", "a",      "of"};
    std::mt19937 rng(12345);
    std::uniform_int_distribution<std::size_t> pick(0, std::size(words) - 1);
    std::string text;
    for (int line = 0; line < 400; ++line) {
        for (int w = 0; w < 9; ++w) {
            text += words[pick(rng)];
            text += w == 8 ? "\n" : " ";
        }
    }
    return text;
}

// Trains a model with `options` (added to --input/--model_prefix) and returns its path.
fs::path train(const temporary_directory& dir, const std::string& name, const std::string& options) {
    const fs::path corpus = dir.path / "corpus.txt";
    if (!fs::exists(corpus)) {
        std::ofstream(corpus, std::ios::binary) << training_text();
    }
    const fs::path prefix = dir.path / name;
    const auto status = sentencepiece::SentencePieceTrainer::Train(
        "--input=" + corpus.string() + " --model_prefix=" + prefix.string() + " --minloglevel=2 " + options);
    REQUIRE(status.ok());
    return {prefix.string() + ".model"};
}

// The trained models, shared by the tests (training takes a fraction of a second each).
struct models {
    temporary_directory dir{"models"};
    // Default normalizer (nmt_nfkc, whitespace collapsed), unigram, byte fallback.
    fs::path nfkc = train(dir, "nfkc",
                          "--model_type=unigram --vocab_size=340 --hard_vocab_limit=false "
                          "--byte_fallback=true");
    // Lossless: identity normalizer, whitespace kept, BPE, byte fallback.
    fs::path identity = train(dir, "identity",
                              "--model_type=bpe --vocab_size=340 --byte_fallback=true "
                              "--normalization_rule_name=identity --remove_extra_whitespaces=false");
    // No byte fallback (unknown characters become <unk>) and no <s>.
    fs::path no_fallback = train(dir, "no_fallback",
                                 "--model_type=unigram --vocab_size=60 "
                                 "--hard_vocab_limit=false --bos_id=-1");
};

const models& trained() {
    static const models instance;
    return instance;
}

std::int64_t sum(const std::vector<std::int64_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::int64_t{0});
}

// Texts covering ASCII, multi-byte UTF-8, whitespace runs, newlines and characters the
// training text never had.
const std::vector<std::string> sample_texts = {
    "the quick brown fox",
    "héllo wörld, façade",
    "日本語のテキスト",
    "emoji 😀 and 🎉!",
    "  leading and trailing  ",
    "a   b\t\tc\n\nd\r\n",
    "\n",
    "x",
    "snowman ☃ and ʘ",
    "ＡＢＣ full width",
};

} // namespace

TEST_CASE("sentencepiece_tokenizer satisfies the tokenizer concept", "[sentencepiece]") {
    STATIC_REQUIRE(codelength::tokenizer<sentencepiece_tokenizer>);
    STATIC_REQUIRE(codelength::tokenizer<codelength::byte_tokenizer>);
}

TEST_CASE("token byte counts sum to the original text's size", "[sentencepiece]") {
    const auto& m = trained();
    for (const fs::path& path : {m.nfkc, m.identity, m.no_fallback}) {
        const sentencepiece_tokenizer spm(path);
        for (const std::string& text : sample_texts) {
            CAPTURE(path.filename().string(), text);
            const tokenized_text t = spm.encode(text);
            REQUIRE(t.ids.size() == t.token_bytes.size());
            if (t.ids.empty()) { // the default normalizer (not identity) drops whitespace-only text
                CHECK(path != m.identity);
                CHECK(text.find_first_not_of(" \t\r\n") == std::string::npos);
                continue;
            }
            CHECK(sum(t.token_bytes) == static_cast<std::int64_t>(text.size()));
            CHECK_NOTHROW(codelength::check_tokenized_text(t, text, spm.vocabulary_size()));
            for (const std::int64_t bytes : t.token_bytes) {
                CHECK(bytes >= 0);
            }
        }
    }
}

TEST_CASE("an empty text has no tokens; a whitespace-only text may have none", "[sentencepiece]") {
    const sentencepiece_tokenizer nfkc(trained().nfkc);
    const tokenized_text empty = nfkc.encode("");
    CHECK(empty.ids.empty());
    CHECK(empty.token_bytes.empty());
    CHECK(codelength::round_trips(nfkc, ""));
    // The default normalizer removes the whole text: no token can carry its bytes, and it
    // does not round-trip.
    const tokenized_text spaces = nfkc.encode("   ");
    CHECK(spaces.ids.empty());
    CHECK_FALSE(codelength::round_trips(nfkc, "   "));
    // The identity model keeps it.
    const sentencepiece_tokenizer identity(trained().identity);
    CHECK(sum(identity.encode("   ").token_bytes) == 3);
    CHECK(codelength::round_trips(identity, "   "));
}

TEST_CASE("the lossless model round-trips every valid UTF-8 text", "[sentencepiece]") {
    const sentencepiece_tokenizer spm(trained().identity);
    for (const std::string& text : sample_texts) {
        CAPTURE(text);
        const tokenized_text t = spm.encode(text);
        CHECK(spm.decode(t.ids) == text);
        CHECK(codelength::round_trips(spm, text, t));
    }
}

TEST_CASE("each token covers the bytes its piece spells (lossless model)", "[sentencepiece]") {
    const sentencepiece_tokenizer spm(trained().identity);
    const auto& sp = spm.processor();
    for (const std::string& text : sample_texts) {
        CAPTURE(text);
        const tokenized_text t = spm.encode(text);
        std::size_t offset = 0;
        for (std::size_t i = 0; i < t.ids.size(); ++i) {
            const int id = static_cast<int>(t.ids[i]);
            const std::string covered = text.substr(offset, static_cast<std::size_t>(t.token_bytes[i]));
            offset += covered.size();
            std::string spelled;
            if (sp.IsByte(id)) { // "<0xNN>" (decoded alone, a lone byte would become U+FFFD)
                spelled =
                    std::string(1, static_cast<char>(std::stoi(sp.IdToPiece(id).substr(3, 2), nullptr, 16)));
            } else {
                const std::string& piece = sp.IdToPiece(id);
                for (std::size_t k = 0; k < piece.size();) { // "▁" (E2 96 81) stands for a space
                    const bool marker = piece.compare(k, 3, "\xe2\x96\x81") == 0;
                    spelled += marker ? std::string(" ") : piece.substr(k, 1);
                    k += marker ? 3 : 1;
                }
                if (i == 0) { // the dummy prefix: a "▁" the normalizer put before the text
                    REQUIRE(spelled.front() == ' ');
                    spelled.erase(0, 1);
                }
            }
            CAPTURE(i, sp.IdToPiece(id));
            CHECK(covered == spelled);
        }
        CHECK(offset == text.size());
    }
}

TEST_CASE("byte-fallback pieces cover one byte each", "[sentencepiece]") {
    const sentencepiece_tokenizer spm(trained().identity);
    // U+2603 SNOWMAN (3 bytes) and U+1F600 (4 bytes) are not in the training text.
    for (const std::string text : {"☃", "😀", "a☃b😀c"}) {
        CAPTURE(text);
        const tokenized_text t = spm.encode(text);
        std::size_t byte_pieces = 0;
        for (std::size_t i = 0; i < t.ids.size(); ++i) {
            if (spm.processor().IsByte(static_cast<int>(t.ids[i]))) {
                ++byte_pieces;
                CHECK(t.token_bytes[i] == 1);
            }
        }
        CHECK(byte_pieces == (text.size() == 3 ? 3U : text.size() == 4 ? 4U : 7U));
        CHECK(sum(t.token_bytes) == static_cast<std::int64_t>(text.size()));
        CHECK(spm.decode(t.ids) == text);
    }
}

TEST_CASE("a byte-fallback character changed by normalization goes to its last byte piece",
          "[sentencepiece]") {
    // NFKC maps "Ａ" (EF BC A1, not in the vocabulary) to "A"; with "A" absent from the
    // training text it becomes the byte piece <0x41>, covering all 3 original bytes.
    const sentencepiece_tokenizer spm(trained().nfkc);
    const tokenized_text t = spm.encode("Ａ");
    REQUIRE_FALSE(t.ids.empty());
    CHECK(sum(t.token_bytes) == 3);
    CHECK(spm.processor().IdToPiece(static_cast<int>(t.ids.back())) == "<0x41>");
    CHECK(t.token_bytes.back() == 3);
    CHECK(spm.decode(t.ids) == "A");
}

TEST_CASE("the round-trip predicate is false where the default normalizer changes the text",
          "[sentencepiece]") {
    const sentencepiece_tokenizer spm(trained().nfkc);
    CHECK(codelength::round_trips(spm, "the quick brown fox"));
    CHECK_FALSE(codelength::round_trips(spm, "ＡＢＣ"));   // NFKC: full-width letters
    CHECK_FALSE(codelength::round_trips(spm, "the\nfox")); // newline -> space
    CHECK_FALSE(codelength::round_trips(spm, "the  fox")); // whitespace run collapsed
    CHECK_FALSE(codelength::round_trips(spm, " the fox")); // leading space dropped
    // Invalid UTF-8 becomes U+FFFD, even in the identity model; the counts stay exact.
    const sentencepiece_tokenizer identity(trained().identity);
    const std::string invalid = "a\xff"
                                "b";
    CHECK_FALSE(codelength::round_trips(identity, invalid));
    CHECK(sum(identity.encode(invalid).token_bytes) == 3);
}

TEST_CASE("unknown characters without byte fallback: exact counts, no round trip", "[sentencepiece]") {
    const sentencepiece_tokenizer spm(trained().no_fallback);
    const std::string text = "fox ☃☃ 日本 dog";
    const tokenized_text t = spm.encode(text);
    std::size_t unknown = 0;
    for (const std::int64_t id : t.ids) {
        unknown += spm.processor().IsUnknown(static_cast<int>(id)) ? 1U : 0U;
    }
    CHECK(unknown >= 2);
    CHECK(sum(t.token_bytes) == static_cast<std::int64_t>(text.size()));
    CHECK_FALSE(codelength::round_trips(spm, text, t));
}

TEST_CASE("bos_id falls back to </s> when the model has no <s>", "[sentencepiece]") {
    const sentencepiece_tokenizer with_bos(trained().nfkc);
    CHECK(with_bos.model_bos_id() == with_bos.processor().bos_id());
    CHECK(with_bos.bos_id() == with_bos.processor().bos_id());
    CHECK(with_bos.bos_id() >= 0);
    const sentencepiece_tokenizer without(trained().no_fallback);
    CHECK(without.model_bos_id() == -1);
    CHECK(without.bos_id() == without.processor().eos_id());
    CHECK(without.bos_id() >= 0);
    CHECK(without.bos_id() < without.vocabulary_size());
}

TEST_CASE("random texts: exact counts, lossless round trips", "[sentencepiece]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    const std::vector<std::string> atoms = {"a", "e", "the ", " ", "  ", "\n", "\t",
                                            "é", "ö", "日",   "😀", "☃",  "Ａ", "."};
    std::uniform_int_distribution<std::size_t> pick(0, atoms.size() - 1);
    std::uniform_int_distribution<int> length(0, 40);
    const sentencepiece_tokenizer identity(trained().identity);
    const sentencepiece_tokenizer nfkc(trained().nfkc);
    for (int trial = 0; trial < 300; ++trial) {
        std::string text;
        for (int n = length(rng); n > 0; --n) {
            text += atoms[pick(rng)];
        }
        CAPTURE(text);
        const tokenized_text lossless = identity.encode(text);
        CHECK(sum(lossless.token_bytes) == static_cast<std::int64_t>(text.size()));
        CHECK(identity.decode(lossless.ids) == text);
        const tokenized_text lossy = nfkc.encode(text);
        if (!lossy.ids.empty()) {
            CHECK(sum(lossy.token_bytes) == static_cast<std::int64_t>(text.size()));
        }
        CHECK_NOTHROW(codelength::check_tokenized_text(lossy, text, nfkc.vocabulary_size()));
    }
}

TEST_CASE("fingerprint: the serialized model's hash", "[sentencepiece]") {
    const auto& m = trained();
    const sentencepiece_tokenizer a(m.identity);
    const sentencepiece_tokenizer b(m.identity);
    const sentencepiece_tokenizer other(m.nfkc);
    CHECK(a.fingerprint() == b.fingerprint());
    CHECK(a.fingerprint() != other.fingerprint());
    const auto copy = sentencepiece_tokenizer::from_serialized_model(a.processor().serialized_model_proto());
    CHECK(copy.fingerprint() == a.fingerprint());
    CHECK(copy.encode("héllo wörld").ids == a.encode("héllo wörld").ids);
}

TEST_CASE("invalid model files: errors name the path", "[sentencepiece]") {
    const temporary_directory dir{"invalid"};
    const fs::path missing = dir.path / "missing.model";
    CHECK_THROWS_AS(sentencepiece_tokenizer(missing), codelength::io_error);
    CHECK_THROWS_WITH(sentencepiece_tokenizer(missing), Catch::Contains(missing.string()));
    const fs::path garbage = dir.path / "garbage.model";
    std::ofstream(garbage, std::ios::binary) << "this is not a protobuf \xff\xff\xff\xff";
    CHECK_THROWS_AS(sentencepiece_tokenizer(garbage), codelength::format_error);
    CHECK_THROWS_WITH(sentencepiece_tokenizer(garbage), Catch::Contains(garbage.string()));
    const fs::path empty = dir.path / "empty.model";
    std::ofstream(empty, std::ios::binary).flush();
    CHECK_THROWS_AS(sentencepiece_tokenizer(empty), codelength::format_error);
    CHECK_THROWS_WITH(sentencepiece_tokenizer(empty), Catch::Contains(empty.string()));
}

TEST_CASE("decode refuses ids outside the vocabulary", "[sentencepiece]") {
    const sentencepiece_tokenizer spm(trained().identity);
    const std::vector<std::int64_t> ids = {spm.vocabulary_size()};
    CHECK_THROWS_AS(spm.decode(ids), codelength::invalid_argument_error);
    const std::vector<std::int64_t> negative = {-1};
    CHECK_THROWS_AS(spm.decode(negative), codelength::invalid_argument_error);
}

TEST_CASE("bits per byte, byte and word perplexity of a known surprisal sequence", "[sentencepiece]") {
    const sentencepiece_tokenizer spm(trained().identity);
    const std::string text = "the quick  brown\nfox 日本";
    const tokenized_text t = spm.encode(text);
    REQUIRE(t.ids.size() >= 3);
    codelength::code_length_ledger ledger;
    double total_bits = 0.0;
    for (std::size_t i = 0; i < t.ids.size(); ++i) {
        const double bits = 0.5 * static_cast<double>(1 + i % 4); // 0.5, 1, 1.5, 2, 0.5, ...
        ledger.add_surprisal_bits(bits);
        total_bits += bits;
    }
    codelength::add_tokenized_document(ledger, text, t, spm.vocabulary_size());
    // "the quick  brown\nfox 日本": 3 + 1 + 5 + 2 + 5 + 1 + 3 + 1 + 6 = 27 bytes, 5 words.
    CHECK(ledger.bytes() == 27);
    CHECK(ledger.words() == 5);
    CHECK(ledger.tokens() == static_cast<std::int64_t>(t.ids.size()));
    // Multiples of 0.5: the sums are exact, so the ratios are too.
    CHECK(*ledger.bits_per_byte() == total_bits / 27.0);
    CHECK(*ledger.byte_perplexity() == std::exp2(total_bits / 27.0));
    CHECK(*ledger.word_perplexity() == std::exp2(total_bits / 5.0));

    // The byte tokenizer's ledger of the same text has the same denominators.
    const codelength::byte_tokenizer bytes;
    codelength::code_length_ledger byte_ledger;
    codelength::add_tokenized_document(byte_ledger, text, bytes.encode(text), bytes.vocabulary_size());
    CHECK(byte_ledger.bytes() == ledger.bytes());
    CHECK(byte_ledger.words() == ledger.words());
}

TEST_CASE("token_range_bytes and add_tokenized_document check their input", "[sentencepiece]") {
    const sentencepiece_tokenizer spm(trained().identity);
    const std::string text = "héllo wörld 😀";
    const tokenized_text t = spm.encode(text);
    const std::size_t half = t.ids.size() / 2;
    CHECK(codelength::token_range_bytes(t, 0, half) +
              codelength::token_range_bytes(t, half, t.ids.size() - half) ==
          static_cast<std::int64_t>(text.size()));
    CHECK(codelength::token_range_bytes(t, t.ids.size(), 0) == 0);
    CHECK_THROWS_AS(codelength::token_range_bytes(t, half, t.ids.size()), codelength::invalid_argument_error);

    codelength::code_length_ledger ledger;
    // The tokens of another text do not cover this one.
    CHECK_THROWS_AS(codelength::add_tokenized_document(ledger, text + "!", t, spm.vocabulary_size()),
                    codelength::invalid_argument_error);
    // Ids of another (larger) vocabulary.
    CHECK_THROWS_AS(codelength::add_tokenized_document(ledger, text, t, 10),
                    codelength::invalid_argument_error);
    CHECK(ledger.bytes() == 0);
}

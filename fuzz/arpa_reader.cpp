// Fuzzes parse_arpa and the back-off model built on what it accepts. Invariants: any text
// parses or throws a codelength::error; a parsed model's rows are log-probabilities (no NaN;
// finite or -inf) and scoring text with it never fails in any other way.
#include <cmath>

#include "codelength/io/arpa.hpp"
#include "codelength/models/ngram.hpp"
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::optional<codelength::arpa_model> model;
    try {
        model.emplace(codelength::parse_arpa(text, "fuzz.arpa"));
    } catch (const codelength::error&) {
        return 0;
    }
    // A few rows of the sequential model (each row costs V lookups, so only the first words).
    codelength::arpa_sequential_model sequence(*model);
    const std::int64_t words = std::min<std::int64_t>(model->vocabulary_size(), 4);
    for (std::int64_t w = 0; w < words; ++w) {
        for (const double log_probability : sequence.next_log_probabilities()) {
            if (std::isnan(log_probability) || log_probability == std::numeric_limits<double>::infinity()) {
                codelength::fuzz::fail("a row holds NaN or +inf");
            }
        }
        sequence.update(w);
    }
    // A sentence of the model's first words and an out-of-vocabulary word.
    std::string sentence;
    for (std::int64_t w = 0; w < words; ++w) {
        sentence += std::string(model->file().word(static_cast<std::int32_t>(w))) + " ";
    }
    sentence += "\xff-not-a-word\n";
    try {
        static_cast<void>(codelength::score_text(*model, sentence));
    } catch (const codelength::invalid_argument_error&) {
        // score_text needs </s>.
    }
    return 0;
}

void codelength::fuzz::write_seed_corpus(const std::filesystem::path& dir) {
    const std::string seeds[] = {
        "\\data\\\nngram 1=1\n\n\\1-grams:\n0 a\n\n\\end\\\n",
        "\\data\\\nngram 1=4\nngram 2=3\n\n\\1-grams:\n-1.0\t<s>\t-0.5\n-0.5 </s>\n-0.7 the -0.3\n-0.9 "
        "cat\n\n"
        "\\2-grams:\n-0.2 <s> the\n-0.1 the cat\n-0.4 cat </s>\n\n\\end\\\n",
        "\\data\\\nngram 1=5\nngram 2=2\nngram 3=1\n\n\\1-grams:\n-99 <s> -1\n-1 </s>\n-1.5 <unk>\n-0.6 a "
        "-0.2\n"
        "-0.6 b -0.2\n\n\\2-grams:\n-0.3 <s> a -0.1\n-0.3 a b -0.1\n\n\\3-grams:\n-0.05 <s> a b\n\n\\end\\\n",
    };
    int i = 0;
    for (const std::string& seed : seeds) {
        write_seed(dir, "model_" + std::to_string(i++),
                   std::span(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
    }
}

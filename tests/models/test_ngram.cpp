// ARPA back-off models: back-off against an independent map-based reference, the categorical
// wrapper's rows (sum to 1 for a normalized model), and score_text's SRILM/KenLM convention.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/models/ngram.hpp"
#include "support/catch.hpp"

namespace {

using words = std::vector<std::string>;

// The reference: n-gram -> (log10 p, log10 bow), searched by plain recursion.
struct reference_lm {
    std::map<words, std::pair<double, double>> entries;
    int order = 1;

    double log10_p(words context, const std::string& w) const {
        while (static_cast<int>(context.size()) > order - 1) {
            context.erase(context.begin());
        }
        words full = context;
        full.push_back(w);
        if (const auto it = entries.find(full); it != entries.end()) {
            return it->second.first;
        }
        double bow = 0.0;
        if (const auto it = entries.find(context); it != entries.end() && !context.empty()) {
            bow = it->second.second;
        }
        context.erase(context.begin());
        return bow + log10_p(context, w);
    }

    std::string arpa() const {
        std::vector<int> counts(static_cast<std::size_t>(order), 0);
        for (const auto& [k, v] : entries) {
            ++counts[k.size() - 1];
        }
        std::string text = "\\data\\\n";
        for (int n = 1; n <= order; ++n) {
            text += "ngram " + std::to_string(n) + "=" +
                    std::to_string(counts[static_cast<std::size_t>(n - 1)]) + "\n";
        }
        for (int n = 1; n <= order; ++n) {
            text += "\n\\" + std::to_string(n) + "-grams:\n";
            for (const auto& [k, v] : entries) {
                if (static_cast<int>(k.size()) != n) {
                    continue;
                }
                char number[64];
                std::snprintf(number, sizeof number, "%.17g", v.first);
                text += number;
                for (const auto& w : k) {
                    text += (k.size() == 1 ? "\t" : " ") + w;
                }
                if (v.second != 0.0) { // a zero back-off weight is left out, as SRILM does
                    std::snprintf(number, sizeof number, "\t%.17g", v.second);
                    text += number;
                }
                text += "\n";
            }
        }
        return text + "\n\\end\\\n";
    }
};

// A hand-computable trigram model; several back-off weights are missing (0).
reference_lm hand_model() {
    reference_lm lm;
    lm.order = 3;
    lm.entries = {
        {{"<unk>"}, {-1.0, 0.0}},     {{"<s>"}, {-99.0, -0.5}},        {{"</s>"}, {-0.6, 0.0}},
        {{"a"}, {-0.4, -0.3}},        {{"b"}, {-0.7, -0.2}},           {{"c"}, {-0.9, 0.0}},
        {{"<s>", "a"}, {-0.2, -0.1}}, {{"a", "b"}, {-0.3, -0.15}},     {{"b", "</s>"}, {-0.5, 0.0}},
        {{"a", "a"}, {-0.4, 0.0}},    {{"<s>", "a", "b"}, {-0.05, 0}}, {{"a", "b", "</s>"}, {-0.25, 0}},
    };
    return lm;
}

// A normalized trigram model: back-off weights make every conditional distribution sum to 1.
reference_lm normalized_model() {
    reference_lm lm;
    lm.order = 3;
    const words vocabulary = {"</s>", "<unk>", "a", "b", "c", "d"};
    const double unigram[] = {0.1, 0.05, 0.3, 0.25, 0.2, 0.1};
    lm.entries[{"<s>"}] = {-99.0, 0.0};
    for (std::size_t i = 0; i < vocabulary.size(); ++i) {
        lm.entries[{vocabulary[i]}] = {std::log10(unigram[i]), 0.0};
    }
    const std::map<words, std::map<std::string, double>> listed = {
        {{"<s>"}, {{"a", 0.5}, {"b", 0.2}}}, {{"a"}, {{"b", 0.6}, {"</s>", 0.1}}},      {{"b"}, {{"c", 0.3}}},
        {{"<s>", "a"}, {{"b", 0.7}}},        {{"a", "b"}, {{"c", 0.4}, {"</s>", 0.2}}},
    };
    for (const auto& [context, next] : listed) { // bigram contexts first (map order: shorter first here)
        (void)next;
        if (context.size() == 1) {
            for (const auto& [w, p] : next) {
                words full = context;
                full.push_back(w);
                lm.entries[full] = {std::log10(p), 0.0};
            }
        }
    }
    const auto set_backoff = [&](const words& context, const std::map<std::string, double>& next) {
        double listed_mass = 0.0;
        double lower_mass = 0.0;
        for (const auto& [w, p] : next) {
            listed_mass += p;
            lower_mass += std::pow(10.0, lm.log10_p(words(context.begin() + 1, context.end()), w));
        }
        lm.entries[context].second = std::log10((1.0 - listed_mass) / (1.0 - lower_mass));
    };
    for (const auto& [context, next] : listed) {
        if (context.size() == 1) {
            set_backoff(context, next);
        }
    }
    for (const auto& [context, next] : listed) {
        if (context.size() == 2) {
            lm.entries[context].first = lm.log10_p({context[0]}, context[1]); // keep the bigram's p
            for (const auto& [w, p] : next) {
                words full = context;
                full.push_back(w);
                lm.entries[full] = {std::log10(p), 0.0};
            }
            set_backoff(context, next);
        }
    }
    return lm;
}

codelength::arpa_model load(const reference_lm& lm) {
    return codelength::arpa_model(codelength::parse_arpa(lm.arpa(), "test.arpa"));
}

std::vector<std::int32_t> ids_of(const codelength::arpa_model& model, const words& ws) {
    std::vector<std::int32_t> ids;
    for (const auto& w : ws) {
        ids.push_back(model.word_id(w));
    }
    return ids;
}

} // namespace

TEST_CASE("arpa_sequential_model is a sequential categorical model", "[ngram]") {
    STATIC_REQUIRE(codelength::sequential_categorical_model<codelength::arpa_sequential_model>);
}

TEST_CASE("arpa_model backs off exactly like the reference", "[ngram]") {
    const reference_lm lm = hand_model();
    const codelength::arpa_model model = load(lm);
    REQUIRE(model.order() == 3);
    REQUIRE(model.vocabulary_size() == 6);
    // Hand-computed: p(c | <s> a) = bow(<s> a) + bow(a) + p(c) = -0.1 - 0.3 - 0.9.
    REQUIRE(model.log10_probability(ids_of(model, {"<s>", "a"}), model.word_id("c")) ==
            Approx(-1.3).margin(1e-12));
    REQUIRE(model.log10_probability(ids_of(model, {"<s>", "a"}), model.word_id("b")) ==
            Approx(-0.05).margin(1e-12));
    // (b, a) is not a context: its bow is 0, then bow(a) = -0.3, then p(a) = -0.4.
    REQUIRE(model.log10_probability(ids_of(model, {"b", "a"}), model.word_id("a")) ==
            Approx(-0.4).margin(1e-12));
    const words all = {"<unk>", "<s>", "</s>", "a", "b", "c"};
    for (const auto& u : all) {
        for (const auto& v : all) {
            for (const auto& w : all) {
                CHECK(model.log10_probability(ids_of(model, {u, v}), model.word_id(w)) ==
                      Approx(lm.log10_p({u, v}, w)).margin(1e-12));
                CHECK(model.log10_probability(ids_of(model, {"c", u, v}), model.word_id(w)) ==
                      Approx(lm.log10_p({u, v}, w)).margin(1e-12));
            }
            CHECK(model.log10_probability(ids_of(model, {v}), model.word_id(u)) ==
                  Approx(lm.log10_p({v}, u)).margin(1e-12));
        }
        CHECK(model.log10_probability({}, model.word_id(u)) == Approx(lm.log10_p({}, u)).margin(1e-12));
    }
    const std::int32_t bad[] = {6};
    REQUIRE_THROWS_AS(model.log10_probability(bad, 0), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(model.log10_probability({}, -1), codelength::invalid_argument_error);
}

TEST_CASE("the categorical wrapper's rows sum to 1 for a normalized model", "[ngram]") {
    const reference_lm lm = normalized_model();
    const codelength::arpa_model model = load(lm);
    codelength::arpa_sequential_model sequential(model);
    const words sentence = {"a", "b", "c", "zzz", "a", "b", "</s>"};
    words context = {"<s>"};
    for (const auto& w : sentence) {
        const auto row = sequential.next_log_probabilities();
        REQUIRE(row.size() == 7);
        double sum = 0.0;
        for (std::size_t i = 0; i < row.size(); ++i) {
            sum += std::exp(row[i]);
            CHECK(row[i] ==
                  Approx(lm.log10_p(context, std::string(model.file().word(static_cast<std::int32_t>(i)))) *
                         std::log(10.0))
                      .margin(1e-12));
        }
        CHECK(std::abs(sum - 1.0) < 1e-9);
        const std::string known = model.word_id(w) >= 0 ? w : "<unk>";
        sequential.update(model.word_id(known));
        context.push_back(known);
    }
    REQUIRE(sequential.context().size() == 2);
    REQUIRE_THROWS_AS(sequential.update(7), codelength::invalid_argument_error);
}

TEST_CASE("score_text follows the SRILM/KenLM convention", "[ngram]") {
    const reference_lm lm = hand_model();
    const codelength::arpa_model model = load(lm);
    // Independent scoring of each sentence: <s> context, </s> scored, OOV as <unk>.
    const std::string text = "a b\n\n  \nc zzz a\nqqq\na\n";
    const std::vector<words> sentences = {{"a", "b"}, {"c", "<unk>", "a"}, {"<unk>"}, {"a"}};
    double total = 0.0;
    double oov = 0.0;
    for (const auto& s : sentences) {
        words context = {"<s>"};
        for (const auto& w : s) {
            const double lp = lm.log10_p(context, w);
            total += lp;
            oov += w == "<unk>" ? lp : 0.0;
            context.push_back(w);
        }
        total += lm.log10_p(context, "</s>");
    }
    const auto score = codelength::score_text(model, text);
    REQUIRE(score.sentences == 4);
    REQUIRE(score.words == 7);
    REQUIRE(score.oovs == 2);
    REQUIRE(score.skipped_oovs == 0);
    REQUIRE(score.bytes == static_cast<std::int64_t>(text.size()));
    REQUIRE(score.total_log10_prob == Approx(total).margin(1e-12));
    REQUIRE(score.oov_log10_prob == Approx(oov).margin(1e-12));
    REQUIRE(*score.perplexity == Approx(std::pow(10.0, -total / 11.0)).epsilon(1e-12));
    REQUIRE(*score.perplexity_excluding_oov == Approx(std::pow(10.0, -(total - oov) / 9.0)).epsilon(1e-12));
    REQUIRE(*score.bits_per_byte ==
            Approx(-total * std::log2(10.0) / static_cast<double>(text.size())).epsilon(1e-12));

    // One-word sentence: -0.2 (p(a|<s>)) + bow(<s> a) + p(</s>|a) = -0.2 - 0.1 + (-0.3 + -0.6).
    const auto one = codelength::score_text(model, "a");
    REQUIRE(one.total_log10_prob == Approx(-1.2).margin(1e-12));
    // All-OOV sentence scored as <unk>: counted in both, excluded entirely from ppl without OOVs.
    const auto all_oov = codelength::score_text(model, "x y\n");
    REQUIRE(all_oov.oovs == 2);
    REQUIRE(all_oov.perplexity_excluding_oov.has_value());
    REQUIRE(*all_oov.perplexity_excluding_oov ==
            Approx(std::pow(10.0, -(all_oov.total_log10_prob - all_oov.oov_log10_prob))).epsilon(1e-12));
    // Empty text: no sentences, no perplexity.
    const auto empty = codelength::score_text(model, "\n\n");
    REQUIRE(empty.sentences == 0);
    REQUIRE(!empty.perplexity.has_value());
    REQUIRE(!empty.perplexity_excluding_oov.has_value());
}

TEST_CASE("score_text skips OOVs when the model has no <unk>, as SRILM does", "[ngram]") {
    reference_lm lm = hand_model();
    lm.entries.erase({"<unk>"});
    const codelength::arpa_model model = load(lm);
    REQUIRE(model.unknown_id() == -1);
    const auto score = codelength::score_text(model, "a zzz b\n");
    REQUIRE(score.oovs == 1);
    REQUIRE(score.skipped_oovs == 1);
    REQUIRE(score.words == 3);
    // The context restarts after the OOV: p(a|<s>) + p(b|) + p(</s>|b).
    const double want = lm.log10_p({"<s>"}, "a") + lm.log10_p({}, "b") + lm.log10_p({"b"}, "</s>");
    REQUIRE(score.total_log10_prob == Approx(want).margin(1e-12));
    REQUIRE(std::isinf(*score.perplexity));
    REQUIRE(std::isinf(*score.bits_per_byte));
    REQUIRE(*score.perplexity_excluding_oov == Approx(std::pow(10.0, -want / 3.0)).epsilon(1e-12));
}

TEST_CASE("score_text needs </s>", "[ngram]") {
    const codelength::arpa_model model(
        codelength::parse_arpa("\\data\\\nngram 1=1\n\\1-grams:\n0 a\n\\end\\\n", "t"));
    REQUIRE_THROWS_AS(codelength::score_text(model, "a\n"), codelength::invalid_argument_error);
}

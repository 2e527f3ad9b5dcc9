// Code length of a text under a model you write yourself: an adaptive order-0 byte model
// (Laplace counts) scored token by token. This is the README's example.
#include <codelength/codelength.hpp>

#include <cmath>
#include <cstdio>
#include <span>
#include <string_view>
#include <vector>

struct laplace_byte_model { // adaptive order-0 byte model: p(b) is proportional to count(b)
    std::vector<double> counts = std::vector<double>(256, 1.0);
    std::vector<float> logits = std::vector<float>(256);
    std::int64_t vocabulary_size() const { return 256; }
    std::span<const float> next_logits() { // log counts: the softmax normalizes them
        for (std::size_t b = 0; b < 256; ++b)
            logits[b] = static_cast<float>(std::log(counts[b]));
        return logits;
    }
    void update(std::int64_t token) { counts[static_cast<std::size_t>(token)] += 1.0; }
};

int main() {
    const std::string_view text =
        "how many bits does a model need to describe this text? fewer, as it learns.";
    std::vector<std::int64_t> tokens(text.begin(), text.end());
    laplace_byte_model model;
    codelength::code_length_ledger ledger =
        codelength::score_sequence(model, std::span<const std::int64_t>(tokens));
    ledger.add_document(text); // UTF-8 bytes and words, for bits/byte and word perplexity
    std::printf("%.1f bits, %.3f bits/byte\n", ledger.total_bits(), *ledger.bits_per_byte());
}

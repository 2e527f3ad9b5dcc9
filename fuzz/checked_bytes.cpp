// Fuzzes the readers of the checked binary formats: code_length_ledger_from_bytes,
// coding_ledger_totals_from_bytes and memorization_records_from_bytes. Invariants: any input
// is read or throws a codelength::error; what is read writes back to the very same bytes (the
// formats are canonical, so nothing else can pass the checks).
#include <algorithm>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/coding_totals.hpp"
#include "codelength/metrics/ledger_bytes.hpp"
#include "codelength/metrics/memorization_bytes.hpp"
#include "fuzz_target.hpp"

namespace {

template <class Read, class Write>
void read_and_check(std::span<const std::uint8_t> input, const Read& read, const Write& write) {
    try {
        const auto value = read(input);
        const std::vector<std::uint8_t> again = write(value);
        if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) {
            codelength::fuzz::fail("accepted bytes do not write back to themselves");
        }
    } catch (const codelength::error&) {
    }
}

void read_all_formats(std::span<const std::uint8_t> input) {
    using namespace codelength;
    read_and_check(input, code_length_ledger_from_bytes, [](const auto& v) { return to_bytes(v); });
    read_and_check(input, coding_ledger_totals_from_bytes, [](const auto& v) { return to_bytes(v); });
    read_and_check(input, memorization_records_from_bytes,
                   [](const std::vector<indexed_document_memorization>& v) {
                       return to_bytes(std::span<const indexed_document_memorization>(v));
                   });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    read_all_formats(input);
    if (size >= 4) { // again with the CRC-32C that ends every format repaired
        std::vector<std::uint8_t> repaired(input.begin(), input.end());
        codelength::fuzz::store_crc32c(repaired, size - 4, 0, size - 4);
        read_all_formats(repaired);
    }
    return 0;
}

void codelength::fuzz::write_seed_corpus(const std::filesystem::path& dir) {
    std::mt19937_64 random(11);
    code_length_ledger ledger;
    write_seed(dir, "ledger_empty", to_bytes(ledger));
    for (int i = 0; i < 50; ++i) {
        ledger.add_surprisal_bits(static_cast<double>(random() % 4000) / 64.0, static_cast<double>(i) / 8.0);
    }
    ledger.add_surprisal_bits(std::numeric_limits<double>::infinity());
    ledger.add_document("a few words of text");
    write_seed(dir, "ledger", to_bytes(ledger));

    coding_ledger stream;
    stream.tokens = 40;
    stream.escaped_tokens = 3;
    stream.precision_bits = 16;
    stream.ideal_bits = 151.25;
    stream.quantized_bits = 152.0078125;
    stream.escape_bits = 6.5;
    stream.header_bits = 8 * 48;
    stream.payload_bits = 8 * 21;
    stream.total_bytes = 48 + 21;
    stream.coder_overhead_bits = detail::coder_overhead_bits_of(stream);
    coding_ledger_totals totals;
    write_seed(dir, "coding_totals_empty", to_bytes(totals));
    totals.add(stream);
    stream.precision_bits = 12;
    stream.ideal_bits = std::numeric_limits<double>::infinity();
    totals.add(stream);
    write_seed(dir, "coding_totals", to_bytes(totals));

    std::vector<indexed_document_memorization> records(3);
    for (std::size_t i = 0; i < records.size(); ++i) {
        records[i].document_index = static_cast<std::int64_t>(5 - i);
        records[i].memorization.tokens = 10;
        records[i].memorization.model_bits = 3.5 * static_cast<double>(i);
    }
    records[1].memorization.reference_bits = 7.0;
    records[1].memorization.greedy_extractable = true;
    records[1].memorization.extraction_suffix_tokens = 4;
    records[2].memorization.memorized_spans.push_back({0, 4, 0, 40, 2.0, 0.05, 90.0});
    records[2].memorization.memorized_bytes = 40;
    write_seed(dir, "memorization_none", to_bytes(std::span<const indexed_document_memorization>()));
    write_seed(dir, "memorization", to_bytes(std::span<const indexed_document_memorization>(records)));
}

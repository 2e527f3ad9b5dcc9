// Fuzzes compress_bytes -> decompress_bytes on arbitrary bytes. The first input byte picks the
// model (cm, ppm of order 0..8, order-0); the rest is the data. Aborts unless the data comes
// back byte for byte, and unless incompressible data costs at most the 48-byte header.
#include "codelength/compress/byte_codec.hpp"
#include "fuzz_target.hpp"

namespace {

codelength::compression_options options_from(std::uint8_t selector) {
    const unsigned choice = selector % 11U;
    if (choice == 0) {
        return {.model = codelength::byte_model_kind::cm, .memory_mib = 8};
    }
    if (choice == 1) {
        return {.model = codelength::byte_model_kind::order0};
    }
    return {.model = codelength::byte_model_kind::ppm,
            .memory_mib = 1,
            .ppm_order = static_cast<int>(choice - 2)};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::span<const std::uint8_t> input(data + 1, size - 1);
    const auto packed = codelength::compress_bytes(input, options_from(data[0]));
    if (packed.bytes.size() > input.size() + codelength::byte_codec_header_bytes) {
        codelength::fuzz::fail("compressed output larger than the input plus the header");
    }
    const auto back = codelength::decompress_bytes(packed.bytes);
    if (!std::equal(back.begin(), back.end(), input.begin(), input.end())) {
        codelength::fuzz::fail("decompressed bytes differ from the input");
    }
    return 0;
}

void codelength::fuzz::write_seed_corpus(const std::filesystem::path& dir) {
    const std::string text = "the quick brown fox jumps over the lazy dog; the quick brown fox jumps again. ";
    for (std::uint8_t selector = 0; selector < 11; ++selector) {
        std::vector<std::uint8_t> seed(text.size() + 1, selector);
        std::copy(text.begin(), text.end(), seed.begin() + 1);
        write_seed(dir, "text_" + std::to_string(selector), seed);
    }
    std::vector<std::uint8_t> runs{0};
    for (int i = 0; i < 64; ++i) {
        runs.insert(runs.end(), static_cast<std::size_t>(i % 7 + 1), static_cast<std::uint8_t>(i * 37));
    }
    write_seed(dir, "runs_cm", runs);
    write_seed(dir, "empty_ppm", std::vector<std::uint8_t>{5});
}

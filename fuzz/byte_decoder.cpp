// Fuzzes decompress_bytes, the compressed-file decoder of every built-in model (the header's
// model kind picks cm, ppm or order-0). Invariants: any input either decompresses or throws a
// codelength::error; what decompresses, compresses and decompresses back to itself.
#include "codelength/compress/byte_codec.hpp"
#include "fuzz_target.hpp"

namespace {

// An untrusted-input caller's limits; they also keep every run of the fuzzer short.
constexpr codelength::decoding_limits fuzz_limits{.max_output_bytes = std::uint64_t{1} << 16U,
                                                  .max_memory_mib = 16};

void decompress_and_check(std::span<const std::uint8_t> file) {
    std::vector<std::uint8_t> original;
    try {
        original = codelength::decompress_bytes(file, {}, fuzz_limits);
    } catch (const codelength::error&) {
        return;
    }
    const auto kind =
        static_cast<codelength::byte_model_kind>(file[codelength::byte_codec_offset::model_kind]);
    const auto again = codelength::compress_bytes(
        original,
        {.model = kind, .memory_mib = 8, .ppm_order = file[codelength::byte_codec_offset::model_parameter]});
    if (codelength::decompress_bytes(again.bytes) != original) {
        codelength::fuzz::fail("a recompressed file decompresses to other bytes");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    decompress_and_check(input);
    if (size >= codelength::byte_codec_header_bytes) {
        namespace off = codelength::byte_codec_offset;
        std::vector<std::uint8_t> repaired(input.begin(), input.end());
        codelength::detail::store_le(repaired.data() + off::payload_bytes,
                                     size - codelength::byte_codec_header_bytes, 8);
        codelength::fuzz::store_crc32c(repaired, off::header_crc32c, 0, off::header_crc32c);
        decompress_and_check(repaired);
    }
    return 0;
}

void codelength::fuzz::write_seed_corpus(const std::filesystem::path& dir) {
    const std::string text =
        "It was the best of times, it was the worst of times; codelength codes 0123456789 "
        "the text, and the text codes well when the model has seen the text before.";
    const std::vector<std::uint8_t> inputs[] = {
        {},
        {'a'},
        std::vector<std::uint8_t>(text.begin(), text.end()),
        std::vector<std::uint8_t>(300, 0),
        [] {
            std::vector<std::uint8_t> noise(200);
            std::uint32_t x = 12345;
            for (auto& b : noise) {
                x = x * 1664525U + 1013904223U;
                b = static_cast<std::uint8_t>(x >> 24U);
            }
            return noise; // incompressible: stored mode
        }(),
    };
    const struct {
        const char* name;
        compression_options options;
    } settings[] = {
        {"cm", {.model = byte_model_kind::cm, .memory_mib = 8}},
        {"ppm5", {.model = byte_model_kind::ppm, .memory_mib = 1, .ppm_order = 5}},
        {"ppm0", {.model = byte_model_kind::ppm, .memory_mib = 1, .ppm_order = 0}},
        {"ppm8", {.model = byte_model_kind::ppm, .memory_mib = 1, .ppm_order = 8}},
        {"order0", {.model = byte_model_kind::order0}},
    };
    for (const auto& setting : settings) {
        for (std::size_t i = 0; i < std::size(inputs); ++i) {
            write_seed(dir, std::string(setting.name) + "_" + std::to_string(i),
                       compress_bytes(inputs[i], setting.options).bytes);
        }
    }
}

// Cross-build determinism: what one build of the library writes, every other build (and every
// kernel path of a dispatching build, forced with CODELENGTH_ISA) must decode, and every build
// must write the same bytes. scripts/determinism.sh builds this program header-only for fixed
// targets with g++ -O3 and clang -O0 and once with codelength::dispatch and default flags, lets
// each build and each path write its files and check everyone's; scripts/qemu_baseline.sh checks
// the native files under emulated CPUs.
//   codelength_determinism write <dir>          write every case's compressed file / coded stream
//   codelength_determinism check <dir>...       decode each file in each <dir> (it must give the
//                                               case's input) and compare it byte for byte with
//                                               this build's
//   codelength_determinism cli-inputs <dir>     write inputs for the CLI's encode and compress:
//                                               logits_<type>_v<V>.npy (float32, float64, float16,
//                                               bfloat16 as uint16 words), targets_v<V>.npy (int64)
//                                               and input<kind>.bin (text, binary, noise)
// Inputs come from integer hashing and exact float arithmetic only, so every build sees the
// same numbers without relying on a library's random distributions.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codelength/coding/fingerprint.hpp"
#include "codelength/coding/sequence_coder.hpp"
#include "codelength/compress/byte_codec.hpp"
#include "codelength/io/npy_writer.hpp"
#include "codelength/models/logits_replay.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
constexpr std::int64_t stream_tokens = 300; // tokens per coded stream

// Seeded hashing: splitmix64 (golden-ratio step, then the library's finalizer).
std::uint64_t mix(std::uint64_t x) {
    return codelength::detail::mix64(x + 0x9e3779b97f4a7c15ULL);
}

bytes make_bytes(int kind, std::size_t size) {
    static const char* const words[] = {"code ", "length ", "of ", "the ",
                                        "data ", "under ",  "a ",  "model\n"};
    bytes out;
    out.reserve(size);
    for (std::uint64_t i = 0; out.size() < size; ++i) {
        const std::uint64_t h = mix(i * 31 + static_cast<std::uint64_t>(kind));
        if (kind == 0) { // text
            for (const char* w = words[h % 8]; *w != '\0' && out.size() < size; ++w) {
                out.push_back(static_cast<std::uint8_t>(*w));
            }
        } else if (kind == 1) { // structured binary
            out.push_back(static_cast<std::uint8_t>((i * 7) >> (8 * (i % 3))));
        } else { // noise (stored mode)
            out.push_back(static_cast<std::uint8_t>(h));
        }
    }
    return out;
}

// Logits in [-scale, scale) with 2^-12 resolution: every value is exact in every element type's
// conversion from float (bf16 and f16 round the same way in every build).
std::vector<float> make_logits(std::int64_t rows, std::int64_t columns, float scale, std::uint64_t seed) {
    std::vector<float> logits(static_cast<std::size_t>(rows * columns));
    for (std::size_t i = 0; i < logits.size(); ++i) {
        const auto k = static_cast<float>(mix(seed * 1000003 + i) >> 51U); // [0, 8192)
        logits[i] = (k - 4096.0F) * (scale / 4096.0F);
    }
    return logits;
}

template <class Element>
std::vector<Element> convert(const std::vector<float>& values) {
    std::vector<Element> out(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if constexpr (std::is_same_v<Element, codelength::bfloat16> ||
                      std::is_same_v<Element, codelength::float16>) {
            out[i] = Element::from_float(values[i]);
        } else {
            out[i] = static_cast<Element>(values[i]);
        }
    }
    return out;
}

// The targets of a stream over `vocabulary` symbols.
std::vector<std::int64_t> make_tokens(std::int64_t vocabulary) {
    std::vector<std::int64_t> tokens(static_cast<std::size_t>(stream_tokens));
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        tokens[t] = static_cast<std::int64_t>(mix(t + 17) % static_cast<std::uint64_t>(vocabulary));
    }
    return tokens;
}

// One case: its input, how to encode it here, and how to decode a file into the input's bytes.
struct test_case {
    std::string name;
    std::function<bytes()> encode;
    std::function<bool(const bytes& file)> decodes_to_input;
};

std::vector<test_case> make_cases() {
    std::vector<test_case> cases;
    const std::pair<const char*, codelength::compression_options> settings[] = {
        {"cm", {.model = codelength::byte_model_kind::cm, .memory_mib = 16}},
        {"ppm5", {.model = codelength::byte_model_kind::ppm, .memory_mib = 4, .ppm_order = 5}},
        {"ppm2", {.model = codelength::byte_model_kind::ppm, .memory_mib = 1, .ppm_order = 2}},
        {"order0", {.model = codelength::byte_model_kind::order0}},
    };
    for (const auto& setting : settings) {
        const codelength::compression_options options = setting.second;
        for (const int kind : {0, 1, 2}) {
            const bytes input = make_bytes(kind, 60000 + static_cast<std::size_t>(kind) * 777);
            cases.push_back(
                {std::string("compress_") + setting.first + "_input" + std::to_string(kind) + ".clzb",
                 [input, options] { return codelength::compress_bytes(input, options).bytes; },
                 [input](const bytes& file) { return codelength::decompress_bytes(file) == input; }});
        }
    }
    const auto add_stream = [&]<class Element>(const char* type, std::int64_t vocabulary, int precision,
                                               float scale) {
        auto logits = std::make_shared<std::vector<Element>>(convert<Element>(
            make_logits(stream_tokens, vocabulary, scale, static_cast<std::uint64_t>(vocabulary))));
        const std::vector<std::int64_t> tokens = make_tokens(vocabulary);
        const auto model = [logits, vocabulary] {
            return codelength::logits_replay(
                codelength::matrix_view<Element>::row_major(logits->data(), stream_tokens, vocabulary));
        };
        cases.push_back(
            {std::string("stream_") + type + "_v" + std::to_string(vocabulary) + "_p" +
                 std::to_string(precision) + ".clen",
             [model, tokens, precision] {
                 auto m = model();
                 return codelength::encode_sequence(m, tokens, {.precision_bits = precision}).bytes;
             },
             [model, tokens](const bytes& file) {
                 auto m = model();
                 return codelength::decode_sequence(m, file) == tokens;
             }});
    };
    for (const int precision : {12, 16, 24, 31}) {
        add_stream.operator()<float>("float32", 1000, precision, 8.0F);
        add_stream.operator()<double>("float64", 1000, precision, 8.0F);
        add_stream.operator()<codelength::bfloat16>("bfloat16", 1000, precision, 8.0F);
        add_stream.operator()<codelength::float16>("float16", 1000, precision, 8.0F);
    }
    add_stream.operator()<float>("float32", 32000, 24, 20.0F);
    add_stream.operator()<float>("float32", 2, 1, 30.0F);
    add_stream.operator()<float>("float32", 4097, 13, 0.5F);
    return cases;
}

bytes read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> data) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out) {
        throw codelength::io_error(path.string() + ": cannot write");
    }
}

// The CLI's inputs: the same logits and targets as the stream cases (fewer kinds: every dtype
// at V = 1000, float32 also at V = 4097) and smaller byte inputs (the CLI runs under emulation).
void write_cli_inputs(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const auto add_logits = [&]<class Element>(const char* type, std::int64_t vocabulary, float scale) {
        const std::vector<Element> logits = convert<Element>(
            make_logits(stream_tokens, vocabulary, scale, static_cast<std::uint64_t>(vocabulary)));
        codelength::write_npy(
            dir / (std::string("logits_") + type + "_v" + std::to_string(vocabulary) + ".npy"), logits,
            {stream_tokens, vocabulary});
        codelength::write_npy(dir / ("targets_v" + std::to_string(vocabulary) + ".npy"),
                              make_tokens(vocabulary), {stream_tokens});
    };
    add_logits.operator()<float>("float32", 1000, 8.0F);
    add_logits.operator()<double>("float64", 1000, 8.0F);
    add_logits.operator()<codelength::bfloat16>("bfloat16", 1000, 8.0F);
    add_logits.operator()<codelength::float16>("float16", 1000, 8.0F);
    add_logits.operator()<float>("float32", 4097, 0.5F);
    for (const int kind : {0, 1, 2}) {
        write_file(dir / ("input" + std::to_string(kind) + ".bin"),
                   make_bytes(kind, 20000 + static_cast<std::size_t>(kind) * 333));
    }
}

// Checks the files of each directory against this build's: each must decode to its case's input
// and equal this build's bytes. Equal files decode alike, so each distinct file decodes once.
int check(const std::vector<std::filesystem::path>& dirs) {
    int failures = 0;
    const std::vector<test_case> cases = make_cases();
    for (const test_case& c : cases) {
        const bytes here = c.encode();
        std::vector<std::pair<bytes, bool>> decoded; // distinct files, and whether each decodes to the input
        for (const std::filesystem::path& dir : dirs) {
            if (!std::filesystem::is_regular_file(dir / c.name)) {
                std::cerr << (dir / c.name).string() << ": missing\n";
                ++failures;
                continue;
            }
            const bytes there = read_file(dir / c.name);
            auto found = std::find_if(decoded.begin(), decoded.end(),
                                      [&](const std::pair<bytes, bool>& d) { return d.first == there; });
            if (found == decoded.end()) {
                bool decodes = false;
                try {
                    decodes = c.decodes_to_input(there);
                } catch (const codelength::error& e) {
                    std::cerr << (dir / c.name).string() << ": " << e.what() << "\n";
                }
                decoded.emplace_back(there, decodes);
                found = std::prev(decoded.end());
            }
            if (!found->second) {
                std::cerr << (dir / c.name).string() << ": does not decode to the input here\n";
                ++failures;
            }
            if (there != here) {
                std::cerr << (dir / c.name).string() << ": this build writes other bytes (" << here.size()
                          << " vs " << there.size() << ")\n";
                ++failures;
            }
        }
    }
    std::cout << cases.size() << " cases x " << dirs.size() << " directories: " << failures << " failures\n";
    return failures == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const std::string command = argc >= 3 ? argv[1] : "";
    if ((command != "write" && command != "check" && command != "cli-inputs") ||
        (command != "check" && argc != 3)) {
        std::cerr << "usage: " << argv[0] << " write <dir> | check <dir>... | cli-inputs <dir>\n";
        return 2;
    }
    try {
        if (command == "check") {
            return check(std::vector<std::filesystem::path>(argv + 2, argv + argc));
        }
        const std::filesystem::path dir = argv[2];
        if (command == "cli-inputs") {
            write_cli_inputs(dir);
            return 0;
        }
        std::filesystem::create_directories(dir);
        for (const test_case& c : make_cases()) {
            write_file(dir / c.name, c.encode());
        }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

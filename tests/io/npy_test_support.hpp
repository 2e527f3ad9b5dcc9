// Helpers shared by the io tests: fixture lookup, scratch directories, hand-crafted .npy images.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "codelength/core/error.hpp"

namespace codelength_test {

// The path of a fixture written by tests/io/make_npy_fixtures.py; throws (failing the test with
// this message) when the fixture step did not run.
inline std::filesystem::path npy_fixture(std::string_view name) {
    const char* root = std::getenv("CODELENGTH_TEST_DATA");
    if (root == nullptr || *root == '\0') {
        throw std::runtime_error(
            "CODELENGTH_TEST_DATA is not set: run the io tests through ctest, whose "
            "io/generate_npy_fixtures step writes the fixtures with /usr/bin/python3 + numpy");
    }
    std::filesystem::path path = std::filesystem::path(root) / "npy" / name;
    if (!std::filesystem::exists(path)) {
        throw std::runtime_error("missing fixture " + path.string() +
                                 ": the ctest fixture io/generate_npy_fixtures (/usr/bin/python3 "
                                 "tests/io/make_npy_fixtures.py; needs python3-numpy) did not run or failed");
    }
    return path;
}

// A fresh directory under the system temporary directory, removed with its contents.
class scratch_directory {
public:
    scratch_directory() {
        std::random_device entropy;
        m_path = std::filesystem::temp_directory_path() /
                 ("codelength-io-test-" + std::to_string(entropy()) + "-" + std::to_string(entropy()));
        std::filesystem::create_directories(m_path);
    }
    scratch_directory(const scratch_directory&) = delete;
    scratch_directory& operator=(const scratch_directory&) = delete;
    ~scratch_directory() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const { return m_path / name; }
    // Names of the entries in the directory.
    [[nodiscard]] std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(m_path)) {
            names.push_back(entry.path().filename().string());
        }
        return names;
    }

private:
    std::filesystem::path m_path;
};

inline std::vector<std::byte> read_file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path.string());
    }
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    if (!chars.empty()) {
        std::memcpy(bytes.data(), chars.data(), chars.size());
    }
    return bytes;
}

inline void write_file_bytes(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

inline std::vector<std::byte> to_bytes(std::string_view text) {
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    return bytes;
}

// The native-order bytes of some values.
template <class Element>
std::vector<std::byte> bytes_of(const std::vector<Element>& values) {
    std::vector<std::byte> bytes(values.size() * sizeof(Element));
    if (!bytes.empty()) {
        std::memcpy(bytes.data(), values.data(), bytes.size());
    }
    return bytes;
}

// The byte-order mark of this machine ('<' or '>'), for descr strings of crafted files.
inline char native_order_mark() {
    return std::endian::native == std::endian::little ? '<' : '>';
}

// A .npy image: magic, version major.0, the header length (2 bytes for 1.0, else 4), `dict`
// plus `padding_bytes` spaces and '\n' (padded further so the data starts at a multiple of
// `alignment_bytes`; 1 means no extra padding), then `data`.
inline std::vector<std::byte> craft_npy(std::string_view dict, std::span<const std::byte> data = {},
                                        unsigned major_version = 1, std::size_t alignment_bytes = 64,
                                        std::size_t padding_bytes = 0) {
    const std::size_t preamble_bytes = major_version == 1 ? 10 : 12;
    std::string text(dict);
    text.append(padding_bytes, ' ');
    const std::size_t unpadded = preamble_bytes + text.size() + 1;
    text.append((alignment_bytes - unpadded % alignment_bytes) % alignment_bytes, ' ');
    text += '\n';
    std::vector<std::byte> bytes = to_bytes("\x93NUMPY");
    bytes.push_back(static_cast<std::byte>(major_version));
    bytes.push_back(std::byte{0});
    for (std::size_t i = 0; i < preamble_bytes - 8; ++i) {
        bytes.push_back(static_cast<std::byte>((text.size() >> (8 * i)) & 0xffU));
    }
    const std::vector<std::byte> text_bytes = to_bytes(text);
    bytes.insert(bytes.end(), text_bytes.begin(), text_bytes.end());
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
}

// The message of the codelength::error `action` throws ("" if it throws nothing).
template <class Action>
std::string error_message(Action&& action) {
    try {
        action();
    } catch (const codelength::error& failure) {
        return failure.what();
    }
    return "";
}

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// The grid fixtures' values at row-major index k (see make_npy_fixtures.py grid_values).
inline bool grid_bool(std::int64_t k) {
    return k % 3 == 0;
}
inline std::int64_t grid_signed(std::int64_t k) {
    return k - 5;
}
inline std::uint64_t grid_unsigned(std::int64_t k) {
    return static_cast<std::uint64_t>(7 * k);
}
inline double grid_float(std::int64_t k) {
    return static_cast<double>(k - 5) / 2.0;
}

} // namespace codelength_test

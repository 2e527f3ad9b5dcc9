// What every fuzz target in this folder provides and shares. A target defines
// LLVMFuzzerTestOneInput (libFuzzer's entry point: it must return 0 and may only throw a
// codelength::error, which it catches) and write_seed_corpus (the seeds checked in under
// fuzz/corpus/<target>/, regenerated with `fuzz_replay_<target> --write-seeds <dir>`).
// The same source builds two programs: the libFuzzer binary (clang, -fsanitize=fuzzer) and a
// replay program that runs the checked-in corpus as a ctest in every build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/detail/little_endian.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace codelength::fuzz {

// Writes this target's seed inputs into dir (one file each).
void write_seed_corpus(const std::filesystem::path& dir);

// A broken invariant: print what and abort, so libFuzzer keeps the input as a crash.
[[noreturn]] inline void fail(const char* what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

inline void write_seed(const std::filesystem::path& dir, const std::string& name,
                       std::span<const std::uint8_t> bytes) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        fail("cannot write a seed file");
    }
}

// Mutations almost never keep a CRC-32C valid, so a decoder fuzzed on raw input only ever tests
// its checksum. The targets decode each input twice: as it is, and with its length and checksum
// fields rewritten to match (the way zstd's fuzzers skip checksums), which lets the fuzzer reach
// the payload decoder with any bytes.
inline void store_crc32c(std::vector<std::uint8_t>& bytes, std::size_t field_offset, std::size_t begin,
                         std::size_t end) {
    const std::uint32_t crc = crc32c(std::span<const std::uint8_t>(bytes.data() + begin, end - begin));
    detail::store_le(bytes.data() + field_offset, crc, 4);
}

} // namespace codelength::fuzz

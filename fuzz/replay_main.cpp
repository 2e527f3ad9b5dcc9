// Runs a fuzz target over files without libFuzzer: every build replays the checked-in corpus
// (and regression inputs) under its own compiler and sanitizers as a ctest.
//   fuzz_replay_<target> <file or dir>...     run every file; exit 0 when all ran
//   fuzz_replay_<target> --write-seeds <dir>  regenerate the target's seed corpus
#include <algorithm>
#include <iostream>
#include <iterator>

#include "fuzz_target.hpp"

namespace {

int run_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                          std::istreambuf_iterator<char>()};
    if (!in.eof() && !in) {
        std::cerr << path << ": cannot read\n";
        return 1;
    }
    return LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 2 && args[0] == "--write-seeds") {
        std::filesystem::create_directories(args[1]);
        codelength::fuzz::write_seed_corpus(args[1]);
        return 0;
    }
    if (args.empty()) {
        std::cerr << "usage: " << argv[0] << " <file or dir>... | --write-seeds <dir>\n";
        return 2;
    }
    std::size_t files = 0;
    for (const std::filesystem::path root : args) {
        std::vector<std::filesystem::path> paths;
        if (std::filesystem::is_directory(root)) {
            for (const auto& entry : std::filesystem::directory_iterator(root)) {
                paths.push_back(entry.path());
            }
            std::sort(paths.begin(), paths.end());
        } else {
            paths.push_back(root);
        }
        for (const auto& path : paths) {
            if (run_file(path) != 0) {
                return 1;
            }
            ++files;
        }
    }
    std::cout << files << " inputs ran without a finding\n";
    return files == 0 ? 1 : 0;
}

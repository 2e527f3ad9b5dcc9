// `codelength lm-score`, `lm-compress` and `lm-decompress`: a TorchScript language model
// (adapters/torch.hpp) in the loop. They live in a plugin, codelength-lm.so (lm_commands.cpp,
// built only when CMake finds LibTorch: CODELENGTH_CLI_WITH_TORCH), which the program loads with
// dlopen only when one of them runs: the program itself does not link LibTorch, whose loading
// and static initialisation take about half a second, so every other command starts fast.
// This header is the plugin's C interface (no exception crosses it) and how the tool finds its
// plugins (this one and the SentencePiece tokenizer, sentencepiece_bridge.cpp).
#pragma once

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

extern "C" {

// Receives the message of the error that ended a command (called at most once).
typedef void (*codelength_lm_report_function)(void* context, const char* message);

// The plugin's entry point, `codelength_lm_run`: runs `command` (lm-score, lm-compress or
// lm-decompress) with argv[first..) and returns its exit status: 0, or after report(context,
// message) 2 for a usage error (codelength::cli::usage_error) and 1 for any other error.
typedef int (*codelength_lm_run_function)(const char* command, int argc, char** argv, int first,
                                          codelength_lm_report_function report, void* context);

} // extern "C"

namespace codelength::cli {

inline constexpr const char* lm_plugin_name = "codelength-lm.so";
inline constexpr const char* lm_plugin_entry = "codelength_lm_run";

// Where a plugin of the tool may be, in order: beside this program (/proc/self/exe: the build
// tree), in the install's plugin directory relative to the program (CODELENGTH_CLI_PLUGIN_RELATIVE_DIR,
// e.g. ../lib/codelength: an install whose prefix moved), else in that directory where CMake
// installs it (CODELENGTH_CLI_PLUGIN_DIR, ${CMAKE_INSTALL_FULL_LIBDIR}/codelength).
inline std::vector<std::filesystem::path> plugin_candidates(const char* name) {
    std::vector<std::filesystem::path> candidates;
    std::error_code failure;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", failure);
    if (!failure) {
        candidates.push_back(self.parent_path() / name);
        candidates.push_back(
            (self.parent_path() / CODELENGTH_CLI_PLUGIN_RELATIVE_DIR / name).lexically_normal());
    }
    const std::filesystem::path installed = std::filesystem::path(CODELENGTH_CLI_PLUGIN_DIR) / name;
    if (std::find(candidates.begin(), candidates.end(), installed) == candidates.end()) {
        candidates.push_back(installed);
    }
    return candidates;
}

// dlopen of the first candidate that loads (with `flags`), or nullptr; `reasons` gets
// "; <dlerror()>" for every candidate that did not load, naming its path.
inline void* open_plugin(const char* name, int flags, std::string& reasons) {
    for (const auto& candidate : plugin_candidates(name)) {
        void* const handle = ::dlopen(candidate.c_str(), flags);
        if (handle != nullptr) {
            return handle;
        }
        const std::string why = ::dlerror();
        // dlerror() names the file it could not open: the plugin, or a library it needs.
        reasons += "; " + (why.starts_with(candidate.string()) ? why : candidate.string() + ": " + why);
    }
    return nullptr;
}

} // namespace codelength::cli

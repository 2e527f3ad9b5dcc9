// `codelength lm-score`, `lm-compress` and `lm-decompress`: a TorchScript language model
// (adapters/torch.hpp) in the loop. They live in their own translation unit, lm_commands.cpp,
// built only when CMake finds LibTorch (CODELENGTH_CLI_WITH_TORCH), because <torch/script.h>
// takes about a minute and 2 GB to compile; main.cpp sees only these declarations.
#pragma once

#include <string>

namespace codelength::cli {

// Each runs its command with argv[first..) and returns the exit status (0 success, 1 failure,
// 2 usage); errors are thrown as the other commands throw them (main reports them).
int run_lm_score(int argc, char** argv, int first);
int run_lm_compress(int argc, char** argv, int first);
int run_lm_decompress(int argc, char** argv, int first);

// What the language-model commands were built with, for `codelength --version`:
// "LibTorch 1.13.0, SentencePiece" or "LibTorch 1.13.0, without SentencePiece".
std::string lm_build_description();

} // namespace codelength::cli

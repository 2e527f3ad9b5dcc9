// The SentencePiece tokenizer of the lm-* commands, as a plugin the tool loads at run time
// (lm_commands.cpp: dlopen with RTLD_LOCAL | RTLD_DEEPBIND). Why not link it: Debian's
// libsentencepiece.so bundles and exports its own protobuf-lite (3.14), and LibTorch links the
// system libprotobuf (3.21); in one global symbol scope libprotobuf's start-up code runs into
// sentencepiece's copy and crashes before main, and the other order fails sentencepiece's
// protobuf version check. Loaded with its own scope first, each keeps its own protobuf.
// The interface is C (no exception crosses it): errors come back as text.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "codelength/adapters/sentencepiece.hpp"

namespace {

void set_error(char* error, std::size_t size, const char* what) {
    if (size > 0) {
        std::strncpy(error, what, size - 1);
        error[size - 1] = '\0';
    }
}

} // namespace

extern "C" {

// A loaded model, or nullptr with the reason in `error`.
__attribute__((visibility("default"))) void* codelength_spm_open(const char* path, char* error,
                                                                 std::size_t error_size) {
    try {
        return new codelength::sentencepiece_tokenizer(path);
    } catch (const std::exception& e) {
        set_error(error, error_size, e.what());
        return nullptr;
    }
}

__attribute__((visibility("default"))) void codelength_spm_close(void* model) {
    delete static_cast<codelength::sentencepiece_tokenizer*>(model);
}

// V, the BOS id and the fingerprint, in that order.
__attribute__((visibility("default"))) void codelength_spm_describe(void* model,
                                                                    std::int64_t* vocabulary_size,
                                                                    std::int64_t* bos_id,
                                                                    std::uint64_t* fingerprint) {
    const auto& tok = *static_cast<const codelength::sentencepiece_tokenizer*>(model);
    *vocabulary_size = tok.vocabulary_size();
    *bos_id = tok.bos_id();
    *fingerprint = tok.fingerprint();
}

// encode(text) into the caller's vectors (the process has one libstdc++); 0, or -1 with the error.
__attribute__((visibility("default"))) int
codelength_spm_encode(void* model, const char* text, std::size_t size, std::vector<std::int64_t>* ids,
                      std::vector<std::int64_t>* token_bytes, char* error, std::size_t error_size) {
    try {
        codelength::tokenized_text tokenized =
            static_cast<const codelength::sentencepiece_tokenizer*>(model)->encode(
                std::string_view(text, size));
        *ids = std::move(tokenized.ids);
        *token_bytes = std::move(tokenized.token_bytes);
        return 0;
    } catch (const std::exception& e) {
        set_error(error, error_size, e.what());
        return -1;
    }
}

// decode(ids) into the caller's string; 0, or -1 with the error.
__attribute__((visibility("default"))) int codelength_spm_decode(void* model, const std::int64_t* ids,
                                                                 std::size_t count, std::string* text,
                                                                 char* error, std::size_t error_size) {
    try {
        *text = static_cast<const codelength::sentencepiece_tokenizer*>(model)->decode(
            std::span<const std::int64_t>(ids, count));
        return 0;
    } catch (const std::exception& e) {
        set_error(error, error_size, e.what());
        return -1;
    }
}

} // extern "C"

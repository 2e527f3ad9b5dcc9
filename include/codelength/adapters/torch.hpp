// LibTorch adapter: a TorchScript language model as a codelength model. torch_language_model
// wraps a torch::jit::Module whose forward(ids) maps int64 token ids (B, T) to logits
// (B, T, V), row t predicting the token after position t. It scores documents teacher-forced
// in rolling windows (score), and it is a sequential categorical model with a fingerprint for
// encode_sequence/decode_sequence (next_logits, update). Optional: include this header and link
// LibTorch (CMake: codelength::torch); codelength/codelength.hpp does not include it.
//
//   auto model = codelength::torch_language_model::load("byte_model.pt", {.context_tokens = 256});
//   codelength::torch_score_result scored = model.score(tokens, {.stride_tokens = 128});
//   double bits = scored.scores.ledger.total_bits();
//   auto encoded = codelength::encode_sequence(model, tokens);          // model now at the end
//   auto decoder = codelength::torch_language_model::load("byte_model.pt", {.context_tokens = 256});
//   std::vector<std::int64_t> decoded = codelength::decode_sequence(decoder, encoded.bytes);
//
// Every token is scored and coded, the first one predicted from the beginning-of-sequence id
// (torch_model_options::bos_token), so a document of n tokens gives n scored rows.
//
// Incremental logits for coding (torch_language_model::incremental_mode()):
//  - state: the module defines `initial_state(self)` returning any state (a tensor, a tuple,
//    ...) and `step(self, ids, state)` taking ids (1, 1) int64 and returning
//    (logits (1, 1, V), new_state); one step per token, O(1) in the document length.
//  - window: otherwise, each token's row is the last row of forward over the last
//    min(context_tokens, t + 1) inputs (BOS and the tokens so far); context_tokens = 0 means all
//    of them (O(t) per token, O(n^2) per document: set a context for long documents).
//
// Determinism: what makes a stream decodable elsewhere. The decoder must compute bit-identical
// logits for every row (the quantizer turns each row into integer frequencies; one differing
// bit can change a frequency and the decoder then reads different tokens). That holds when the
// decoder runs the same model file (the fingerprint checks the module's code, the weights, V,
// BOS, context and mode before decoding) with the same LibTorch build (same version, same
// BLAS/oneDNN), the same thread count (torch_model_options::threads, 1 by default: intra-op
// reductions split by thread count sum in a different order), the same call shapes (this
// adapter's coding calls depend only on the options, never on timing), and a CPU taking the
// same kernel paths (LibTorch picks AVX2/AVX-512 kernels at run time, and their results can
// differ in the last bits: a stream written on an AVX-512 machine may not decode on an
// AVX2-only one). Deterministic algorithms are switched on by default
// (at::globalContext().setDeterministicAlgorithms) and inference runs under c10::InferenceMode.
// What fails, and how: another model, perturbed weights or the same weights with other code
// (forward, step, ...) are refused before decoding (stream_model_mismatch_error, from the
// fingerprint); a different LibTorch build or CPU that changes a logit cannot be detected in
// advance: the decoder then produces other tokens and the stream's token checksum or payload
// check fails (stream_checksum_error or stream_payload_error). Never are wrong tokens returned.
// Encoders should verify (encode, then decode_sequence with a fresh model, as verify_round_trip
// does) before keeping a stream.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/csrc/jit/serialization/python_print.h>
#include <torch/script.h>

#include "codelength/adapters/torch_view.hpp"
#include "codelength/coding/fingerprint.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/metrics/rolling_windows.hpp"
#include "codelength/metrics/score.hpp"
#include "codelength/numerics/row_kernel.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The TorchScript module failed or returned something unusable (an exception inside forward,
// output of the wrong shape, dtype or device, missing step/initial_state methods).
class torch_model_error : public error {
public:
    using error::error;
};

// How torch_language_model computes next-token logits for coding (see the header comment).
enum class torch_incremental_mode {
    automatic, // state when the module defines initial_state() and step(), window otherwise
    state,     // step(ids (1, 1), state) -> (logits (1, 1, V), new_state) once per token
    window,    // forward over the last min(context_tokens, t + 1) inputs for token t
};

// "automatic", "state" or "window".
[[nodiscard]] inline const char* torch_incremental_mode_name(torch_incremental_mode mode) noexcept {
    switch (mode) {
    case torch_incremental_mode::state:
        return "state";
    case torch_incremental_mode::window:
        return "window";
    default:
        return "automatic";
    }
}

// How a torch_language_model is set up. threads and deterministic_algorithms change LibTorch's
// process-wide settings when the model is constructed.
struct torch_model_options {
    std::int64_t bos_token = 0;      // the input that predicts the first token; in [0, V)
    std::int64_t context_tokens = 0; // most inputs per forward call (scoring and window mode); 0: unbounded
    torch_incremental_mode incremental = torch_incremental_mode::automatic;
    int threads = 1;                      // at::set_num_threads(threads); 0 leaves LibTorch's setting
    bool deterministic_algorithms = true; // at::globalContext().setDeterministicAlgorithms(true, false)
};

// How torch_language_model::score runs.
struct torch_scoring_options {
    // The rolling-window stride, in [1, context]; 0: the context itself (disjoint windows, as
    // lm-evaluation-harness's loglikelihood_rolling). Unused with an unbounded context.
    std::int64_t stride_tokens = 0;
    std::int64_t batch_windows = 1; // windows stacked into one forward call (the module must accept B > 1)
    bool keep_per_token = true; // fill score_result's per-token vectors (needed by Min-K% and --per-token)
    unsigned threads = 1;       // row-kernel threads (0 = all cores); the result does not depend on it
    kernel_choice kernel = kernel_choice::automatic;
};

// A scored document: the ledger and per-token values (scores.rows[i] is the token position;
// every token appears once, in order), and how the windows were laid out.
struct torch_score_result {
    score_result scores;
    std::int64_t context_tokens = 0; // the model's context (0: unbounded, one forward pass)
    std::int64_t stride_tokens = 0;  // the stride used (0 with an unbounded context)
    std::int64_t windows = 0;        // rolling windows (forward passes over one window each)
    std::int64_t forward_calls = 0;  // calls of forward (ceil(windows / batch_windows) when all fit)
    std::string dtype;               // the logits' dtype: float32, float64, float16 or bfloat16
};

namespace detail {

// The fingerprint seed of torch_language_model: "CLTORCH" and the scheme's version (low byte).
// Version 2 added the module's code; streams written under version 1 are refused by the
// fingerprint check (stream_model_mismatch_error) and must be coded again.
inline constexpr std::uint64_t torch_fingerprint_seed = 0x434c544f52434802ULL;

// Runs work(); rethrows LibTorch's exceptions as torch_model_error naming what was running
// (codelength's own errors pass through unchanged).
template <class Work>
decltype(auto) call_torch(std::string_view what, Work&& work) {
    try {
        return std::forward<Work>(work)();
    } catch (const error&) {
        throw;
    } catch (const c10::Error& e) {
        throw torch_model_error(std::string(what) + " failed: " + e.what_without_backtrace());
    } catch (const std::exception& e) {
        throw torch_model_error(std::string(what) + " failed: " + e.what());
    }
}

// Appends a string to the hasher with its length first (so names cannot run together).
inline void hash_string(fingerprint_hasher& hasher, std::string_view text) {
    hasher.update_u64(text.size());
    hasher.update(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

// Appends a named tensor: name, dtype, shape and its bytes in C order.
inline void hash_named_tensor(fingerprint_hasher& hasher, const std::string& name, const at::Tensor& tensor) {
    hash_string(hasher, name);
    const at::Tensor dense = tensor.detach().to(c10::Device(c10::kCPU)).contiguous();
    hash_string(hasher, c10::toString(dense.scalar_type()));
    hasher.update_u64(static_cast<std::uint64_t>(dense.dim()));
    for (const std::int64_t size : dense.sizes()) {
        hasher.update_u64(static_cast<std::uint64_t>(size));
    }
    if (dense.numel() > 0) {
        hasher.update(
            std::span<const std::byte>(static_cast<const std::byte*>(dense.data_ptr()), dense.nbytes()));
    }
}

// `text` without TorchScript's name mangling: the component ___torch_mangle_N of a dotted
// name goes, "__torch__.___torch_mangle_3.Block" becomes "__torch__.Block" and
// "__torch__.___torch_mangle_3" (a file of torch.jit.save) "__torch__". The numbers depend on
// what else the process (or the Python session that saved the file) compiled, not on the code:
// clone() renames a module's class this way.
inline std::string without_name_mangling(const std::string& text) {
    static constexpr std::string_view mark = "___torch_mangle_";
    const auto name_character = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    };
    std::string plain;
    std::size_t from = 0;
    for (std::size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, from)) {
        std::size_t end = at + mark.size();
        while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
            ++end;
        }
        const bool component = end > at + mark.size() && (at == 0 || !name_character(text[at - 1]));
        if (component && end < text.size() && text[end] == '.') { // "a.___torch_mangle_3.b"
            plain.append(text, from, at - from);
            from = end + 1;
        } else if (component && at > from && text[at - 1] == '.' &&
                   (end == text.size() || !name_character(text[end]))) { // "a.___torch_mangle_3"
            plain.append(text, from, at - 1 - from);
            from = end;
        } else {
            plain.append(text, from, end - from);
            from = end;
        }
    }
    plain.append(text, from);
    return plain;
}

// Appends a list of constants the printed code refers to (CONSTANTS.c0, ...): tensors by
// dtype, shape and bytes, anything else by its kind and printed value.
inline void hash_constants(fingerprint_hasher& hasher, const std::vector<c10::IValue>& constants) {
    hasher.update_u64(constants.size());
    for (std::size_t i = 0; i < constants.size(); ++i) {
        const std::string name = "constant " + std::to_string(i);
        if (constants[i].isTensor()) {
            hash_named_tensor(hasher, name, constants[i].toTensor());
        } else {
            std::ostringstream printed;
            printed << constants[i];
            hash_string(hasher, name + " " + constants[i].tagKind() + " " + printed.str());
        }
    }
}

// Appends the module's code, printed by TorchScript's own printer (the one torch.jit.save
// uses; it prints the code, not the numbering of values in memory, so the same file prints the
// same text in every process and a module prints as the file it saves to), with the name
// mangling removed (without_name_mangling):
//  1. every class and function the module's code uses, file by file as torch.jit.save would
//     write them, in name order, and their constants;
//  2. each module of the tree (itself, then its submodules recursively in registration order)
//     with its name and its class's code, so that which submodule runs which code is fixed
//     even when two classes differ only in their mangling; and their constants.
inline void hash_module_code(fingerprint_hasher& hasher, const torch::jit::Module& module) {
    call_torch("printing the module's code", [&] {
        torch::jit::ExtraFilesMap sources;
        std::vector<c10::IValue> constants;
        torch::jit::jitModuleToPythonCodeAndConstants(module, &sources, &constants);
        std::vector<std::pair<std::string, std::string>> files;
        for (const auto& [file, code] : sources) {
            files.emplace_back(without_name_mangling(file), without_name_mangling(code));
        }
        std::sort(files.begin(), files.end());
        hasher.update_u64(files.size());
        for (const auto& [file, code] : files) {
            hash_string(hasher, file);
            hash_string(hasher, code);
        }
        hash_constants(hasher, constants);

        std::vector<c10::IValue> module_constants;
        std::uint64_t modules = 0;
        for (const auto& named : module.named_modules()) {
            torch::jit::PrintDepsTable dependencies;
            torch::jit::PythonPrint printer(module_constants, dependencies);
            printer.printNamedType(named.value.type());
            hash_string(hasher, "module " + named.name);
            hash_string(hasher, without_name_mangling(printer.str()));
            ++modules;
        }
        hasher.update_u64(modules);
        hash_constants(hasher, module_constants);
    });
}

} // namespace detail

// A TorchScript language model (see the header comment): teacher-forced scoring in rolling
// windows, and a sequential categorical model with a fingerprint for the sequence coder.
// next_logits() returns float32 rows whatever the module's dtype (float16/bfloat16 widen
// exactly; float64 rounds to nearest). Copies share the module (and its weights) but not the
// position. Not thread-safe: use one object per thread.
class torch_language_model {
public:
    // Wraps an already loaded module (switched to eval mode; forward is called once with
    // ids [[0]] to learn V). Applies options.threads and options.deterministic_algorithms to
    // LibTorch. Throws invalid_argument_error for a negative bos_token or context_tokens or a
    // bos_token >= V; torch_model_error when forward fails or does not return a CPU floating
    // tensor of shape (1, 1, V) with V >= 1 for ids (1, 1), or when options.incremental is state
    // and the module lacks initial_state() or step().
    explicit torch_language_model(torch::jit::Module module, torch_model_options options = {})
        : m_module(std::move(module)), m_options(options) {
        if (m_options.bos_token < 0) {
            throw invalid_argument_error("torch model: bos_token is " + std::to_string(m_options.bos_token) +
                                         ", it must be >= 0");
        }
        if (m_options.context_tokens < 0) {
            throw invalid_argument_error("torch model: context_tokens is " +
                                         std::to_string(m_options.context_tokens) +
                                         ", it must be >= 0 (0: unbounded)");
        }
        if (m_options.threads < 0) {
            throw invalid_argument_error("torch model: threads is " + std::to_string(m_options.threads) +
                                         ", it must be >= 0 (0: leave LibTorch's setting)");
        }
        if (m_options.threads > 0) {
            at::set_num_threads(m_options.threads);
        }
        if (m_options.deterministic_algorithms) {
            at::globalContext().setDeterministicAlgorithms(true, false);
        }
        m_module.eval();
        const bool has_state =
            m_module.find_method("initial_state").has_value() && m_module.find_method("step").has_value();
        m_mode = m_options.incremental;
        if (m_mode == torch_incremental_mode::automatic) {
            m_mode = has_state ? torch_incremental_mode::state : torch_incremental_mode::window;
        } else if (m_mode == torch_incremental_mode::state && !has_state) {
            throw torch_model_error("torch model: incremental mode `state` needs the module to define "
                                    "initial_state(self) and step(self, ids, state); it does not");
        }
        m_vocabulary_size = 0;           // check_logits accepts any V >= 1 until V is known
        const std::int64_t first_id = 0; // in every vocabulary; the BOS id is checked against V below
        const at::Tensor probe = run_forward(make_ids(&first_id, 1, 1), 1, 1);
        m_vocabulary_size = probe.size(2);
        m_dtype = detail::torch_dtype_name(probe.scalar_type());
        if (m_options.bos_token >= m_vocabulary_size) {
            throw invalid_argument_error("torch model: bos_token " + std::to_string(m_options.bos_token) +
                                         " is outside the vocabulary [0, " +
                                         std::to_string(m_vocabulary_size) + ")");
        }
        m_fingerprint = compute_fingerprint();
        reset();
    }

    // Loads a TorchScript file (torch.jit.save) onto the CPU and wraps it as the constructor
    // does. Throws io_error when the file does not exist or cannot be read, format_error when
    // it is not a TorchScript archive, and what the constructor throws.
    [[nodiscard]] static torch_language_model load(const std::filesystem::path& path,
                                                   torch_model_options options = {}) {
        std::error_code failure;
        if (!std::filesystem::is_regular_file(path, failure)) {
            throw io_error(path.string() +
                           ": no such model file (a TorchScript module saved with torch.jit.save)");
        }
        torch::jit::Module module;
        try {
            module = torch::jit::load(path.string(), c10::Device(c10::kCPU));
        } catch (const c10::Error& e) {
            throw format_error(path.string() +
                               ": not a loadable TorchScript model: " + e.what_without_backtrace());
        } catch (const std::exception& e) {
            throw format_error(path.string() + ": not a loadable TorchScript model: " + e.what());
        }
        return torch_language_model(std::move(module), options);
    }

    // --- the sequential categorical model (core/model_concepts.hpp, coding/sequence_coder.hpp)

    // V, the length of every row (learned from forward at construction).
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return m_vocabulary_size; }

    // The float32 logits of the next token given BOS and the tokens update() has appended;
    // valid until the next update() or reset(). Runs the module (one step per pending input in
    // state mode, one forward over the window in window mode) unless the row is already there.
    // Throws torch_model_error when the module fails or returns the wrong shape; NaN or +inf
    // logits are passed on (the row kernel and the coder refuse them with invalid_row_error).
    [[nodiscard]] std::span<const float> next_logits() {
        if (!m_row_ready) {
            const c10::InferenceMode inference;
            const at::Tensor row = m_mode == torch_incremental_mode::state ? state_row() : window_row();
            m_row = row.to(c10::ScalarType::Float).contiguous();
            m_row_ready = true;
        }
        return {static_cast<const float*>(m_row.data_ptr()), static_cast<std::size_t>(m_vocabulary_size)};
    }

    // Appends token to the context. Throws invalid_argument_error for a negative token and
    // target_out_of_range_error for a token >= V (naming the position).
    void update(std::int64_t token) {
        check_token(position(), token);
        m_inputs.push_back(token);
        m_row_ready = false;
    }

    // Returns to the start of a document (only BOS in the context).
    void reset() {
        m_inputs.assign(1, m_options.bos_token);
        m_state = c10::IValue();
        m_state_inputs = 0;
        m_row_ready = false;
    }

    // Tokens appended since construction or reset().
    [[nodiscard]] std::int64_t position() const noexcept {
        return static_cast<std::int64_t>(m_inputs.size()) - 1;
    }

    // The 64-bit fingerprint the sequence coder writes and checks: the module's code (every
    // method of its class and of the classes it uses, as torch.jit.save prints them, and their
    // tensor constants), every parameter and buffer of the module (recursively: name, dtype,
    // shape, bytes), V, BOS, context_tokens and the incremental mode, hashed at construction.
    // Never 0. Two files with the same weights and different forward() differ; the same file
    // gives the same fingerprint in every process.
    [[nodiscard]] std::uint64_t fingerprint() const noexcept { return m_fingerprint; }

    // --- configuration

    // The mode next_logits uses: state or window (never automatic).
    [[nodiscard]] torch_incremental_mode incremental_mode() const noexcept { return m_mode; }
    [[nodiscard]] std::int64_t bos_token() const noexcept { return m_options.bos_token; }
    // Most inputs per forward call; 0: unbounded.
    [[nodiscard]] std::int64_t context_tokens() const noexcept { return m_options.context_tokens; }
    [[nodiscard]] const torch_model_options& options() const noexcept { return m_options; }
    [[nodiscard]] const torch::jit::Module& module() const noexcept { return m_module; }
    // The dtype of forward's logits: float32, float64, float16 or bfloat16.
    [[nodiscard]] const std::string& logits_dtype() const noexcept { return m_dtype; }

    // --- teacher-forced scoring

    // forward over one sequence of inputs (ids in [0, V)): logits (1, L, V) in the module's
    // dtype, row j predicting the token after inputs[j], checked for shape, device and dtype.
    // Runs under c10::InferenceMode. Throws invalid_argument_error / target_out_of_range_error
    // for an id outside [0, V) (naming its index), torch_model_error as the constructor does.
    [[nodiscard]] at::Tensor teacher_forced_logits(std::span<const std::int64_t> inputs) {
        for (std::size_t j = 0; j < inputs.size(); ++j) {
            check_token(static_cast<std::int64_t>(j), inputs[j]);
        }
        const auto length = static_cast<std::int64_t>(inputs.size());
        return run_forward(make_ids(inputs.data(), 1, length), 1, length);
    }

    // Scores every token of a document once, teacher-forced, in the rolling windows of
    // rolling_windows(n, context, stride) (metrics/rolling_windows.hpp): token t is predicted
    // from BOS and the tokens before it when they fit in the context, otherwise from the most
    // recent ones the window layout allows (at least context - stride of them). With
    // context_tokens() = 0 the whole document is one forward pass. Rows go through the row
    // kernel in the module's dtype (no conversion) into result.scores: the ledger, and with
    // keep_per_token the per-token values with rows[i] = i. Does not move the coding position.
    // Throws invalid_argument_error for a stride outside [0, context] or batch_windows < 1,
    // target_out_of_range_error for a token outside [0, V) (naming its position), torch_model_error
    // when forward fails or returns the wrong shape, and the row kernel's invalid_row_error for a
    // row with NaN or +inf (naming the token position).
    [[nodiscard]] torch_score_result score(std::span<const std::int64_t> tokens,
                                           const torch_scoring_options& options = {}) {
        if (options.batch_windows < 1) {
            throw invalid_argument_error("torch model score: batch_windows is " +
                                         std::to_string(options.batch_windows) + ", it must be >= 1");
        }
        const auto n = static_cast<std::int64_t>(tokens.size());
        for (std::int64_t t = 0; t < n; ++t) {
            check_token(t, tokens[static_cast<std::size_t>(t)]);
        }
        torch_score_result result;
        result.context_tokens = m_options.context_tokens;
        result.dtype = m_dtype;
        const bool unbounded = m_options.context_tokens == 0;
        const std::int64_t context = unbounded ? std::max<std::int64_t>(n, 1) : m_options.context_tokens;
        const std::int64_t stride =
            unbounded ? context : (options.stride_tokens == 0 ? context : options.stride_tokens);
        result.stride_tokens = unbounded ? 0 : stride;
        const std::vector<token_window> windows = rolling_windows(n, context, stride);
        result.windows = static_cast<std::int64_t>(windows.size());
        if (options.keep_per_token) {
            detail::start_per_token(result.scores, tokens.size());
        }
        std::vector<row_statistics> statistics;
        std::vector<std::int64_t> ids;
        for (std::size_t first = 0; first < windows.size();) {
            // A batch: up to batch_windows consecutive windows of the same length.
            const std::int64_t length = windows[first].end - windows[first].begin;
            std::size_t last = first + 1;
            while (last < windows.size() && static_cast<std::int64_t>(last - first) < options.batch_windows &&
                   windows[last].end - windows[last].begin == length) {
                ++last;
            }
            const auto batch = static_cast<std::int64_t>(last - first);
            ids.clear();
            for (std::size_t w = first; w < last; ++w) {
                for (std::int64_t j = windows[w].begin - 1; j < windows[w].end - 1; ++j) {
                    ids.push_back(j < 0 ? m_options.bos_token : tokens[static_cast<std::size_t>(j)]);
                }
            }
            const at::Tensor logits = run_forward(make_ids(ids.data(), batch, length), batch, length);
            ++result.forward_calls;
            for (std::size_t w = first; w < last; ++w) {
                const token_window& window = windows[w];
                const at::Tensor rows = logits[static_cast<std::int64_t>(w - first)];
                visit_matrix_view(rows, [&](auto view) {
                    add_scored_rows(result.scores, view, window, tokens, statistics, options);
                });
            }
            first = last;
        }
        return result;
    }

private:
    // Throws unless 0 <= token < V; position names it in the message.
    void check_token(std::int64_t position, std::int64_t token) const {
        if (token < 0) {
            throw invalid_argument_error("torch model: token " + std::to_string(position) + " is negative (" +
                                         std::to_string(token) + ")");
        }
        if (token >= m_vocabulary_size) {
            throw target_out_of_range_error(position, token, m_vocabulary_size);
        }
    }

    // An int64 tensor (rows, columns) holding values in C order.
    [[nodiscard]] static at::Tensor make_ids(const std::int64_t* values, std::int64_t rows,
                                             std::int64_t columns) {
        at::Tensor ids = at::empty({rows, columns}, at::TensorOptions().dtype(c10::ScalarType::Long));
        if (rows * columns > 0) {
            std::memcpy(ids.data_ptr(), values,
                        static_cast<std::size_t>(rows * columns) * sizeof(std::int64_t));
        }
        return ids;
    }

    // Throws torch_model_error unless logits is a CPU floating tensor of shape (batch, length, V)
    // (any V >= 1 before V is known).
    void check_logits(const c10::IValue& output, std::string_view method, std::int64_t batch,
                      std::int64_t length) const {
        const std::string where = "torch model: " + std::string(method) + " for ids (" +
                                  std::to_string(batch) + ", " + std::to_string(length) + ")";
        if (!output.isTensor()) {
            throw torch_model_error(where + " returned a " + output.tagKind() + ", not a tensor of logits");
        }
        const at::Tensor& logits = output.toTensor();
        const bool shape_ok =
            logits.dim() == 3 && logits.size(0) == batch && logits.size(1) == length &&
            (m_vocabulary_size == 0 ? logits.size(2) >= 1 : logits.size(2) == m_vocabulary_size);
        if (!shape_ok) {
            const std::string vocabulary = m_vocabulary_size == 0 ? "V" : std::to_string(m_vocabulary_size);
            throw torch_model_error(where + " returned logits of shape " +
                                    detail::torch_int_list(logits.sizes()) + ", expected (" +
                                    std::to_string(batch) + ", " + std::to_string(length) + ", " +
                                    vocabulary + ")");
        }
        if (!logits.device().is_cpu()) {
            throw torch_model_error(where + " returned logits on " + logits.device().str() +
                                    ", expected the CPU");
        }
        const c10::ScalarType dtype = logits.scalar_type();
        if (dtype != c10::ScalarType::Float && dtype != c10::ScalarType::Double &&
            dtype != c10::ScalarType::Half && dtype != c10::ScalarType::BFloat16) {
            throw torch_model_error(where + " returned logits of dtype " + detail::torch_dtype_name(dtype) +
                                    ", expected float32, float64, float16 or bfloat16");
        }
    }

    // forward(ids) with ids (batch, length), checked: logits (batch, length, V).
    [[nodiscard]] at::Tensor run_forward(const at::Tensor& ids, std::int64_t batch, std::int64_t length) {
        const c10::InferenceMode inference;
        c10::IValue output = detail::call_torch(
            "torch model: forward", [&] { return m_module.forward(std::vector<c10::IValue>{ids}); });
        check_logits(output, "forward", batch, length);
        return output.toTensor();
    }

    // Window mode: the last row of forward over the last min(context, t + 1) inputs.
    [[nodiscard]] at::Tensor window_row() {
        const auto inputs = static_cast<std::int64_t>(m_inputs.size());
        const std::int64_t length =
            m_options.context_tokens == 0 ? inputs : std::min(inputs, m_options.context_tokens);
        const at::Tensor logits =
            run_forward(make_ids(m_inputs.data() + (inputs - length), 1, length), 1, length);
        return logits[0][length - 1];
    }

    // State mode: steps the state through every input it has not seen; the last step's row.
    [[nodiscard]] at::Tensor state_row() {
        const c10::InferenceMode inference;
        if (m_state_inputs == 0) {
            m_state = detail::call_torch("torch model: initial_state", [&] {
                return m_module.get_method("initial_state")(std::vector<c10::IValue>{});
            });
        }
        at::Tensor row;
        torch::jit::Method step = m_module.get_method("step");
        for (; m_state_inputs < m_inputs.size(); ++m_state_inputs) {
            const at::Tensor ids = make_ids(&m_inputs[m_state_inputs], 1, 1);
            c10::IValue output = detail::call_torch("torch model: step", [&] {
                return step(std::vector<c10::IValue>{ids, m_state});
            });
            if (!output.isTuple() || output.toTupleRef().elements().size() != 2) {
                throw torch_model_error("torch model: step returned a " + output.tagKind() +
                                        ", expected a tuple (logits (1, 1, V), new_state)");
            }
            const auto& elements = output.toTupleRef().elements();
            check_logits(elements[0], "step", 1, 1);
            m_state = elements[1];
            row = elements[0].toTensor()[0][0];
        }
        return row;
    }

    // Adds the scored rows of one window (its targets [scored_begin, end)) to scores.
    template <class Element>
    void add_scored_rows(score_result& scores, matrix_view<Element> window_rows, const token_window& window,
                         std::span<const std::int64_t> tokens, std::vector<row_statistics>& statistics,
                         const torch_scoring_options& options) const {
        const std::int64_t skipped = window.scored_begin - window.begin;
        const std::int64_t count = window.end - window.scored_begin;
        matrix_view<Element> part = window_rows;
        part.data = window_rows.data + skipped * window_rows.row_stride;
        part.rows = count;
        statistics.resize(static_cast<std::size_t>(count));
        evaluate_rows(
            part,
            tokens.subspan(static_cast<std::size_t>(window.scored_begin), static_cast<std::size_t>(count)),
            std::span<row_statistics>(statistics), row_evaluation_options{options.threads, options.kernel},
            window.scored_begin);
        for (std::int64_t i = 0; i < count; ++i) {
            const row_statistics& stats = statistics[static_cast<std::size_t>(i)];
            scores.ledger.add(stats);
            if (options.keep_per_token) {
                detail::keep_per_token(scores, window.scored_begin + i, stats);
            }
        }
    }

    [[nodiscard]] std::uint64_t compute_fingerprint() const {
        fingerprint_hasher hasher(detail::torch_fingerprint_seed);
        hasher.update_u64(static_cast<std::uint64_t>(m_vocabulary_size));
        hasher.update_u64(static_cast<std::uint64_t>(m_options.bos_token));
        hasher.update_u64(static_cast<std::uint64_t>(m_options.context_tokens));
        hasher.update_u64(static_cast<std::uint64_t>(m_mode));
        const c10::InferenceMode inference;
        std::uint64_t count = 0;
        for (const auto& parameter : m_module.named_parameters(/*recurse=*/true)) {
            detail::hash_named_tensor(hasher, "parameter " + parameter.name, parameter.value);
            ++count;
        }
        for (const auto& buffer : m_module.named_buffers(/*recurse=*/true)) {
            detail::hash_named_tensor(hasher, "buffer " + buffer.name, buffer.value);
            ++count;
        }
        hasher.update_u64(count);
        detail::hash_module_code(hasher, m_module);
        const std::uint64_t digest = hasher.digest();
        return digest == 0 ? 1 : digest; // 0 means "not fingerprinted" in the stream header
    }

    torch::jit::Module m_module;
    torch_model_options m_options;
    torch_incremental_mode m_mode = torch_incremental_mode::window;
    std::int64_t m_vocabulary_size = 0;
    std::uint64_t m_fingerprint = 0;
    std::string m_dtype;                // the dtype of forward's logits (at construction)
    std::vector<std::int64_t> m_inputs; // BOS, then every token appended
    c10::IValue m_state;                // state mode: the state after m_state_inputs inputs
    std::size_t m_state_inputs = 0;     // state mode: inputs the state has consumed
    at::Tensor m_row;                   // the current float32 row (1-D, V entries)
    bool m_row_ready = false;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

// LibTorch adapter: tensors viewed in place (data pointers equal, any strides, four dtypes,
// scores equal to torch's log_softmax), and a TorchScript model built here (an embedding
// table, a causal running mean and an output matrix; a variant also defines initial_state and
// step) scored in rolling windows and coded with the sequence coder.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/adapters/torch.hpp"
#include "codelength/codelength.hpp"
#include "support/catch.hpp"

namespace {

using codelength::torch_incremental_mode;
using codelength::torch_language_model;
using codelength::torch_model_options;

// Seeded normal values as a float32 tensor of the given shape.
at::Tensor random_tensor(std::vector<std::int64_t> shape, std::uint32_t seed, float scale = 1.0F) {
    at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(c10::ScalarType::Float));
    std::mt19937 rng(seed);
    std::normal_distribution<float> value(0.0F, scale);
    auto* data = static_cast<float*>(tensor.data_ptr());
    for (std::int64_t i = 0; i < tensor.numel(); ++i) {
        data[i] = value(rng);
    }
    return tensor;
}

std::vector<std::int64_t> random_tokens(std::int64_t count, std::int64_t vocabulary_size,
                                        std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::int64_t> token(0, vocabulary_size - 1);
    std::vector<std::int64_t> tokens(static_cast<std::size_t>(count));
    for (auto& t : tokens) {
        t = token(rng);
    }
    return tokens;
}

// The tiny language model: e_j = table[ids_j], h_j = tanh(e_j + mean(e_0..e_j)), logits_j =
// h_j @ out. `logits_expression` post-processes `logits` (to test bad outputs); with_state adds
// initial_state() and step() computing the same running mean incrementally (state = [count,
// sum of e]).
torch::jit::Module tiny_module(std::int64_t vocabulary_size, std::int64_t hidden, std::uint32_t seed,
                               bool with_state = false, const std::string& logits_expression = "logits") {
    torch::jit::Module module("tiny_lm");
    module.register_parameter("table", random_tensor({vocabulary_size, hidden}, seed), false);
    module.register_parameter("out", random_tensor({hidden, vocabulary_size}, seed + 1, 2.0F), false);
    module.define(R"(
def forward(self, ids):
    e = self.table.index_select(0, ids.reshape(-1)).reshape(ids.size(0), ids.size(1), -1)
    n = torch.arange(1, ids.size(1) + 1).to(e.dtype).reshape(1, -1, 1)
    h = torch.tanh(e + torch.cumsum(e, dim=1) / n)
    logits = torch.matmul(h, self.out)
    return )" + logits_expression +
                  "\n");
    if (with_state) {
        module.define(R"(
def initial_state(self):
    return torch.zeros(self.table.size(1) + 1, dtype=self.table.dtype)

def step(self, ids, state):
    e = self.table.index_select(0, ids.reshape(-1))[0]
    count = state[0:1] + 1.0
    total = state[1:] + e
    h = torch.tanh(e + total / count)
    return (torch.matmul(h, self.out).reshape(1, 1, -1), torch.cat([count, total]))
)");
    }
    return module;
}

constexpr std::int64_t vocabulary = 37;
constexpr std::int64_t hidden = 8;

// Per-token surprisals of the model's own sequential rows (next_logits / update).
std::vector<double> sequential_surprisal_bits(torch_language_model& model,
                                              std::span<const std::int64_t> tokens) {
    const codelength::score_result result =
        codelength::score_sequence(model, tokens, codelength::score_options{.keep_per_token = true});
    return result.surprisal_bits;
}

} // namespace

TEMPLATE_TEST_CASE("as_matrix_view views CPU tensors in place, with any strides", "[torch][view]", float,
                   double, codelength::float16, codelength::bfloat16) {
    constexpr c10::ScalarType dtype = codelength::detail::torch_dtype_of<TestType>();
    const std::uint32_t seed = std::random_device{}();
    INFO("seed " << seed);
    constexpr std::int64_t rows = 9;
    constexpr std::int64_t columns = 13;
    const std::vector<std::int64_t> targets = random_tokens(rows, columns, seed);

    // Scores of a (rows, columns) tensor through the view equal -log2 softmax from torch.
    auto check_scores = [&](const at::Tensor& logits) {
        const auto view = codelength::as_matrix_view<TestType>(logits);
        CHECK(view.data == static_cast<const TestType*>(logits.data_ptr()));
        REQUIRE(view.rows == rows);
        REQUIRE(view.columns == columns);
        const codelength::score_result scored =
            codelength::score_logits(view, std::span<const std::int64_t>(targets), {.keep_per_token = true});
        const at::Tensor reference = at::log_softmax(logits.to(c10::ScalarType::Double), 1);
        for (std::int64_t r = 0; r < rows; ++r) {
            const double expected_bits =
                -reference[r][targets[static_cast<std::size_t>(r)]].item<double>() / std::log(2.0);
            CHECK(scored.surprisal_bits[static_cast<std::size_t>(r)] ==
                  Catch::Approx(expected_bits).epsilon(1e-5));
        }
    };

    SECTION("contiguous 2-D") {
        const at::Tensor logits = random_tensor({rows, columns}, seed).to(dtype);
        const auto view = codelength::as_matrix_view<TestType>(logits);
        CHECK(view.row_stride == columns);
        CHECK(view.column_stride == 1);
        check_scores(logits);
    }
    SECTION("transposed 2-D (column-major memory)") {
        const at::Tensor logits = random_tensor({columns, rows}, seed).to(dtype).t();
        const auto view = codelength::as_matrix_view<TestType>(logits);
        CHECK(view.row_stride == 1);
        CHECK(view.column_stride == rows);
        check_scores(logits);
    }
    SECTION("sliced 2-D: every other row of a wider tensor, columns from an offset") {
        const at::Tensor big = random_tensor({2 * rows, columns + 5}, seed).to(dtype);
        const at::Tensor logits = big.slice(0, 0, 2 * rows, 2).slice(1, 3, 3 + columns);
        const auto view = codelength::as_matrix_view<TestType>(logits);
        CHECK(view.row_stride == 2 * (columns + 5));
        CHECK(view.data == static_cast<const TestType*>(big.data_ptr()) + 3);
        check_scores(logits);
    }
    SECTION("3-D (B, T, V) as B * T rows, contiguous and sliced along V") {
        const at::Tensor contiguous = random_tensor({3, 3, columns}, seed).to(dtype);
        const auto view = codelength::as_matrix_view<TestType>(contiguous);
        CHECK(view.rows == 9);
        CHECK(view.row_stride == columns);
        check_scores(contiguous.reshape({rows, columns}));
        for (std::int64_t b = 0; b < 3; ++b) {
            for (std::int64_t t = 0; t < 3; ++t) {
                CHECK(&view(b * 3 + t, 4) == static_cast<const TestType*>(contiguous[b][t][4].data_ptr()));
            }
        }
        const at::Tensor wide = random_tensor({3, 3, columns + 4}, seed).to(dtype);
        const auto narrow = codelength::as_matrix_view<TestType>(wide.slice(2, 2, 2 + columns));
        CHECK(narrow.row_stride == columns + 4);
        CHECK(narrow.data == static_cast<const TestType*>(wide.data_ptr()) + 2);
    }
    SECTION("3-D whose strides are not one row stride: a clear error") {
        const at::Tensor logits = random_tensor({3, 4, columns}, seed).to(dtype).slice(1, 0, 3);
        CHECK_THROWS_WITH(codelength::as_matrix_view<TestType>(logits),
                          Catch::Contains("stride(0) == T * stride(1)") &&
                              Catch::Contains("shape (3, 3, 13)") && Catch::Contains("strides (52, 13, 1)"));
        // One batch entry of it is a plain 2-D view.
        CHECK(codelength::as_matrix_view<TestType>(logits[1]).rows == 3);
    }
}

TEST_CASE("as_matrix_view refuses what it cannot view, naming why", "[torch][view]") {
    const at::Tensor logits = random_tensor({4, 5}, 1);
    CHECK_THROWS_AS(codelength::as_matrix_view<double>(logits), codelength::invalid_argument_error);
    CHECK_THROWS_WITH(codelength::as_matrix_view<double>(logits),
                      Catch::Contains("dtype is float32") && Catch::Contains("needs float64"));
    CHECK_THROWS_WITH(codelength::as_matrix_view<float>(random_tensor({20}, 1)),
                      Catch::Contains("1 dimensions"));
    CHECK_THROWS_WITH(codelength::as_matrix_view<float>(random_tensor({1, 2, 2, 5}, 1)),
                      Catch::Contains("4 dimensions"));
    CHECK_THROWS_WITH(codelength::as_matrix_view<float>(at::Tensor()), Catch::Contains("undefined"));
    const at::Tensor meta =
        at::empty({4, 5}, at::TensorOptions().dtype(c10::ScalarType::Float).device(c10::kMeta));
    CHECK_THROWS_WITH(codelength::as_matrix_view<float>(meta), Catch::Contains("device meta"));
    CHECK_THROWS_WITH(codelength::as_matrix_view<float>(random_tensor({1, 5}, 1).expand({4, 5})),
                      Catch::Contains("stride 0"));
    const at::Tensor integers = at::zeros({4, 5}, at::TensorOptions().dtype(c10::ScalarType::Long));
    CHECK_THROWS_WITH(codelength::visit_matrix_view(integers, [](auto view) { return view.rows; }),
                      Catch::Contains("Long") && Catch::Contains("float32, float64"));
    CHECK(codelength::visit_matrix_view(logits.to(c10::ScalarType::BFloat16),
                                        [](auto view) { return view.rows; }) == 4);
}

TEST_CASE("torch_language_model learns V and chooses the incremental mode", "[torch][model]") {
    torch_language_model plain(tiny_module(vocabulary, hidden, 7));
    CHECK(plain.vocabulary_size() == vocabulary);
    CHECK(plain.incremental_mode() == torch_incremental_mode::window);
    CHECK(plain.logits_dtype() == "float32");
    CHECK(at::get_num_threads() == 1);
    CHECK(at::globalContext().deterministicAlgorithms());
    STATIC_REQUIRE(codelength::sequential_categorical_model<torch_language_model>);
    STATIC_REQUIRE(codelength::fingerprinted_model<torch_language_model>);

    torch_language_model stateful(tiny_module(vocabulary, hidden, 7, true));
    CHECK(stateful.incremental_mode() == torch_incremental_mode::state);
    torch_language_model forced_window(tiny_module(vocabulary, hidden, 7, true),
                                       {.incremental = torch_incremental_mode::window});
    CHECK(forced_window.incremental_mode() == torch_incremental_mode::window);
    CHECK(forced_window.fingerprint() != stateful.fingerprint());
    CHECK_THROWS_AS(torch_language_model(tiny_module(vocabulary, hidden, 7),
                                         {.incremental = torch_incremental_mode::state}),
                    codelength::torch_model_error);
    // Same weights, same options: same fingerprint; another BOS or context: another one.
    CHECK(torch_language_model(tiny_module(vocabulary, hidden, 7)).fingerprint() == plain.fingerprint());
    CHECK(torch_language_model(tiny_module(vocabulary, hidden, 7), {.bos_token = 1}).fingerprint() !=
          plain.fingerprint());
    CHECK(torch_language_model(tiny_module(vocabulary, hidden, 7), {.context_tokens = 8}).fingerprint() !=
          plain.fingerprint());
}

TEST_CASE("windowed scoring scores every token exactly once", "[torch][score]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed " << seed);
    const std::vector<std::int64_t> tokens = random_tokens(50, vocabulary, seed);
    struct layout {
        std::int64_t n, context, stride, batch;
    };
    for (const layout l :
         {layout{50, 16, 16, 1}, layout{50, 16, 5, 1}, layout{50, 16, 5, 4}, layout{50, 16, 1, 8},
          layout{7, 16, 4, 1}, layout{16, 16, 3, 2}, layout{0, 16, 4, 1}, layout{50, 0, 0, 1}}) {
        INFO("n " << l.n << " context " << l.context << " stride " << l.stride << " batch " << l.batch);
        torch_language_model model(tiny_module(vocabulary, hidden, 11), {.context_tokens = l.context});
        const std::span<const std::int64_t> document(tokens.data(), static_cast<std::size_t>(l.n));
        const codelength::torch_score_result result =
            model.score(document, {.stride_tokens = l.stride, .batch_windows = l.batch});
        REQUIRE(result.scores.ledger.tokens() == l.n);
        REQUIRE(result.scores.rows.size() == static_cast<std::size_t>(l.n));
        for (std::int64_t t = 0; t < l.n; ++t) {
            CHECK(result.scores.rows[static_cast<std::size_t>(t)] == t);
        }
        const std::int64_t context = l.context == 0 ? std::max<std::int64_t>(l.n, 1) : l.context;
        const auto windows = static_cast<std::int64_t>(
            codelength::rolling_windows(l.n, context, l.stride == 0 ? context : l.stride).size());
        CHECK(result.windows == windows);
        CHECK(result.forward_calls == (l.n <= context ? windows : (windows + l.batch - 1) / l.batch));
        CHECK(result.context_tokens == l.context);
        CHECK(result.stride_tokens == l.stride);
        CHECK(result.dtype == "float32");
        // Batching windows changes no score (beyond float reassociation in the batched matmul).
        const codelength::torch_score_result one_by_one = model.score(document, {.stride_tokens = l.stride});
        for (std::size_t i = 0; i < one_by_one.scores.surprisal_bits.size(); ++i) {
            CHECK(result.scores.surprisal_bits[i] ==
                  Catch::Approx(one_by_one.scores.surprisal_bits[i]).epsilon(1e-5));
        }
    }
}

TEST_CASE("stride-1 windows give each token the same context as the window-mode coder", "[torch][score]") {
    // Token t sees the last min(context, t + 1) inputs of BOS, x_0 .. x_{t-1} both ways, so the
    // rows agree up to float reassociation (forward runs on inputs of different lengths).
    const std::uint32_t seed = std::random_device{}();
    INFO("seed " << seed);
    const std::vector<std::int64_t> tokens = random_tokens(40, vocabulary, seed);
    torch_language_model model(tiny_module(vocabulary, hidden, 3), {.context_tokens = 6});
    const codelength::torch_score_result windowed = model.score(tokens, {.stride_tokens = 1});
    const std::vector<double> sequential = sequential_surprisal_bits(model, tokens);
    REQUIRE(sequential.size() == tokens.size());
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        INFO("token " << t);
        CHECK(windowed.scores.surprisal_bits[t] == Catch::Approx(sequential[t]).epsilon(1e-5));
    }
    // A stride of 6 gives some tokens less context: a different (here, not identical) total.
    CHECK(model.score(tokens, {.stride_tokens = 6}).scores.ledger.total_bits() !=
          windowed.scores.ledger.total_bits());
}

TEST_CASE("a document that fits the context scores as one full-context pass", "[torch][score]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed " << seed);
    const std::vector<std::int64_t> tokens = random_tokens(30, vocabulary, seed);
    torch_language_model unbounded(tiny_module(vocabulary, hidden, 5, true));
    torch_language_model fits(tiny_module(vocabulary, hidden, 5, true), {.context_tokens = 30});
    const codelength::torch_score_result one_pass = unbounded.score(tokens);
    const codelength::torch_score_result windowed = fits.score(tokens, {.stride_tokens = 7});
    CHECK(one_pass.windows == 1);
    CHECK(windowed.windows == 1);
    // The same single forward call: bit-identical.
    CHECK(windowed.scores.ledger == one_pass.scores.ledger);
    CHECK(windowed.scores.surprisal_bits == one_pass.scores.surprisal_bits);
    // The state-mode coder computes the same running mean one step at a time: equal up to float
    // reassociation (a (1, 1, H) x (H, V) product instead of a (1, T, H) one), not bit-identical.
    const std::vector<double> stepped = sequential_surprisal_bits(unbounded, tokens);
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        CHECK(stepped[t] == Catch::Approx(one_pass.scores.surprisal_bits[t]).epsilon(1e-5));
    }
    CHECK(one_pass.scores.ledger.total_bits() ==
          Catch::Approx(
              codelength::score_sequence(torch_language_model(tiny_module(vocabulary, hidden, 5, true)),
                                         std::span<const std::int64_t>(tokens))
                  .total_bits())
              .epsilon(1e-6));
}

TEST_CASE("window and state mode both round-trip through the sequence coder", "[torch][coding]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed " << seed);
    const std::vector<std::int64_t> tokens = random_tokens(120, vocabulary, seed);
    const torch::jit::Module stateful = tiny_module(vocabulary, hidden, 9, true);
    for (const auto mode : {torch_incremental_mode::window, torch_incremental_mode::state}) {
        INFO("mode " << codelength::torch_incremental_mode_name(mode));
        const torch_model_options options{.context_tokens = mode == torch_incremental_mode::window ? 24 : 0,
                                          .incremental = mode};
        const codelength::encoded_stream encoded =
            codelength::verify_round_trip([&] { return torch_language_model(stateful, options); }, tokens);
        // The ledger's ideal bits are the model's own rows; the real stream is close to them.
        torch_language_model scorer(stateful, options);
        const double ideal_bits =
            codelength::score_sequence(scorer, std::span<const std::int64_t>(tokens)).total_bits();
        CHECK(encoded.ledger.ideal_bits == Catch::Approx(ideal_bits).epsilon(1e-9));
        CHECK(static_cast<double>(encoded.ledger.payload_bits) < ideal_bits + 64.0);
    }
    // A stream coded in one mode is refused by a model in the other (the fingerprint differs).
    torch_language_model state_model(stateful);
    const codelength::encoded_stream encoded = codelength::encode_sequence(state_model, tokens);
    torch_language_model window_model(stateful, {.incremental = torch_incremental_mode::window});
    CHECK_THROWS_AS(codelength::decode_sequence(window_model, encoded.bytes),
                    codelength::stream_model_mismatch_error);
}

TEST_CASE("perturbed weights make decoding fail with the model-mismatch error", "[torch][coding]") {
    const std::vector<std::int64_t> tokens = random_tokens(60, vocabulary, 21);
    const torch::jit::Module original = tiny_module(vocabulary, hidden, 13);
    torch_language_model encoder(original, {.context_tokens = 16});
    const codelength::encoded_stream encoded = codelength::encode_sequence(encoder, tokens);

    torch::jit::Module perturbed = original.clone();
    {
        const at::NoGradGuard no_grad;
        at::Tensor out = perturbed.attr("out").toTensor();
        auto* first = static_cast<float*>(out.data_ptr());
        *first = std::nextafter(*first, 1e9F); // one ulp of one weight
    }
    torch_language_model decoder(perturbed, {.context_tokens = 16});
    CHECK(decoder.fingerprint() != encoder.fingerprint());
    CHECK_THROWS_AS(codelength::decode_sequence(decoder, encoded.bytes),
                    codelength::stream_model_mismatch_error);
    CHECK_THROWS_WITH(codelength::decode_sequence(decoder, encoded.bytes), Catch::Contains("fingerprint"));
    // The unperturbed clone still decodes.
    torch_language_model same(original.clone(), {.context_tokens = 16});
    CHECK(codelength::decode_sequence(same, encoded.bytes) == tokens);
}

TEST_CASE("a bfloat16 model scores in its own dtype and codes through float32 rows", "[torch][coding]") {
    const std::vector<std::int64_t> tokens = random_tokens(40, vocabulary, 4);
    const torch::jit::Module module =
        tiny_module(vocabulary, hidden, 17, false, "logits.to(15)" /* 15: torch.bfloat16 */);
    torch_language_model model(module, {.context_tokens = 8});
    CHECK(model.logits_dtype() == "bfloat16");
    const codelength::torch_score_result scored = model.score(tokens, {.stride_tokens = 1});
    CHECK(scored.dtype == "bfloat16");
    const codelength::encoded_stream encoded = codelength::verify_round_trip(
        [&] { return torch_language_model(module, {.context_tokens = 8}); }, tokens);
    // bfloat16 -> float32 is exact, so the coder's rows are the scored rows.
    CHECK(encoded.ledger.ideal_bits == Catch::Approx(scored.scores.ledger.total_bits()).epsilon(1e-9));
}

TEST_CASE("bad models and bad tokens give clear errors", "[torch][errors]") {
    const std::vector<std::int64_t> tokens = random_tokens(20, vocabulary, 8);
    SECTION("forward returns the wrong rank") {
        CHECK_THROWS_WITH(
            torch_language_model(tiny_module(vocabulary, hidden, 1, false, "logits[0]")),
            Catch::Contains("forward for ids (1, 1) returned logits of shape (1, 37), expected (1, 1, V)"));
    }
    SECTION("forward returns too few positions") {
        torch_language_model model(tiny_module(vocabulary, hidden, 1, false, "logits[:, :1]"));
        CHECK_THROWS_AS(model.score(tokens), codelength::torch_model_error);
        CHECK_THROWS_WITH(model.score(tokens), Catch::Contains("expected (1, 20, 37)"));
        model.update(tokens[0]);
        CHECK_THROWS_WITH(model.next_logits(), Catch::Contains("expected (1, 2, 37)"));
    }
    SECTION("forward returns no tensor, or fails inside") {
        CHECK_THROWS_WITH(torch_language_model(tiny_module(vocabulary, hidden, 1, false, "(logits, logits)")),
                          Catch::Contains("not a tensor of logits"));
        CHECK_THROWS_AS(
            torch_language_model(tiny_module(vocabulary, hidden, 1, false, "logits.reshape(5, -1)")),
            codelength::torch_model_error);
    }
    SECTION("tokens outside the vocabulary") {
        std::vector<std::int64_t> bad = tokens;
        bad[5] = vocabulary;
        torch_language_model model(tiny_module(vocabulary, hidden, 1));
        CHECK_THROWS_AS(model.score(bad), codelength::target_out_of_range_error);
        CHECK_THROWS_WITH(model.score(bad), Catch::Contains("row 5: target 37"));
        CHECK_THROWS_AS(codelength::encode_sequence(model, bad), codelength::target_out_of_range_error);
        CHECK_THROWS_AS(model.update(-1), codelength::invalid_argument_error);
        CHECK_THROWS_AS(torch_language_model(tiny_module(vocabulary, hidden, 1), {.bos_token = vocabulary}),
                        codelength::invalid_argument_error);
    }
    SECTION("NaN logits") {
        torch_language_model model(tiny_module(vocabulary, hidden, 1, false, "logits * float('nan')"));
        CHECK_THROWS_AS(model.score(tokens), codelength::invalid_row_error);
        CHECK_THROWS_AS(codelength::encode_sequence(model, tokens), codelength::invalid_row_error);
    }
    SECTION("bad scoring options") {
        torch_language_model model(tiny_module(vocabulary, hidden, 1), {.context_tokens = 4});
        CHECK_THROWS_WITH(model.score(tokens, {.stride_tokens = 5}), Catch::Contains("stride_tokens is 5"));
        CHECK_THROWS_AS(model.score(tokens, {.batch_windows = 0}), codelength::invalid_argument_error);
    }
    SECTION("missing or malformed model files") {
        const std::filesystem::path missing =
            std::filesystem::temp_directory_path() / "codelength_no_such_model.pt";
        CHECK_THROWS_AS(torch_language_model::load(missing), codelength::io_error);
        const std::filesystem::path garbage =
            std::filesystem::temp_directory_path() /
            ("codelength_garbage_" + std::to_string(std::random_device{}()) + ".pt");
        std::ofstream(garbage) << "this is not a TorchScript archive";
        CHECK_THROWS_AS(torch_language_model::load(garbage), codelength::format_error);
        std::filesystem::remove(garbage);
    }
}

TEST_CASE("a saved TorchScript file loads and codes like the module", "[torch][model]") {
    const std::vector<std::int64_t> tokens = random_tokens(30, vocabulary, 2);
    const torch::jit::Module module = tiny_module(vocabulary, hidden, 19, true);
    const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                       ("codelength_tiny_" + std::to_string(std::random_device{}()) + ".pt");
    module.save(path.string());
    torch_language_model loaded = torch_language_model::load(path);
    std::filesystem::remove(path);
    torch_language_model direct(module);
    CHECK(loaded.fingerprint() == direct.fingerprint());
    CHECK(loaded.incremental_mode() == torch_incremental_mode::state);
    const codelength::encoded_stream encoded = codelength::encode_sequence(direct, tokens);
    CHECK(codelength::decode_sequence(loaded, encoded.bytes) == tokens);
}

TEST_CASE("the fingerprint covers the module's code, not only its weights", "[torch][model]") {
    // Same parameters (seed 7), forward's logits scaled by 1 and by 2: other code, other fingerprint.
    const torch::jit::Module plain_module = tiny_module(vocabulary, hidden, 7);
    const torch::jit::Module doubled_module = tiny_module(vocabulary, hidden, 7, false, "logits * 2.0");
    torch_language_model plain(plain_module);
    torch_language_model doubled(doubled_module);
    CHECK(doubled.vocabulary_size() == plain.vocabulary_size());
    CHECK(doubled.fingerprint() != plain.fingerprint());
    // A state-mode module whose step differs from another's only in its code.
    CHECK(torch_language_model(tiny_module(vocabulary, hidden, 7, true)).fingerprint() !=
          torch_language_model(tiny_module(vocabulary, hidden, 7, true, "logits + 0.0")).fingerprint());
    // clone() renames the class (___torch_mangle_N): the code and the fingerprint are the same.
    CHECK(torch_language_model(plain_module.clone()).fingerprint() == plain.fingerprint());

    // Saved, then loaded twice: each file gives its module's fingerprint every time.
    const std::string stem = std::to_string(std::random_device{}());
    const std::filesystem::path plain_path =
        std::filesystem::temp_directory_path() / ("codelength_plain_" + stem + ".pt");
    const std::filesystem::path doubled_path =
        std::filesystem::temp_directory_path() / ("codelength_doubled_" + stem + ".pt");
    plain_module.save(plain_path.string());
    doubled_module.save(doubled_path.string());
    torch_language_model plain_loaded = torch_language_model::load(plain_path);
    torch_language_model doubled_loaded = torch_language_model::load(doubled_path);
    const std::uint64_t plain_again = torch_language_model::load(plain_path).fingerprint();
    const std::uint64_t doubled_again = torch_language_model::load(doubled_path).fingerprint();
    std::filesystem::remove(plain_path);
    std::filesystem::remove(doubled_path);
    CHECK(plain_loaded.fingerprint() == plain.fingerprint());
    CHECK(plain_again == plain.fingerprint());
    CHECK(doubled_loaded.fingerprint() == doubled.fingerprint());
    CHECK(doubled_again == doubled.fingerprint());

    // A stream coded with one is refused by the other before any token is decoded.
    const std::vector<std::int64_t> tokens = random_tokens(40, vocabulary, 5);
    const codelength::encoded_stream encoded = codelength::encode_sequence(plain, tokens);
    CHECK_THROWS_AS(codelength::decode_sequence(doubled_loaded, encoded.bytes),
                    codelength::stream_model_mismatch_error);
    CHECK(doubled_loaded.position() == 0);
    CHECK(codelength::decode_sequence(plain_loaded, encoded.bytes) == tokens);
}

// A module whose submodules p and q have the same parameters and classes of the same name whose
// code differs (x * w, x + w): swapping which one is p must change the fingerprint even though
// the set of classes and every parameter stay the same, and the printed files differ only in the
// name mangling of the second block (which the fingerprint ignores).
torch::jit::Module swapped_submodules(bool multiply_first) {
    const auto block = [](const std::string& operation) {
        torch::jit::Module child("block");
        child.register_parameter("w", random_tensor({vocabulary}, 31), false);
        child.define("def forward(self, x):\n    return x " + operation + " self.w\n");
        return child;
    };
    torch::jit::Module root("lm.swap_lm"); // in a file of its own: the blocks' files hold only them
    root.register_parameter("table", random_tensor({vocabulary, hidden}, 32), false);
    root.register_parameter("out", random_tensor({hidden, vocabulary}, 33), false);
    root.register_module("p", block(multiply_first ? "*" : "+"));
    root.register_module("q", block(multiply_first ? "+" : "*"));
    root.define(R"(
def forward(self, ids):
    e = self.table.index_select(0, ids.reshape(-1)).reshape(ids.size(0), ids.size(1), -1)
    return self.q.forward(self.p.forward(torch.matmul(torch.tanh(e), self.out)))
)");
    return root;
}

TEST_CASE("the fingerprint ties each submodule to its own code", "[torch][model]") {
    torch_language_model multiply_first(swapped_submodules(true));
    torch_language_model add_first(swapped_submodules(false));
    CHECK(multiply_first.fingerprint() != add_first.fingerprint());
    CHECK(torch_language_model(swapped_submodules(true)).fingerprint() == multiply_first.fingerprint());
}

// Rough timings for the report (hidden: run with `test_torch_adapter "[.timing]"`).
TEST_CASE("timing: 10,000 tokens, window vs state mode", "[.timing]") {
    constexpr std::int64_t timing_vocabulary = 256;
    const std::vector<std::int64_t> tokens = random_tokens(10000, timing_vocabulary, 1);
    const torch::jit::Module module = tiny_module(timing_vocabulary, 32, 1, true);
    auto seconds = [](auto&& work) {
        const auto start = std::chrono::steady_clock::now();
        work();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    for (int repetition = 0; repetition < 3; ++repetition) {
        torch_language_model windowed(module,
                                      {.context_tokens = 256, .incremental = torch_incremental_mode::window});
        torch_language_model stepped(module, {.incremental = torch_incremental_mode::state});
        torch_language_model unbounded(module);
        std::printf("score, one pass (context 0):            %.3f s\n",
                    seconds([&] { (void)unbounded.score(tokens); }));
        std::printf("score, context 256 stride 128:          %.3f s\n",
                    seconds([&] { (void)windowed.score(tokens, {.stride_tokens = 128}); }));
        std::printf("score, context 256 stride 128 batch 8:  %.3f s\n", seconds([&] {
                        (void)windowed.score(tokens, {.stride_tokens = 128, .batch_windows = 8});
                    }));
        std::printf("encode, window mode (context 256):      %.3f s\n",
                    seconds([&] { (void)codelength::encode_sequence(windowed, tokens); }));
        std::printf("encode, state mode:                     %.3f s\n",
                    seconds([&] { (void)codelength::encode_sequence(stepped, tokens); }));
    }
}

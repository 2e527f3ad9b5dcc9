// What torch_language_model::score adds to the model's own forward passes: a TorchScript model
// made here (embedding, tanh, a V-way output layer) run on a document alone
// (teacher_forced_logits, the same forward call score makes) and scored (forward, then the row
// kernel over every row, the ledger and the per-token values Min-K% needs), and that added work
// alone (rows_only). The overhead is score / forward - 1, or rows_only / forward where the
// machine is too noisy for a difference of two long runs; medians of one run:
//   bench_torch_score --benchmark_repetitions=7 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "codelength/adapters/torch.hpp"

namespace {

constexpr std::int64_t vocabulary = 32000;
constexpr std::int64_t hidden = 256;
constexpr std::int64_t document_tokens = 512;

codelength::torch_language_model make_model() {
    torch::manual_seed(0);
    torch::jit::Module module("bench_lm");
    module.register_parameter("embedding", torch::randn({vocabulary, hidden}) * 0.1, false);
    module.register_parameter("head", torch::randn({hidden, vocabulary}) * 0.1, false);
    module.define(R"(
def forward(self, ids):
    return torch.matmul(torch.tanh(torch.embedding(self.embedding, ids)), self.head)
)");
    return codelength::torch_language_model(std::move(module));
}

std::vector<std::int64_t> make_tokens() {
    std::mt19937_64 engine(1);
    std::uniform_int_distribution<std::int64_t> id(0, vocabulary - 1);
    std::vector<std::int64_t> tokens(document_tokens);
    for (auto& t : tokens) {
        t = id(engine);
    }
    return tokens;
}

void forward_only(benchmark::State& state) {
    auto model = make_model();
    const std::vector<std::int64_t> tokens = make_tokens();
    std::vector<std::int64_t> inputs{model.bos_token()};
    inputs.insert(inputs.end(), tokens.begin(), tokens.end() - 1);
    for (auto _ : state) {
        at::Tensor logits = model.teacher_forced_logits(inputs);
        benchmark::DoNotOptimize(logits.data_ptr());
    }
    state.SetItemsProcessed(state.iterations() * document_tokens);
}

void score(benchmark::State& state) {
    auto model = make_model();
    const std::vector<std::int64_t> tokens = make_tokens();
    for (auto _ : state) {
        codelength::torch_score_result result = model.score(tokens);
        benchmark::DoNotOptimize(result.scores.ledger.total_bits());
    }
    state.SetItemsProcessed(state.iterations() * document_tokens);
}

// What score adds, alone: the row kernel, the ledger and the per-token values over the
// logits of one forward pass (score_logits on the tensor's view, as score does per window).
void rows_only(benchmark::State& state) {
    auto model = make_model();
    const std::vector<std::int64_t> tokens = make_tokens();
    std::vector<std::int64_t> inputs{model.bos_token()};
    inputs.insert(inputs.end(), tokens.begin(), tokens.end() - 1);
    const at::Tensor logits = model.teacher_forced_logits(inputs);
    const auto view = codelength::as_matrix_view<float>(logits[0]);
    codelength::score_options options;
    options.keep_per_token = true;
    for (auto _ : state) {
        codelength::score_result result = codelength::score_logits(view, tokens, options);
        benchmark::DoNotOptimize(result.ledger.total_bits());
    }
    state.SetItemsProcessed(state.iterations() * document_tokens);
}

} // namespace

BENCHMARK(rows_only)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(forward_only)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(score)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();

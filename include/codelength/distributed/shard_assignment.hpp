// Deterministic assignment of shards to ranks: largest first onto the least-loaded rank (the
// LPT rule), so every rank of an MPI job computes the same plan from the same shard sizes.
// Needs no MPI; codelength/distributed/mpi.hpp gathers what the ranks computed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <queue>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Which rank scores which shard.
struct shard_assignment {
    // rank_of_shard[i]: the rank that scores shard i (one entry per shard).
    std::vector<int> rank_of_shard;
    // shards_of_rank[r]: the shards rank r scores, in ascending shard index (empty when a
    // rank has none: more ranks than shards).
    std::vector<std::vector<std::size_t>> shards_of_rank;
    // load_of_rank[r]: the sum of the sizes of rank r's shards.
    std::vector<std::uint64_t> load_of_rank;
};

// Assigns shards (sizes in any unit, e.g. bytes of logits) to `ranks` ranks: shards in
// decreasing size (ties: lower index first), each onto the rank with the least load so far
// (ties: fewer shards, then lower rank, so equal and empty shards spread round-robin). The
// result depends only on the sizes and the rank count; the largest load is at most
// (4/3 - 1/(3 * ranks)) times the best possible (Graham 1969). O(n log n + n log ranks).
//   auto plan = codelength::assign_shards_largest_first(sizes, size_of_comm);
//   for (std::size_t shard : plan.shards_of_rank[my_rank]) { ... }
// Throws invalid_argument_error when ranks < 1 or the total size overflows 64 bits.
[[nodiscard]] inline shard_assignment assign_shards_largest_first(std::span<const std::uint64_t> shard_sizes,
                                                                  int ranks) {
    if (ranks < 1) {
        throw invalid_argument_error("assign_shards_largest_first: needs at least one rank, got " +
                                     std::to_string(ranks));
    }
    const std::uint64_t total = std::accumulate(
        shard_sizes.begin(), shard_sizes.end(), std::uint64_t{0}, [](std::uint64_t sum, std::uint64_t size) {
            if (size > std::numeric_limits<std::uint64_t>::max() - sum) {
                throw invalid_argument_error("assign_shards_largest_first: the shard sizes' "
                                             "total overflows 64 bits");
            }
            return sum + size;
        });
    static_cast<void>(total);

    std::vector<std::size_t> order(shard_sizes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return shard_sizes[a] != shard_sizes[b] ? shard_sizes[a] > shard_sizes[b] : a < b;
    });

    const auto rank_count = static_cast<std::size_t>(ranks);
    shard_assignment plan;
    plan.rank_of_shard.assign(shard_sizes.size(), 0);
    plan.shards_of_rank.resize(rank_count);
    plan.load_of_rank.assign(rank_count, 0);
    // (load, shard count, rank): the smallest is the next rank to receive a shard.
    using slot = std::tuple<std::uint64_t, std::size_t, int>;
    std::priority_queue<slot, std::vector<slot>, std::greater<>> least_loaded;
    for (int rank = 0; rank < ranks; ++rank) {
        least_loaded.emplace(0, 0, rank);
    }
    for (const std::size_t shard : order) {
        auto [load, count, rank] = least_loaded.top();
        least_loaded.pop();
        plan.rank_of_shard[shard] = rank;
        plan.shards_of_rank[static_cast<std::size_t>(rank)].push_back(shard);
        load += shard_sizes[shard]; // cannot overflow: bounded by the checked total
        plan.load_of_rank[static_cast<std::size_t>(rank)] = load;
        least_loaded.emplace(load, count + 1, rank);
    }
    for (auto& shards : plan.shards_of_rank) {
        std::sort(shards.begin(), shards.end());
    }
    return plan;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

// Shard assignment: largest first onto the least-loaded rank, deterministic ties, every shard
// exactly once, more ranks than shards, and Graham's 4/3 bound against the brute-force optimum.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/distributed/shard_assignment.hpp"
#include "support/catch.hpp"

namespace {

using codelength::assign_shards_largest_first;

// Checks the plan's three views agree: every shard once, on the rank that lists it, loads summed.
void require_consistent(const codelength::shard_assignment& plan, const std::vector<std::uint64_t>& sizes,
                        int ranks) {
    REQUIRE(plan.rank_of_shard.size() == sizes.size());
    REQUIRE(plan.shards_of_rank.size() == static_cast<std::size_t>(ranks));
    REQUIRE(plan.load_of_rank.size() == static_cast<std::size_t>(ranks));
    std::vector<int> seen(sizes.size(), 0);
    for (std::size_t rank = 0; rank < plan.shards_of_rank.size(); ++rank) {
        const auto& shards = plan.shards_of_rank[rank];
        REQUIRE(std::is_sorted(shards.begin(), shards.end()));
        std::uint64_t load = 0;
        for (const std::size_t shard : shards) {
            REQUIRE(shard < sizes.size());
            REQUIRE(plan.rank_of_shard[shard] == static_cast<int>(rank));
            ++seen[shard];
            load += sizes[shard];
        }
        REQUIRE(plan.load_of_rank[rank] == load);
    }
    REQUIRE(std::all_of(seen.begin(), seen.end(), [](int count) { return count == 1; }));
}

// The smallest possible largest load, by trying every assignment (small cases only).
std::uint64_t best_makespan(const std::vector<std::uint64_t>& sizes, int ranks) {
    const auto rank_count = static_cast<std::size_t>(ranks);
    std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
    std::vector<std::size_t> choice(sizes.size(), 0);
    while (true) {
        std::vector<std::uint64_t> loads(rank_count, 0);
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            loads[choice[i]] += sizes[i];
        }
        best = std::min(best, *std::max_element(loads.begin(), loads.end()));
        std::size_t i = 0;
        while (i < choice.size() && ++choice[i] == rank_count) {
            choice[i++] = 0;
        }
        if (i == choice.size()) {
            return best;
        }
    }
}

} // namespace

TEST_CASE("assign_shards_largest_first: largest first onto the least-loaded rank", "[distributed]") {
    const std::vector<std::uint64_t> sizes = {5, 9, 1, 9, 3, 7};
    // Order: 1 (9), 3 (9), 5 (7), 0 (5), 4 (3), 2 (1). Loads after each: {9,0} {9,9} {16,9}
    // {16,14} {16,17} {17,17}; at {9,9} the tie goes to rank 0.
    const auto plan = assign_shards_largest_first(sizes, 2);
    require_consistent(plan, sizes, 2);
    CHECK(plan.rank_of_shard == std::vector<int>{1, 0, 0, 1, 1, 0});
    CHECK(plan.shards_of_rank[0] == std::vector<std::size_t>{1, 2, 5});
    CHECK(plan.shards_of_rank[1] == std::vector<std::size_t>{0, 3, 4});
    CHECK(plan.load_of_rank == std::vector<std::uint64_t>{17, 17});
    // The same input gives the same plan.
    CHECK(assign_shards_largest_first(sizes, 2).rank_of_shard == plan.rank_of_shard);
}

TEST_CASE("assign_shards_largest_first: one rank, more ranks than shards, no shards", "[distributed]") {
    const std::vector<std::uint64_t> sizes = {4, 8, 6};
    const auto one = assign_shards_largest_first(sizes, 1);
    require_consistent(one, sizes, 1);
    CHECK(one.shards_of_rank[0] == std::vector<std::size_t>{0, 1, 2});
    CHECK(one.load_of_rank[0] == 18);

    const auto five = assign_shards_largest_first(sizes, 5);
    require_consistent(five, sizes, 5);
    CHECK(five.rank_of_shard == std::vector<int>{2, 0, 1}); // 8 -> rank 0, 6 -> rank 1, 4 -> rank 2
    CHECK(five.shards_of_rank[3].empty());
    CHECK(five.shards_of_rank[4].empty());
    CHECK(five.load_of_rank == std::vector<std::uint64_t>{8, 6, 4, 0, 0});

    const auto none = assign_shards_largest_first({}, 3);
    require_consistent(none, {}, 3);
    CHECK(none.load_of_rank == std::vector<std::uint64_t>{0, 0, 0});
}

TEST_CASE("assign_shards_largest_first: equal and empty shards spread round-robin", "[distributed]") {
    const std::vector<std::uint64_t> zeros(7, 0);
    const auto plan = assign_shards_largest_first(zeros, 3);
    require_consistent(plan, zeros, 3);
    CHECK(plan.rank_of_shard == std::vector<int>{0, 1, 2, 0, 1, 2, 0});

    const std::vector<std::uint64_t> equal(6, 10);
    const auto even = assign_shards_largest_first(equal, 4);
    require_consistent(even, equal, 4);
    CHECK(even.load_of_rank == std::vector<std::uint64_t>{20, 20, 10, 10});
}

TEST_CASE("assign_shards_largest_first: refuses no ranks and a total beyond 64 bits", "[distributed]") {
    const std::vector<std::uint64_t> sizes = {1, 2};
    CHECK_THROWS_AS(assign_shards_largest_first(sizes, 0), codelength::invalid_argument_error);
    CHECK_THROWS_WITH(assign_shards_largest_first(sizes, -3), Catch::Contains("at least one rank, got -3"));
    const std::vector<std::uint64_t> huge = {std::numeric_limits<std::uint64_t>::max(), 1};
    CHECK_THROWS_WITH(assign_shards_largest_first(huge, 2), Catch::Contains("overflows 64 bits"));
}

TEST_CASE("assign_shards_largest_first: within Graham's bound of the best assignment", "[distributed]") {
    const std::uint64_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 rng(seed);
    for (int trial = 0; trial < 200; ++trial) {
        const auto shard_count = std::uniform_int_distribution<std::size_t>(0, 8)(rng);
        const int ranks = std::uniform_int_distribution<int>(1, 3)(rng);
        std::vector<std::uint64_t> sizes(shard_count);
        for (auto& size : sizes) {
            size = std::uniform_int_distribution<std::uint64_t>(0, 1000)(rng);
        }
        INFO("trial " << trial << ": " << shard_count << " shards, " << ranks << " ranks");
        const auto plan = assign_shards_largest_first(sizes, ranks);
        require_consistent(plan, sizes, ranks);
        const std::uint64_t makespan = *std::max_element(plan.load_of_rank.begin(), plan.load_of_rank.end());
        // makespan <= (4/3 - 1/(3 ranks)) * best, in integers: 3 ranks makespan <= (4 ranks - 1) best.
        const auto r = static_cast<std::uint64_t>(ranks);
        CHECK(3 * r * makespan <= (4 * r - 1) * best_makespan(sizes, ranks));
    }
}

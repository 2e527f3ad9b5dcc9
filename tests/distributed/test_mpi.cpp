// MPI reductions of serialized ledgers, run under mpiexec with 1, 2, 3 and 4 ranks
// (tests/distributed/CMakeLists.txt): totals bit-identical to one process merging every
// shard, whatever the rank count and the assignment of shards to ranks (round-robin, largest
// first, all on one rank, reversed local order, more ranks than shards, no shards at all);
// per-shard records gathered in shard order; a damaged contribution and a shard sent twice
// refused with the rank and shard named; MPI failures as mpi_error.
//
// Its own main() (not Catch2's): MPI_Init and MPI_Finalize bracket the checks, every rank runs
// every check in the same order (the collectives match), a failed check is recorded and the
// run goes on, and the failures of all ranks are summed at the end: rank 0 prints the summary
// and the exit status is non-zero on every rank when any check failed anywhere. An unexpected
// exception aborts the whole job (MPI_Abort), so a rank never waits forever for a dead one.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/distributed/mpi.hpp"
#include "codelength/distributed/shard_assignment.hpp"
#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/metrics/ledger_bytes.hpp"

namespace {

using codelength::code_length_ledger;
using ledger_shard = codelength::shard_value<code_length_ledger>;

// A user type whose merge is not commutative: the shard tags in the order they were merged.
// Reduced through customize::byte_serialization (one line, below), it shows the merge order.
struct merge_trace {
    std::string tags;
    merge_trace& operator+=(const merge_trace& other) {
        tags += other.tags;
        return *this;
    }
    friend bool operator==(const merge_trace&, const merge_trace&) = default;
};

std::vector<std::uint8_t> to_bytes(const merge_trace& trace) {
    std::vector<std::uint8_t> bytes(1 + trace.tags.size(), 'T');
    std::copy(trace.tags.begin(), trace.tags.end(), bytes.begin() + 1);
    return bytes;
}

merge_trace merge_trace_from_bytes(std::span<const std::uint8_t> bytes) {
    if (bytes.empty() || bytes[0] != 'T') {
        throw codelength::format_error("not a merge trace");
    }
    return {std::string(bytes.begin() + 1, bytes.end())};
}

} // namespace

template <>
struct codelength::customize::byte_serialization<merge_trace>
    : codelength::serialize_with<merge_trace, &merge_trace_from_bytes> {};

namespace {

int g_rank = 0;
int g_ranks = 1;
long g_checks = 0;
long g_failures = 0;
const char* g_test = "";

void check(bool ok, const std::string& what, int line) {
    ++g_checks;
    if (!ok) {
        ++g_failures;
        std::fprintf(stderr, "test_mpi.cpp:%d: rank %d of %d: FAILED in \"%s\": %s\n", line, g_rank, g_ranks,
                     g_test, what.c_str());
    }
}
#define MPI_TEST_CHECK(condition) check(static_cast<bool>(condition), #condition, __LINE__)

// Runs `call`, which must throw E whose message contains every one of `needles`.
template <class E>
void check_throws(const std::function<void()>& call, const std::vector<std::string>& needles, int line) {
    try {
        call();
        check(false, "expected an exception, none was thrown", line);
    } catch (const E& thrown) {
        const std::string message = thrown.what();
        for (const auto& needle : needles) {
            std::string what = "\"" + message;
            what += "\" contains \"";
            what += needle;
            what += '"';
            check(message.find(needle) != std::string::npos, what, line);
        }
    }
}

constexpr std::size_t shard_count = 7;

// Shard i's ledger, the same on every rank: surprisals spanning 1e-12 to 1e6 bits (so a naive
// double sum depends on the order), infinite ones, entropies, ignored rows, bytes and words.
code_length_ledger shard_ledger(std::size_t shard) {
    std::mt19937_64 rng(0x5eed'0000 + shard);
    std::uniform_real_distribution<double> exponent(-12.0, 6.0);
    code_length_ledger ledger;
    const std::size_t tokens = 50 + 37 * shard; // unequal sizes, for the largest-first plan
    for (std::size_t t = 0; t < tokens; ++t) {
        const double bits = std::pow(10.0, exponent(rng));
        if (t % 11 == 3) {
            ledger.add_surprisal_bits(bits);
        } else {
            ledger.add_surprisal_bits(bits, std::pow(10.0, exponent(rng)));
        }
    }
    if (shard % 3 == 1) {
        ledger.add_surprisal_bits(std::numeric_limits<double>::infinity(), 2.5);
    }
    ledger.add(codelength::row_statistics{}); // an ignored row
    ledger.add_document("shard " + std::to_string(shard) + " holds a few words");
    return ledger;
}

// Every shard merged in one process, in shard order: what every reduction must reproduce.
code_length_ledger one_process_total(std::size_t shards) {
    code_length_ledger total;
    for (std::size_t shard = 0; shard < shards; ++shard) {
        total += shard_ledger(shard);
    }
    return total;
}

// This rank's shards under an assignment (rank_of_shard), in ascending or descending order.
std::vector<ledger_shard> my_shards(const std::vector<int>& rank_of_shard, bool reversed = false) {
    std::vector<ledger_shard> mine;
    for (std::size_t shard = 0; shard < rank_of_shard.size(); ++shard) {
        if (rank_of_shard[shard] == g_rank) {
            mine.push_back({shard, shard_ledger(shard)});
        }
    }
    if (reversed) {
        std::reverse(mine.begin(), mine.end());
    }
    return mine;
}

std::vector<int> round_robin(std::size_t shards) {
    std::vector<int> ranks(shards);
    for (std::size_t shard = 0; shard < shards; ++shard) {
        ranks[shard] = static_cast<int>(shard % static_cast<std::size_t>(g_ranks));
    }
    return ranks;
}

std::vector<int> largest_first(std::size_t shards) {
    std::vector<std::uint64_t> sizes(shards);
    for (std::size_t shard = 0; shard < shards; ++shard) {
        sizes[shard] = static_cast<std::uint64_t>(shard_ledger(shard).tokens());
    }
    return codelength::assign_shards_largest_first(sizes, g_ranks).rank_of_shard;
}

// The reduction of `mine` on `root` and on every rank equals `expected`, state and bytes.
void check_reductions(const std::vector<ledger_shard>& mine, const code_length_ledger& expected, int root,
                      int line) {
    const auto at_root = codelength::reduce_to_root(MPI_COMM_WORLD, mine, root);
    if (g_rank == root) {
        check(at_root.has_value(), "the root receives the total", line);
        if (at_root) {
            check(*at_root == expected, "the root's total == the one-process total", line);
            check(codelength::to_bytes(*at_root) == codelength::to_bytes(expected),
                  "the root's total has the one-process total's bytes", line);
        }
    } else {
        check(!at_root.has_value(), "a rank other than the root receives nothing", line);
    }
    const auto everywhere = codelength::allreduce(MPI_COMM_WORLD, mine, root);
    check(everywhere == expected, "allreduce: every rank's total == the one-process total", line);
    check(codelength::to_bytes(everywhere) == codelength::to_bytes(expected),
          "allreduce: every rank's total has the one-process total's bytes", line);
}

void test_totals_match_one_process() {
    const auto expected = one_process_total(shard_count);
    const int last = g_ranks - 1;
    check_reductions(my_shards(round_robin(shard_count)), expected, 0, __LINE__);
    check_reductions(my_shards(largest_first(shard_count)), expected, 0, __LINE__);
    check_reductions(my_shards(round_robin(shard_count), true), expected, 0, __LINE__);
    check_reductions(my_shards(std::vector<int>(shard_count, last)), expected, 0,
                     __LINE__);                                                      // all on one rank
    check_reductions(my_shards(round_robin(shard_count)), expected, last, __LINE__); // another root
}

void test_merge_in_shard_order_not_arrival_order() {
    // Shard i's trace is the letter 'a' + i; under every assignment, local order and root the
    // merge reads "abcdefg" (and "" for no shard), never the order of ranks or arrival.
    const auto trace_shards = [](const std::vector<int>& owner, bool reversed) {
        std::vector<codelength::shard_value<merge_trace>> mine;
        for (std::size_t shard = 0; shard < owner.size(); ++shard) {
            if (owner[shard] == g_rank) {
                mine.push_back({shard, {std::string(1, static_cast<char>('a' + shard))}});
            }
        }
        if (reversed) {
            std::reverse(mine.begin(), mine.end());
        }
        return mine;
    };
    const merge_trace expected{"abcdefg"};
    const int last = g_ranks - 1;
    for (const auto& owner :
         {round_robin(shard_count), largest_first(shard_count), std::vector<int>(shard_count, last)}) {
        for (const bool reversed : {false, true}) {
            const auto mine = trace_shards(owner, reversed);
            const auto at_root = codelength::reduce_to_root(MPI_COMM_WORLD, mine, last);
            if (g_rank == last) {
                MPI_TEST_CHECK(at_root.has_value() && *at_root == expected);
            }
            MPI_TEST_CHECK(codelength::allreduce(MPI_COMM_WORLD, mine) == expected);
        }
    }
    MPI_TEST_CHECK(codelength::allreduce(MPI_COMM_WORLD, trace_shards({}, false)) == merge_trace{});
    // Bytes that are not a trace: format_error naming the sender and the shard.
    std::vector<codelength::shard_bytes> bad;
    if (g_rank == last) {
        bad.push_back({9, {'X'}});
    }
    check_throws<codelength::format_error>(
        [&] { static_cast<void>(codelength::allreduce_bytes<merge_trace>(MPI_COMM_WORLD, bad)); },
        {"rank " + std::to_string(last) + ", shard 9: not a merge trace"}, __LINE__);
}

void test_more_ranks_than_shards_and_no_shards() {
    // g_ranks - 1 shards: the last rank (and, with one rank, every rank) has none.
    const auto few = static_cast<std::size_t>(g_ranks - 1);
    const auto plan = largest_first(few);
    const auto mine = my_shards(plan);
    if (g_rank == g_ranks - 1) {
        MPI_TEST_CHECK(mine.empty());
    }
    check_reductions(mine, one_process_total(few), 0, __LINE__);
    // No shard anywhere: the total of nothing.
    check_reductions(std::vector<ledger_shard>{}, code_length_ledger{}, 0, __LINE__);
}

void test_gather_in_shard_order() {
    // Per-document records: shard i's bytes are i copies of (i mod 256), on round-robin ranks
    // contributed in descending order; the root gets all, by shard, with the sender's rank.
    const auto owner = round_robin(shard_count + 2);
    std::vector<codelength::shard_bytes> mine;
    for (std::size_t shard = owner.size(); shard-- > 0;) {
        if (owner[shard] == g_rank) {
            mine.push_back({shard, std::vector<std::uint8_t>(shard, static_cast<std::uint8_t>(shard % 256))});
        }
    }
    const auto gathered = codelength::gather_in_shard_order(MPI_COMM_WORLD, mine);
    if (g_rank == 0) {
        MPI_TEST_CHECK(gathered.size() == owner.size());
        for (std::size_t i = 0; i < gathered.size(); ++i) {
            MPI_TEST_CHECK(gathered[i].shard == i);
            MPI_TEST_CHECK(gathered[i].rank == owner[i]);
            MPI_TEST_CHECK(gathered[i].bytes ==
                           std::vector<std::uint8_t>(i, static_cast<std::uint8_t>(i % 256)));
        }
    } else {
        MPI_TEST_CHECK(gathered.empty());
    }

    // Typed: the ledgers themselves, in shard order, each equal to its shard's.
    const auto values =
        codelength::gather_values_in_shard_order(MPI_COMM_WORLD, my_shards(largest_first(shard_count)));
    if (g_rank == 0) {
        MPI_TEST_CHECK(values.size() == shard_count);
        for (std::size_t i = 0; i < values.size(); ++i) {
            MPI_TEST_CHECK(values[i].shard == i);
            MPI_TEST_CHECK(values[i].value == shard_ledger(i));
        }
    } else {
        MPI_TEST_CHECK(values.empty());
    }
}

// This rank's round-robin shards as bytes, shard `damaged` (if this rank holds it) with one
// byte flipped in the middle of its exact sums.
std::vector<codelength::shard_bytes> my_bytes(std::size_t damaged) {
    std::vector<codelength::shard_bytes> mine;
    for (const auto& shard : my_shards(round_robin(shard_count))) {
        auto bytes = codelength::to_bytes(shard.value);
        if (shard.shard == damaged) {
            bytes[bytes.size() / 2] ^= 0x40U;
        }
        mine.push_back({shard.shard, std::move(bytes)});
    }
    return mine;
}

void test_damaged_contribution_names_rank_and_shard() {
    // Shard 5 lives on rank 5 mod ranks; its bytes fail the CRC-32C on the root.
    constexpr std::size_t damaged = 5;
    const std::string sender =
        "rank " + std::to_string(damaged % static_cast<std::size_t>(g_ranks)) + ", shard 5";
    // Undamaged bytes reduce to the one-process total.
    const auto intact =
        codelength::reduce_bytes_to_root<code_length_ledger>(MPI_COMM_WORLD, my_bytes(shard_count));
    if (g_rank == 0) {
        MPI_TEST_CHECK(intact.has_value() && *intact == one_process_total(shard_count));
    }
    const auto bad = my_bytes(damaged);
    if (g_rank == 0) {
        check_throws<codelength::format_error>(
            [&] {
                static_cast<void>(codelength::reduce_bytes_to_root<code_length_ledger>(MPI_COMM_WORLD, bad));
            },
            {sender, "CRC-32C mismatch"}, __LINE__);
    } else {
        MPI_TEST_CHECK(
            !codelength::reduce_bytes_to_root<code_length_ledger>(MPI_COMM_WORLD, bad).has_value());
    }
    // allreduce: every rank throws the root's error (none waits for a total that never comes).
    check_throws<codelength::format_error>(
        [&] { static_cast<void>(codelength::allreduce_bytes<code_length_ledger>(MPI_COMM_WORLD, bad)); },
        {sender, "CRC-32C mismatch"}, __LINE__);
    // gather_values_in_shard_order parses on the root, with the same message.
    const auto gathered = codelength::gather_in_shard_order(MPI_COMM_WORLD, bad);
    if (g_rank == 0) {
        check_throws<codelength::format_error>(
            [&] { static_cast<void>(codelength::values_of<code_length_ledger>(gathered)); }, {sender},
            __LINE__);
    }
    // Foreign bytes (not a ledger at all).
    std::vector<codelength::shard_bytes> foreign;
    if (g_rank == g_ranks - 1) {
        foreign.push_back({42, {'n', 'o', 't', ' ', 'a', ' ', 'l', 'e', 'd', 'g', 'e', 'r'}});
    }
    check_throws<codelength::format_error>(
        [&] { static_cast<void>(codelength::allreduce_bytes<code_length_ledger>(MPI_COMM_WORLD, foreign)); },
        {"rank " + std::to_string(g_ranks - 1) + ", shard 42", "not a code-length ledger"}, __LINE__);
}

void test_shard_sent_twice() {
    // Rank 0 and the last rank (with one rank: rank 0 twice) both send shard 3.
    std::vector<ledger_shard> mine;
    if (g_rank == 0) {
        mine.push_back({3, shard_ledger(3)});
    }
    if (g_rank == g_ranks - 1) {
        mine.push_back({3, shard_ledger(3)});
    }
    const std::string ranks = "ranks 0 and " + std::to_string(g_ranks - 1);
    if (g_rank == 0) {
        check_throws<codelength::invalid_argument_error>(
            [&] { static_cast<void>(codelength::reduce_to_root(MPI_COMM_WORLD, mine)); },
            {"shard 3 was contributed twice", ranks}, __LINE__);
    } else {
        MPI_TEST_CHECK(!codelength::reduce_to_root(MPI_COMM_WORLD, mine).has_value());
    }
    check_throws<codelength::invalid_argument_error>(
        [&] { static_cast<void>(codelength::allreduce(MPI_COMM_WORLD, mine)); },
        {"shard 3 was contributed twice", ranks}, __LINE__);
}

void test_errors() {
    // A root outside the communicator: every rank refuses before any communication.
    check_throws<codelength::invalid_argument_error>(
        [] {
            static_cast<void>(codelength::allreduce(MPI_COMM_WORLD, std::vector<ledger_shard>{}, g_ranks));
        },
        {"root " + std::to_string(g_ranks) + " is not a rank"}, __LINE__);
    // An MPI failure becomes mpi_error with MPI's own words. MPI_COMM_NULL's errors go to
    // MPI_COMM_WORLD's handler, set to return (not abort) for this check only.
    MPI_Errhandler previous = MPI_ERRHANDLER_NULL;
    MPI_Comm_get_errhandler(MPI_COMM_WORLD, &previous);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check_throws<codelength::mpi_error>(
        [] { static_cast<void>(codelength::allreduce(MPI_COMM_NULL, std::vector<ledger_shard>{})); },
        {"MPI_Comm_get_errhandler failed: "}, __LINE__);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, previous);
    MPI_Errhandler_free(&previous);

    char text[MPI_MAX_ERROR_STRING] = {};
    int length = 0;
    MPI_Error_string(MPI_ERR_TRUNCATE, text, &length);
    const codelength::mpi_error truncated("MPI_Bcast", MPI_ERR_TRUNCATE);
    MPI_TEST_CHECK(truncated.code() == MPI_ERR_TRUNCATE);
    MPI_TEST_CHECK(std::string(truncated.what()) ==
                   "MPI_Bcast failed: " + std::string(text, static_cast<std::size_t>(length)));

    // The communicator's own error handler is back after every call.
    const auto total = codelength::allreduce(MPI_COMM_WORLD, std::vector<ledger_shard>{});
    MPI_TEST_CHECK(total == code_length_ledger{});
    MPI_Errhandler after = MPI_ERRHANDLER_NULL;
    MPI_Comm_get_errhandler(MPI_COMM_WORLD, &after);
    MPI_TEST_CHECK(after == MPI_ERRORS_ARE_FATAL);
    MPI_Errhandler_free(&after);
}

void test_wire_size() {
    // The figures in mpi.hpp's cost note: 63 bytes + 4 per 32-bit chunk of the two exact sums.
    std::size_t smallest = std::numeric_limits<std::size_t>::max();
    std::size_t largest = 0;
    for (std::size_t shard = 0; shard < shard_count; ++shard) {
        const auto state = shard_ledger(shard).state();
        const std::size_t chunks =
            state.finite_bits.parts().chunks.size() + state.entropy_bits.parts().chunks.size();
        const std::size_t size = codelength::to_bytes(shard_ledger(shard)).size();
        MPI_TEST_CHECK(size == 63 + 4 * chunks);
        smallest = std::min(smallest, size);
        largest = std::max(largest, size);
    }
    if (g_rank == 0) {
        std::printf("test_mpi: a shard ledger is %zu to %zu bytes serialized (+16 bytes of framing)\n",
                    smallest, largest);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        std::fprintf(stderr, "test_mpi: MPI_Init failed\n");
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_ranks);
    const std::pair<const char*, void (*)()> tests[] = {
        {"totals match one process", test_totals_match_one_process},
        {"merge in shard order, not arrival order", test_merge_in_shard_order_not_arrival_order},
        {"more ranks than shards, no shards", test_more_ranks_than_shards_and_no_shards},
        {"gather in shard order", test_gather_in_shard_order},
        {"damaged contribution names rank and shard", test_damaged_contribution_names_rank_and_shard},
        {"shard sent twice", test_shard_sent_twice},
        {"errors", test_errors},
        {"wire size", test_wire_size},
    };
    for (const auto& [name, run] : tests) {
        g_test = name;
        const long failures_before = g_failures;
        try {
            run();
        } catch (const std::exception& unexpected) {
            std::fprintf(stderr, "test_mpi: rank %d: unexpected exception in \"%s\": %s\n", g_rank, name,
                         unexpected.what());
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        long failed = 0;
        const long mine = g_failures - failures_before;
        MPI_Reduce(&mine, &failed, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
        if (g_rank == 0) {
            std::printf("test_mpi: %d rank%s: %-45s %s\n", g_ranks, g_ranks == 1 ? "" : "s", name,
                        failed == 0 ? "passed" : "FAILED");
        }
    }
    long totals[2] = {0, 0};
    const long mine[2] = {g_checks, g_failures};
    MPI_Allreduce(mine, totals, 2, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (g_rank == 0) {
        std::printf("test_mpi: %d rank%s: %ld checks, %ld failed\n", g_ranks, g_ranks == 1 ? "" : "s",
                    totals[0], totals[1]);
    }
    MPI_Finalize();
    return totals[1] == 0 ? 0 : 1;
}

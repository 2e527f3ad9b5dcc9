// Shard-ordered reductions over MPI: every rank contributes (shard index, value) pairs of a
// serializable type (a code_length_ledger, ...); the root merges them in SHARD order, not in
// the order the ranks arrive, so the result is the same bit for bit whatever the rank count,
// the assignment of shards to ranks and the timing. Optional: needs MPI (CMake target
// codelength::mpi, cmake/mpi.cmake); not included by codelength.hpp. Uses MPI's C API only.
//
// Every rank of `comm` must call the same function with the same root; a rank may contribute
// no shard. Values travel as the type's serialized bytes (metrics/ledger_bytes.hpp for the
// ledger), so damage in transit or a foreign build is detected by the format's checksum.
//
// Communication (p ranks, s shards in all, b bytes per serialized value, 16 bytes of framing
// per shard: its index and length):
//   gather_in_shard_order, reduce_to_root:
//     MPI_Allgather of one uint64 per rank (each rank's byte count; every rank then knows the
//     sizes, so all ranks refuse together a gather too large for MPI's int counts) and one
//     MPI_Gatherv of the framed bytes to the root: 2 collectives, one round each;
//     log2(p) steps inside the allgather (recursive doubling) and p messages into the root.
//     Each rank sends (16 + b) bytes per shard it holds; the root receives s * (16 + b).
//   allreduce: the above, then 2 MPI_Bcast from the root (a status with the merged size, then
//     the merged bytes; on failure the error message, so every rank throws the same error):
//     4 collectives, b + 16 bytes down a log2(p)-deep tree.
//   A ledger is about 100 bytes: 63 + 4 per 32-bit chunk of its two exact sums (103 for
//   tests/distributed/test_mpi.cpp's shards, surprisals from 1e-12 to 1e6 bits), 119 with its
//   frame. One shard per rank: at p = 64 the root receives 7.6 KB and every rank 512 bytes of
//   sizes; at p = 1,024 the root receives 122 KB and every rank 8 KB of sizes. The latency
//   (6 resp. 10 allgather steps, p messages into the root, 2 x 6 resp. 2 x 10 broadcast
//   steps) is milliseconds: nothing next to scoring a shard of logits.
// Limits: MPI counts are int, so one rank's framed bytes and the root's total must stay
// below 2 GiB (checked on every rank before the Gatherv: invalid_argument_error everywhere).
#pragma once

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/little_endian.hpp"
#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/metrics/ledger_bytes.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// An MPI call failed; the message names the call and MPI's error string.
class mpi_error : public error {
public:
    mpi_error(const char* call, int code) : error(describe(call, code)), m_code(code) {}
    // MPI's error code (MPI_ERR_...).
    [[nodiscard]] int code() const noexcept { return m_code; }

private:
    static std::string describe(const char* call, int code) {
        char text[MPI_MAX_ERROR_STRING] = {};
        int length = 0;
        if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
            return std::string(call) + " failed with MPI error code " + std::to_string(code);
        }
        return std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(length));
    }
    int m_code;
};

namespace customize {

// How a type travels between ranks: specialize with
//   static std::vector<std::uint8_t> to_bytes(const T&);
//   static T from_bytes(std::span<const std::uint8_t>);  // throws format_error on bad bytes
// For a type with an ADL-visible to_bytes(x) and a from-bytes function, one line does it:
//   template <> struct codelength::customize::byte_serialization<coding_ledger_totals>
//       : codelength::serialize_with<coding_ledger_totals, &coding_ledger_totals_from_bytes> {};
template <class T>
struct byte_serialization;

} // namespace customize

namespace detail {
template <class T>
std::vector<std::uint8_t> to_bytes_by_adl(const T& value) {
    return to_bytes(value); // codelength::to_bytes overloads, or the type's own by ADL
}
} // namespace detail

// A byte_serialization made of to_bytes(x) (found by ADL) and `FromBytes`.
template <class T, auto FromBytes>
struct serialize_with {
    [[nodiscard]] static std::vector<std::uint8_t> to_bytes(const T& value) {
        return detail::to_bytes_by_adl(value);
    }
    [[nodiscard]] static T from_bytes(std::span<const std::uint8_t> bytes) { return FromBytes(bytes); }
};

template <>
struct customize::byte_serialization<code_length_ledger>
    : serialize_with<code_length_ledger, &code_length_ledger_from_bytes> {};

// A type the MPI functions can carry.
template <class T>
concept byte_serializable = requires(const T& value, std::span<const std::uint8_t> bytes) {
    { customize::byte_serialization<T>::to_bytes(value) } -> std::same_as<std::vector<std::uint8_t>>;
    { customize::byte_serialization<T>::from_bytes(bytes) } -> std::same_as<T>;
};

// A type the reductions can merge: a default value (the total of no shards) and `a += b`.
template <class T>
concept shard_mergeable = byte_serializable<T> && std::default_initializable<T> &&
    requires(T& a, const T& b) {
    a += b;
};

// A serialized value of one shard, as a rank contributes it.
struct shard_bytes {
    std::size_t shard = 0;
    std::vector<std::uint8_t> bytes;
};

// A serialized value of one shard as the root receives it: with the rank that sent it.
struct gathered_shard {
    std::size_t shard = 0;
    int rank = 0;
    std::vector<std::uint8_t> bytes;
};

// A value of one shard.
template <class T>
struct shard_value {
    std::size_t shard = 0;
    T value{};
};

namespace detail {

// The communicator's error handler is MPI_ERRORS_RETURN while a call runs (so failures become
// mpi_error, not an abort), and is restored afterwards.
class mpi_errors_return {
public:
    explicit mpi_errors_return(MPI_Comm comm) : m_comm(comm) {
        check(MPI_Comm_get_errhandler(comm, &m_previous), "MPI_Comm_get_errhandler");
        check(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    }
    mpi_errors_return(const mpi_errors_return&) = delete;
    mpi_errors_return& operator=(const mpi_errors_return&) = delete;
    ~mpi_errors_return() {
        MPI_Comm_set_errhandler(m_comm, m_previous);
        MPI_Errhandler_free(&m_previous);
    }
    static void check(int code, const char* call) {
        if (code != MPI_SUCCESS) {
            throw mpi_error(call, code);
        }
    }

private:
    MPI_Comm m_comm;
    MPI_Errhandler m_previous = MPI_ERRHANDLER_NULL;
};

inline constexpr std::size_t shard_frame_bytes = 16; // uint64 shard index, uint64 length

inline std::string rank_and_shard(int rank, std::size_t shard) {
    return "rank " + std::to_string(rank) + ", shard " + std::to_string(shard);
}

// The framed bytes of a rank's shards: for each, its index and length (uint64 LE), its bytes.
template <class Shards, class BytesOf>
std::vector<std::uint8_t> frame_shards(const Shards& shards, BytesOf bytes_of) {
    std::vector<std::uint8_t> out;
    for (const auto& shard : shards) {
        const auto& bytes = bytes_of(shard);
        const std::size_t at = out.size();
        out.resize(at + shard_frame_bytes);
        store_le(out.data() + at, static_cast<std::uint64_t>(shard.shard), 8);
        store_le(out.data() + at + 8, static_cast<std::uint64_t>(bytes.size()), 8);
        out.insert(out.end(), bytes.begin(), bytes.end());
    }
    return out;
}

// Appends the shards framed in one rank's bytes; a broken frame names the rank and offset.
inline void unframe_shards(std::span<const std::uint8_t> framed, int rank, std::vector<gathered_shard>& out) {
    std::size_t offset = 0;
    while (offset < framed.size()) {
        if (framed.size() - offset < shard_frame_bytes) {
            throw format_error("MPI gather: rank " + std::to_string(rank) + ": offset " +
                               std::to_string(offset) + ": truncated shard frame");
        }
        const std::uint64_t shard = load_le(framed.data() + offset, 8);
        const std::uint64_t length = load_le(framed.data() + offset + 8, 8);
        offset += shard_frame_bytes;
        if (length > framed.size() - offset) {
            throw format_error("MPI gather: rank " + std::to_string(rank) + ", shard " +
                               std::to_string(shard) + ": the frame says " + std::to_string(length) +
                               " bytes, " + std::to_string(framed.size() - offset) + " remain");
        }
        const auto bytes = framed.subspan(offset, static_cast<std::size_t>(length));
        out.push_back(
            {static_cast<std::size_t>(shard), rank, std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
        offset += static_cast<std::size_t>(length);
    }
}

inline int comm_rank(MPI_Comm comm) {
    int rank = 0;
    mpi_errors_return::check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
    return rank;
}

// What the root receives: every rank's framed bytes, rank after rank.
struct framed_gather {
    std::vector<std::uint8_t> bytes;
    std::vector<int> counts;
    std::vector<int> displacements;
};

// Allgather of the byte counts, Gatherv of the framed bytes to the root; the root gets them,
// the other ranks std::nullopt. Refusals here (a bad root, counts beyond int) happen on every
// rank alike, because every rank sees the same sizes.
inline std::optional<framed_gather> gather_framed(MPI_Comm comm, const std::vector<std::uint8_t>& framed,
                                                  int root) {
    const mpi_errors_return guard(comm);
    const int rank = comm_rank(comm);
    int ranks = 0;
    mpi_errors_return::check(MPI_Comm_size(comm, &ranks), "MPI_Comm_size");
    if (root < 0 || root >= ranks) {
        throw invalid_argument_error("MPI gather: root " + std::to_string(root) + " is not a rank of a " +
                                     std::to_string(ranks) + "-rank communicator");
    }
    const auto rank_count = static_cast<std::size_t>(ranks);
    std::uint64_t my_size = framed.size();
    std::vector<std::uint64_t> sizes(rank_count);
    mpi_errors_return::check(MPI_Allgather(&my_size, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, comm),
                             "MPI_Allgather");
    framed_gather gathered;
    gathered.counts.resize(rank_count);
    gathered.displacements.resize(rank_count);
    std::uint64_t total = 0;
    for (std::size_t r = 0; r < rank_count; ++r) {
        if (sizes[r] > static_cast<std::uint64_t>(INT_MAX) - total) {
            throw invalid_argument_error("MPI gather: " + std::to_string(total + sizes[r]) +
                                         " bytes up to rank " + std::to_string(r) +
                                         " exceed MPI's int counts (2 GiB); reduce in several calls");
        }
        gathered.counts[r] = static_cast<int>(sizes[r]);
        gathered.displacements[r] = static_cast<int>(total);
        total += sizes[r];
    }
    gathered.bytes.resize(rank == root ? static_cast<std::size_t>(total) : 0);
    mpi_errors_return::check(MPI_Gatherv(framed.data(), static_cast<int>(my_size), MPI_BYTE,
                                         gathered.bytes.data(), gathered.counts.data(),
                                         gathered.displacements.data(), MPI_BYTE, root, comm),
                             "MPI_Gatherv");
    if (rank != root) {
        return std::nullopt;
    }
    return gathered;
}

// Every rank's shards from the root's framed bytes, sorted by shard index (whatever the ranks
// and their order). Throws format_error for a broken frame and invalid_argument_error for a
// shard index sent twice.
inline std::vector<gathered_shard> shards_in_order(const framed_gather& gathered) {
    std::vector<gathered_shard> shards;
    for (std::size_t r = 0; r < gathered.counts.size(); ++r) {
        unframe_shards(std::span<const std::uint8_t>(gathered.bytes)
                           .subspan(static_cast<std::size_t>(gathered.displacements[r]),
                                    static_cast<std::size_t>(gathered.counts[r])),
                       static_cast<int>(r), shards);
    }
    std::stable_sort(shards.begin(), shards.end(),
                     [](const gathered_shard& a, const gathered_shard& b) { return a.shard < b.shard; });
    for (std::size_t i = 1; i < shards.size(); ++i) {
        if (shards[i].shard == shards[i - 1].shard) {
            throw invalid_argument_error(
                "MPI gather: shard " + std::to_string(shards[i].shard) + " was contributed twice (ranks " +
                std::to_string(shards[i - 1].rank) + " and " + std::to_string(shards[i].rank) + ")");
        }
    }
    return shards;
}

inline std::vector<gathered_shard> gather_shards(MPI_Comm comm, const std::vector<std::uint8_t>& framed,
                                                 int root) {
    const auto gathered = gather_framed(comm, framed, root);
    return gathered ? shards_in_order(*gathered) : std::vector<gathered_shard>{};
}

inline std::span<const std::uint8_t> bytes_of_shard(const shard_bytes& shard) {
    return shard.bytes;
}

template <class T>
struct is_shard_value : std::false_type {};
template <class T>
struct is_shard_value<shard_value<T>> : std::true_type {};

} // namespace detail

// A range of shard_value<T>, e.g. std::vector<shard_value<code_length_ledger>>.
template <class R>
concept shard_value_range =
    std::ranges::input_range<R> && detail::is_shard_value<std::ranges::range_value_t<R>>::value;

template <shard_value_range R>
using shard_value_type = decltype(std::declval<std::ranges::range_value_t<R>>().value);

// Collective: every rank's serialized shards, delivered to the root in shard order (each with
// the rank that sent it); other ranks get an empty vector. For per-document records.
//   auto all = codelength::gather_in_shard_order(MPI_COMM_WORLD, my_records); // root: all of them
// Throws mpi_error when MPI fails; on every rank, invalid_argument_error when the bytes exceed
// MPI's int counts; on the root, invalid_argument_error for a shard index sent twice.
[[nodiscard]] inline std::vector<gathered_shard>
gather_in_shard_order(MPI_Comm comm, std::span<const shard_bytes> local, int root = 0) {
    return detail::gather_shards(comm, detail::frame_shards(local, detail::bytes_of_shard), root);
}

// The values of gathered shards, in their order; a value whose bytes fail to parse throws
// format_error naming the rank that sent it and its shard.
template <byte_serializable T>
[[nodiscard]] std::vector<shard_value<T>> values_of(std::span<const gathered_shard> gathered) {
    std::vector<shard_value<T>> values;
    values.reserve(gathered.size());
    for (const auto& shard : gathered) {
        try {
            values.push_back({shard.shard, customize::byte_serialization<T>::from_bytes(shard.bytes)});
        } catch (const error& bad) {
            throw format_error(detail::rank_and_shard(shard.rank, shard.shard) + ": " + bad.what());
        }
    }
    return values;
}

// The merge of gathered shards in their order (shard order from gather_in_shard_order): the
// first value, then += each next one; T{} when there is none. Parse failures as values_of().
template <shard_mergeable T>
[[nodiscard]] T merge_in_shard_order(std::span<const gathered_shard> gathered) {
    T total{};
    bool first = true;
    for (auto& value : values_of<T>(gathered)) {
        if (first) {
            total = std::move(value.value);
            first = false;
        } else {
            total += value.value;
        }
    }
    return total;
}

namespace detail {

// The framed serialized values of a range of shard_value<T>.
template <class R>
std::vector<std::uint8_t> frame_values(const R& local) {
    using T = shard_value_type<R>;
    return frame_shards(
        local, [](const auto& shard) { return customize::byte_serialization<T>::to_bytes(shard.value); });
}

template <shard_mergeable T>
std::optional<T> reduce_framed(MPI_Comm comm, const std::vector<std::uint8_t>& framed, int root) {
    const auto gathered = gather_framed(comm, framed, root);
    if (!gathered) {
        return std::nullopt;
    }
    return merge_in_shard_order<T>(shards_in_order(*gathered));
}

enum class allreduce_status : std::uint64_t { ok = 0, format = 1, invalid_argument = 2, other = 3 };

// Broadcasts the root's merged total (or its failure) and returns it on every rank; every
// rank throws the root's error when the merge failed there.
template <shard_mergeable T>
T broadcast_outcome(MPI_Comm comm, int root, const std::optional<T>& merged, const std::string& failure,
                    allreduce_status status) {
    const mpi_errors_return guard(comm);
    const int rank = comm_rank(comm);
    std::vector<std::uint8_t> payload;
    if (rank == root) {
        if (status == allreduce_status::ok) {
            payload = customize::byte_serialization<T>::to_bytes(*merged);
        } else {
            payload.assign(failure.begin(), failure.end());
        }
    }
    std::uint64_t header[2] = {static_cast<std::uint64_t>(status), payload.size()};
    mpi_errors_return::check(MPI_Bcast(header, 2, MPI_UINT64_T, root, comm), "MPI_Bcast");
    if (header[1] > static_cast<std::uint64_t>(INT_MAX)) { // the root checks this alike
        throw invalid_argument_error("MPI allreduce: a merged value of " + std::to_string(header[1]) +
                                     " bytes exceeds MPI's int counts (2 GiB)");
    }
    payload.resize(static_cast<std::size_t>(header[1]));
    mpi_errors_return::check(MPI_Bcast(payload.data(), static_cast<int>(header[1]), MPI_BYTE, root, comm),
                             "MPI_Bcast");
    const std::string message(payload.begin(), payload.end());
    switch (static_cast<allreduce_status>(header[0])) {
    case allreduce_status::ok:
        break;
    case allreduce_status::format:
        throw format_error(message);
    case allreduce_status::invalid_argument:
        throw invalid_argument_error(message);
    default:
        throw error(message);
    }
    if (rank == root) {
        return *merged;
    }
    try {
        return customize::byte_serialization<T>::from_bytes(payload);
    } catch (const error& bad) {
        throw format_error("MPI allreduce: the total broadcast from rank " + std::to_string(root) + ": " +
                           bad.what());
    }
}

template <shard_mergeable T>
T allreduce_framed(MPI_Comm comm, const std::vector<std::uint8_t>& framed, int root) {
    const auto gathered = gather_framed(comm, framed, root); // refusals here happen on every rank
    std::optional<T> merged;
    std::string failure;
    auto status = allreduce_status::ok;
    if (gathered) { // the root: whatever fails is broadcast, so no rank waits for it forever
        try {
            merged = merge_in_shard_order<T>(shards_in_order(*gathered));
        } catch (const format_error& bad) {
            failure = bad.what();
            status = allreduce_status::format;
        } catch (const invalid_argument_error& bad) {
            failure = bad.what();
            status = allreduce_status::invalid_argument;
        } catch (const std::exception& bad) {
            failure = std::string("MPI allreduce: rank ") + std::to_string(root) + ": " + bad.what();
            status = allreduce_status::other;
        }
    }
    return broadcast_outcome<T>(comm, root, merged, failure, status);
}

} // namespace detail

// Collective: the values of every rank's shards on the root, in shard order (empty elsewhere).
//   auto records = codelength::gather_values_in_shard_order(MPI_COMM_WORLD, my_records);
// Errors as gather_in_shard_order(), and format_error (rank, shard) as values_of().
template <shard_value_range R>
requires byte_serializable<shard_value_type<R>>
[[nodiscard]] std::vector<shard_value<shard_value_type<R>>>
gather_values_in_shard_order(MPI_Comm comm, const R& local, int root = 0) {
    return values_of<shard_value_type<R>>(detail::gather_shards(comm, detail::frame_values(local), root));
}

// Collective: the total of every rank's shards, merged on the root in shard order; the root
// gets it, the other ranks std::nullopt. Bit-identical to merging all shards in one process
// in shard order, whatever the rank count and the assignment.
//   std::vector<codelength::shard_value<codelength::code_length_ledger>> mine = ...;
//   if (auto total = codelength::reduce_to_root(MPI_COMM_WORLD, mine)) { print(*total); }
// Throws mpi_error when MPI fails; on the root, format_error naming the rank and shard whose
// bytes do not parse and invalid_argument_error for a shard index sent twice.
template <shard_value_range R>
requires shard_mergeable<shard_value_type<R>>
[[nodiscard]] std::optional<shard_value_type<R>> reduce_to_root(MPI_Comm comm, const R& local, int root = 0) {
    return detail::reduce_framed<shard_value_type<R>>(comm, detail::frame_values(local), root);
}

// Collective: reduce_to_root() of shards a rank holds serialized already (read from a file).
template <shard_mergeable T>
[[nodiscard]] std::optional<T> reduce_bytes_to_root(MPI_Comm comm, std::span<const shard_bytes> local,
                                                    int root = 0) {
    return detail::reduce_framed<T>(comm, detail::frame_shards(local, detail::bytes_of_shard), root);
}

// Collective: as reduce_to_root(), then the root broadcasts the total, so every rank returns
// the same value. When the root's merge fails (bytes that do not parse, a shard sent twice),
// every rank throws the same error, naming the rank and shard. `root` is the rank that merges.
//   const auto total = codelength::allreduce(MPI_COMM_WORLD, mine);
template <shard_value_range R>
requires shard_mergeable<shard_value_type<R>>
[[nodiscard]] shard_value_type<R> allreduce(MPI_Comm comm, const R& local, int root = 0) {
    return detail::allreduce_framed<shard_value_type<R>>(comm, detail::frame_values(local), root);
}

// Collective: allreduce() of shards a rank holds serialized already.
template <shard_mergeable T>
[[nodiscard]] T allreduce_bytes(MPI_Comm comm, std::span<const shard_bytes> local, int root = 0) {
    return detail::allreduce_framed<T>(comm, detail::frame_shards(local, detail::bytes_of_shard), root);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

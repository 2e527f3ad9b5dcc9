// codelength-mpi: `codelength score --manifest` spread over the ranks of an MPI job.
//
//   mpirun -np 4 codelength-mpi score --manifest shards.txt [--json] [--per-shard] [...]
//
// Every rank reads the manifest and assigns the shards largest first (by their files' sizes)
// onto the least-loaded rank (distributed/shard_assignment.hpp): the same plan everywhere,
// with no message. Each rank memory-maps and scores its own shards; their results (exact
// ledgers and the Min-K% inputs, or the error that stopped a shard) travel as checksummed bytes
// to rank 0 (distributed/mpi.hpp), which merges them in shard order and prints what one process
// prints (`codelength score --manifest`), with `ranks` the job's size: the totals are
// bit-identical whatever the rank count. The progress line (--progress) is rank 0's own shards.
// Exit status, the same on every rank: 0, 1 (an error; message on stderr), 2 (usage), 3 (some
// shards failed: failed_shards in the report names them with their rank).
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arguments.hpp"
#include "codelength/detail/checked_bytes.hpp"
#include "codelength/distributed/mpi.hpp"
#include "codelength/distributed/shard_assignment.hpp"
#include "manifest_command.hpp"
#include "score_command.hpp"

namespace codelength::cli {
namespace {

constexpr const char* usage =
    "usage: mpirun -np N codelength-mpi score --manifest shards.txt [options of `codelength score`]\n"
    "\n"
    "Scores the shards of a manifest (see `codelength score --help`) over the ranks of an MPI job:\n"
    "largest shards first, each onto the least-loaded rank; rank 0 merges the results in shard\n"
    "order and prints the report of `codelength score --manifest` with `ranks` = N (bit-identical\n"
    "totals for any N). Exit status on every rank: 0, 1 (error), 2 (usage), 3 (some shards failed).\n";

constexpr codelength::detail::format_magic shard_magic = {'C', 'L', 'S', 'S'};
constexpr std::uint8_t shard_version = 1;

void append_string(std::vector<std::uint8_t>& out, std::string_view text) {
    codelength::detail::append_le(out, text.size(), 8);
    out.insert(out.end(), text.begin(), text.end());
}

void append_doubles(std::vector<std::uint8_t>& out, std::span<const double> values) {
    codelength::detail::append_le(out, values.size(), 8);
    for (const double v : values) {
        codelength::detail::append_double(out, v);
    }
}

// A scored shard as bytes: "CLSS", version, the error (or none), vocabulary size, dtype, whether
// it had token bytes, the ledger's own checksummed bytes, the Min-K% and Min-K%++ inputs; CRC.
std::vector<std::uint8_t> shard_result_bytes(const score_shard_result& r) {
    std::vector<std::uint8_t> out(shard_magic.begin(), shard_magic.end());
    out.push_back(shard_version);
    out.push_back(r.error ? 1 : 0);
    append_string(out, r.error.value_or(""));
    codelength::detail::append_le(out, static_cast<std::uint64_t>(r.vocabulary_size), 8);
    append_string(out, r.dtype);
    out.push_back(r.has_token_bytes ? 1 : 0);
    const std::vector<std::uint8_t> ledger = to_bytes(r.result.ledger);
    codelength::detail::append_le(out, ledger.size(), 8);
    out.insert(out.end(), ledger.begin(), ledger.end());
    out.push_back(r.result.has_per_token ? 1 : 0);
    append_doubles(out, r.result.log_probabilities_nats);
    append_doubles(out, r.result.z_scores);
    codelength::detail::seal_format(out);
    return out;
}

score_shard_result shard_result_from_bytes(std::span<const std::uint8_t> bytes, std::size_t shard, int rank) {
    codelength::detail::checked_reader reader(bytes, "scored shard bytes");
    reader.read_header(shard_magic, shard_version, "a scored shard");
    const auto read_string = [&](const char* what) {
        const auto size = static_cast<std::size_t>(reader.read_count(what));
        std::string text(size, '\0');
        for (char& c : text) {
            c = static_cast<char>(reader.read(1, what));
        }
        return text;
    };
    const auto read_doubles = [&](const char* what) {
        const auto count = static_cast<std::size_t>(reader.read_count(what));
        if (count > reader.remaining() / 8) {
            reader.fail(reader.offset(),
                        std::string(what) + ": " + std::to_string(count) + " values exceed the bytes left");
        }
        std::vector<double> values(count);
        for (double& v : values) {
            v = reader.read_double(what);
        }
        return values;
    };
    score_shard_result r;
    r.shard = shard;
    r.rank = rank;
    const bool failed = reader.read(1, "the error flag") != 0;
    std::string error = read_string("the error");
    if (failed) {
        r.error = std::move(error);
    }
    r.vocabulary_size = static_cast<std::int64_t>(reader.read(8, "the vocabulary size"));
    r.dtype = read_string("the dtype");
    r.has_token_bytes = reader.read(1, "the token-bytes flag") != 0;
    const auto ledger_size = static_cast<std::size_t>(reader.read_count("the ledger size"));
    if (ledger_size > reader.remaining()) {
        reader.fail(reader.offset(),
                    "a ledger of " + std::to_string(ledger_size) + " bytes exceeds the bytes left");
    }
    r.result.ledger = code_length_ledger_from_bytes(bytes.subspan(reader.offset(), ledger_size));
    for (std::size_t i = 0; i < ledger_size; ++i) {
        reader.read(1, "the ledger");
    }
    r.result.has_per_token = reader.read(1, "the per-token flag") != 0;
    r.result.log_probabilities_nats = read_doubles("log_probabilities_nats");
    r.result.z_scores = read_doubles("z_scores");
    reader.read_checksum_and_end("a scored shard");
    return r;
}

// Whether every rank got through the set-up (arguments, manifest, output checks): each rank
// calls this exactly once, with ok = false from its error path, so no rank waits in a
// collective another rank never reaches.
bool all_ranks_ready(bool ok) {
    int mine = ok ? 1 : 0;
    int all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all == 1;
}

struct job {
    int rank = 0;
    int ranks = 1;
    bool agreed = false;
};

int run_distributed_score(job& j, int argc, char** argv) {
    arguments args = score_arguments();
    args.parse(argc, argv, 2);
    if ((j.rank != 0 && args.has("help")) || args.print_help_if_asked(usage)) {
        return 0;
    }
    args.reject_positional();
    if (!args.has("manifest")) {
        throw usage_error("codelength-mpi score needs --manifest");
    }
    return run_score_manifest_with(
        args, j.ranks,
        [&](std::span<const manifest_shard> shards, const std::string& label, progress_mode mode,
            auto&& work) -> std::optional<std::vector<score_shard_result>> {
            j.agreed = true;
            if (!all_ranks_ready(true)) {
                throw error("another rank failed before scoring (its message is above)");
            }
            std::vector<std::uint64_t> sizes;
            for (const manifest_shard& shard : shards) {
                sizes.push_back(shard.input_bytes);
            }
            const shard_assignment plan = assign_shards_largest_first(sizes, j.ranks);
            std::vector<manifest_shard> mine;
            for (const std::size_t index : plan.shards_of_rank[static_cast<std::size_t>(j.rank)]) {
                mine.push_back(shards[index]);
            }
            const std::vector<score_shard_result> results =
                run_shards(mine, label, "score", j.rank == 0 ? mode : progress_mode::never, work);
            std::vector<shard_bytes> local;
            for (const score_shard_result& r : results) {
                local.push_back({r.shard, shard_result_bytes(r)});
            }
            const std::vector<gathered_shard> gathered = gather_in_shard_order(MPI_COMM_WORLD, local);
            if (j.rank != 0) {
                return std::nullopt;
            }
            std::vector<score_shard_result> all;
            for (const gathered_shard& g : gathered) {
                try {
                    all.push_back(shard_result_from_bytes(g.bytes, g.shard, g.rank));
                } catch (const format_error& e) {
                    throw format_error("rank " + std::to_string(g.rank) + ", shard " +
                                       std::to_string(g.shard) + ": " + e.what());
                }
            }
            return all;
        });
}

} // namespace
} // namespace codelength::cli

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    codelength::cli::job j;
    MPI_Comm_rank(MPI_COMM_WORLD, &j.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &j.ranks);
    int status = 0;
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "score") {
            status = codelength::cli::run_distributed_score(j, argc, argv);
        } else if (command == "--help" || command == "-h") {
            if (j.rank == 0) {
                std::fputs(codelength::cli::usage, stdout);
            }
        } else {
            throw codelength::cli::usage_error(command.empty() ? "a command is needed (score)"
                                                               : "unknown command '" + command + "' (score)");
        }
    } catch (const codelength::cli::usage_error& e) {
        if (j.rank == 0) {
            std::fprintf(stderr, "codelength-mpi: %s\n%s", e.what(), codelength::cli::usage);
        }
        status = 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "codelength-mpi (rank %d): %s\n", j.rank, e.what());
        status = 1;
    }
    if (!j.agreed && status != 0) {
        codelength::cli::all_ranks_ready(false);
    } else if (!j.agreed) {
        codelength::cli::all_ranks_ready(true); // --help: nothing was distributed
    }
    // Rank 0's status is every rank's (it alone knows whether the report was written).
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}

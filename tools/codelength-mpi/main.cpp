// codelength-mpi: `codelength score --manifest` and `codelength memorization --manifest` spread
// over the ranks of an MPI job.
//
//   mpirun -np 4 codelength-mpi score --manifest shards.txt [--json] [--per-shard] [...]
//   mpirun -np 4 codelength-mpi memorization --manifest documents.txt [--json] [...]
//
// Every rank reads the manifest and assigns the shards largest first (by their files' sizes)
// onto the least-loaded rank (distributed/shard_assignment.hpp): the same plan everywhere,
// with no message. Each rank memory-maps and scores its own shards; their results (exact
// ledgers and the Min-K% inputs, or the error that stopped a shard) travel as checksummed bytes
// to rank 0 (distributed/mpi.hpp), which merges them in shard order and prints what one process
// prints (`codelength score --manifest`), with `ranks` the job's size: the totals are
// bit-identical whatever the rank count. The progress line (--progress; by default only on a
// terminal) is drawn by rank 0 and shows the whole job: shards and bytes done on all the ranks
// out of all the shards (job_progress.hpp: the other ranks send rank 0 a small record per
// finished shard, and nothing when the line is off).
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
#include "job_progress.hpp"
#include "manifest_command.hpp"
#include "memorization_command.hpp"
#include "score_command.hpp"

namespace codelength::cli {
namespace {

constexpr const char* usage =
    "usage: mpirun -np N codelength-mpi score --manifest shards.txt [options of `codelength score`]\n"
    "       mpirun -np N codelength-mpi memorization --manifest shards.txt [options of `codelength\n"
    "                                                memorization`]\n"
    "\n"
    "Runs the shards of a manifest (see `codelength score --help` and `codelength memorization\n"
    "--help`) over the ranks of an MPI job: largest shards first, each onto the least-loaded rank;\n"
    "rank 0 merges the results in shard order and prints the report of the command's --manifest\n"
    "form with `ranks` = N (bit-identical totals and records for any N). The progress line\n"
    "(--progress, --no-progress) is drawn by rank 0 for the whole job: shards and bytes done on\n"
    "all ranks. Exit status on every rank: 0, 1 (error), 2 (usage), 3 (some shards failed).\n";

// ---- a shard's result as bytes: "CLSS" (score) or "CLMS" (memorization), version 1, the
// error (or none), the command's fields, a CRC-32C of everything before it.

constexpr codelength::detail::format_magic score_magic = {'C', 'L', 'S', 'S'};
constexpr codelength::detail::format_magic memorization_magic = {'C', 'L', 'M', 'S'};
constexpr std::uint8_t shard_version = 1;

class shard_writer {
public:
    explicit shard_writer(const codelength::detail::format_magic& magic,
                          const std::optional<std::string>& error)
        : m_out(magic.begin(), magic.end()) {
        m_out.push_back(shard_version);
        m_out.push_back(error ? 1 : 0);
        text(error.value_or(""));
    }
    void integer(std::uint64_t value) { codelength::detail::append_le(m_out, value, 8); }
    void flag(bool value) { m_out.push_back(value ? 1 : 0); }
    void number(double value) { codelength::detail::append_double(m_out, value); }
    void text(std::string_view value) {
        integer(value.size());
        m_out.insert(m_out.end(), value.begin(), value.end());
    }
    void block(std::span<const std::uint8_t> bytes) {
        integer(bytes.size());
        m_out.insert(m_out.end(), bytes.begin(), bytes.end());
    }
    void numbers(std::span<const double> values) {
        integer(values.size());
        for (const double v : values) {
            number(v);
        }
    }
    std::vector<std::uint8_t> finish() {
        codelength::detail::seal_format(m_out);
        return std::move(m_out);
    }

private:
    std::vector<std::uint8_t> m_out;
};

class shard_reader {
public:
    // Checks the magic and version; error() is the shard's error, if it had one.
    shard_reader(std::span<const std::uint8_t> bytes, const codelength::detail::format_magic& magic,
                 const char* kind)
        : m_reader(bytes, "shard bytes") {
        m_reader.read_header(magic, shard_version, kind);
        const bool failed = flag("the error flag");
        std::string error = text("the error");
        if (failed) {
            m_error = std::move(error);
        }
    }
    [[nodiscard]] const std::optional<std::string>& error() const noexcept { return m_error; }
    std::uint64_t integer(const char* what) { return m_reader.read(8, what); }
    std::int64_t count(const char* what) { return m_reader.read_count(what); }
    bool flag(const char* what) { return m_reader.read(1, what) != 0; }
    double number(const char* what) { return m_reader.read_double(what); }
    std::span<const std::uint8_t> block(const char* what) {
        return m_reader.read_bytes(static_cast<std::size_t>(count(what)), what);
    }
    std::string text(const char* what) {
        const std::span<const std::uint8_t> b = block(what);
        return {b.begin(), b.end()};
    }
    std::vector<double> numbers(const char* what) {
        const auto n = static_cast<std::size_t>(count(what));
        if (n > m_reader.remaining() / 8) {
            m_reader.fail(m_reader.offset(),
                          std::string(what) + ": " + std::to_string(n) + " values exceed the bytes left");
        }
        std::vector<double> values(n);
        for (double& v : values) {
            v = number(what);
        }
        return values;
    }
    void finish(const char* kind) { m_reader.read_checksum_and_end(kind); }

private:
    codelength::detail::checked_reader m_reader;
    std::optional<std::string> m_error;
};

// score: vocabulary size, dtype, token bytes or not, the ledger's own bytes, the Min-K% and
// Min-K%++ inputs.
std::vector<std::uint8_t> to_bytes_of(const score_shard_result& r) {
    shard_writer out(score_magic, r.error);
    out.integer(static_cast<std::uint64_t>(r.vocabulary_size));
    out.text(r.dtype);
    out.flag(r.has_token_bytes);
    out.block(to_bytes(r.result.ledger));
    out.flag(r.result.has_per_token);
    out.numbers(r.result.log_probabilities_nats);
    out.numbers(r.result.z_scores);
    return out.finish();
}

void from_bytes_of(std::span<const std::uint8_t> bytes, score_shard_result& r) {
    shard_reader in(bytes, score_magic, "a scored shard");
    r.error = in.error();
    r.vocabulary_size = in.count("the vocabulary size");
    r.dtype = in.text("the dtype");
    r.has_token_bytes = in.flag("the token-bytes flag");
    r.result.ledger = code_length_ledger_from_bytes(in.block("the ledger"));
    r.result.has_per_token = in.flag("the per-token flag");
    r.result.log_probabilities_nats = in.numbers("log_probabilities_nats");
    r.result.z_scores = in.numbers("z_scores");
    in.finish("a scored shard");
}

// memorization: targets, text bytes, vocabulary size, prompt bits, and per record its place
// and compressed sizes, then every record's metrics as memorization records' own bytes
// (metrics/memorization_bytes.hpp, indexed by the record's document number in the shard).
std::vector<std::uint8_t> to_bytes_of(const memorization_shard_result& r) {
    shard_writer out(memorization_magic, r.error);
    out.integer(static_cast<std::uint64_t>(r.targets));
    out.integer(static_cast<std::uint64_t>(r.text_bytes));
    out.integer(static_cast<std::uint64_t>(r.vocabulary_size));
    out.flag(r.prompt_bits.has_value());
    out.number(r.prompt_bits.value_or(0.0));
    out.integer(r.records.size());
    std::vector<indexed_document_memorization> metrics;
    for (const memorization_record& record : r.records) {
        out.integer(static_cast<std::uint64_t>(record.token_begin));
        out.integer(static_cast<std::uint64_t>(record.byte_begin));
        for (const std::uint64_t size : {record.sizes.zlib_default, record.sizes.gzip_9, record.sizes.xz_9,
                                         record.sizes.zstd_19, record.sizes.brotli_11}) {
            out.integer(size);
        }
        metrics.push_back({record.document, record.metrics});
    }
    out.block(to_bytes(std::span<const indexed_document_memorization>(metrics)));
    return out.finish();
}

void from_bytes_of(std::span<const std::uint8_t> bytes, memorization_shard_result& r) {
    shard_reader in(bytes, memorization_magic, "a measured shard");
    r.error = in.error();
    r.targets = in.count("the targets");
    r.text_bytes = in.count("the text bytes");
    r.vocabulary_size = in.count("the vocabulary size");
    const bool has_prompt_bits = in.flag("the prompt-bits flag");
    const double prompt_bits = in.number("the prompt bits");
    if (has_prompt_bits) {
        r.prompt_bits = prompt_bits;
    }
    const auto records = static_cast<std::size_t>(in.count("the record count"));
    std::vector<memorization_record> places;
    for (std::size_t i = 0; i < records; ++i) {
        memorization_record record;
        record.token_begin = in.count("a record's first token");
        record.byte_begin = in.count("a record's first byte");
        for (std::uint64_t* size : {&record.sizes.zlib_default, &record.sizes.gzip_9, &record.sizes.xz_9,
                                    &record.sizes.zstd_19, &record.sizes.brotli_11}) {
            *size = in.integer("a record's compressed sizes");
        }
        places.push_back(record);
    }
    const std::vector<indexed_document_memorization> metrics =
        memorization_records_from_bytes(in.block("the records' metrics"));
    if (metrics.size() != places.size()) {
        throw format_error("shard bytes: " + std::to_string(places.size()) + " records but " +
                           std::to_string(metrics.size()) + " metrics");
    }
    for (std::size_t i = 0; i < places.size(); ++i) {
        places[i].document = metrics[i].document_index;
        places[i].metrics = metrics[i].memorization;
    }
    r.records = std::move(places);
    in.finish("a measured shard");
}

// ---- the job

// How the job starts: whether every rank got through the set-up (arguments, manifest, output
// checks), and whether rank 0 draws the progress line (so the other ranks know whether to
// report their progress, without a message of its own).
struct job_start {
    bool ready = false;
    bool progress_line = false;
};

// Each rank calls this exactly once, with ok = false from its error path, so no rank waits in
// a collective another rank never reaches; `draws_progress` counts on rank 0 only. One
// MPI_Allreduce (minimum) of {ok, rank 0's draws_progress or 1 elsewhere}.
job_start all_ranks_ready(int rank, bool ok, bool draws_progress) {
    const int mine[2] = {ok ? 1 : 0, rank != 0 || draws_progress ? 1 : 0};
    int all[2] = {0, 0};
    MPI_Allreduce(mine, all, 2, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return {all[0] == 1, all[1] == 1};
}

struct job {
    int rank = 0;
    int ranks = 1;
    bool agreed = false;
};

// The `distribute` of run_score_manifest_with / run_memorization_manifest_with: this rank's
// shards by the largest-first plan, their results gathered to rank 0 as bytes.
template <class Result>
auto distributor(job& j, const char* phase) {
    return [&j, phase](std::span<const manifest_shard> shards, const std::string& label, progress_mode mode,
                       auto&& work) -> std::optional<std::vector<Result>> {
        std::uint64_t total_bytes = 0;
        for (const manifest_shard& shard : shards) {
            total_bytes += shard.input_bytes;
        }
        progress_bar bar(label, total_bytes, j.rank == 0 ? mode : progress_mode::never);
        bar.phase(phase);
        j.agreed = true;
        const job_start start = all_ranks_ready(j.rank, true, bar.enabled());
        if (!start.ready) {
            throw error("another rank failed before the shards were run (its message is above)");
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
        job_progress progress(MPI_COMM_WORLD, start.progress_line, bar, total_bytes, shards.size());
        const std::vector<Result> results = run_job_shards(mine, progress, work);
        std::vector<shard_bytes> local;
        for (const Result& r : results) {
            local.push_back({r.shard, to_bytes_of(r)});
        }
        const std::vector<gathered_shard> gathered = gather_in_shard_order(MPI_COMM_WORLD, local);
        if (j.rank != 0) {
            return std::nullopt;
        }
        std::vector<Result> all(gathered.size());
        for (std::size_t i = 0; i < gathered.size(); ++i) {
            const gathered_shard& g = gathered[i];
            try {
                from_bytes_of(g.bytes, all[i]);
            } catch (const format_error& e) {
                throw format_error("rank " + std::to_string(g.rank) + ", shard " + std::to_string(g.shard) +
                                   ": " + e.what());
            }
            all[i].shard = g.shard;
            all[i].rank = g.rank;
        }
        return all;
    };
}

int run_distributed(job& j, const std::string& command, int argc, char** argv) {
    const bool score = command == "score";
    arguments args = score ? score_arguments() : memorization_arguments();
    args.parse(argc, argv, 2);
    if ((j.rank != 0 && args.has("help")) || args.print_help_if_asked(usage)) {
        return 0;
    }
    args.reject_positional();
    if (!args.has("manifest")) {
        throw usage_error("codelength-mpi " + command + " needs --manifest");
    }
    return score ? run_score_manifest_with(args, j.ranks, distributor<score_shard_result>(j, "score"))
                 : run_memorization_manifest_with(args, j.ranks,
                                                  distributor<memorization_shard_result>(j, "measure"));
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
        if (command == "score" || command == "memorization") {
            status = codelength::cli::run_distributed(j, command, argc, argv);
        } else if (command == "--help" || command == "-h") {
            if (j.rank == 0) {
                std::fputs(codelength::cli::usage, stdout);
            }
        } else {
            throw codelength::cli::usage_error(command.empty() ? "a command is needed (score or memorization)"
                                                               : "unknown command '" + command +
                                                                     "' (score or memorization)");
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
    if (!j.agreed) {
        // Set-up failed here (or --help): tell the ranks waiting to start, or agree to end.
        codelength::cli::all_ranks_ready(j.rank, status == 0, false);
    }
    // Rank 0's status is every rank's (it alone knows whether the report was written).
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}

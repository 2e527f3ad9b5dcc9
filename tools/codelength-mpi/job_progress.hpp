// The progress line of `codelength-mpi score|memorization --manifest`: rank 0 draws the WHOLE
// job (bytes and shards done on every rank, out of all the manifest's shards), not only its own
// shards.
//
// Messages travel only when rank 0's line is drawn (`on`, the same on every rank: main.cpp
// learns it from the Allreduce that starts the job); without a line nothing at all is sent.
// With it, on a duplicate of the job's communicator (MPI_Comm_dup: these messages can never
// match the result gather's), a small fixed-size record {bytes done, shards done, finished}:
//   ranks > 0: after each of their shards, by MPI_Isend, at most one every 0.2 s (a record
//     whose predecessor is still in flight is skipped: the next one says more), and in
//     finish() always a final record (finished = 1), completed with MPI_Wait before finish()
//     returns, so no send is pending when the rank enters the gather;
//   rank 0: before each of its own shards receives (MPI_Iprobe + MPI_Recv) whatever has
//     arrived and redraws; in finish(), after its own shards, keeps receiving (every 25 ms,
//     redrawing) until every other rank's final record is in. Records from one rank arrive in
//     the order sent, so after its final record none of its records is left unreceived at the
//     gather or at MPI_Finalize.
// A shard that fails is a result, not an exception (score_shard and measure_memorization_shard
// return their errors), so every rank reaches finish(). Set-up errors end the job before the
// shards (all_ranks_ready in main.cpp), before any job_progress exists.
//
// Granularity: other ranks report per finished shard (their line is off, so nothing inside a
// shard reaches them), so rank 0 may learn of the shards another rank finished within 0.2 s of
// its previous record only when its next shard ends (or at its final record); rank 0's line
// also moves inside its own shards (score_files draws it from before_shard()'s done_bytes, the
// whole job's bytes at the shard's start). Rank 0 draws as progress_bar does: on a terminal at
// most ten times a second, into a file or pipe (--progress) at most once a second.
#pragma once

#include <mpi.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <thread>
#include <type_traits>
#include <vector>

#include "byte_files.hpp"
#include "codelength/distributed/mpi.hpp"
#include "manifest_command.hpp"

namespace codelength::cli {

class job_progress {
public:
    // `bar` is rank 0's line over the whole job (`total_shards` shards of `total_bytes` input
    // bytes); `on` whether it is drawn, the same on every rank. Collective over `comm` when
    // `on` (MPI_Comm_dup).
    job_progress(MPI_Comm comm, bool on, progress_bar& bar, std::uint64_t total_bytes,
                 std::size_t total_shards)
        : m_on(on), m_bar(bar), m_total_shards(total_shards), m_total_bytes(total_bytes) {
        if (m_on) {
            check(MPI_Comm_dup(comm, &m_comm), "MPI_Comm_dup");
            check(MPI_Comm_rank(m_comm, &m_rank), "MPI_Comm_rank");
            int ranks = 1;
            check(MPI_Comm_size(m_comm, &ranks), "MPI_Comm_size");
            m_others.resize(static_cast<std::size_t>(ranks));
        }
    }
    job_progress(const job_progress&) = delete;
    job_progress& operator=(const job_progress&) = delete;
    // On an error path (the job is lost anyway) nothing collective: MPI_Finalize frees the rest.
    ~job_progress() = default;

    // Before each of this rank's shards: the progress the shard's work draws inside it.
    manifest_progress before_shard() {
        receive_and_draw();
        return {&m_bar, done_bytes(), m_total_bytes};
    }

    // After each of this rank's shards (finished or failed), `bytes` its input bytes.
    void after_shard(std::uint64_t bytes) {
        m_own.bytes += bytes;
        ++m_own.shards;
        if (m_on && m_rank != 0 && std::chrono::steady_clock::now() - m_last_send >= send_interval) {
            send(false);
        }
    }

    // After this rank's last shard: ranks > 0 send their final record and wait for it to
    // leave; rank 0 receives until every rank has finished and draws the last line. Collective
    // when `on` (MPI_Comm_free).
    void finish() {
        if (m_on) {
            if (m_rank != 0) {
                send(true);
                check(MPI_Wait(&m_request, MPI_STATUS_IGNORE), "MPI_Wait");
            } else {
                m_others[0].finished = true;
                while (!all_finished()) {
                    if (!receive()) {
                        std::this_thread::sleep_for(poll_interval);
                    }
                    draw();
                }
            }
            check(MPI_Comm_free(&m_comm), "MPI_Comm_free");
            m_on = false;
        }
        draw();
        m_bar.finish();
    }

private:
    struct counts {
        std::uint64_t bytes = 0;
        std::uint64_t shards = 0;
        bool finished = false;
    };
    static constexpr int tag = 1;
    static constexpr std::chrono::milliseconds send_interval{200};
    static constexpr std::chrono::milliseconds poll_interval{25};

    static void check(int code, const char* call) {
        codelength::detail::mpi_errors_return::check(code, call);
    }

    // This rank's own counts and, on rank 0, the other ranks' last reported ones.
    [[nodiscard]] counts job_counts() const {
        counts all = m_own;
        for (std::size_t r = 1; r < m_others.size(); ++r) {
            all.bytes += m_others[r].bytes;
            all.shards += m_others[r].shards;
        }
        return all;
    }
    [[nodiscard]] std::uint64_t done_bytes() const { return job_counts().bytes; }
    [[nodiscard]] bool all_finished() const {
        for (const counts& c : m_others) {
            if (!c.finished) {
                return false;
            }
        }
        return true;
    }

    void draw() {
        const counts all = job_counts();
        detail::note_shards({&m_bar, all.bytes, m_total_bytes}, all.shards, m_total_shards);
    }

    void receive_and_draw() {
        while (receive()) {
        }
        draw();
    }

    // Rank 0: receives one record that has arrived; false when none has (or the line is off).
    bool receive() {
        if (!m_on || m_rank != 0) {
            return false;
        }
        int arrived = 0;
        MPI_Status status{};
        check(MPI_Iprobe(MPI_ANY_SOURCE, tag, m_comm, &arrived, &status), "MPI_Iprobe");
        if (arrived == 0) {
            return false;
        }
        std::array<std::uint64_t, 3> record{};
        check(MPI_Recv(record.data(), static_cast<int>(record.size()), MPI_UINT64_T, status.MPI_SOURCE, tag,
                       m_comm, MPI_STATUS_IGNORE),
              "MPI_Recv");
        m_others[static_cast<std::size_t>(status.MPI_SOURCE)] = {record[0], record[1], record[2] != 0};
        return true;
    }

    // Ranks > 0: sends this rank's counts to rank 0 unless the previous record is still in
    // flight (the final record waits for it).
    void send(bool finished) {
        if (m_request != MPI_REQUEST_NULL) {
            if (finished) {
                check(MPI_Wait(&m_request, MPI_STATUS_IGNORE), "MPI_Wait");
            } else {
                int done = 0;
                check(MPI_Test(&m_request, &done, MPI_STATUS_IGNORE), "MPI_Test");
                if (done == 0) {
                    return;
                }
            }
        }
        m_record = {m_own.bytes, m_own.shards, finished ? 1U : 0U};
        check(MPI_Isend(m_record.data(), static_cast<int>(m_record.size()), MPI_UINT64_T, 0, tag, m_comm,
                        &m_request),
              "MPI_Isend");
        m_last_send = std::chrono::steady_clock::now();
    }

    bool m_on;
    progress_bar& m_bar;
    std::size_t m_total_shards;
    std::uint64_t m_total_bytes;
    MPI_Comm m_comm = MPI_COMM_NULL;
    int m_rank = 0;
    counts m_own;
    std::vector<counts> m_others;            // rank 0: what each rank last reported (index 0 unused)
    std::array<std::uint64_t, 3> m_record{}; // ranks > 0: the record in flight
    MPI_Request m_request = MPI_REQUEST_NULL;
    std::chrono::steady_clock::time_point m_last_send{};
};

// Runs work(shard, progress) on `mine` (this rank's shards, in order) under the job's line;
// returns the results in the same order (as run_shards does for one process).
template <class Work>
auto run_job_shards(std::span<const manifest_shard> mine, job_progress& progress, Work&& work) {
    using result_type = std::invoke_result_t<Work&, const manifest_shard&, const manifest_progress&>;
    std::vector<result_type> results;
    results.reserve(mine.size());
    for (const manifest_shard& shard : mine) {
        const manifest_progress shard_progress = progress.before_shard();
        results.push_back(work(shard, shard_progress));
        progress.after_shard(shard.input_bytes);
    }
    progress.finish();
    return results;
}

} // namespace codelength::cli

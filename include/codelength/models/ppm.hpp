// An adaptive order-k byte model in the PPM family (PPMD-style escapes with full exclusion and
// update exclusion), giving a full distribution over the 256 byte values as integer frequencies
// that encoder and decoder compute bit-identically, and as log-probabilities for the metrics.
//
//   codelength::ppm_model model({.order = 5, .memory_mib = 64});
//   std::array<std::uint32_t, 256> freq{};
//   const std::uint32_t total = model.next_frequencies(freq);   // p(b) = freq[b] / total
//   model.update(byte);
//
// The distribution: contexts of orders k, k - 1, ..., 0 are visited from the longest. A context
// holding n symbols (not yet excluded) with counts c_s summing to t gives each of them the share
// (2 c_s - 1) / (2 t) of the probability mass still unassigned and keeps n / (2 t) of it as the
// escape to the next shorter context (PPMD); symbols seen in a longer context are excluded from
// the shorter ones. What is left after order 0 is shared evenly by the bytes never seen (order
// -1). The mass is a 2^22 fixed-point integer; every frequency then gets + 1, so each is >= 1 and
// the total is at most 2^22 + 256.
//
// Memory: contexts of orders 0 and 1 are dense arrays (128.5 KiB); longer ones live in a hash table (8-byte
// slots, 4-way linear probing, a 32-bit check) and their symbols in an entry pool (8 bytes per symbol), half
// of memory_mib each. A context whose probe window is full of other contexts is not stored (it is treated as
// unseen). When the entry pool is full the model forgets its hashed contexts (table and pool are cleared, as
// PPMd restarts) and goes on learning; the hashed orders and their escapes then rebuild from scratch (orders
// 0 and 1 are kept).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Tuning of ppm_model (all part of its fingerprint).
struct ppm_options {
    int order = 5;                 // longest context, in bytes: [0, 8]
    std::uint32_t memory_mib = 64; // hash table + entry pool, MiB: [1, 4096] (one type for all models)
    std::uint32_t max_count = 255; // a context's counts are halved when one reaches it: [2, 65535]
};

// PPM byte model. Invariants: every returned frequency >= 1, total <= 2^22 + 256; the state is a
// pure function of the options and the bytes learned.
class ppm_model {
public:
    static constexpr int frequency_total_bits = 23;
    static constexpr int max_order = 8;
    static constexpr std::uint32_t max_memory_mib = 4096;

    explicit ppm_model(const ppm_options& options = {}) : m_options(options) {
        if (options.order < 0 || options.order > max_order) {
            throw invalid_argument_error("PPM order " + std::to_string(options.order) + " is outside 0-" +
                                         std::to_string(max_order));
        }
        if (options.memory_mib < 1 || options.memory_mib > max_memory_mib) {
            throw invalid_argument_error("memory setting " + std::to_string(options.memory_mib) +
                                         " MiB is outside 1-" + std::to_string(max_memory_mib) +
                                         " MiB for the PPM model");
        }
        if (options.max_count < 2 || options.max_count > 65535) {
            throw invalid_argument_error("PPM count limit " + std::to_string(options.max_count) +
                                         " is outside 2-65535");
        }
        const std::uint64_t half_bytes = (std::uint64_t{options.memory_mib} << 20U) / 2;
        // Slots: the largest power of two fitting in half the budget.
        m_slot_bits = 0;
        while ((std::uint64_t{16} << m_slot_bits) <= half_bytes) {
            ++m_slot_bits;
        }
        m_slots.assign(std::size_t{1} << m_slot_bits, slot{});
        const std::uint64_t entries = std::min<std::uint64_t>(half_bytes / sizeof(entry), 0xFFFFFFF0ULL);
        m_entries.resize(static_cast<std::size_t>(entries));
        m_used_entries = 1; // index 0 means "no entry"
    }

    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return 256; }

    // Fills out with the next byte's frequencies (each >= 1) and returns their total.
    std::uint32_t next_frequencies(std::span<std::uint32_t, 256> out) {
        compute();
        std::copy(m_frequencies.begin(), m_frequencies.end(), out.begin());
        return m_total;
    }

    // ln(freq / total) of the distribution next_frequencies() codes with.
    [[nodiscard]] std::span<const double, 256> next_log_probabilities() {
        compute();
        const double log_total = std::log(static_cast<double>(m_total));
        for (std::size_t i = 0; i < 256; ++i) {
            m_log_probabilities[i] = std::log(static_cast<double>(m_frequencies[i])) - log_total;
        }
        return m_log_probabilities;
    }

    // Learns byte `token`; throws invalid_argument_error outside [0, 255].
    void update(std::int64_t token) {
        if (token < 0 || token > 255) {
            throw invalid_argument_error("PPM model: token " + std::to_string(token) +
                                         " is not a byte value in [0, 255]");
        }
        locate();
        const auto symbol = static_cast<std::uint8_t>(token);
        bool learned = false; // the longest context that knew the symbol was updated
        for (int o = m_options.order; o >= first_hashed_order; --o) {
            const std::uint32_t index = m_context_slot[static_cast<std::size_t>(o)];
            if (index == no_slot) {
                continue;
            }
            slot& s = m_slots[index];
            const std::uint32_t check = m_context_check[static_cast<std::size_t>(o)];
            if (s.head == 0) {
                // A new context (its slot was free): it learns the symbol, shorter ones go on.
                const std::uint32_t e = new_entry(symbol, 0);
                if (e == 0) {
                    continue; // the pool was full and the hashed contexts were forgotten
                }
                s.check = check;
                s.head = e;
                continue;
            }
            if (s.check != check) {
                continue; // taken by another context of this step since locate()
            }
            std::uint32_t e = s.head;
            while (e != 0 && m_entries[e].symbol != symbol) {
                e = m_entries[e].next;
            }
            if (e != 0) {
                // Update exclusion: the longest context that knew the symbol is the last updated.
                if (++m_entries[e].count >= m_options.max_count) {
                    for (std::uint32_t h = s.head; h != 0; h = m_entries[h].next) {
                        m_entries[h].count = static_cast<std::uint16_t>((m_entries[h].count + 1U) / 2U);
                    }
                }
                learned = true;
                break;
            }
            const std::uint32_t added = new_entry(symbol, s.head);
            if (added != 0) {
                s.head = added;
            }
        }
        for (int o = std::min(m_options.order, 1); o >= 0 && !learned; --o) {
            std::uint16_t* counts = dense_counts(o);
            if (counts[symbol] == 0) {
                counts[symbol] = 1;
                continue;
            }
            if (++counts[symbol] >= m_options.max_count) {
                for (std::size_t i = 0; i < 256; ++i) {
                    counts[i] = static_cast<std::uint16_t>((counts[i] + 1U) / 2U); // 0 stays 0
                }
            }
            break;
        }
        m_history = (m_history << 8U) | symbol;
        m_located = false;
        m_computed = false;
    }

    // Identifies the model and its options (not its learned state).
    [[nodiscard]] std::uint64_t fingerprint() const noexcept {
        std::uint64_t h = 0x70706d645f763031ULL; // "ppmd_v01"
        for (const std::uint64_t v :
             {static_cast<std::uint64_t>(m_options.order), std::uint64_t{m_options.memory_mib},
              std::uint64_t{m_options.max_count}}) {
            h = (h ^ v) * 0x100000001b3ULL;
            h ^= h >> 29U;
        }
        return h;
    }

    [[nodiscard]] const ppm_options& options() const noexcept { return m_options; }
    // Times the entry pool filled up and the model forgot its hashed contexts.
    [[nodiscard]] std::uint64_t resets() const noexcept { return m_resets; }
    // Symbol entries in use (a measure of the memory used).
    [[nodiscard]] std::uint64_t entries_used() const noexcept { return m_used_entries - 1; }

private:
    static constexpr std::uint32_t no_slot = std::numeric_limits<std::uint32_t>::max();
    static constexpr std::uint32_t mass_one = 1U << 22U;
    // Orders 0 and 1 keep dense count arrays (257 x 256 x 2 bytes, outside memory_mib's table
    // and pool and never forgotten); longer orders live in the hash table.
    static constexpr int first_hashed_order = 2;

    struct slot {
        std::uint32_t check = 0; // identifies the context among those hashing here
        std::uint32_t head = 0;  // first symbol entry; 0 = free slot
    };
    struct entry {
        std::uint32_t next = 0; // next symbol of the same context; 0 = end
        std::uint16_t count = 0;
        std::uint8_t symbol = 0;
        std::uint8_t unused = 0;
    };

    // The counts of the order-0 (o = 0) or order-1 (o = 1) context: 256 entries, 0 = unseen.
    [[nodiscard]] std::uint16_t* dense_counts(int o) noexcept {
        return m_dense.data() + (o == 0 ? 0 : 256 * (1 + static_cast<std::size_t>(m_history & 0xFFU)));
    }

    // Appends a symbol entry with count 1 before `next`; on a full pool forgets every hashed
    // context (clears table and pool) and returns 0.
    std::uint32_t new_entry(std::uint8_t symbol, std::uint32_t next) {
        if (m_used_entries >= m_entries.size()) {
            std::fill(m_slots.begin(), m_slots.end(), slot{});
            m_used_entries = 1;
            ++m_resets;
            return 0;
        }
        const auto e = static_cast<std::uint32_t>(m_used_entries++);
        m_entries[e] = entry{next, 1, symbol, 0};
        return e;
    }

    // Finds, for each order, the slot of the current context (or a free slot for it).
    void locate() {
        if (m_located) {
            return;
        }
        const std::uint32_t mask = (std::uint32_t{1} << m_slot_bits) - 1U;
        for (int o = first_hashed_order; o <= m_options.order; ++o) {
            const std::uint64_t bytes =
                o == 8 ? m_history
                       : (m_history & ((std::uint64_t{1} << (8U * static_cast<unsigned>(o))) - 1U));
            std::uint64_t h =
                (bytes + static_cast<std::uint64_t>(o + 1) * std::uint64_t{0x9E3779B97F4A7C15}) *
                std::uint64_t{0xD6E8FEB86659FD93};
            h ^= h >> 32U;
            h *= std::uint64_t{0xD6E8FEB86659FD93};
            const auto check = static_cast<std::uint32_t>(h);
            auto index = static_cast<std::uint32_t>(h >> (64U - m_slot_bits));
            std::uint32_t found = no_slot;
            for (int probe = 0; probe < 4; ++probe, index = (index + 1U) & mask) {
                const slot& s = m_slots[index];
                if (s.head == 0 || s.check == check) {
                    found = index;
                    break;
                }
            }
            m_context_slot[static_cast<std::size_t>(o)] = found;
            m_context_check[static_cast<std::size_t>(o)] = check;
        }
        m_located = true;
    }

    // Computes m_frequencies and m_total for the current context (see the file comment).
    void compute() {
        if (m_computed) {
            return;
        }
        locate();
        m_frequencies.fill(0);
        std::array<std::uint8_t, 256> excluded{};
        int excluded_count = 0;
        std::uint32_t mass = mass_one;
        for (int o = m_options.order; o >= first_hashed_order; --o) {
            const std::uint32_t index = m_context_slot[static_cast<std::size_t>(o)];
            if (index == no_slot) {
                continue;
            }
            const slot& s = m_slots[index];
            if (s.head == 0 || s.check != m_context_check[static_cast<std::size_t>(o)]) {
                continue;
            }
            std::uint64_t t = 0;
            std::uint32_t n = 0;
            for (std::uint32_t e = s.head; e != 0; e = m_entries[e].next) {
                if (excluded[m_entries[e].symbol] == 0) {
                    t += m_entries[e].count;
                    ++n;
                }
            }
            if (n == 0) {
                continue;
            }
            // share = floor(mass * 2^32 / 2t); f_s = floor((2 c_s - 1) * share / 2^32) sums to at
            // most mass * (2t - n) / 2t: the rest is the escape. (2c - 1) * share < mass * 2^32
            // <= 2^54: no overflow.
            const std::uint64_t share = (std::uint64_t{mass} << 32U) / (2 * t);
            std::uint32_t assigned = 0;
            for (std::uint32_t e = s.head; e != 0; e = m_entries[e].next) {
                const std::uint8_t symbol = m_entries[e].symbol;
                if (excluded[symbol] == 0) {
                    const auto f = static_cast<std::uint32_t>(
                        ((2 * std::uint64_t{m_entries[e].count} - 1) * share) >> 32U);
                    m_frequencies[symbol] += f;
                    assigned += f;
                    excluded[symbol] = 1;
                    ++excluded_count;
                }
            }
            mass -= assigned;
        }
        for (int o = std::min(m_options.order, 1); o >= 0; --o) {
            const std::uint16_t* counts = dense_counts(o);
            std::uint64_t t = 0;
            std::uint32_t n = 0;
            for (std::size_t i = 0; i < 256; ++i) {
                const std::uint32_t c = excluded[i] == 0 ? counts[i] : 0U;
                t += c;
                n += c != 0 ? 1U : 0U;
            }
            if (n == 0) {
                continue;
            }
            const std::uint64_t share = (std::uint64_t{mass} << 32U) / (2 * t); // as above
            std::uint32_t assigned = 0;
            for (std::size_t i = 0; i < 256; ++i) {
                if (excluded[i] == 0 && counts[i] != 0) {
                    const auto f =
                        static_cast<std::uint32_t>(((2 * std::uint64_t{counts[i]} - 1) * share) >> 32U);
                    m_frequencies[i] += f;
                    assigned += f;
                    excluded[i] = 1;
                    ++excluded_count;
                }
            }
            mass -= assigned;
        }
        if (excluded_count < 256) {
            const std::uint32_t even = mass / static_cast<std::uint32_t>(256 - excluded_count);
            for (std::size_t i = 0; i < 256; ++i) {
                if (excluded[i] == 0) {
                    m_frequencies[i] += even;
                }
            }
        }
        std::uint32_t total = 0;
        for (auto& f : m_frequencies) {
            f += 1;
            total += f;
        }
        m_total = total;
        m_computed = true;
    }

    ppm_options m_options;
    unsigned m_slot_bits = 0;
    std::vector<slot> m_slots;
    std::vector<entry> m_entries;
    std::vector<std::uint16_t> m_dense = std::vector<std::uint16_t>(257 * 256, 0);
    std::uint64_t m_used_entries = 1;
    std::uint64_t m_resets = 0;
    std::uint64_t m_history = 0; // the last 8 bytes, the latest in the low byte (zeros before the start)
    std::array<std::uint32_t, max_order + 1> m_context_slot{};
    std::array<std::uint32_t, max_order + 1> m_context_check{};
    bool m_located = false;
    bool m_computed = false;
    std::array<std::uint32_t, 256> m_frequencies{};
    std::uint32_t m_total = 0;
    std::array<double, 256> m_log_probabilities{};
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

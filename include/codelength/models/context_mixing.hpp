// The embedded default model: a bitwise context-mixing byte model in the lpaq tradition.
// Bits are fed MSB first within each byte. Each bit is predicted from the bit histories of
// eight contexts (orders 0-4 and 6, the current case-folded word, the word pair), each turned
// into a probability by an adaptive state map, plus a match model that follows the longest
// recent repeat; a two-layer logistic mixer combines them (weight sets chosen by the match
// state with the partial byte, and by the previous byte) and an order-1 adaptive probability map (SSE)
// refines the result. All arithmetic is integer, so encoder and decoder agree on any machine
// and compiler; the sum of -log2 p over a file is its prequential code length.
//
//   codelength::context_mixing_model model;   // 256 MiB; context_mixing_model({16}) for 16 MiB
//   codelength::binary_encoder<12> encoder(bytes);
//   for each bit of each byte, MSB first: encoder.encode_bit(bit, model.p1()); model.update(bit);
//   (an encoder may first call model.prefetch_byte(byte) for each byte: faster, same predictions)
//
// Memory: memory_bytes() is the exact heap use (the object itself is about 1 KiB). With
// M = memory_mib << 20 and F = fixed_memory_bytes = 4,549,120 (order-0/1 states, state maps,
// mixer weights, the APM), the hashed context table takes T bytes, T the largest power of two
// <= 4 (M - F) / 7, the match model's history T / 2 and its index T / 4, so memory_bytes() =
// F + 7 T / 4 <= M: 239,430,144 bytes (228.3 MiB) at the default 256 MiB, 11.3 MiB at 16 MiB.
// Fresh tables come from calloc, so untouched pages are not committed on most systems (on
// Linux the large tables ask for transparent huge pages: memory is committed 2 MiB at a time).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/models/cm_primitives.hpp"

#if defined(__GNUC__)
#define CODELENGTH_CM_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#define CODELENGTH_CM_ALWAYS_INLINE inline
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Configuration of context_mixing_model.
struct context_mixing_options {
    // Memory budget in MiB, in [min_memory_mib, max_memory_mib] = [8, 1024] (the same type as
    // ppm_options::memory_mib and compression_options::memory_mib).
    std::uint32_t memory_mib = 256;
};

// A bitwise context-mixing model of bytes (see the top of this file); satisfies binary_model.
class context_mixing_model {
public:
    static constexpr int probability_bits = 12;
    // Bumped whenever a change alters the predicted probabilities.
    static constexpr std::uint32_t version = 1;
    static constexpr std::uint32_t min_memory_mib = 8;
    static constexpr std::uint32_t max_memory_mib = 1024;

private:
    // Mixer inputs: the state_contexts (orders 0 and 1 direct, then the hashed ones), the
    // match model and a bias.
    static constexpr std::size_t hashed_contexts = 6; // orders 2, 3, 4, 6, word, word pair
    static constexpr std::size_t state_contexts = 2 + hashed_contexts;
    static constexpr std::size_t match_input = state_contexts;
    static constexpr std::size_t used_inputs = state_contexts + 2;
    // The weight sets are padded to a multiple of 8 (unused inputs stay 0); the mixer's loops
    // cover the used inputs rounded up to a multiple of 4, whole SSE2 vectors.
    static constexpr std::size_t inputs = (used_inputs + 7) / 8 * 8;
    static constexpr std::size_t active_inputs = (used_inputs + 3) / 4 * 4;
    static constexpr std::size_t match_contexts = 64;
    static constexpr std::size_t match_min_length = 6;

    // 16 bytes: a check byte and the 15 bit-history states of one nibble's binary tree
    // (node 1 is the nibble's first bit, node 2 n + b follows node n after bit b).
    struct slot {
        std::array<std::uint8_t, 16> bytes;
    };
    // Four slots sharing a cache line: a context's nibble lives in one of its bucket's slots.
    struct alignas(64) bucket {
        std::array<slot, 4> slots;
    };

public:
    // The heap bytes that do not depend on memory_mib.
    static constexpr std::size_t fixed_memory_bytes = 256 + 65536 + state_contexts * 256 * 4 +
                                                      match_contexts * 4 + (2048 + 256) * inputs * 4 +
                                                      256 * 2 * 4 + 65536 * 33 * 2;

    explicit context_mixing_model(context_mixing_options options = {})
        : m_memory_mib(checked_memory_mib(options.memory_mib)), m_order0(256), m_order1(65536),
          m_state_maps(1023), m_mixer({2048, 256}, 256, 6, 2), m_apm_order1(65536, 7) {
        const std::size_t budget = (static_cast<std::size_t>(m_memory_mib) << 20) - fixed_memory_bytes;
        // Invariant: table + table / 2 + table / 4 <= budget.
        const std::size_t table_bytes = std::bit_floor(budget / 7 * 4);
        m_buckets = detail::cm::large_table<bucket>(table_bytes / sizeof(bucket));
        m_history = detail::cm::large_table<std::uint8_t>(table_bytes / 2);
        m_match_index = detail::cm::large_table<std::uint32_t>(table_bytes / 4 / sizeof(std::uint32_t));
        m_bucket_mask = m_buckets.size() - 1;
        m_history_mask = m_history.size() - 1;
        m_match_mask = m_match_index.size() - 1;
        m_match_map = detail::cm::state_map(match_contexts, 1023);
        byte_contexts(0);
        nibble_contexts(0);
        predict();
    }

    // p(next bit = 1) * 2^12, in [1, 4095].
    [[nodiscard]] std::uint32_t p1() const noexcept { return static_cast<std::uint32_t>(m_p); }

    // A hint for encoders, which know each byte before coding it: called before the first bit of
    // a byte with that byte, it lets the model load the table lines of the byte's second nibble
    // and of the next byte's first nibble four bits ahead, for the bits that will come, instead
    // of one bit ahead for both values a bit could take. Predictions are the same with or
    // without it, and with a wrong byte (the hint is dropped at the first bit that differs).
    // Ignored when called within a byte. While a match is followed, update() gives the model this
    // hint itself with the byte the match predicts (for a decoder, which cannot know the byte;
    // an encoder's own hint then confirms or replaces it).
    void prefetch_byte(std::uint8_t byte) noexcept {
        if (m_bit_count != 0 || m_lookahead == (256U | byte)) {
            return; // within a byte, or the match's guess was this byte: its lines are on their way
        }
        m_lookahead = 256U | byte;
        m_prepared = 0; // what the match's guess prepared, if it guessed another byte
        prepare_second_nibble(16U | static_cast<std::uint32_t>(byte) >> 4);
    }

    // Learns `bit` (0 or 1; any nonzero value counts as 1) and predicts the next one.
    void update(int bit) noexcept {
        bit = bit != 0 ? 1 : 0;
        if (m_lookahead != 0 &&
            ((m_lookahead >> (7 - m_bit_count)) & 1U) != static_cast<std::uint32_t>(bit)) {
            m_lookahead = 0; // not the hinted byte: what was prepared for it is not used
            m_prepared = 0;
        }
        for (std::size_t i = 0; i < state_contexts; ++i) {
            std::uint8_t& state = *m_states[i];
            state = detail::cm::bit_histories.next[state][static_cast<std::size_t>(bit)];
        }
        m_state_maps.update(bit);
        m_match_map.update(bit);
        m_mixer.update(bit);
        m_apm_order1.update(bit);

        m_partial = m_partial << 1 | static_cast<std::uint32_t>(bit);
        ++m_bit_count;
        m_node = m_node * 2 + static_cast<std::size_t>(bit);
        if (m_match_length > 0 && ((m_expected_byte | 256U) >> (8 - m_bit_count)) != m_partial) {
            m_match_length = 0; // the match failed within this byte
        }
        if (m_bit_count == 8) {
            m_lookahead = 0;
            end_byte(static_cast<std::uint8_t>(m_partial & 255U));
            m_partial = 1;
            m_bit_count = 0;
            m_node = 1;
            byte_contexts(bit);
            nibble_contexts(bit);
            if (m_match_length > 0) {
                prefetch_byte(static_cast<std::uint8_t>(m_expected_byte)); // the match's guess
            }
        } else if (m_bit_count == 4) {
            m_node = 1;
            nibble_contexts(bit);
        }
        predict();
        if (m_lookahead != 0) {
            if (m_bit_count == 4) {
                prefetch_next_byte(static_cast<std::uint8_t>(m_lookahead));
            } else if (m_bit_count == 7 && m_match_length == 0) {
                prefetch_match_history(static_cast<std::uint8_t>(m_lookahead));
            }
        } else if (m_bit_count == 3) {
            // Start loading the table lines the coming bits need, for every value the bits still
            // unknown could take, or only the next bit's likely value when the prediction is
            // confident. The second nibble's buckets, one bit ahead:
            const auto [first, last] = likely_bits();
            for (std::uint32_t b = first; b <= last; ++b) {
                prepare_second_nibble(m_partial << 1 | b);
            }
        } else if (m_bit_count == 6) {
            // The match index entry of this byte, two bits ahead:
            for (std::uint32_t b = 0; b < 4; ++b) {
                const std::uint64_t c8 = m_last_bytes << 8 | ((m_partial & 63U) << 2 | b);
                detail::cm::prefetch(&m_match_index[match_hash(c8) & m_match_mask]);
            }
        } else if (m_bit_count == 7) {
            // The next byte's first-nibble buckets, one bit ahead, and, with no match to follow,
            // the history where a match found through the index would be checked:
            const auto [first, last] = likely_bits();
            for (std::uint32_t b = first; b <= last; ++b) {
                const auto c = static_cast<std::uint8_t>((m_partial & 127U) << 1 | b);
                if (m_match_length == 0) {
                    prefetch_match_history(c);
                }
                prefetch_next_byte(c);
            }
        }
    }

    // The exact heap bytes held by the model's tables (at most memory_mib MiB).
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        std::size_t total = m_order0.size() + m_order1.size() + m_buckets.size() * sizeof(bucket) +
                            m_history.size() + m_match_index.size() * sizeof(std::uint32_t) +
                            m_match_map.memory_bytes() + m_mixer.memory_bytes() + m_apm_order1.memory_bytes();
        return total + m_state_maps.memory_bytes();
    }

    [[nodiscard]] std::uint32_t memory_mib() const noexcept { return m_memory_mib; }

    // Identifies the configuration: two models with equal fingerprints predict identically.
    [[nodiscard]] std::uint64_t fingerprint() const noexcept {
        return mix64(mix64(0x636d6d6f64656cULL ^ version) ^ static_cast<std::uint64_t>(m_memory_mib));
    }

private:
    static std::uint32_t checked_memory_mib(std::uint32_t mib) {
        if (mib < min_memory_mib || mib > max_memory_mib) {
            throw invalid_argument_error("memory setting " + std::to_string(mib) + " MiB is outside " +
                                         std::to_string(min_memory_mib) + "-" +
                                         std::to_string(max_memory_mib) +
                                         " MiB for the context-mixing model");
        }
        return mib;
    }

    // A 64-bit finalizer (xor-shift-multiply): every input bit affects every output bit.
    [[nodiscard]] static constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
        x ^= x >> 32;
        x *= 0xd6e8feb86659fd93ULL;
        x ^= x >> 32;
        x *= 0xd6e8feb86659fd93ULL;
        x ^= x >> 32;
        return x;
    }

    // Computes the hashes of the current byte's second nibble after the first four bits that
    // `partial` holds (1 and those bits: m_partial when the nibble starts), kept for
    // nibble_contexts, and starts loading its buckets.
    void prepare_second_nibble(std::uint32_t partial) noexcept {
        const std::size_t b = partial & 1U;
        for (std::size_t i = 0; i < hashed_contexts; ++i) {
            const std::uint64_t nibble = nibble_hash(m_context_hashes[i], partial);
            m_prepared_nibbles[b][i] = nibble;
            detail::cm::prefetch(&m_buckets[bucket_index(m_context_hashes[i], nibble)]);
        }
        m_prepared |= 1U << b;
    }

    // Computes the context hashes of the byte after the current one, were the current one c, and
    // starts loading its first nibble's buckets (kept for byte_contexts and nibble_contexts).
    void prefetch_next_byte(std::uint8_t c) noexcept {
        std::uint64_t word = m_word;
        std::uint64_t previous_word = m_previous_word;
        advance_word(c, word, previous_word);
        const context_hash_array hashes = context_hashes(m_last_bytes << 8 | c, word, previous_word);
        const std::size_t b = c & 1U;
        for (std::size_t i = 0; i < hashed_contexts; ++i) {
            const std::uint64_t nibble = nibble_hash(hashes[i], 1);
            m_prepared_nibbles[b][i] = nibble;
            detail::cm::prefetch(&m_buckets[bucket_index(hashes[i], nibble)]);
        }
        m_prepared_contexts[b] = hashes;
        m_prepared |= 1U << b;
        if (m_lookahead != 0) { // the match index entry end_byte will look up after c
            detail::cm::prefetch(&m_match_index[match_hash(m_last_bytes << 8 | c) & m_match_mask]);
        }
    }

    // With no match to follow, starts loading the history where a match found through the
    // index after the current byte c would be checked. Always inlined: GCC deletes calls of a
    // function whose only effect is a prefetch.
    CODELENGTH_CM_ALWAYS_INLINE void prefetch_match_history(std::uint8_t c) noexcept {
        const std::uint32_t candidate = m_match_index[match_hash(m_last_bytes << 8 | c) & m_match_mask];
        detail::cm::prefetch(&m_history[(candidate - std::size_t{1}) & m_history_mask]);
    }

    // Records a finished byte: history, word hashes, match model.
    void end_byte(std::uint8_t c) noexcept {
        m_last_bytes = m_last_bytes << 8 | c;
        m_history[m_position & m_history_mask] = c;
        ++m_position;

        advance_word(c, m_word, m_previous_word);

        // Match model: follow the current match, or look the last bytes up when there is none.
        if (m_match_length > 0) {
            ++m_match_pointer;
            if (m_match_length < 65535) {
                ++m_match_length;
            }
        }
        if (m_position >= match_min_length) {
            const std::size_t h = match_hash(m_last_bytes) & m_match_mask;
            if (m_match_length == 0) {
                // The index keeps positions modulo 2^32: restore the high bits (a stale entry
                // from 4 GiB ago lands outside the history window and is ignored).
                std::uint64_t candidate = (m_position & ~std::uint64_t{0xffffffff}) | m_match_index[h];
                if (candidate >= m_position) {
                    candidate =
                        candidate >= (std::uint64_t{1} << 32) ? candidate - (std::uint64_t{1} << 32) : 0;
                }
                // Invariant: a candidate is usable only while its bytes are still in the history.
                if (candidate > 0 && m_position - candidate < m_history.size() - 64) {
                    std::size_t length = 0;
                    while (length < 64 && length < candidate &&
                           m_history[(candidate - 1 - length) & m_history_mask] ==
                               m_history[(m_position - 1 - length) & m_history_mask]) {
                        ++length;
                    }
                    if (length > 0) {
                        m_match_length = length;
                        m_match_pointer = candidate;
                    }
                }
            }
            m_match_index[h] = static_cast<std::uint32_t>(m_position);
        }
        if (m_match_length > 0) {
            m_expected_byte = m_history[m_match_pointer & m_history_mask];
        }
    }

    using context_hash_array = std::array<std::uint64_t, hashed_contexts>;

    // The context hashes of the hashed orders for the bytes c8 (the last one in the low bits)
    // and the word hashes after them; fixed for a whole byte.
    [[nodiscard]] static context_hash_array context_hashes(std::uint64_t c8, std::uint64_t word,
                                                           std::uint64_t previous_word) noexcept {
        return {mix64((c8 & 0xffffULL) | 2ULL << 56),
                mix64((c8 & 0xffffffULL) | 3ULL << 56),
                mix64((c8 & 0xffffffffULL) | 4ULL << 56),
                mix64((c8 & 0xffffffffffffULL) | 6ULL << 56),
                mix64(word * 0x9e3779b97f4a7c15ULL + (word == 0 ? (c8 & 0xff) : 0) + 7),
                mix64((word + previous_word * 0x2545f4914f6cdd1dULL) * 0x9e3779b97f4a7c15ULL + 8)};
    }

    // Word context: a case-folded hash of the current run of letters (bytes >= 128 count as
    // letters, so UTF-8 words stay whole); a non-letter ends the word.
    static void advance_word(std::uint8_t c, std::uint64_t& word, std::uint64_t& previous_word) noexcept {
        const bool upper = c >= 'A' && c <= 'Z';
        const bool letter = upper || (c >= 'a' && c <= 'z') || c >= 128;
        if (letter) {
            word = (word + (upper ? c + 32U : c) + 1) * 0x2f0b3a49c4d1e56bULL;
        } else if (word != 0) {
            previous_word = word;
            word = 0;
        }
    }

    // The match index's key: the last match_min_length = 6 bytes.
    [[nodiscard]] static std::size_t match_hash(std::uint64_t c8) noexcept {
        return static_cast<std::size_t>(mix64((c8 & 0xffffffffffffULL) + 1));
    }

    // Sets the contexts that stay fixed for the byte that starts now, whose last bit was `bit`
    // (taken from the prefetch one bit ahead when it computed them).
    void byte_contexts(int bit) noexcept {
        if (((m_prepared >> bit) & 1U) != 0) {
            m_context_hashes = m_prepared_contexts[static_cast<std::size_t>(bit)];
        } else {
            m_context_hashes = context_hashes(m_last_bytes, m_word, m_previous_word);
        }
        m_c1 = static_cast<std::size_t>(m_last_bytes & 0xff);
    }

    // Finds (or claims) each hashed context's slot for the nibble that starts now, after `bit`.
    void nibble_contexts(int bit) noexcept {
        const bool prepared = ((m_prepared >> bit) & 1U) != 0;
        m_prepared = 0;
        std::array<std::uint64_t, hashed_contexts> h{};
        for (std::size_t i = 0; i < hashed_contexts; ++i) {
            h[i] = prepared ? m_prepared_nibbles[static_cast<std::size_t>(bit)][i]
                            : nibble_hash(m_context_hashes[i], m_partial);
#if defined(__GNUC__) || defined(__clang__)
            // Start all the (likely missing) cache lines at once; the search below waits once.
            __builtin_prefetch(&m_buckets[bucket_index(m_context_hashes[i], h[i])]);
#endif
        }
        for (std::size_t i = 0; i < hashed_contexts; ++i) {
            m_slots[i] =
                find_slot(bucket_index(m_context_hashes[i], h[i]), static_cast<std::uint8_t>(h[i] >> 56));
        }
    }

    [[nodiscard]] static std::uint64_t nibble_hash(std::uint64_t context, std::uint32_t partial) noexcept {
        return mix64(context + partial * 0x9e3779b97f4a7c15ULL);
    }

    // A context's two nibbles share one 4 KiB page of 64 buckets (one TLB entry per byte and
    // context); the page comes from the context hash, the bucket within it from the nibble hash.
    [[nodiscard]] std::size_t bucket_index(std::uint64_t context, std::uint64_t nibble) const noexcept {
        return ((static_cast<std::size_t>(context) & ~std::size_t{63}) |
                (static_cast<std::size_t>(nibble) & 63)) &
               m_bucket_mask;
    }

    // The slot of bucket `index` whose check byte is `check`, or, if none is, the bucket's least
    // used slot, cleared and claimed for `check`.
    [[nodiscard]] slot* find_slot(std::size_t index, std::uint8_t check) noexcept {
        bucket& b = m_buckets[index];
        for (auto& s : b.slots) {
            if (s.bytes[0] == check) {
                return &s;
            }
        }
        // Replace the slot whose first node has seen the fewest bits.
        slot* victim = &b.slots[0];
        int fewest = 1 << 30;
        for (auto& s : b.slots) {
            const int seen =
                detail::cm::bit_histories.zeros[s.bytes[1]] + detail::cm::bit_histories.ones[s.bytes[1]];
            if (seen < fewest) {
                fewest = seen;
                victim = &s;
            }
        }
        victim->bytes.fill(0);
        victim->bytes[0] = check;
        return victim;
    }

    // The values of the next bit worth prefetching for, [first, last]: both, or only the likely
    // one when m_p is confident.
    [[nodiscard]] std::pair<std::uint32_t, std::uint32_t> likely_bits() const noexcept {
        constexpr int confident = 480; // p(unlikely bit) below about 12%
        if (m_p > 4096 - confident) {
            return {1, 1};
        }
        return m_p < confident ? std::pair<std::uint32_t, std::uint32_t>{0, 0}
                               : std::pair<std::uint32_t, std::uint32_t>{0, 1};
    }

    // Computes m_p for the next bit from the current contexts. Always inlined into update():
    // GCC 12 keeps it a call otherwise, at about 2.5% more instructions per bit.
    CODELENGTH_CM_ALWAYS_INLINE void predict() noexcept {
        m_states[0] = &m_order0[m_partial];
        m_states[1] = &m_order1[m_c1 << 8 | m_partial];
        for (std::size_t i = 0; i < hashed_contexts; ++i) {
            m_states[2 + i] = &m_slots[i]->bytes[m_node];
        }
        std::array<int, active_inputs> x{}; // the padding after the bias stays 0
        for (std::size_t i = 0; i < state_contexts; ++i) {
            x[i] = detail::cm::stretch(m_state_maps.p(i, *m_states[i]));
        }
        std::size_t match_context = 0;
        std::size_t match_context_bit = 0;
        if (m_match_length > 0) {
            const std::size_t length = m_match_length < 16
                                           ? m_match_length
                                           : std::min<std::size_t>(16 + (m_match_length - 16) / 8, 31);
            const std::size_t expected_bit = (m_expected_byte >> (7 - m_bit_count)) & 1U;
            match_context = length * 2 + expected_bit;
            match_context_bit = expected_bit;
        }
        x[match_input] = detail::cm::stretch(m_match_map.p(match_context));
        x[match_input + 1] = 256;
        m_mixer.set_inputs(x);
        const std::size_t match_bucket =
            m_match_length == 0 ? 0 : (m_match_length < 16 ? 1 : (m_match_length < 32 ? 2 : 3));
        const int p = m_mixer.mix({match_bucket << 9 | match_context_bit << 8 | m_partial, m_c1}, m_partial);
        m_apm_order1.prefetch(m_c1 << 8 | (m_partial * 2 & 255)); // the next bit's rows
        const int p1 = m_apm_order1.refine(p, m_c1 << 8 | m_partial);
        // Invariant: m_p in [1, 4095], as the coder requires (p1 alone may round to 0).
        m_p = std::clamp((p + 3 * p1 + 2) >> 2, 1, 4095);
    }

    std::uint32_t m_memory_mib;
    std::vector<std::uint8_t> m_order0;        // state per partial byte
    std::vector<std::uint8_t> m_order1;        // state per (previous byte, partial byte)
    detail::cm::large_table<bucket> m_buckets; // hashed orders 2, 3, 4, 6, word, word pair
    detail::cm::large_table<std::uint8_t> m_history;
    detail::cm::large_table<std::uint32_t> m_match_index; // hash of the last 6 bytes -> position after them
    std::size_t m_bucket_mask = 0;
    std::size_t m_history_mask = 0;
    std::size_t m_match_mask = 0;

    detail::cm::state_map_bank<state_contexts> m_state_maps;
    detail::cm::state_map m_match_map;
    detail::cm::mixer_network<inputs, 2, active_inputs> m_mixer;
    detail::cm::apm m_apm_order1;

    std::array<std::uint64_t, hashed_contexts> m_context_hashes{};
    // What the prefetches one bit before a nibble computed for each value b of that bit (bit b
    // of m_prepared set): the nibble hashes, and at the end of a byte the next context hashes.
    std::uint32_t m_prepared = 0;
    std::array<context_hash_array, 2> m_prepared_contexts{};
    std::array<context_hash_array, 2> m_prepared_nibbles{};
    std::array<slot*, hashed_contexts> m_slots{};
    std::uint32_t m_lookahead = 0; // 256 | the byte prefetch_byte named, while its bits agree; else 0
    std::array<std::uint8_t*, state_contexts> m_states{};

    // Invariant: m_partial = 1 followed by the m_bit_count bits seen of the current byte.
    std::uint32_t m_partial = 1;
    int m_bit_count = 0;
    std::size_t m_node = 1; // node of the current nibble's tree, in [1, 15]
    std::size_t m_c1 = 0;   // the previous byte
    std::uint64_t m_last_bytes = 0;
    std::uint64_t m_position = 0; // bytes seen
    std::uint64_t m_word = 0;
    std::uint64_t m_previous_word = 0;

    std::size_t m_match_length = 0;    // 0: no match
    std::uint64_t m_match_pointer = 0; // position of the predicted byte
    std::uint32_t m_expected_byte = 0;

    int m_p = 2048;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

#undef CODELENGTH_CM_ALWAYS_INLINE

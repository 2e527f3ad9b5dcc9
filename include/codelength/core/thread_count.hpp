// How many threads a parallel loop runs: the caller's request (0 = every core the system
// reports), never more than there are items to share out, and at least one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <thread>

#include "codelength/core/config.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

[[nodiscard]] inline unsigned thread_count(unsigned requested, std::uint64_t items) noexcept {
    const unsigned wanted = requested == 0 ? std::max(1U, std::thread::hardware_concurrency()) : requested;
    return static_cast<unsigned>(std::min<std::uint64_t>(wanted, std::max<std::uint64_t>(items, 1)));
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail

// Counts the heap memory a piece of code holds at its peak: replaces the global operator new and
// delete of the one test program that includes this header (test_hardening). Each block carries
// its size in a prefix, so the live total is exact; aligned and unaligned forms are both counted.
//   codelength::testing::allocation_scope scope;  ...  scope.peak_bytes()
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace codelength::testing {

inline std::atomic<std::int64_t> live_bytes{0};
inline std::atomic<std::int64_t> peak_live_bytes{0};

inline void note_allocation(std::int64_t size) noexcept {
    const std::int64_t live = live_bytes.fetch_add(size) + size;
    std::int64_t peak = peak_live_bytes.load();
    while (live > peak && !peak_live_bytes.compare_exchange_weak(peak, live)) {
    }
}

// The peak of live heap bytes since construction, above what was live at construction.
class allocation_scope {
public:
    allocation_scope() : m_base(live_bytes.load()) { peak_live_bytes.store(m_base); }
    [[nodiscard]] std::int64_t peak_bytes() const noexcept { return peak_live_bytes.load() - m_base; }

private:
    std::int64_t m_base;
};

// Every block starts `prefix` bytes before the pointer handed out; the size sits just below it.
inline void* tracked_allocate(std::size_t size, std::size_t alignment) {
    const std::size_t prefix = alignment < 16 ? 16 : alignment;
    void* block =
        alignment <= 16
            ? std::malloc(size + prefix)
            : std::aligned_alloc(alignment, (size + prefix + alignment - 1) / alignment * alignment);
    if (block == nullptr) {
        throw std::bad_alloc();
    }
    auto* user = static_cast<unsigned char*>(block) + prefix;
    reinterpret_cast<std::size_t*>(user)[-1] = size;
    reinterpret_cast<std::size_t*>(user)[-2] = prefix;
    note_allocation(static_cast<std::int64_t>(size));
    return user;
}

inline void* tracked_allocate_or_null(std::size_t size, std::size_t alignment) noexcept {
    try {
        return tracked_allocate(size, alignment);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

inline void tracked_free(void* pointer) noexcept {
    if (pointer == nullptr) {
        return;
    }
    auto* user = static_cast<unsigned char*>(pointer);
    const std::size_t size = reinterpret_cast<std::size_t*>(user)[-1];
    const std::size_t prefix = reinterpret_cast<std::size_t*>(user)[-2];
    live_bytes.fetch_sub(static_cast<std::int64_t>(size));
    std::free(user - prefix);
}

} // namespace codelength::testing

// NOLINTBEGIN(misc-new-delete-overloads): the replaceable global forms, each routed to the tracker.
void* operator new(std::size_t size) {
    return codelength::testing::tracked_allocate(size, 16);
}
void* operator new[](std::size_t size) {
    return codelength::testing::tracked_allocate(size, 16);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
    return codelength::testing::tracked_allocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
    return codelength::testing::tracked_allocate(size, static_cast<std::size_t>(alignment));
}
// The nothrow forms too: a sanitizer runtime defines its own, which would bypass the tracker.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return codelength::testing::tracked_allocate_or_null(size, 16);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return codelength::testing::tracked_allocate_or_null(size, 16);
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return codelength::testing::tracked_allocate_or_null(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return codelength::testing::tracked_allocate_or_null(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete(void* pointer) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete[](void* pointer) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete[](void* pointer, std::size_t) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete(void* pointer, std::align_val_t) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete[](void* pointer, std::align_val_t) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept {
    codelength::testing::tracked_free(pointer);
}
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept {
    codelength::testing::tracked_free(pointer);
}
// NOLINTEND(misc-new-delete-overloads)

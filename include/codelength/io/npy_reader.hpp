// Reading .npy files: large files are memory-mapped (read-only, not copied), small ones are
// read into an aligned buffer; the data size must match the file size exactly.
//
// Data that cannot be used in place is copied once into an owned, 64-byte-aligned buffer:
//   - big-endian data on a little-endian machine (or the reverse) is byte-swapped into it,
//   - data whose offset in the file is not a multiple of its item size (non-numpy writers;
//     numpy aligns to 64 bytes, old versions to 16) is copied so typed reads stay aligned.
// After loading, data_bytes() and values<T>() are always in native byte order and aligned.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/io/mapped_file.hpp"
#include "codelength/io/npy_header.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// How read_npy gets the bytes: `automatic` maps files of at least npy_map_threshold_bytes and
// reads smaller ones; `map` always maps (reads where mmap is unavailable); `read` never maps.
enum class npy_load_mode : std::uint8_t { automatic, map, read };

// Files at least this large are memory-mapped by npy_load_mode::automatic.
inline constexpr std::uint64_t npy_map_threshold_bytes = std::uint64_t{1} << 20U;

class npy_array;
// Reads the .npy file at `path`; throws format_error (malformed, truncated or with trailing
// bytes) or io_error (cannot open/map/read), both naming the path.
// Views into the array (values(), matrix(), data_bytes()) are valid while the array or a copy
// of it lives, so keep the array in a variable; calling them on a temporary does not compile:
//   const codelength::npy_array array = codelength::read_npy("logits.npy");
//   const codelength::matrix_view<float> logits = array.matrix<float>();
inline npy_array read_npy(const std::filesystem::path& path, npy_load_mode mode = npy_load_mode::automatic);
// The same for an .npy file already in memory (read from a pipe, say): the data is copied, and
// `name` stands for the file in messages and as path().
inline npy_array parse_npy(std::span<const std::byte> file, const std::string& name);

namespace detail {

// What keeps the data alive: a mapping, or an owned buffer (exactly one is non-empty).
struct npy_storage {
    mapped_file mapping;
    aligned_buffer buffer;
};

// Reverses the bytes of every `item_size_bytes`-wide item in place.
inline void byte_swap_items(std::span<std::byte> bytes, std::size_t item_size_bytes) noexcept {
    for (std::size_t offset = 0; offset + item_size_bytes <= bytes.size(); offset += item_size_bytes) {
        std::byte* item = bytes.data() + offset;
        std::reverse(item, item + item_size_bytes);
    }
}

// The data section must be exactly data_size_bytes long: no truncation, no trailing bytes.
inline void check_npy_data_size(const npy_header& header, std::uint64_t file_size_bytes,
                                std::string_view source) {
    // parse_npy_header guarantees data_offset_bytes <= file_size_bytes.
    const std::uint64_t available_bytes = file_size_bytes - header.data_offset_bytes;
    if (available_bytes == header.data_size_bytes) {
        return;
    }
    const std::uint64_t data_end = header.data_offset_bytes + header.data_size_bytes;
    const std::string needs = "shape " + npy_shape_string(header.shape) + " of " +
                              std::string(npy_dtype_name(header.dtype)) + " needs " +
                              std::to_string(header.data_size_bytes) + " data bytes from byte offset " +
                              std::to_string(header.data_offset_bytes) + " (the file should be " +
                              detail::count_noun(data_end, "byte", "bytes") + " long)";
    if (available_bytes < header.data_size_bytes) {
        throw npy_format_error(
            source, file_size_bytes,
            "truncated data: " + needs + ", but the file ends at byte " + std::to_string(file_size_bytes) +
                " (" + detail::count_noun(header.data_size_bytes - available_bytes, "byte", "bytes") +
                " missing)");
    }
    throw npy_format_error(source, data_end,
                           std::to_string(available_bytes - header.data_size_bytes) +
                               " unexpected trailing bytes after the data: " + needs + ", but it is " +
                               detail::count_noun(file_size_bytes, "byte", "bytes") + " long");
}

// Every byte of a bool array must be 0 or 1 (anything else would be UB to read as bool).
inline void check_npy_booleans(const npy_header& header, std::span<const std::byte> data,
                               std::string_view source) {
    if (header.dtype != npy_dtype::boolean) {
        return;
    }
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (std::to_integer<unsigned>(data[i]) > 1U) {
            throw npy_format_error(source, header.data_offset_bytes + i,
                                   "bool element " + std::to_string(i) + " is " +
                                       std::to_string(std::to_integer<unsigned>(data[i])) + ", not 0 or 1");
        }
    }
}

// Copies `data` into an owned aligned buffer, byte-swapping if the file's order is foreign.
inline void own_npy_data(npy_storage& storage, const npy_header& header, std::span<const std::byte> data) {
    storage.buffer = aligned_buffer(data.size());
    if (!data.empty()) {
        std::memcpy(storage.buffer.data(), data.data(), data.size());
    }
    if (header.needs_byte_swap()) {
        byte_swap_items({storage.buffer.data(), storage.buffer.size_bytes()}, header.item_size_bytes());
    }
}

// A header, and the storage and native-order data it describes.
struct npy_loaded {
    npy_header header;
    std::shared_ptr<npy_storage> storage;
    const std::byte* data = nullptr;
    bool memory_mapped = false;
};

[[nodiscard]] inline npy_loaded load_npy_mapped(const std::filesystem::path& path,
                                                const std::string& source) {
    npy_loaded loaded;
    loaded.storage = std::make_shared<npy_storage>();
    loaded.storage->mapping = mapped_file::open_read_only(path);
    const std::span<const std::byte> file = loaded.storage->mapping.bytes();
    loaded.header = parse_npy_header(file, source);
    check_npy_data_size(loaded.header, file.size(), source);
    const auto data = file.subspan(static_cast<std::size_t>(loaded.header.data_offset_bytes),
                                   static_cast<std::size_t>(loaded.header.data_size_bytes));
    // The mapping starts on a page boundary, so the data is aligned iff its file offset is.
    const bool aligned = loaded.header.data_offset_bytes % loaded.header.item_size_bytes() == 0;
    if (data.empty() || !aligned || loaded.header.needs_byte_swap()) {
        own_npy_data(*loaded.storage, loaded.header, data);
        loaded.storage->mapping = mapped_file{};
        loaded.data = loaded.storage->buffer.data();
    } else {
        loaded.data = data.data();
        loaded.memory_mapped = true;
    }
    check_npy_booleans(loaded.header, {loaded.data, data.size()}, source);
    return loaded;
}

// The whole file in memory: checked like a file on disk, then the data is copied out.
[[nodiscard]] inline npy_loaded load_npy_bytes(std::span<const std::byte> file, const std::string& source) {
    npy_loaded loaded;
    loaded.header = parse_npy_header(file, source);
    check_npy_data_size(loaded.header, file.size(), source);
    loaded.storage = std::make_shared<npy_storage>();
    own_npy_data(*loaded.storage, loaded.header,
                 file.subspan(static_cast<std::size_t>(loaded.header.data_offset_bytes),
                              static_cast<std::size_t>(loaded.header.data_size_bytes)));
    loaded.data = loaded.storage->buffer.data();
    check_npy_booleans(loaded.header, {loaded.data, loaded.storage->buffer.size_bytes()}, source);
    return loaded;
}

// Reads exactly bytes.size() bytes at the current position or throws format_error.
inline void read_npy_bytes(std::ifstream& in, std::span<std::byte> bytes, std::uint64_t offset,
                           std::string_view source) {
    if (bytes.empty()) {
        return;
    }
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    const auto got = static_cast<std::uint64_t>(in.gcount());
    if (got != bytes.size()) {
        throw npy_format_error(source, offset + got,
                               "file ended while reading (it shrank while being read?): expected " +
                                   detail::count_noun(bytes.size(), "byte", "bytes") + " from byte offset " +
                                   std::to_string(offset) + ", got " + std::to_string(got));
    }
}

[[nodiscard]] inline npy_loaded load_npy_read(const std::filesystem::path& path, const std::string& source,
                                              std::uint64_t file_size_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw io_error(source + ": cannot open for reading");
    }
    // Read the preamble, then exactly the header (bounded by the file size), then parse.
    std::vector<std::byte> head(static_cast<std::size_t>(std::min<std::uint64_t>(file_size_bytes, 12)));
    read_npy_bytes(in, head, 0, source);
    const npy_preamble preamble = parse_npy_preamble(head, source);
    const std::uint64_t head_size = std::min(preamble.header_end_bytes(), file_size_bytes);
    if (head_size > head.size()) {
        const std::size_t already = head.size();
        head.resize(static_cast<std::size_t>(head_size));
        read_npy_bytes(in, std::span(head).subspan(already), already, source);
    }
    npy_loaded loaded;
    loaded.header = parse_npy_header(head, source);
    check_npy_data_size(loaded.header, file_size_bytes, source);
    // Only now, with the size confirmed against the file, is the data buffer allocated.
    loaded.storage = std::make_shared<npy_storage>();
    loaded.storage->buffer = aligned_buffer(static_cast<std::size_t>(loaded.header.data_size_bytes));
    const std::span<std::byte> data{loaded.storage->buffer.data(), loaded.storage->buffer.size_bytes()};
    read_npy_bytes(in, data, loaded.header.data_offset_bytes, source);
    if (in.peek() != std::ifstream::traits_type::eof()) {
        throw npy_format_error(source, loaded.header.data_offset_bytes + loaded.header.data_size_bytes,
                               "unexpected trailing bytes after the data (the file grew while being read?)");
    }
    if (loaded.header.needs_byte_swap()) {
        byte_swap_items(data, loaded.header.item_size_bytes());
    }
    loaded.data = data.data();
    check_npy_booleans(loaded.header, data, source);
    return loaded;
}

// The name of a requested element type, for messages ("float32", "bfloat16", ...).
template <npy_element Element>
[[nodiscard]] constexpr std::string_view npy_element_name() noexcept {
    if constexpr (std::is_same_v<Element, bfloat16>) {
        return "bfloat16";
    } else {
        return npy_dtype_name(npy_traits<Element>::dtype);
    }
}

// Whether data of `dtype` can be read as Element: its own dtype, and bfloat16 also from int16
// (torch's `t.view(torch.int16).numpy()`): the same 16 bits, whatever their integer reading.
template <npy_element Element>
[[nodiscard]] constexpr bool npy_readable_as(npy_dtype dtype) noexcept {
    if constexpr (std::is_same_v<Element, bfloat16>) {
        return dtype == npy_dtype::uint16 || dtype == npy_dtype::int16;
    } else {
        return dtype == npy_traits<Element>::dtype;
    }
}

// Copies the Fortran-order elements at `source` into C order at `destination` (Size-byte items).
// Element (i_0, ..., i_n-1) is at sum i_k F_k in the source, F_k = shape[0] * ... * shape[k-1];
// the destination is written in order, the last index running fastest.
template <std::size_t Size>
void copy_fortran_to_c_order(const std::byte* source, std::byte* destination,
                             std::span<const std::int64_t> shape) {
    const std::size_t dimensions = shape.size();
    std::vector<std::int64_t> source_strides(dimensions, 1);
    std::int64_t element_count = 1;
    for (std::size_t k = 0; k < dimensions; ++k) {
        source_strides[k] = element_count;
        element_count *= shape[k];
    }
    if (element_count == 0) {
        return;
    }
    const std::int64_t inner_count = shape[dimensions - 1];
    const std::int64_t inner_stride = source_strides[dimensions - 1];
    std::vector<std::int64_t> index(dimensions, 0); // the outer indices i_0 .. i_n-2
    std::int64_t outer_offset = 0;                  // sum over k < n-1 of i_k F_k
    for (std::int64_t written = 0; written < element_count; written += inner_count) {
        for (std::int64_t j = 0; j < inner_count; ++j) {
            std::memcpy(destination,
                        source + static_cast<std::size_t>(outer_offset + j * inner_stride) * Size, Size);
            destination += Size;
        }
        // Advance the outer indices like an odometer, index n-2 fastest.
        for (std::size_t k = dimensions - 1; k-- > 0;) {
            outer_offset += source_strides[k];
            if (++index[k] < shape[k]) {
                break;
            }
            outer_offset -= index[k] * source_strides[k];
            index[k] = 0;
        }
    }
}

} // namespace detail

// A .npy array read from disk: its header and its data in native byte order. Copies are cheap
// and share the data; spans and views returned by it stay valid while any copy is alive. The
// accessors that return views are lvalue-only (`read_npy(p).matrix<float>()` does not compile:
// the view would outlive the temporary array).
class npy_array {
public:
    // An empty array (no file, 0-d shape, no data).
    npy_array() = default;

    [[nodiscard]] const npy_header& header() const& noexcept { return m_header; }
    [[nodiscard]] npy_header header() const&& { return m_header; }
    [[nodiscard]] npy_dtype dtype() const noexcept { return m_header.dtype; }
    [[nodiscard]] const std::vector<std::int64_t>& shape() const& noexcept { return m_header.shape; }
    [[nodiscard]] std::vector<std::int64_t> shape() const&& { return m_header.shape; }
    [[nodiscard]] std::size_t ndim() const noexcept { return m_header.shape.size(); }
    [[nodiscard]] bool fortran_order() const noexcept { return m_header.fortran_order; }
    [[nodiscard]] std::int64_t element_count() const noexcept {
        return static_cast<std::int64_t>(m_header.element_count);
    }
    // The file the array was read from (every error message names it).
    [[nodiscard]] const std::filesystem::path& path() const& noexcept { return m_path; }
    [[nodiscard]] std::filesystem::path path() const&& { return m_path; }
    // True when the data is read in place from a memory mapping (not copied).
    [[nodiscard]] bool is_memory_mapped() const noexcept { return m_memory_mapped; }

    // Strides in elements per dimension: C order has the last stride 1, Fortran order the first.
    // Zero-length dimensions count as 1, as in numpy; every stride fits in int64 (header check).
    [[nodiscard]] std::vector<std::int64_t> strides_elements() const {
        const std::vector<std::int64_t>& shape = m_header.shape;
        std::vector<std::int64_t> strides(shape.size(), 1);
        std::int64_t stride = 1;
        for (std::size_t k = 0; k < shape.size(); ++k) {
            const std::size_t i = m_header.fortran_order ? k : shape.size() - 1 - k;
            strides[i] = stride;
            stride *= std::max<std::int64_t>(shape[i], 1);
        }
        return strides;
    }

    // The raw data, native byte order, in the file's element order (C or Fortran).
    [[nodiscard]] std::span<const std::byte> data_bytes() const& noexcept {
        return {m_data, m_data == nullptr ? 0 : static_cast<std::size_t>(m_header.data_size_bytes)};
    }
    std::span<const std::byte> data_bytes() const&& = delete;

    // The elements in storage order (C or Fortran, see fortran_order()). Element must match the
    // dtype: std::uint16_t for 'u2', std::int16_t for 'i2', and codelength::bfloat16 for the
    // 16-bit words of bfloat16 in either ('u2', or 'i2' as torch's view(torch.int16) gives);
    // otherwise format_error naming the file.
    template <npy_element Element>
    [[nodiscard]] std::span<const Element> values() const& {
        if (!detail::npy_readable_as<Element>(m_header.dtype)) {
            throw format_error(
                m_path.string() + ": expected " + std::string(detail::npy_element_name<Element>()) +
                " elements, but the array holds " + std::string(npy_dtype_name(m_header.dtype)) + " ('" +
                std::string(npy_type_code(m_header.dtype)) + "')");
        }
        if (m_data == nullptr) {
            return {};
        }
        // Aligned (checked at load) native-order storage of element_count objects of this type.
        return {reinterpret_cast<const Element*>(m_data), static_cast<std::size_t>(m_header.element_count)};
    }
    template <npy_element Element>
    std::span<const Element> values() const&& = delete;

    // A rows x columns view without copying. A 2-D (T, V) array gives rows = T, columns = V in
    // either order (Fortran order: row_stride 1, column_stride T). A C-order array of 3 or more
    // dimensions (B, T, V) is viewed as (B*T, V); a Fortran-order one has no such view (its
    // rows are not evenly spaced): view to_c_order() instead. Anything else throws format_error.
    template <npy_element Element>
    [[nodiscard]] matrix_view<Element> matrix() const& {
        const std::span<const Element> elements = values<Element>();
        const std::vector<std::int64_t>& shape = m_header.shape;
        const std::size_t dimensions = shape.size();
        if (dimensions < 2) {
            throw format_error(m_path.string() + ": expected a matrix (T, V) or (B, T, V), found shape " +
                               npy_shape_string(shape));
        }
        if (dimensions > 2 && m_header.fortran_order) {
            throw format_error(m_path.string() + ": shape " + npy_shape_string(shape) +
                               " in Fortran order cannot be viewed as (rows, V) in place; copy it into C "
                               "order first (npy_array::to_c_order())");
        }
        // Products of dimensions fit in int64: the header check bounds them.
        std::int64_t rows = 1;
        for (std::size_t i = 0; i + 1 < dimensions; ++i) {
            rows *= shape[i];
        }
        const std::int64_t columns = shape.back();
        // Strides must be non-zero even when a dimension is 0.
        if (m_header.fortran_order) {
            return matrix_view<Element>{elements.data(), rows, columns, 1, std::max<std::int64_t>(rows, 1)};
        }
        return matrix_view<Element>{elements.data(), rows, columns, std::max<std::int64_t>(columns, 1), 1};
    }
    template <npy_element Element>
    matrix_view<Element> matrix() const&& = delete;

    // The same array in C order: *this (sharing the data) when it already is, or when at most one
    // dimension exceeds 1 (then both orders are the same bytes); otherwise a copy in C order.
    [[nodiscard]] npy_array to_c_order() const {
        npy_array result = *this;
        result.m_header.fortran_order = false;
        std::size_t long_dimensions = 0;
        for (const std::int64_t dimension : m_header.shape) {
            long_dimensions += dimension > 1 ? 1U : 0U;
        }
        if (!m_header.fortran_order || long_dimensions <= 1) {
            return result;
        }
        auto storage = std::make_shared<detail::npy_storage>();
        storage->buffer = detail::aligned_buffer(static_cast<std::size_t>(m_header.data_size_bytes));
        std::byte* destination = storage->buffer.data();
        switch (m_header.item_size_bytes()) {
        case 1:
            detail::copy_fortran_to_c_order<1>(m_data, destination, m_header.shape);
            break;
        case 2:
            detail::copy_fortran_to_c_order<2>(m_data, destination, m_header.shape);
            break;
        case 4:
            detail::copy_fortran_to_c_order<4>(m_data, destination, m_header.shape);
            break;
        default:
            detail::copy_fortran_to_c_order<8>(m_data, destination, m_header.shape);
            break;
        }
        result.m_data = destination;
        result.m_storage = std::move(storage);
        result.m_memory_mapped = false;
        return result;
    }

    // The elements of any integer or bool dtype as int64 (e.g. token ids) in C order (the last
    // index fastest), whatever the file's order: element (b, t) of a (B, T) array is at b*T + t.
    // Throws format_error naming the file for floating dtypes and uint64 values above INT64_MAX.
    [[nodiscard]] std::vector<std::int64_t> to_int64() const {
        if (m_header.fortran_order && ndim() > 1) {
            return to_c_order().to_int64();
        }
        switch (m_header.dtype) {
        case npy_dtype::boolean:
            return widen_to_int64<bool>();
        case npy_dtype::int8:
            return widen_to_int64<std::int8_t>();
        case npy_dtype::uint8:
            return widen_to_int64<std::uint8_t>();
        case npy_dtype::int16:
            return widen_to_int64<std::int16_t>();
        case npy_dtype::uint16:
            return widen_to_int64<std::uint16_t>();
        case npy_dtype::int32:
            return widen_to_int64<std::int32_t>();
        case npy_dtype::uint32:
            return widen_to_int64<std::uint32_t>();
        case npy_dtype::int64:
            return widen_to_int64<std::int64_t>();
        case npy_dtype::uint64:
            return widen_to_int64<std::uint64_t>();
        case npy_dtype::float16:
        case npy_dtype::float32:
        case npy_dtype::float64:
            break;
        }
        throw format_error(m_path.string() + ": expected integers, but the array holds " +
                           std::string(npy_dtype_name(m_header.dtype)) + " ('" +
                           std::string(npy_type_code(m_header.dtype)) + "')");
    }

    // Shared ownership of the mapping or buffer behind data_bytes(), for views that must keep
    // it alive on their own (e.g. the xtensor adapter); null for a default-constructed array.
    [[nodiscard]] std::shared_ptr<const void> shared_storage() const noexcept { return m_storage; }

private:
    friend npy_array read_npy(const std::filesystem::path& path, npy_load_mode mode);
    friend npy_array parse_npy(std::span<const std::byte> file, const std::string& name);

    npy_array(std::filesystem::path path, detail::npy_loaded loaded)
        : m_path(std::move(path)), m_header(std::move(loaded.header)), m_storage(std::move(loaded.storage)),
          m_data(loaded.data), m_memory_mapped(loaded.memory_mapped) {}

    // Called on C-order (or 1-d) arrays only, so element i is flat index i.
    template <class Integer>
    [[nodiscard]] std::vector<std::int64_t> widen_to_int64() const {
        const std::span<const Integer> elements = values<Integer>();
        std::vector<std::int64_t> result;
        result.reserve(elements.size());
        for (std::size_t i = 0; i < elements.size(); ++i) {
            if constexpr (std::is_same_v<Integer, std::uint64_t>) {
                if (elements[i] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                    throw format_error(m_path.string() + ": element " + npy_index_string(i) + " is " +
                                       std::to_string(elements[i]) + ", which does not fit in int64");
                }
            }
            result.push_back(static_cast<std::int64_t>(elements[i]));
        }
        return result;
    }

    // The multi-index of C-order flat index `flat`: "5" for 1-d arrays, "(1, 2)" otherwise.
    [[nodiscard]] std::string npy_index_string(std::size_t flat) const {
        return npy_c_order_index_string(m_header.shape, static_cast<std::int64_t>(flat));
    }

    std::filesystem::path m_path;
    npy_header m_header;
    std::shared_ptr<const detail::npy_storage> m_storage;
    const std::byte* m_data = nullptr;
    bool m_memory_mapped = false;
};

inline npy_array read_npy(const std::filesystem::path& path, npy_load_mode mode) {
    const std::string source = path.string();
    std::error_code error;
    const std::uintmax_t file_size_bytes = std::filesystem::file_size(path, error);
    if (error) {
        throw io_error(source + ": cannot open for reading: " + error.message());
    }
    const bool map = CODELENGTH_IO_HAS_MMAP != 0 &&
                     (mode == npy_load_mode::map ||
                      (mode == npy_load_mode::automatic && file_size_bytes >= npy_map_threshold_bytes));
    if (map) {
        return {path, detail::load_npy_mapped(path, source)};
    }
    return {path, detail::load_npy_read(path, source, file_size_bytes)};
}

inline npy_array parse_npy(std::span<const std::byte> file, const std::string& name) {
    return {name, detail::load_npy_bytes(file, name)};
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE

// Whole-file input for every command (`-` names stdin; a directory or an unreadable file is an
// io_error naming the path and the reason), and a progress bar on stderr, drawn only when
// stderr is a terminal. Outputs go through output_file.hpp.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h> // isatty, read

#include "arguments.hpp"
#include "codelength/core/error.hpp"
#include "codelength/io/npy_reader.hpp"
#include "output_file.hpp"

namespace codelength::cli {

namespace detail {

// Reads the open descriptor to its end into `bytes`; `name` is used in messages.
template <class Bytes>
void read_descriptor(int descriptor, Bytes& bytes, const std::string& name) {
    std::size_t size = bytes.size();
    for (;;) {
        if (bytes.size() - size < (std::size_t{1} << 16)) {
            bytes.resize(std::max(bytes.size() * 2, size + (std::size_t{1} << 20)));
        }
        const ssize_t got = ::read(descriptor, bytes.data() + size, bytes.size() - size);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw file_error(name, "cannot read", errno);
        }
        if (got == 0) {
            bytes.resize(size);
            return;
        }
        size += static_cast<std::size_t>(got);
    }
}

// The whole content of `path` (or of stdin for `-`) as a byte container.
template <class Bytes>
Bytes read_whole(const std::string& path) {
    Bytes bytes;
    if (is_standard_stream(path)) {
        read_descriptor(STDIN_FILENO, bytes, "stdin");
        return bytes;
    }
    const owned_descriptor descriptor(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (descriptor.get() < 0) {
        throw file_error(path, "cannot open for reading", errno);
    }
    struct stat status {};
    if (::fstat(descriptor.get(), &status) != 0) {
        throw file_error(path, "cannot read", errno);
    }
    if (S_ISDIR(status.st_mode)) {
        throw file_error(path, "cannot read", EISDIR);
    }
    read_descriptor(descriptor.get(), bytes, path);
    return bytes;
}

} // namespace detail

// The whole content of `path` (or of stdin for `-`); io_error naming the file and the reason
// (strerror) otherwise.
inline std::vector<std::uint8_t> read_whole_input(const std::string& path) {
    return detail::read_whole<std::vector<std::uint8_t>>(path);
}

// The whole content of the text file `path` (or of stdin for `-`), as read_whole_input.
inline std::string read_whole_text(const std::string& path) {
    return detail::read_whole<std::string>(path);
}

// Stdin can be read once: a usage error when `-` is among `inputs` more than once.
inline void check_stdin_named_once(std::span<const std::string> inputs) {
    if (std::count_if(inputs.begin(), inputs.end(), is_standard_stream) > 1) {
        throw usage_error("`-` (stdin) is named more than once, but stdin can be read only once");
    }
}
inline void check_stdin_named_once(std::initializer_list<std::string> inputs) {
    check_stdin_named_once(std::span<const std::string>(inputs.begin(), inputs.size()));
}

// Reads the .npy input `path` (memory-mapped when large); `-` reads the whole file from stdin.
inline npy_array read_npy_input(const std::string& path) {
    if (is_standard_stream(path)) {
        const std::vector<std::uint8_t> bytes = read_whole_input(path);
        return parse_npy(std::as_bytes(std::span(bytes)), "stdin");
    }
    return read_npy(path);
}

// The --timing flag of the commands that can report wall-clock time: without it neither the
// table nor --json holds seconds (or throughput), so that equal runs print equal output.
inline arguments& add_timing_flag(arguments& args) {
    return args.flag("timing", "also report wall-clock seconds (left out by default: equal runs print equal"
                               " output)");
}

// A one-line progress bar on stderr, redrawn at most ten times a second; silent unless stderr
// is a terminal and the input has at least `min_bytes` bytes. finish() erases the line.
class progress_bar {
public:
    progress_bar(std::string label, std::uint64_t total_bytes,
                 std::uint64_t min_bytes = std::uint64_t{1} << 20)
        : m_label(std::move(label)), m_total(total_bytes),
          m_enabled(total_bytes >= min_bytes && ::isatty(::fileno(stderr)) != 0) {}
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;
    ~progress_bar() { finish(); }

    // Starts a new phase ("compress", "verify") of the same input.
    void phase(const char* name) {
        m_phase = name;
        m_last_draw = {};
    }
    // Reports that `done` of `total` bytes are processed (the codec's own count).
    void update(std::uint64_t done, std::uint64_t total) {
        m_total = total;
        if (!m_enabled) {
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last_draw < std::chrono::milliseconds(100) && done < m_total) {
            return;
        }
        m_last_draw = now;
        constexpr int width = 30;
        const double fraction = m_total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(m_total);
        const int filled = static_cast<int>(fraction * width);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(stderr, "\r%s %-8s [%s] %5.1f%%", m_label.c_str(), m_phase, bar.c_str(),
                     100.0 * fraction);
        std::fflush(stderr);
        m_drawn = true;
    }
    void finish() {
        if (m_drawn) {
            std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
            m_drawn = false;
        }
    }

private:
    std::string m_label;
    std::uint64_t m_total;
    bool m_enabled;
    bool m_drawn = false;
    const char* m_phase = "";
    std::chrono::steady_clock::time_point m_last_draw{};
};

} // namespace codelength::cli

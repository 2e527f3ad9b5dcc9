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

// When the progress line is drawn: automatic (stderr is a terminal and the input is large
// enough), always (--progress: also when stderr is a file or a pipe, then one line per
// update, at most one a second), never (--no-progress).
enum class progress_mode : std::uint8_t { automatic, always, never };

// The --progress and --no-progress flags of the commands that can run long.
inline arguments& add_progress_flags(arguments& args) {
    return args
        .flag("progress", "show a progress line on stderr even when it is not a terminal (default: only"
                          " on a terminal)")
        .flag("no-progress", "never show the progress line");
}

// The mode those flags select; usage_error when both are given.
inline progress_mode progress_mode_of(const arguments& args) {
    if (args.has("progress") && args.has("no-progress")) {
        throw usage_error("--progress and --no-progress exclude each other");
    }
    return args.has("progress") ? progress_mode::always
                                : (args.has("no-progress") ? progress_mode::never : progress_mode::automatic);
}

// A one-line progress bar on stderr. On a terminal it is redrawn in place at most ten times a
// second and finish() erases it; forced on (progress_mode::always) when stderr is not a
// terminal, it prints one line per update at most once a second, and the last one. In
// progress_mode::automatic it is silent unless stderr is a terminal and the input has at least
// `min_bytes` bytes.
class progress_bar {
public:
    progress_bar(std::string label, std::uint64_t total_bytes, progress_mode mode = progress_mode::automatic,
                 std::uint64_t min_bytes = std::uint64_t{1} << 20)
        : m_label(std::move(label)), m_total(total_bytes), m_terminal(::isatty(::fileno(stderr)) != 0),
          m_enabled(mode == progress_mode::always ||
                    (mode == progress_mode::automatic && total_bytes >= min_bytes && m_terminal)) {}
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;
    ~progress_bar() { finish(); }

    // Starts a new phase ("compress", "verify") of the same input.
    void phase(const char* name) {
        m_phase = name;
        m_last_draw = {};
    }
    // Text drawn after the percentage ("3/16 shards, 192.0/1024.0 MiB"), from the next update.
    void note(std::string text) { m_note = std::move(text); }
    [[nodiscard]] bool enabled() const noexcept { return m_enabled; }
    // Reports that `done` of `total` bytes are processed (the codec's own count).
    void update(std::uint64_t done, std::uint64_t total) {
        m_total = total;
        if (!m_enabled) {
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        const auto interval = m_terminal ? std::chrono::milliseconds(100) : std::chrono::milliseconds(1000);
        if (now - m_last_draw < interval && done < m_total) {
            return;
        }
        if (!m_terminal && done == m_last_done && m_last_draw != std::chrono::steady_clock::time_point{}) {
            return; // a log gets each state once
        }
        m_last_draw = now;
        m_last_done = done;
        constexpr int width = 30;
        const double fraction = m_total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(m_total);
        const int filled = static_cast<int>(fraction * width);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(stderr, "%s%s %-8s [%s] %5.1f%%%s%s%s", m_terminal ? "\r" : "", m_label.c_str(), m_phase,
                     bar.c_str(), 100.0 * fraction, m_note.empty() ? "" : "  ", m_note.c_str(),
                     m_terminal ? "\033[K" : "\n");
        std::fflush(stderr);
        m_drawn = m_terminal;
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
    bool m_terminal;
    bool m_enabled;
    bool m_drawn = false;
    const char* m_phase = "";
    std::string m_note;
    std::uint64_t m_last_done = 0;
    std::chrono::steady_clock::time_point m_last_draw{};
};

// The size of the regular file `path` for progress lines; 0 for stdin or when it cannot be
// found (reading it will report why).
inline std::uint64_t input_file_bytes(const std::string& path) {
    struct stat status {};
    if (is_standard_stream(path) || ::stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) {
        return 0;
    }
    return static_cast<std::uint64_t>(status.st_size);
}

// "192.0/1024.0 MiB" for progress notes.
inline std::string mebibytes_done(std::uint64_t done, std::uint64_t total) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f/%.1f MiB", static_cast<double>(done) / 1048576.0,
                  static_cast<double>(total) / 1048576.0);
    return text;
}

} // namespace codelength::cli

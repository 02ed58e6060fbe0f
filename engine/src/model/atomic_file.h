// atomic_file.h — write a file through a temporary sibling + rename, so a failed or
// interrupted write never leaves a half-written model where a good one was.
#pragma once

#include <cstdint>
#include <string>

namespace moe::detail {

class AtomicFile {
public:
    explicit AtomicFile(const std::string& path); // throws Error(Io)
    ~AtomicFile();                                 // removes the temporary unless committed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(const void* data, uint64_t bytes);
    void writeZeros(uint64_t bytes);
    uint64_t written() const { return m_written; }
    // Flushes, fsyncs and renames onto the final path.
    void commit();

private:
    std::string m_path;
    std::string m_tmpPath;
    int m_fd = -1;
    uint64_t m_written = 0;
    bool m_committed = false;
};

} // namespace moe::detail

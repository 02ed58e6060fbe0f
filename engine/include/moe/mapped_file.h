// moe/mapped_file.h — read-only memory map of a whole file (weights are used in place).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace moe {

class MappedFile {
public:
    MappedFile() = default;
    // Maps `path` read-only. Throws moe::Error(Io) naming the path on failure.
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    uint64_t size() const { return m_size; }
    const std::string& path() const { return m_path; }
    // Hint the kernel to read ahead (used by the loader's progress pass).
    void adviseWillNeed(uint64_t offset, uint64_t bytes) const;

private:
    void release();
    std::string m_path;
    const uint8_t* m_data = nullptr;
    uint64_t m_size = 0;
};

} // namespace moe

#include "model/atomic_file.h"

#include "moe/error.h"

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moe::detail {

AtomicFile::AtomicFile(const std::string& path)
    : m_path(path)
    , m_tmpPath(path + ".tmp-XXXXXX")
{
    m_fd = ::mkstemp(m_tmpPath.data());
    if (m_fd < 0)
        throw Error(ErrorCode::Io, path, "", std::string("cannot create temporary file: ") + std::strerror(errno));
}

AtomicFile::~AtomicFile()
{
    if (m_fd >= 0)
        ::close(m_fd);
    if (!m_committed)
        ::unlink(m_tmpPath.c_str());
}

void AtomicFile::write(const void* data, uint64_t bytes)
{
    const auto* p = static_cast<const uint8_t*>(data);
    while (bytes > 0) {
        const ssize_t n = ::write(m_fd, p, size_t(std::min<uint64_t>(bytes, 1u << 30)));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw Error(ErrorCode::Io, m_path, "", std::string("write failed: ") + std::strerror(errno));
        }
        p += n;
        bytes -= uint64_t(n);
        m_written += uint64_t(n);
    }
}

void AtomicFile::writeZeros(uint64_t bytes)
{
    static const uint8_t zeros[256] = {};
    while (bytes > 0) {
        const uint64_t n = std::min<uint64_t>(bytes, sizeof(zeros));
        write(zeros, n);
        bytes -= n;
    }
}

void AtomicFile::commit()
{
    // mkstemp creates 0600; a model file should be readable like any other file.
    (void)::fchmod(m_fd, 0644);
    if (::fsync(m_fd) != 0)
        throw Error(ErrorCode::Io, m_path, "", std::string("fsync failed: ") + std::strerror(errno));
    const int rc = ::close(m_fd);
    m_fd = -1;
    if (rc != 0)
        throw Error(ErrorCode::Io, m_path, "", std::string("close failed: ") + std::strerror(errno));
    if (::rename(m_tmpPath.c_str(), m_path.c_str()) != 0)
        throw Error(ErrorCode::Io, m_path, "", std::string("rename failed: ") + std::strerror(errno));
    m_committed = true;
}

} // namespace moe::detail

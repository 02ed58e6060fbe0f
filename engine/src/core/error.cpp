#include "moe/error.h"

namespace moe {

const char* errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Io: return "io";
    case ErrorCode::Truncated: return "truncated";
    case ErrorCode::BadMagic: return "bad-magic";
    case ErrorCode::BadValue: return "bad-value";
    case ErrorCode::Overflow: return "overflow";
    case ErrorCode::UnsupportedArch: return "unsupported-architecture";
    case ErrorCode::UnsupportedType: return "unsupported-type";
    case ErrorCode::MissingField: return "missing-field";
    case ErrorCode::BadJson: return "bad-json";
    case ErrorCode::OutOfMemory: return "out-of-memory";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::InvalidArgument: return "invalid-argument";
    case ErrorCode::Template: return "template";
    }
    return "unknown";
}

static std::string composeMessage(ErrorCode code, const std::string& file, const std::string& field,
                                  const std::string& detail)
{
    std::string msg;
    if (!file.empty())
        msg += file + ": ";
    if (!field.empty())
        msg += field + ": ";
    msg += detail;
    msg += " [";
    msg += errorCodeName(code);
    msg += "]";
    return msg;
}

Error::Error(ErrorCode code, std::string file, std::string field, std::string detail)
    : std::runtime_error(composeMessage(code, file, field, detail))
    , m_code(code)
    , m_file(std::move(file))
    , m_field(std::move(field))
    , m_detail(std::move(detail))
{
}

} // namespace moe

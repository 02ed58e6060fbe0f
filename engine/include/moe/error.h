// moe/error.h — the one error type the engine raises for anything a user can cause.
//
// The engine never phrases sentences for people; it returns a code plus the file and
// field at fault, and a short technical detail. The CLI prints what() and exits
// non-zero; the GUI shows it and keeps running.
#pragma once

#include <stdexcept>
#include <string>

namespace moe {

enum class ErrorCode {
    Io,              // cannot open / read / map / write a file
    Truncated,       // a file ends before a structure it declares
    BadMagic,        // not the format it claims to be
    BadValue,        // a field holds a value outside its legal range
    Overflow,        // sizes, offsets or shape products overflow or exceed the file
    UnsupportedArch, // architecture not in the registry
    UnsupportedType, // dtype / tensor type / metadata type we do not handle
    MissingField,    // a required key, tensor or file is absent
    BadJson,         // malformed JSON
    OutOfMemory,     // an allocation failed
    Cancelled,       // the user cancelled a long operation
    InvalidArgument, // an API or CLI argument is invalid
    Template,        // chat template construct we cannot render
};

const char* errorCodeName(ErrorCode code);

class Error : public std::runtime_error {
public:
    // `file` is the path involved (may be empty), `field` the key, tensor or offset at
    // fault (may be empty), `detail` a short technical explanation.
    Error(ErrorCode code, std::string file, std::string field, std::string detail);

    ErrorCode code() const noexcept { return m_code; }
    const std::string& file() const noexcept { return m_file; }
    const std::string& field() const noexcept { return m_field; }
    const std::string& detail() const noexcept { return m_detail; }

private:
    ErrorCode m_code;
    std::string m_file;
    std::string m_field;
    std::string m_detail;
};

} // namespace moe

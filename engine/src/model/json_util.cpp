#include "model/json_util.h"

#include "moe/error.h"
#include "moe/safetensors.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace moe {

namespace detail {

nlohmann::json parseJsonBytes(const char* begin, const char* end, const std::string& file, uint64_t positionBase)
{
    try {
        return nlohmann::json::parse(begin, end);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(ErrorCode::BadJson, file, "byte " + std::to_string(positionBase + e.byte), e.what());
    } catch (const nlohmann::json::exception& e) {
        // Other nlohmann errors (depth, invalid UTF-8 reported as another kind) carry no position.
        throw Error(ErrorCode::BadJson, file, "", e.what());
    }
}

} // namespace detail

nlohmann::json parseJson(const std::string& text, const std::string& file)
{
    return detail::parseJsonBytes(text.data(), text.data() + text.size(), file, 0);
}

nlohmann::json readJsonFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorCode::Io, path, "", std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        throw Error(ErrorCode::Io, path, "", "read failed");
    return parseJson(ss.str(), path);
}

} // namespace moe

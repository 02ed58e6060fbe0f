#include "test_support.h"

#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace moe::test {

TempDir::TempDir()
{
    std::string tmpl = (std::filesystem::temp_directory_path() / "moe-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed");
    m_path = tmpl;
}

TempDir::~TempDir()
{
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::string dataPath(const std::string& relative) { return std::string(MOE_TEST_DATA_DIR) + "/" + relative; }

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFile(const std::string& path, const std::string& contents)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
    if (!out)
        throw std::runtime_error("cannot write " + path);
}

double relDiff(std::span<const float> got, const std::vector<float>& want)
{
    double scale = 0, diff = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        scale = std::max(scale, double(std::fabs(want[i])));
        diff = std::max(diff, double(std::fabs(got[i] - want[i])));
    }
    return diff / std::max(scale, 1e-30);
}

} // namespace moe::test

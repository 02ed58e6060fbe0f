// Helpers shared by the engine tests: temporary folders, data paths, running the CLI.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace moe::test {

// A fresh temporary directory, removed when the object dies.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

std::string dataPath(const std::string& relative); // tests/data/<relative>
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& contents);
// Largest |got - want| over the largest |want| (logits compared across device layouts).
double relDiff(std::span<const float> got, const std::vector<float>& want);

} // namespace moe::test

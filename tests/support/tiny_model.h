// Makes a tiny random-weight model for a test (moe::makeModel with the tiny preset).
#pragma once

#include "moe/model_maker.h"

#include <string>

namespace moe::test {

inline MadeModel makeTinyModel(const std::string& arch, const std::string& outDir, MakeFormat format = MakeFormat::Both,
                               uint64_t seed = 0, std::optional<DType> dtype = DType::F32)
{
    MakeModelOptions mo;
    mo.architecture = arch;
    mo.preset = "tiny";
    mo.seed = seed;
    mo.format = format;
    mo.dtype = dtype;
    mo.outDir = outDir;
    return makeModel(mo);
}

} // namespace moe::test

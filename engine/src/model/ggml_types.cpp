#include "model/ggml_types.h"

#include "moe/gguf.h"

#include <array>
#include <string>

namespace moe {
namespace detail {

// Block sizes from ggml's type_traits (ggml/src/ggml.c, block_* structs in
// ggml-common.h). A zero blockElements marks an id ggml does not (or no longer) use.
static constexpr std::array<GgmlBlock, 40> kBlocks = {{
    {"F32", 1, 4},         // 0
    {"F16", 1, 2},         // 1
    {"Q4_0", 32, 18},      // 2
    {"Q4_1", 32, 20},      // 3
    {nullptr, 0, 0},       // 4  Q4_2, removed
    {nullptr, 0, 0},       // 5  Q4_3, removed
    {"Q5_0", 32, 22},      // 6
    {"Q5_1", 32, 24},      // 7
    {"Q8_0", 32, 34},      // 8
    {"Q8_1", 32, 36},      // 9
    {"Q2_K", 256, 84},     // 10
    {"Q3_K", 256, 110},    // 11
    {"Q4_K", 256, 144},    // 12
    {"Q5_K", 256, 176},    // 13
    {"Q6_K", 256, 210},    // 14
    {"Q8_K", 256, 292},    // 15
    {"IQ2_XXS", 256, 66},  // 16
    {"IQ2_XS", 256, 74},   // 17
    {"IQ3_XXS", 256, 98},  // 18
    {"IQ1_S", 256, 50},    // 19
    {"IQ4_NL", 32, 18},    // 20
    {"IQ3_S", 256, 110},   // 21
    {"IQ2_S", 256, 82},    // 22
    {"IQ4_XS", 256, 136},  // 23
    {"I8", 1, 1},          // 24
    {"I16", 1, 2},         // 25
    {"I32", 1, 4},         // 26
    {"I64", 1, 8},         // 27
    {"F64", 1, 8},         // 28
    {"IQ1_M", 256, 56},    // 29
    {"BF16", 1, 2},        // 30
    {nullptr, 0, 0},       // 31 Q4_0_4_4, removed (repacked at load time now)
    {nullptr, 0, 0},       // 32 Q4_0_4_8, removed
    {nullptr, 0, 0},       // 33 Q4_0_8_8, removed
    {"TQ1_0", 256, 54},    // 34
    {"TQ2_0", 256, 66},    // 35
    {nullptr, 0, 0},       // 36 IQ4_NL_4_4, removed
    {nullptr, 0, 0},       // 37 IQ4_NL_4_8, removed
    {nullptr, 0, 0},       // 38 IQ4_NL_8_8, removed
    {"MXFP4", 32, 17},     // 39
}};

std::optional<GgmlBlock> ggmlBlock(uint32_t ggmlType)
{
    if (ggmlType >= kBlocks.size() || kBlocks[ggmlType].blockElements == 0)
        return std::nullopt;
    return kBlocks[ggmlType];
}

} // namespace detail

const char* ggufTypeName(GgufType t)
{
    switch (t) {
    case GgufType::Uint8: return "uint8";
    case GgufType::Int8: return "int8";
    case GgufType::Uint16: return "uint16";
    case GgufType::Int16: return "int16";
    case GgufType::Uint32: return "uint32";
    case GgufType::Int32: return "int32";
    case GgufType::Float32: return "float32";
    case GgufType::Bool: return "bool";
    case GgufType::String: return "string";
    case GgufType::Array: return "array";
    case GgufType::Uint64: return "uint64";
    case GgufType::Int64: return "int64";
    case GgufType::Float64: return "float64";
    }
    return "unknown";
}

const char* ggmlTypeName(uint32_t ggmlType)
{
    if (auto block = detail::ggmlBlock(ggmlType))
        return block->name;
    // Unknown ids still need a stable C string for messages; keep one per id.
    thread_local std::string unknown;
    unknown = "type " + std::to_string(ggmlType);
    return unknown.c_str();
}

std::optional<DType> dtypeFromGgml(uint32_t ggmlType)
{
    switch (ggmlType) {
    case 0: return DType::F32;
    case 1: return DType::F16;
    case 2: return DType::Q4_0;
    case 3: return DType::Q4_1;
    case 6: return DType::Q5_0;
    case 7: return DType::Q5_1;
    case 8: return DType::Q8_0;
    case 10: return DType::Q2_K;
    case 11: return DType::Q3_K;
    case 12: return DType::Q4_K;
    case 13: return DType::Q5_K;
    case 14: return DType::Q6_K;
    case 15: return DType::Q8_K;
    case 20: return DType::IQ4_NL;
    case 23: return DType::IQ4_XS;
    case 30: return DType::BF16;
    case 39: return DType::MXFP4;
    default: return std::nullopt;
    }
}

uint32_t ggmlTypeFromDType(DType t)
{
    switch (t) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::BF16: return 30;
    case DType::Q8_0: return 8;
    case DType::Q4_0: return 2;
    case DType::Q4_1: return 3;
    case DType::Q5_0: return 6;
    case DType::Q5_1: return 7;
    case DType::Q2_K: return 10;
    case DType::Q3_K: return 11;
    case DType::Q4_K: return 12;
    case DType::Q5_K: return 13;
    case DType::Q6_K: return 14;
    case DType::Q8_K: return 15;
    case DType::IQ4_NL: return 20;
    case DType::IQ4_XS: return 23;
    case DType::MXFP4: return 39;
    }
    return 0;
}

uint32_t llamaFileTypeFor(DType t)
{
    switch (t) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::Q4_0: return 2;
    case DType::Q8_0: return 7;
    case DType::BF16: return 32;
    case DType::Q4_1: return 3;
    case DType::Q5_0: return 8;
    case DType::Q5_1: return 9;
    case DType::Q2_K: return 10;
    case DType::Q3_K: return 12; // Q3_K_M
    case DType::Q4_K: return 15; // Q4_K_M
    case DType::Q5_K: return 17; // Q5_K_M
    case DType::Q6_K: return 18;
    case DType::IQ4_NL: return 25;
    case DType::IQ4_XS: return 30;
    case DType::MXFP4: return 38; // MXFP4_MOE
    case DType::Q8_K: return 0;   // no llama file type: ggml uses it for activations only
    }
    return 0;
}

bool GgufValue::isInteger() const
{
    switch (type) {
    case GgufType::Uint8:
    case GgufType::Int8:
    case GgufType::Uint16:
    case GgufType::Int16:
    case GgufType::Uint32:
    case GgufType::Int32:
    case GgufType::Uint64:
    case GgufType::Int64: return true;
    default: return false;
    }
}

bool GgufValue::isFloat() const { return type == GgufType::Float32 || type == GgufType::Float64; }

} // namespace moe

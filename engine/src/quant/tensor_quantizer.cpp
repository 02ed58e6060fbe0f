// The quantization policy (target types, llama-quantize's fallbacks, which roles are
// quantized) and the row-parallel converter behind both quantize-at-load and
// `moe quantize`.
#include "quant/tensor_quantizer.h"

#include "core/thread_pool.h"
#include "model/model_maker_detail.h"
#include "moe/error.h"

#include <algorithm>
#include <cctype>

namespace moe {

const std::vector<DType>& quantizeTargetTypes()
{
    static const std::vector<DType> types = {DType::Q8_0, DType::Q6_K, DType::Q5_K, DType::Q5_1, DType::Q5_0,
                                             DType::Q4_K, DType::Q4_1, DType::Q4_0, DType::Q8_K};
    return types;
}

std::string quantizeTargetNames()
{
    std::string out;
    for (DType t : quantizeTargetTypes())
        out += (out.empty() ? "" : ", ") + std::string(dtypeName(t));
    return out;
}

DType parseQuantizeType(const std::string& name, const std::string& field)
{
    std::string lower = name;
    for (char& c : lower)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    if (const auto t = dtypeFromName(lower))
        if (std::find(quantizeTargetTypes().begin(), quantizeTargetTypes().end(), *t) != quantizeTargetTypes().end())
            return *t;
    const bool gpuFormat = lower.rfind("int4", 0) == 0 || lower.rfind("fp8", 0) == 0 || lower == "awq" ||
                           lower == "gptq" || lower == "int8";
    if (gpuFormat)
        throw Error(ErrorCode::InvalidArgument, "", field,
                    "'" + name + "' is a GPU checkpoint format (INT4 with group scales as AWQ/GPTQ ship it, FP8 "
                    "E4M3) that runs on GPU kernels, which this CPU engine does not have; quantize to one of: " +
                        quantizeTargetNames() + " (closest: q4_k or q4_1 for int4-g128, q8_0 for fp8)");
    throw Error(ErrorCode::InvalidArgument, "", field,
                "unknown quantization type '" + name + "'; allowed: " + quantizeTargetNames());
}

std::optional<DType> quantizeTypeForRow(DType target, int64_t cols)
{
    auto fits = [cols](DType t) { return cols > 0 && cols % dtypeInfo(t).blockElements == 0; };
    if (fits(target))
        return target;
    // llama.cpp src/llama-quant.cpp, llama_tensor_get_type(): "convert_incompatible_tensor".
    // Q8_K has no entry there (llama.cpp never writes it as a weight); Q8_0 is its peer.
    std::optional<DType> fallback;
    switch (target) {
    case DType::Q2_K:
    case DType::Q3_K:
    case DType::IQ4_XS: fallback = DType::IQ4_NL; break;
    case DType::Q4_K: fallback = DType::Q5_0; break;
    case DType::Q5_K: fallback = DType::Q5_1; break;
    case DType::Q6_K:
    case DType::Q8_K: fallback = DType::Q8_0; break;
    default: break;
    }
    if (fallback && fits(*fallback))
        return fallback;
    return std::nullopt; // llama.cpp writes F16 here; we keep the source type
}

const char* quantDecisionName(QuantDecision d)
{
    switch (d) {
    case QuantDecision::Quantized: return "quantized";
    case QuantDecision::Fallback: return "fallback";
    case QuantDecision::AlreadyQuantized: return "already quantized";
    case QuantDecision::NotWholeBlocks: return "rows not whole blocks";
    case QuantDecision::KeptHighPrecision: return "kept";
    }
    return "?";
}

QuantizeSummary summarizeQuantization(const std::vector<TensorQuantization>& plan, const QuantizeOptions& options)
{
    QuantizeSummary s;
    s.type = options.type;
    s.embeddings = options.embeddings;
    for (const TensorQuantization& t : plan) {
        s.bytesBefore += t.sourceBytes;
        s.bytesAfter += t.storedBytes;
        switch (t.decision) {
        case QuantDecision::Quantized: ++s.tensorsQuantized; break;
        case QuantDecision::Fallback:
            ++s.tensorsFallback;
            if (std::find(s.fallbackTypes.begin(), s.fallbackTypes.end(), t.stored) == s.fallbackTypes.end())
                s.fallbackTypes.push_back(t.stored);
            break;
        case QuantDecision::AlreadyQuantized: ++s.tensorsAlreadyQuantized; break;
        case QuantDecision::NotWholeBlocks: ++s.tensorsNotWholeBlocks; break;
        case QuantDecision::KeptHighPrecision: ++s.tensorsKept; break;
        }
    }
    return s;
}

namespace quant {
namespace {

bool isQuantizableRole(TensorRole r, bool embeddings)
{
    switch (r) {
    case TensorRole::AttnQ:
    case TensorRole::AttnK:
    case TensorRole::AttnV:
    case TensorRole::AttnOutput:
    case TensorRole::ExpertGate:
    case TensorRole::ExpertUp:
    case TensorRole::ExpertDown:
    case TensorRole::SharedGate:
    case TensorRole::SharedUp:
    case TensorRole::SharedDown:
    case TensorRole::DenseGate:
    case TensorRole::DenseUp:
    case TensorRole::DenseDown: return true;
    case TensorRole::TokenEmbedding:
    case TensorRole::LmHead: return embeddings;
    default: return false; // router, norms, biases, shared-expert gate
    }
}

// Every name under which the loader may find a tensor of each role (GGUF: stacked or
// legacy per-expert names; HF: one name per expert).
std::unordered_map<std::string, TensorRole> roleByName(const ModelSpec& spec, const Architecture& arch, bool gguf)
{
    std::unordered_map<std::string, TensorRole> out;
    for (const detail::PlannedTensor& t : detail::plannedTensors(spec)) {
        const int64_t experts = t.experts > 0 ? t.experts : 1;
        if (gguf) {
            out.emplace(ggufTensorName(t.role, t.layer), t.role);
            for (int64_t e = 0; t.experts > 0 && e < experts; ++e)
                out.emplace(ggufLegacyExpertName(t.role, t.layer, e), t.role);
        } else {
            for (int64_t e = 0; e < experts; ++e)
                out.emplace(arch.hfTensorName(t.role, t.layer, e), t.role);
        }
    }
    return out;
}

} // namespace

std::vector<TensorQuantization> planQuantization(const WeightSource& source, const ModelSpec& spec,
                                                 const Architecture& arch, bool gguf, const QuantizeOptions& options)
{
    const std::unordered_map<std::string, TensorRole> roles = roleByName(spec, arch, gguf);
    std::vector<TensorQuantization> plan;
    for (const TensorEntry& e : source.tensorEntries()) {
        TensorQuantization t;
        t.name = e.name;
        t.shape = e.shape;
        t.source = e.dtype.value_or(DType::F32);
        t.stored = t.source;
        t.sourceBytes = t.storedBytes = e.bytes;
        const auto role = roles.find(e.name);
        if (!e.dtype || isQuantized(*e.dtype)) {
            // Block-quantized (or a type we cannot read, which the loader reports if used).
            t.decision = QuantDecision::AlreadyQuantized;
        } else if (role == roles.end() || !isQuantizableRole(role->second, options.embeddings) || e.shape.rank < 2) {
            t.decision = QuantDecision::KeptHighPrecision;
        } else if (const auto type = quantizeTypeForRow(options.type, e.shape.cols())) {
            t.stored = *type;
            t.decision = *type == options.type ? QuantDecision::Quantized : QuantDecision::Fallback;
            t.storedBytes = *rowBytes(*type, uint64_t(e.shape.cols())) * uint64_t(e.shape.rows());
        } else {
            t.decision = QuantDecision::NotWholeBlocks;
        }
        plan.push_back(std::move(t));
    }
    return plan;
}

std::unordered_map<std::string, DType> conversionsOf(const std::vector<TensorQuantization>& plan)
{
    std::unordered_map<std::string, DType> out;
    for (const TensorQuantization& t : plan)
        if (t.decision == QuantDecision::Quantized || t.decision == QuantDecision::Fallback)
            out.emplace(t.name, t.stored);
    return out;
}

void convertRows(DType from, const void* src, DType to, void* dst, int64_t rows, int64_t cols, ThreadPool& pool)
{
    const uint64_t srcRow = *rowBytes(from, uint64_t(cols)), dstRow = *rowBytes(to, uint64_t(cols));
    // Items of several rows keep the dispatch cost small next to the work; each row's
    // bytes depend only on that row, so the split cannot change the result.
    const int64_t rowsPerItem = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(cols, 1));
    const int64_t items = (rows + rowsPerItem - 1) / rowsPerItem;
    std::vector<std::vector<float>> scratch(size_t(pool.threadCount()), std::vector<float>(size_t(cols)));
    const auto* in = static_cast<const uint8_t*>(src);
    auto* out = static_cast<uint8_t*>(dst);
    pool.parallelFor(items, [&](int64_t item, int thread) {
        float* row = scratch[size_t(thread)].data();
        const int64_t end = std::min(rows, (item + 1) * rowsPerItem);
        for (int64_t r = item * rowsPerItem; r < end; ++r) {
            dequantizeRow(from, in + uint64_t(r) * srcRow, row, size_t(cols));
            quantizeRow(to, row, out + uint64_t(r) * dstRow, size_t(cols));
        }
    });
}

} // namespace quant
} // namespace moe

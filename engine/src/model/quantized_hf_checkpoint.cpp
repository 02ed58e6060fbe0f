// QuantizedHfCheckpoint: the quantized linear layers of a Hugging Face checkpoint as F16
// tensors, dequantized on request into memory it owns (moe/hf_quantization.h).
#include "model/hf_quantization.h"

#include "moe/dtype.h"
#include "moe/error.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <cmath>
#include <thread>
#include <unordered_set>

namespace moe {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const char* methodName(HfQuantization::Method m)
{
    switch (m) {
    case HfQuantization::Method::Awq: return "awq";
    case HfQuantization::Method::Gptq: return "gptq";
    case HfQuantization::Method::Fp8: return "fp8";
    }
    return "?";
}

bool isFloatType(const TensorEntry& e)
{
    return e.dtype && (*e.dtype == DType::F32 || *e.dtype == DType::F16 || *e.dtype == DType::BF16);
}

// Splits `rows` over up to hardware_concurrency threads for big matrices; each row's
// values depend only on that row, so the split cannot change the result.
template <typename Fn>
void forRowChunks(int64_t rows, int64_t cols, Fn&& fn)
{
    const int64_t work = rows * cols;
    const int64_t threads = work < (int64_t(1) << 20)
                                ? 1
                                : std::clamp<int64_t>(int64_t(std::thread::hardware_concurrency()), 1, rows);
    const int64_t per = ceilDiv(rows, threads);
    std::vector<std::thread> pool;
    for (int64_t t = 1; t < threads; ++t)
        if (t * per < rows)
            pool.emplace_back([&, t] { fn(t * per, std::min(rows, (t + 1) * per)); });
    fn(0, std::min(rows, per));
    for (std::thread& th : pool)
        th.join();
}

} // namespace

QuantizedHfCheckpoint::QuantizedHfCheckpoint(std::unique_ptr<HfCheckpoint> inner, HfQuantization quant)
    : m_inner(std::move(inner))
    , m_quant(quant)
{
    const bool fp8 = m_quant.method == HfQuantization::Method::Fp8;
    std::unordered_set<std::string> hidden;
    for (const TensorEntry& e : m_inner->tensorEntries()) {
        if (!fp8 && endsWith(e.name, ".qweight"))
            addIntLayer(e);
        else if (fp8 && e.typeName == "F8_E4M3" && endsWith(e.name, ".weight"))
            addFp8Layer(e);
    }
    for (const auto& [name, layer] : m_layers) {
        for (const char* part : {".qzeros", ".scales", ".g_idx", ".weight_scale", ".weight_scale_inv", ".input_scale"})
            hidden.insert(layer.prefix + part);
        if (!fp8)
            hidden.insert(layer.prefix + ".qweight");
    }
    for (const TensorEntry& e : m_inner->tensorEntries()) {
        TensorEntry shown = e;
        std::string name = e.name;
        if (!fp8 && endsWith(name, ".qweight"))
            name = name.substr(0, name.size() - 8) + ".weight";
        else if (hidden.count(name))
            continue;
        if (const auto it = m_layers.find(name); it != m_layers.end()) {
            shown.name = name;
            shown.typeName = "F16";
            shown.dtype = DType::F16;
            shown.shape = Shape{it->second.out, it->second.in};
            shown.bytes = uint64_t(it->second.out) * uint64_t(it->second.in) * 2;
        }
        m_entryIndex.emplace(shown.name, m_entries.size());
        m_totalBytes += shown.bytes;
        m_entries.push_back(std::move(shown));
    }
}

QuantizedHfCheckpoint::~QuantizedHfCheckpoint() = default;

void QuantizedHfCheckpoint::addIntLayer(const TensorEntry& qweight)
{
    const bool awq = m_quant.method == HfQuantization::Method::Awq;
    const std::string prefix = qweight.name.substr(0, qweight.name.size() - 8);
    const std::string method = methodName(m_quant.method);
    auto companion = [&](const std::string& part, bool required) -> const TensorEntry* {
        const std::string name = prefix + part;
        if (!m_inner->has(name)) {
            if (!required)
                return nullptr;
            throw Error(ErrorCode::MissingField, qweight.file, "tensor " + name,
                        "quantization_config.quant_method " + method + ": " + qweight.name + " needs " + name);
        }
        return m_inner->raw(name).entry;
    };
    auto bad = [&](const TensorEntry& e, const std::string& detail) {
        throw Error(ErrorCode::BadValue, e.file, "tensor " + e.name, method + ": " + detail);
    };
    auto needI32 = [&](const TensorEntry& e) {
        if (e.typeName != "I32")
            throw Error(ErrorCode::UnsupportedType, e.file, "tensor " + e.name,
                        method + ": dtype " + e.typeName + ", expected I32");
        if (e.shape.rank != 2 && !(e.shape.rank == 1 && endsWith(e.name, ".g_idx")))
            bad(e, "shape " + e.shape.toString() + " is not a matrix");
    };
    auto needShape = [&](const TensorEntry& e, const Shape& expected) {
        if (!(e.shape == expected))
            bad(e, "shape " + e.shape.toString() + ", expected " + expected.toString() + " for " + qweight.name + " "
                       + qweight.shape.toString() + " with " + m_quant.label());
    };

    needI32(qweight);
    const int perWord = 32 / m_quant.bits;
    Layer layer;
    layer.prefix = prefix;
    layer.scaleName = prefix + ".scales";
    if (awq) { // [in, out/8]
        layer.in = qweight.shape[0];
        layer.out = qweight.shape[1] * perWord;
    } else { // [in/perWord, out]
        layer.in = qweight.shape[0] * perWord;
        layer.out = qweight.shape[1];
    }
    const int64_t groupSize = m_quant.groupSize > 0 ? m_quant.groupSize : layer.in;
    if (awq && layer.in % groupSize != 0)
        bad(qweight, "input size " + std::to_string(layer.in) + " is not a multiple of group_size "
                         + std::to_string(groupSize) + " (quantization_config.group_size)");
    if (layer.out % perWord != 0)
        bad(qweight, "output size " + std::to_string(layer.out) + " does not pack into 32-bit zero words");
    const int64_t groups = ceilDiv(layer.in, groupSize);

    const TensorEntry* zeros = companion(".qzeros", true);
    const TensorEntry* scales = companion(".scales", true);
    needI32(*zeros);
    needShape(*zeros, Shape{groups, layer.out / perWord});
    if (!isFloatType(*scales))
        throw Error(ErrorCode::UnsupportedType, scales->file, "tensor " + scales->name,
                    method + ": dtype " + scales->typeName + ", expected F16, BF16 or F32");
    needShape(*scales, Shape{groups, layer.out});
    if (!awq)
        if (const TensorEntry* gIdx = companion(".g_idx", false)) {
            needI32(*gIdx);
            needShape(*gIdx, Shape{layer.in});
        }
    m_layers.emplace(prefix + ".weight", std::move(layer));
}

void QuantizedHfCheckpoint::addFp8Layer(const TensorEntry& weight)
{
    const std::string prefix = weight.name.substr(0, weight.name.size() - 7);
    if (weight.shape.rank != 2)
        throw Error(ErrorCode::BadValue, weight.file, "tensor " + weight.name,
                    "fp8: shape " + weight.shape.toString() + " is not a matrix");
    Layer layer;
    layer.prefix = prefix;
    layer.out = weight.shape[0];
    layer.in = weight.shape[1];
    const bool block = m_quant.fp8Block[0] > 0;
    const std::string inv = prefix + ".weight_scale_inv", plain = prefix + ".weight_scale";
    layer.scaleName = m_inner->has(inv) ? inv : m_inner->has(plain) ? plain : std::string();
    if (layer.scaleName.empty())
        throw Error(ErrorCode::MissingField, weight.file, "tensor " + (block ? inv : plain),
                    "fp8: " + weight.name + " has neither " + inv + " nor " + plain);
    const TensorEntry& s = *m_inner->raw(layer.scaleName).entry;
    if (!isFloatType(s))
        throw Error(ErrorCode::UnsupportedType, s.file, "tensor " + s.name,
                    "fp8: dtype " + s.typeName + ", expected F32, BF16 or F16");
    bool fits = false;
    std::string expected;
    if (block) {
        const Shape want{ceilDiv(layer.out, m_quant.fp8Block[0]), ceilDiv(layer.in, m_quant.fp8Block[1])};
        fits = s.shape == want;
        expected = want.toString() + " (quantization_config.weight_block_size " + std::to_string(m_quant.fp8Block[0])
                 + "x" + std::to_string(m_quant.fp8Block[1]) + ")";
    } else {
        const bool scalar = s.shape.rank == 0 || (s.shape.rank == 1 && s.shape[0] == 1);
        const bool channel = (s.shape.rank == 1 && s.shape[0] == layer.out)
                          || (s.shape.rank == 2 && s.shape[0] == layer.out && s.shape[1] == 1);
        fits = scalar || channel;
        expected = "a scalar, [" + std::to_string(layer.out) + "] or [" + std::to_string(layer.out) + ", 1]";
    }
    if (!fits)
        throw Error(ErrorCode::BadValue, s.file, "tensor " + s.name,
                    "fp8: scale shape " + s.shape.toString() + " for " + weight.name + " " + weight.shape.toString()
                        + ", expected " + expected);
    m_layers.emplace(weight.name, std::move(layer));
}

bool QuantizedHfCheckpoint::has(const std::string& name) const { return m_entryIndex.count(name) != 0; }

std::vector<float> QuantizedHfCheckpoint::floatTensor(const std::string& name) const
{
    const RawTensor raw = m_inner->raw(name);
    uint64_t n = 1;
    for (int d = 0; d < raw.entry->shape.rank; ++d)
        n *= uint64_t(raw.entry->shape[d]);
    std::vector<float> out(n);
    dequantizeRow(*raw.entry->dtype, raw.data, out.data(), n);
    return out;
}

void QuantizedHfCheckpoint::dequantize(const Layer& layer, uint16_t* dst) const
{
    const std::vector<float> scales = floatTensor(layer.scaleName);
    const std::string weightName = layer.prefix + ".weight";
    std::function<void(int64_t, int64_t, float*)> rowsOf;
    IntQuantLinear q;
    Fp8Linear f;
    if (m_quant.method == HfQuantization::Method::Fp8) {
        const RawTensor w = m_inner->raw(weightName);
        f.out = layer.out;
        f.in = layer.in;
        f.weight = w.data;
        f.scales = scales.data();
        if (m_quant.fp8Block[0] > 0) {
            f.scale = Fp8Linear::Scale::Block;
            f.blockOut = m_quant.fp8Block[0];
            f.blockIn = m_quant.fp8Block[1];
        } else {
            f.scale = scales.size() == 1 ? Fp8Linear::Scale::PerTensor : Fp8Linear::Scale::PerChannel;
        }
        rowsOf = [&f](int64_t r0, int64_t n, float* out) { dequantizeFp8Rows(f, r0, n, out); };
    } else {
        const bool awq = m_quant.method == HfQuantization::Method::Awq;
        q.out = layer.out;
        q.in = layer.in;
        q.bits = m_quant.bits;
        q.groupSize = m_quant.groupSize > 0 ? m_quant.groupSize : layer.in;
        q.groups = ceilDiv(layer.in, q.groupSize);
        q.zeroOffset = awq ? 0 : m_quant.zeroOffset;
        q.qweight = m_inner->raw(layer.prefix + ".qweight").data;
        q.qzeros = m_inner->raw(layer.prefix + ".qzeros").data;
        q.scales = scales.data();
        if (!awq && m_inner->has(layer.prefix + ".g_idx")) {
            const RawTensor g = m_inner->raw(layer.prefix + ".g_idx");
            for (int64_t k = 0; k < layer.in; ++k) {
                int32_t v;
                std::memcpy(&v, g.data + k * 4, 4);
                if (v < 0 || v >= q.groups)
                    throw Error(ErrorCode::BadValue, g.entry->file, "tensor " + g.entry->name,
                                "gptq: g_idx[" + std::to_string(k) + "] = " + std::to_string(v) + " is outside 0.."
                                    + std::to_string(q.groups - 1) + " (the groups of the scales)");
            }
            q.gIdx = g.data;
        }
        rowsOf = awq ? std::function<void(int64_t, int64_t, float*)>(
                           [&q](int64_t r0, int64_t n, float* out) { dequantizeAwqRows(q, r0, n, out); })
                     : [&q](int64_t r0, int64_t n, float* out) { dequantizeGptqRows(q, r0, n, out); };
    }
    std::atomic<bool> overflow{false};
    forRowChunks(layer.out, layer.in, [&](int64_t begin, int64_t end) {
        std::vector<float> row(size_t(layer.in));
        for (int64_t r = begin; r < end; ++r) {
            rowsOf(r, 1, row.data());
            uint16_t* out = dst + r * layer.in;
            for (int64_t k = 0; k < layer.in; ++k) {
                if (!(std::fabs(row[size_t(k)]) <= 65504.0f))
                    overflow = true; // also NaN (FP8 S.1111.111)
                out[k] = f32ToF16(row[size_t(k)]);
            }
        }
    });
    if (overflow)
        throw Error(ErrorCode::Overflow, m_inner->path(), "tensor " + weightName,
                    m_quant.label() + ": a dequantized value is NaN or outside the F16 range");
}

WeightView QuantizedHfCheckpoint::weight(const std::string& name) const
{
    const auto layer = m_layers.find(name);
    if (layer == m_layers.end()) {
        if (!has(name))
            throw Error(ErrorCode::MissingField, path(), "tensor " + name, "no such tensor");
        return m_inner->weight(name);
    }
    const Layer& l = layer->second;
    std::lock_guard lock(m_mutex);
    auto it = m_converted.find(name);
    if (it == m_converted.end()) {
        auto buffer = std::make_unique<uint16_t[]>(size_t(l.out * l.in));
        dequantize(l, buffer.get());
        it = m_converted.emplace(name, std::move(buffer)).first;
    }
    WeightView v;
    v.dtype = DType::F16;
    v.shape = Shape{l.out, l.in};
    v.bytes = uint64_t(l.out) * uint64_t(l.in) * 2;
    v.data = it->second.get();
    return v;
}

void QuantizedHfCheckpoint::releaseConverted(const std::string& name) const
{
    std::lock_guard lock(m_mutex);
    m_converted.erase(name);
}

} // namespace moe

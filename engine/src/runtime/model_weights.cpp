#include "model_weights.h"

#include "moe/error.h"
#include "quant/tensor_quantizer.h"

#include <vector>

namespace moe {
namespace {

class WeightLoader {
public:
    explicit WeightLoader(const WeightLoadContext& ctx, ModelWeights& out)
        : m_ctx(ctx)
        , m_out(out)
    {
    }

    std::string name(TensorRole role, int64_t layer, int64_t expert = 0) const
    {
        return m_ctx.gguf ? ggufTensorName(role, layer) : m_ctx.arch.hfTensorName(role, layer, expert);
    }

    // A matrix used in place (no copy on the CPU), after its shape is checked.
    DeviceTensor matrix(const std::string& tensor, const Shape& expected)
    {
        WeightView w = m_ctx.source.weight(tensor);
        // A [n] vector is accepted where [1, n] is expected (GGUF stores the Qwen2-MoE
        // shared-expert gate as a vector).
        if (expected.rank == 2 && expected[0] == 1 && w.shape.rank == 1 && w.shape[0] == expected[1])
            w.shape = expected;
        checkShape(tensor, w.shape, expected);
        checkRunnable(tensor, w.dtype);
        if (const DType* type = quantizeTarget(tensor)) {
            DeviceTensor t = quantized(w, *type);
            m_ctx.source.releaseConverted(tensor); // a dequantized AWQ / GPTQ / FP8 layer
            return t;
        }
        touch(w);
        return m_ctx.backend.weight(w);
    }

    // Norm weights and biases are converted to F32 once: they are tiny and every op
    // reads them as F32, whatever the checkpoint stores.
    DeviceTensor vector(const std::string& tensor, int64_t expected)
    {
        WeightView w = m_ctx.source.weight(tensor);
        checkShape(tensor, w.shape, Shape{expected});
        std::vector<float> host(static_cast<size_t>(expected));
        dequantizeRow(w.dtype, w.data, host.data(), size_t(expected));
        DeviceTensor t = m_ctx.backend.allocate(DType::F32, Shape{expected});
        m_ctx.backend.upload(host.data(), t, uint64_t(expected) * 4);
        m_out.owned.push_back(t);
        touch(w);
        return t;
    }

    bool has(const std::string& tensor) const { return m_ctx.source.has(tensor); }

    // Expert e of a stacked GGUF tensor [E, out, in], per-expert GGUF legacy tensors, or
    // the per-expert HF tensors.
    DeviceTensor expert(TensorRole role, int64_t layer, int64_t e, const Shape& expected)
    {
        if (!m_ctx.gguf)
            return matrix(m_ctx.arch.hfTensorName(role, layer, e), expected);
        const std::string stacked = ggufTensorName(role, layer);
        if (!has(stacked))
            return matrix(ggufLegacyExpertName(role, layer, e), expected);
        WeightView w = m_ctx.source.weight(stacked);
        checkShape(stacked, w.shape, Shape{m_ctx.spec.numExperts, expected[0], expected[1]});
        WeightView slice = w.slice(e);
        checkRunnable(stacked, w.dtype);
        if (const DType* type = quantizeTarget(stacked))
            return quantized(slice, *type);
        touch(slice);
        return m_ctx.backend.weight(slice);
    }

private:
    const DType* quantizeTarget(const std::string& tensor) const
    {
        if (!m_ctx.quantize)
            return nullptr;
        const auto it = m_ctx.quantize->find(tensor);
        return it == m_ctx.quantize->end() ? nullptr : &it->second;
    }

    // The matrix converted to `type` in backend memory (quantize at load). Not a hot
    // path: one allocation per matrix, rows converted on the quantize pool.
    DeviceTensor quantized(const WeightView& w, DType type)
    {
        checkCancel();
        const int64_t rows = w.shape.rows(), cols = w.shape.cols();
        DeviceTensor t = m_ctx.backend.allocate(type, w.shape);
        m_out.owned.push_back(t);
        if (m_ctx.backend.isHost()) {
            quant::convertRows(w.dtype, w.data, type, t.data, rows, cols, *m_ctx.quantizePool);
        } else {
            std::vector<uint8_t> host(t.bytes);
            quant::convertRows(w.dtype, w.data, type, host.data(), rows, cols, *m_ctx.quantizePool);
            m_ctx.backend.upload(host.data(), t, t.bytes);
        }
        addBytes(w.bytes);
        return t;
    }

    // The type the backend will multiply by: the file's, or the quantize-at-load target.
    void checkRunnable(const std::string& tensor, DType fileType) const
    {
        const DType* target = quantizeTarget(tensor);
        const DType type = target ? *target : fileType;
        const Backend& runsOn = m_ctx.runsOn ? *m_ctx.runsOn : m_ctx.backend;
        if (!runsOn.runsWeightType(type))
            throw Error(ErrorCode::UnsupportedType, m_ctx.source.path(), "tensor " + tensor,
                        runsOn.name() + " cannot run " + dtypeName(type) +
                            " weights (the CUDA backend runs f32, f16, bf16, q8_0 and q4_0: load with --quant q8_0, "
                            "or on the CPU)");
    }

    void checkShape(const std::string& tensor, const Shape& got, const Shape& expected) const
    {
        if (!(got == expected))
            throw Error(ErrorCode::BadValue, m_ctx.source.path(), "tensor " + tensor,
                        "shape " + got.toString() + " does not match the configuration, expected " + expected.toString());
    }

    // Reads one byte per page so the load shows real progress and the first token does
    // not stall on page faults; checks for cancellation between tensors.
    void touch(const WeightView& w)
    {
        checkCancel();
        if (m_ctx.prefault) {
            const auto* p = static_cast<const volatile uint8_t*>(w.data);
            uint8_t sink = 0;
            for (uint64_t off = 0; off < w.bytes; off += 4096)
                sink ^= p[off];
            m_sink ^= sink;
        }
        addBytes(w.bytes);
    }

    void checkCancel() const
    {
        if (m_ctx.cancel && m_ctx.cancel->load(std::memory_order_relaxed))
            throw Error(ErrorCode::Cancelled, m_ctx.source.path(), "", "load cancelled");
    }

    void addBytes(uint64_t bytes)
    {
        m_bytes += bytes;
        if (m_ctx.onBytes)
            m_ctx.onBytes(m_bytes);
    }

    const WeightLoadContext& m_ctx;
    ModelWeights& m_out;
    uint64_t m_bytes = 0;
    uint8_t m_sink = 0;
};

void loadAttention(WeightLoader& ld, const ModelSpec& s, int64_t l, LayerWeights& lw)
{
    const int64_t qWidth = s.numHeads * s.headDim;
    const int64_t kvWidth = s.numKvHeads * s.headDim;
    lw.attnNorm = ld.vector(ld.name(TensorRole::AttnNorm, l), s.hiddenSize);
    lw.q = ld.matrix(ld.name(TensorRole::AttnQ, l), Shape{qWidth, s.hiddenSize});
    lw.k = ld.matrix(ld.name(TensorRole::AttnK, l), Shape{kvWidth, s.hiddenSize});
    lw.v = ld.matrix(ld.name(TensorRole::AttnV, l), Shape{kvWidth, s.hiddenSize});
    lw.o = ld.matrix(ld.name(TensorRole::AttnOutput, l), Shape{s.hiddenSize, qWidth});
    if (s.attentionBias) {
        lw.qBias = ld.vector(ld.name(TensorRole::AttnQBias, l), qWidth);
        lw.kBias = ld.vector(ld.name(TensorRole::AttnKBias, l), kvWidth);
        lw.vBias = ld.vector(ld.name(TensorRole::AttnVBias, l), kvWidth);
    }
    if (s.qkNorm != QkNorm::None) {
        const bool perHead = s.qkNorm == QkNorm::PerHead;
        lw.qNorm = ld.vector(ld.name(TensorRole::AttnQNorm, l), perHead ? s.headDim : qWidth);
        lw.kNorm = ld.vector(ld.name(TensorRole::AttnKNorm, l), perHead ? s.headDim : kvWidth);
    }
}

void loadFfn(WeightLoader& ld, const ModelSpec& s, int64_t l, LayerWeights& lw)
{
    const int64_t h = s.hiddenSize;
    lw.ffnNorm = ld.vector(ld.name(TensorRole::FfnNorm, l), h);
    lw.moe = s.isMoeLayer(l);
    if (!lw.moe) {
        const int64_t f = s.intermediateSize;
        lw.shared.gate = ld.matrix(ld.name(TensorRole::DenseGate, l), Shape{f, h});
        lw.shared.up = ld.matrix(ld.name(TensorRole::DenseUp, l), Shape{f, h});
        lw.shared.down = ld.matrix(ld.name(TensorRole::DenseDown, l), Shape{h, f});
        return;
    }
    const int64_t f = s.moeIntermediateSize;
    lw.router = ld.matrix(ld.name(TensorRole::Router, l), Shape{s.numExperts, h});
    lw.experts.resize(size_t(s.numExperts));
    for (int64_t e = 0; e < s.numExperts; ++e) {
        ExpertWeights& ew = lw.experts[size_t(e)];
        ew.gate = ld.expert(TensorRole::ExpertGate, l, e, Shape{f, h});
        ew.up = ld.expert(TensorRole::ExpertUp, l, e, Shape{f, h});
        ew.down = ld.expert(TensorRole::ExpertDown, l, e, Shape{h, f});
    }
    if (s.numSharedExperts > 0) {
        const int64_t sf = s.sharedExpertIntermediateSize;
        lw.shared.gate = ld.matrix(ld.name(TensorRole::SharedGate, l), Shape{sf, h});
        lw.shared.up = ld.matrix(ld.name(TensorRole::SharedUp, l), Shape{sf, h});
        lw.shared.down = ld.matrix(ld.name(TensorRole::SharedDown, l), Shape{h, sf});
        if (s.sharedExpertGate)
            lw.sharedExpertGate = ld.matrix(ld.name(TensorRole::SharedExpertGate, l), Shape{1, h});
    }
}

} // namespace

ModelWeights loadModelWeights(const WeightLoadContext& ctx)
{
    ModelWeights out;
    try {
        WeightLoader ld(ctx, out);
        const ModelSpec& s = ctx.spec;
        out.tokenEmbedding = ld.matrix(ld.name(TensorRole::TokenEmbedding, 0), Shape{s.vocabSize, s.hiddenSize});
        out.layers.resize(size_t(s.numLayers));
        for (int64_t l = 0; l < s.numLayers; ++l) {
            loadAttention(ld, s, l, out.layers[size_t(l)]);
            loadFfn(ld, s, l, out.layers[size_t(l)]);
        }
        out.outputNorm = ld.vector(ld.name(TensorRole::OutputNorm, 0), s.hiddenSize);
        const std::string head = ld.name(TensorRole::LmHead, 0);
        out.lmHead = (s.tieWordEmbeddings && !ld.has(head)) ? out.tokenEmbedding
                                                            : ld.matrix(head, Shape{s.vocabSize, s.hiddenSize});
    } catch (...) {
        releaseModelWeights(out, ctx.backend);
        throw;
    }
    return out;
}

void releaseModelWeights(ModelWeights& w, Backend& backend)
{
    for (DeviceTensor& t : w.owned)
        backend.release(t);
    w = ModelWeights{};
}

} // namespace moe

// `moe quantize`: a GGUF or Hugging Face model in, a quantized GGUF out. Tensors are
// converted one at a time while the writer streams them to disk, so memory holds one
// tensor (one expert for HF input), never the model; the output appears only when
// complete (AtomicFile: a temporary sibling, renamed at the end).
#include "quant/tensor_quantizer.h"

#include "core/thread_pool.h"
#include "model/model_maker_detail.h"
#include "moe/architecture.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/safetensors.h"
#include "moe/tokenizer.h"
#include "runtime/model_files.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

namespace fs = std::filesystem;

namespace moe {
namespace {

// GGML_QNT_VERSION: llama.cpp writes it into every file it quantizes.
constexpr uint32_t kGgmlQuantizationVersion = 2;
// Output written per sink call when converting: bounds memory for huge stacked tensors.
constexpr uint64_t kChunkBytes = uint64_t(64) << 20;

class QuantizeJob {
public:
    QuantizeJob(const QuantizeFileOptions& o, const OpenedModel& m, std::vector<TensorQuantization> plan)
        : m_options(o)
        , m_model(m)
        , m_plan(std::move(plan))
        , m_pool(o.threads)
    {
        for (size_t i = 0; i < m_plan.size(); ++i)
            m_planIndex.emplace(m_plan[i].name, i);
        for (const TensorQuantization& t : m_plan)
            m_progress.bytesTotal += t.sourceBytes;
    }

    const std::vector<TensorQuantization>& plan() const { return m_plan; }

    void writeFromGguf(const GgufFile& in)
    {
        GgufWriter w;
        for (const auto& [key, value] : in.metadata())
            if (key != "general.file_type" && key != "general.quantization_version")
                w.setValue(key, value);
        markQuantized(w);
        m_progress.tensorsTotal = m_plan.size();
        for (const TensorQuantization& t : m_plan) {
            const TensorEntry& e = in.tensorEntries()[m_planIndex.at(t.name)];
            if (!e.dtype)
                throw Error(ErrorCode::UnsupportedType, in.path(), "tensor " + e.name,
                            "tensor type " + e.typeName + " cannot be written by this program");
            if (t.stored == t.source) {
                w.addTensor(t.name, t.source, t.shape, [this, &in, &t](const GgufWriter::TensorSink& sink) {
                    checkCancel();
                    const std::span<const uint8_t> bytes = in.tensorData(t.name);
                    sink(bytes.data(), bytes.size());
                    advance(t.sourceBytes);
                });
                continue;
            }
            w.addTensor(t.name, t.stored, t.shape, [this, &in, &t](const GgufWriter::TensorSink& sink) {
                checkCancel();
                convertInChunks(in.weight(t.name), t.stored, sink);
                advance(t.sourceBytes);
            });
        }
        w.write(m_options.output);
    }

    // HF names become llama.cpp's, experts are stacked, `llama` Q/K rows are permuted
    // for interleaved RoPE: the layout `moe make-model` writes (model_maker_writers.cpp).
    // `in` is the HfCheckpoint, or its QuantizedHfCheckpoint view (AWQ / GPTQ / FP8
    // layers dequantized on request and released after use); `dir` holds the tokenizer.
    void writeFromHf(const WeightSource& in, const std::string& dir)
    {
        const ModelSpec& spec = m_model.spec;
        const Architecture& arch = architectureFor(spec);
        GgufWriter w;
        writeGgufSpec(w, spec);
        if (m_model.randomWeights)
            w.setBool("general.moe_workbench.random_weights", true);
        markQuantized(w);
        writeGgufTokenizer(w, vocabFromHuggingFace(dir));
        const bool permuteQk = ggufArchName(spec) == "llama";
        const std::vector<detail::PlannedTensor> tensors = detail::plannedTensors(spec);
        m_progress.tensorsTotal = tensors.size();
        for (const detail::PlannedTensor& t : tensors) {
            const int64_t count = t.experts > 0 ? t.experts : 1;
            std::vector<std::string> names;
            for (int64_t e = 0; e < count; ++e)
                names.push_back(arch.hfTensorName(t.role, t.layer, e));
            for (const std::string& name : names) // fail before anything is written
                checkHfShape(in, name, t);
            const DType stored = hfStoredType(t, in.weight(names.front()).dtype, names.front());
            in.releaseConverted(names.front());
            const bool permute = permuteQk && (t.role == TensorRole::AttnQ || t.role == TensorRole::AttnK);
            const int64_t heads = t.role == TensorRole::AttnQ ? spec.numHeads : spec.numKvHeads;
            const Shape shape = t.experts > 0 ? Shape{t.experts, t.shape[0], t.shape[1]}
                                : t.role == TensorRole::SharedExpertGate ? Shape{t.shape.cols()} // llama.cpp: {n_embd}
                                                                         : t.shape;
            w.addTensor(ggufTensorName(t.role, t.layer), stored, shape,
                        [this, &in, names, stored, permute, heads, &spec](const GgufWriter::TensorSink& sink) {
                            checkCancel();
                            for (size_t k = 0; k < names.size(); ++k) {
                                const std::string& name = names[k];
                                const WeightView v = in.weight(name);
                                if (!permute) {
                                    convertInChunks(v, stored, sink);
                                } else {
                                    std::vector<uint8_t> rows = convert(v, stored, 0, v.shape.rows());
                                    permuteQkRowsForGguf(rows, heads, spec.headDim, rows.size() / uint64_t(v.shape.rows()));
                                    sink(rows.data(), rows.size());
                                }
                                in.releaseConverted(name);
                                advance(v.bytes, k + 1 == names.size());
                            }
                        });
        }
        w.write(m_options.output);
    }

private:
    void markQuantized(GgufWriter& w) const
    {
        w.setUint32("general.file_type", llamaFileTypeFor(m_options.quant.type));
        w.setUint32("general.quantization_version", kGgmlQuantizationVersion);
        w.setString("general.moe_workbench.quantize_type", dtypeName(m_options.quant.type));
        w.setBool("general.moe_workbench.quantize_embeddings", m_options.quant.embeddings);
    }

    void checkHfShape(const WeightSource& in, const std::string& name, const detail::PlannedTensor& t) const
    {
        const WeightView v = in.weight(name); // throws MissingField / UnsupportedType naming it
        in.releaseConverted(name);
        const bool vectorGate = t.role == TensorRole::SharedExpertGate && v.shape.rank == 1 && v.shape[0] == t.shape.cols();
        if (!(v.shape == t.shape) && !vectorGate)
            throw Error(ErrorCode::BadValue, in.path(), "tensor " + name,
                        "shape " + v.shape.toString() + " does not match the configuration, expected " +
                            t.shape.toString());
    }

    // What an HF tensor becomes: the plan's type when it is quantized; F32 for vectors
    // and the shared-expert gate (llama.cpp keeps 1-D tensors in F32); else as stored.
    DType hfStoredType(const detail::PlannedTensor& t, DType source, const std::string& firstName) const
    {
        const TensorQuantization& q = m_plan[m_planIndex.at(firstName)];
        if (q.stored != q.source)
            return q.stored;
        if (t.shape.rank == 1 || t.role == TensorRole::SharedExpertGate)
            return DType::F32;
        return source;
    }

    std::vector<uint8_t> convert(const WeightView& v, DType to, int64_t firstRow, int64_t rows)
    {
        const int64_t cols = v.shape.cols();
        std::vector<uint8_t> out(size_t(*rowBytes(to, uint64_t(cols)) * uint64_t(rows)));
        quant::convertRows(v.dtype, v.row(firstRow), to, out.data(), rows, cols, m_pool);
        return out;
    }

    void convertInChunks(const WeightView& v, DType to, const GgufWriter::TensorSink& sink)
    {
        const int64_t rows = v.shape.rows();
        const uint64_t outRow = *rowBytes(to, uint64_t(v.shape.cols()));
        const int64_t step = std::max<int64_t>(1, int64_t(kChunkBytes / std::max<uint64_t>(outRow, 1)));
        for (int64_t r = 0; r < rows; r += step) {
            const std::vector<uint8_t> part = convert(v, to, r, std::min(step, rows - r));
            sink(part.data(), part.size());
        }
    }

    void checkCancel() const
    {
        if (m_options.cancel && m_options.cancel->load(std::memory_order_relaxed))
            throw Error(ErrorCode::Cancelled, m_options.output, "", "quantize cancelled; nothing was written");
    }

    // Progress counts GGUF tensors written (a stacked expert tensor is one) and source bytes read.
    void advance(uint64_t sourceBytes, bool tensorFinished = true)
    {
        m_progress.bytesDone += sourceBytes;
        m_progress.tensorsDone += tensorFinished ? 1 : 0;
        if (m_options.onProgress)
            m_options.onProgress(m_progress);
    }

    const QuantizeFileOptions& m_options;
    const OpenedModel& m_model;
    std::vector<TensorQuantization> m_plan;
    std::unordered_map<std::string, size_t> m_planIndex;
    ThreadPool m_pool;
    QuantizeProgress m_progress;
};

void checkPaths(const std::string& input, const std::string& output)
{
    if (output.empty())
        throw Error(ErrorCode::InvalidArgument, "", "output", "no output file given");
    std::error_code ec;
    if (fs::is_directory(output, ec))
        throw Error(ErrorCode::InvalidArgument, output, "output", "is a folder; give a .gguf file name");
    if (fs::exists(output, ec) && fs::equivalent(input, output, ec))
        throw Error(ErrorCode::InvalidArgument, output, "output", "is the input file; write to another file");
    const fs::path parent = fs::path(output).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
        throw Error(ErrorCode::Io, output, "output", "folder " + parent.string() + " does not exist");
}

} // namespace

QuantizeFileResult quantizeModelFile(const QuantizeFileOptions& options)
{
    const auto& allowed = quantizeTargetTypes();
    if (std::find(allowed.begin(), allowed.end(), options.quant.type) == allowed.end())
        throw Error(ErrorCode::InvalidArgument, "", "type",
                    std::string("cannot quantize to ") + dtypeName(options.quant.type) + "; allowed: " +
                        quantizeTargetNames());
    const std::string input = resolveModelPath(options.input);
    checkPaths(input, options.output);
    const OpenedModel m = openModelFiles(input);
    const Architecture& arch = architectureFor(m.spec);
    if (!arch.runnable)
        throw Error(ErrorCode::UnsupportedArch, input, "architecture",
                    arch.displayName + " cannot be run by this engine yet, so its tensors are not quantized either");
    const bool gguf = m.format == ModelFormat::Gguf;
    QuantizeJob job(options, m, quant::planQuantization(*m.source, m.spec, arch, gguf, options.quant));

    const auto start = std::chrono::steady_clock::now();
    if (gguf)
        job.writeFromGguf(*m.gguf);
    else
        job.writeFromHf(*m.source, m.hf->dir());

    QuantizeFileResult r;
    r.tensors = job.plan();
    r.summary = summarizeQuantization(r.tensors, options.quant);
    r.summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.output = options.output;
    std::error_code ec;
    r.fileBytes = fs::file_size(options.output, ec);
    return r;
}

} // namespace moe

// Writes a made model as a Hugging Face folder (safetensors) and as GGUF. Both draw the
// same values from drawValues(), so the two copies hold identical weights; only the
// layout differs (GGUF stacks experts and, for the `llama` arch, permutes Q/K rows).
#include "model_maker_detail.h"

#include "atomic_file.h"
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/safetensors.h"
#include "moe/tokenizer.h"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace moe::detail {

DType storageDtype(const PlannedTensor& t, DType modelDtype, bool gguf)
{
    if (!gguf)
        return modelDtype;
    if (t.shape.rank == 1 || t.role == TensorRole::SharedExpertGate)
        return DType::F32;
    if (isQuantized(modelDtype)) {
        // llama.cpp never quantizes the router: its logits decide everything downstream.
        if (t.role == TensorRole::Router || t.shape.cols() % dtypeInfo(modelDtype).blockElements != 0)
            return DType::F32;
    }
    return modelDtype;
}

std::vector<uint8_t> encodeValues(const std::vector<float>& values, DType modelDtype, DType storage)
{
    const std::vector<float>* src = &values;
    std::vector<float> rounded;
    if (storage != modelDtype && !isQuantized(modelDtype) && modelDtype != DType::F32) {
        // Same rounding the safetensors copy gets, so both files hold the same numbers.
        std::vector<uint8_t> tmp(values.size() * 2);
        quantizeRow(modelDtype, values.data(), tmp.data(), values.size());
        rounded.resize(values.size());
        dequantizeRow(modelDtype, tmp.data(), rounded.data(), values.size());
        src = &rounded;
    }
    const std::optional<uint64_t> bytes = rowBytes(storage, values.size());
    if (!bytes)
        throw Error(ErrorCode::InvalidArgument, "", dtypeName(storage),
                    std::to_string(values.size()) + " values are not a whole number of blocks");
    std::vector<uint8_t> out(*bytes);
    quantizeRow(storage, src->data(), out.data(), values.size());
    return out;
}

namespace {

const char* torchDtypeName(DType t)
{
    switch (t) {
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    default: return "float32";
    }
}

void writeText(const std::string& path, const std::string& text)
{
    AtomicFile out(path);
    out.write(text.data(), text.size());
    out.commit();
}

uint64_t tensorCount(const std::vector<PlannedTensor>& plan)
{
    uint64_t n = 0;
    for (const PlannedTensor& t : plan)
        n += t.experts > 0 ? uint64_t(t.experts) : 1;
    return n;
}

void report(const MakeContext& ctx, const char* stage, uint64_t done, uint64_t total, uint64_t bytes)
{
    if (ctx.onProgress)
        ctx.onProgress({stage, done, total, bytes, 0});
}

void writeHfSideFiles(const MakeContext& ctx, const std::string& dir)
{
    nlohmann::json config = hfConfigFor(ctx.spec);
    config["torch_dtype"] = torchDtypeName(ctx.dtype);
    config["moe_workbench_random_weights"] = true;
    config["moe_workbench"] = {{"preset", ctx.preset.name}, {"seed", ctx.seed}};
    writeText(dir + "/config.json", config.dump(2) + "\n");

    nlohmann::json gen = {{"do_sample", true}, {"temperature", 0.7}, {"top_k", 20}, {"top_p", 0.8}};
    if (ctx.vocab.bosId >= 0)
        gen["bos_token_id"] = ctx.vocab.bosId;
    if (!ctx.spec.eosTokenIds.empty())
        gen["eos_token_id"] = ctx.spec.eosTokenIds;
    if (ctx.vocab.padId >= 0)
        gen["pad_token_id"] = ctx.vocab.padId;
    writeText(dir + "/generation_config.json", gen.dump(2) + "\n");

    writeText(dir + "/tokenizer.json", toTokenizerJson(ctx.vocab));
    writeText(dir + "/tokenizer_config.json", toTokenizerConfigJson(ctx.vocab));
}

} // namespace

void writeHfModel(const MakeContext& ctx, const std::string& dir)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw Error(ErrorCode::Io, dir, "", "cannot create folder: " + ec.message());
    writeHfSideFiles(ctx, dir);

    const Architecture& arch = architectureFor(ctx.spec);
    const std::vector<PlannedTensor> plan = plannedTensors(ctx.spec);
    const uint64_t total = tensorCount(plan);
    const bool sharded = ctx.preset.maxShardBytes > 0;
    // Single file: the writer copies each tensor as it is made (one copy in memory).
    // Sharded: the shard writer wants views of everything, so we keep the only copy.
    SafetensorsWriter single;
    single.setMetadata("format", "pt");
    single.setMetadata("moe_workbench_random_weights", "true");
    std::vector<std::pair<std::string, std::vector<uint8_t>>> kept;
    std::vector<std::pair<std::string, Shape>> keptShapes;
    uint64_t done = 0, bytes = 0;
    for (const PlannedTensor& t : plan) {
        const int64_t count = t.experts > 0 ? t.experts : 1;
        for (int64_t e = 0; e < count; ++e) {
            const std::string name = arch.hfTensorName(t.role, t.layer, e);
            std::vector<uint8_t> data = encodeValues(drawValues(t, e, ctx.seed), ctx.dtype, ctx.dtype);
            bytes += data.size();
            if (sharded) {
                kept.emplace_back(name, std::move(data));
                keptShapes.emplace_back(name, t.shape);
            } else {
                single.addTensor(name, ctx.dtype, t.shape, data.data(), data.size());
            }
            report(ctx, "safetensors", ++done, total, bytes);
        }
    }
    report(ctx, "writing", done, total, bytes);
    if (!sharded) {
        single.write(dir + "/model.safetensors");
        return;
    }
    std::vector<std::pair<std::string, WeightView>> views;
    views.reserve(kept.size());
    for (size_t k = 0; k < kept.size(); ++k) {
        WeightView v;
        v.dtype = ctx.dtype;
        v.shape = keptShapes[k].second;
        v.data = kept[k].second.data();
        v.bytes = kept[k].second.size();
        views.emplace_back(kept[k].first, v);
    }
    writeShardedSafetensors(dir, views, ctx.preset.maxShardBytes);
}

namespace {

// Bytes of one tensor as GGUF stores it: experts stacked, Q/K permuted for `llama`.
std::vector<uint8_t> ggufTensorBytes(const MakeContext& ctx, const PlannedTensor& t, DType storage, bool permuteQk)
{
    const int64_t count = t.experts > 0 ? t.experts : 1;
    std::vector<uint8_t> out;
    for (int64_t e = 0; e < count; ++e) {
        std::vector<uint8_t> part = encodeValues(drawValues(t, e, ctx.seed), ctx.dtype, storage);
        if (out.empty() && count == 1)
            out = std::move(part);
        else
            out.insert(out.end(), part.begin(), part.end());
    }
    if (permuteQk && (t.role == TensorRole::AttnQ || t.role == TensorRole::AttnK)) {
        const int64_t heads = t.role == TensorRole::AttnQ ? ctx.spec.numHeads : ctx.spec.numKvHeads;
        permuteQkRowsForGguf(out, heads, ctx.spec.headDim, *rowBytes(storage, uint64_t(t.shape.cols())));
    }
    return out;
}

Shape ggufShape(const PlannedTensor& t)
{
    if (t.experts > 0)
        return Shape{t.experts, t.shape[0], t.shape[1]};
    if (t.role == TensorRole::SharedExpertGate)
        return Shape{t.shape.cols()}; // llama.cpp: ffn_gate_inp_shexp is {n_embd}
    return t.shape;
}

} // namespace

void writeGgufModel(const MakeContext& ctx, const std::string& path)
{
    GgufWriter w;
    writeGgufSpec(w, ctx.spec);
    w.setUint32("general.file_type", llamaFileTypeFor(ctx.dtype));
    w.setBool("general.moe_workbench.random_weights", true);
    w.setString("general.moe_workbench.preset", ctx.preset.name);
    w.setUint64("general.moe_workbench.seed", ctx.seed);
    writeGgufTokenizer(w, ctx.vocab);

    // GGUF `llama` expects interleaved RoPE; the HF copy uses rotate-half, so the rows
    // are permuted exactly as llama.cpp's converter does.
    const bool permuteQk = ggufArchName(ctx.spec) == "llama";
    const std::vector<PlannedTensor> plan = plannedTensors(ctx.spec);
    uint64_t done = 0, bytes = 0;
    for (const PlannedTensor& t : plan) {
        const DType storage = storageDtype(t, ctx.dtype, true);
        // The writer copies the bytes, so only one copy of the model is ever in memory.
        const std::vector<uint8_t> data = ggufTensorBytes(ctx, t, storage, permuteQk);
        w.addTensor(ggufTensorName(t.role, t.layer), storage, ggufShape(t), data.data(), data.size());
        bytes += data.size();
        report(ctx, "gguf", ++done, plan.size(), bytes);
    }
    report(ctx, "writing", done, plan.size(), bytes);
    w.write(path);
}

} // namespace moe::detail

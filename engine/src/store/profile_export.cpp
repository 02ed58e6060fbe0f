#include "moe/profile_export.h"

#include "moe/error.h"

#include <nlohmann/json.hpp>

#include <charconv>

namespace moe {

using nlohmann::json;

namespace {

constexpr const char* kFormat = "moe-workbench-profile-run";
constexpr int kVersion = 1;

json promptToJson(const ProfilePromptResult& p)
{
    return {{"category", p.category},         {"prompt", p.prompt},
            {"output", p.output},             {"promptTokens", p.promptTokens},
            {"generatedTokens", p.generatedTokens}, {"prefillSeconds", p.prefillSeconds},
            {"decodeSeconds", p.decodeSeconds}};
}

json stepToJson(const ProfileStep& s)
{
    return {{"index", s.index},   {"promptIndex", s.promptIndex},   {"prefill", s.prefill},
            {"tokens", s.tokens}, {"seconds", s.seconds},           {"expertCounts", s.expertCounts},
            {"gateWeightSums", s.gateWeightSums}};
}

json traceToJson(const TokenRouting& t)
{
    return {{"position", t.position}, {"token", t.token}, {"expertIds", t.expertIds}, {"weights", t.weights}};
}

// Reads fields of one JSON object, naming "steps[3].tokens"-style paths in errors.
class ObjectReader {
public:
    ObjectReader(const json& object, const std::string& source, std::string where)
        : m_object(object), m_source(source), m_where(std::move(where))
    {
        if (!m_object.is_object())
            throw Error(ErrorCode::BadJson, m_source, m_where.empty() ? "(root)" : m_where, "expected an object");
    }

    template <typename T>
    T get(const char* key) const
    {
        auto it = m_object.find(key);
        if (it == m_object.end())
            throw Error(ErrorCode::MissingField, m_source, name(key), "absent");
        try {
            return it->get<T>();
        } catch (const json::exception& e) {
            throw Error(ErrorCode::BadJson, m_source, name(key), e.what());
        }
    }

    // An array of objects, each handed to `read` with its own reader.
    template <typename T, typename Fn>
    std::vector<T> getObjects(const char* key, Fn read) const
    {
        auto it = m_object.find(key);
        if (it == m_object.end())
            throw Error(ErrorCode::MissingField, m_source, name(key), "absent");
        if (!it->is_array())
            throw Error(ErrorCode::BadJson, m_source, name(key), "expected an array");
        std::vector<T> out;
        out.reserve(it->size());
        for (size_t i = 0; i < it->size(); ++i)
            out.push_back(read(ObjectReader((*it)[i], m_source, name(key) + "[" + std::to_string(i) + "]")));
        return out;
    }

private:
    std::string name(const char* key) const { return m_where.empty() ? key : m_where + "." + key; }

    const json& m_object;
    const std::string& m_source;
    std::string m_where;
};

ProfilePromptResult promptFromJson(const ObjectReader& r)
{
    ProfilePromptResult p;
    p.category = r.get<std::string>("category");
    p.prompt = r.get<std::string>("prompt");
    p.output = r.get<std::string>("output");
    p.promptTokens = r.get<int64_t>("promptTokens");
    p.generatedTokens = r.get<int64_t>("generatedTokens");
    p.prefillSeconds = r.get<double>("prefillSeconds");
    p.decodeSeconds = r.get<double>("decodeSeconds");
    return p;
}

ProfileStep stepFromJson(const ObjectReader& r)
{
    ProfileStep s;
    s.index = r.get<int64_t>("index");
    s.promptIndex = r.get<int64_t>("promptIndex");
    s.prefill = r.get<bool>("prefill");
    s.tokens = r.get<int64_t>("tokens");
    s.seconds = r.get<double>("seconds");
    s.expertCounts = r.get<std::vector<int32_t>>("expertCounts");
    s.gateWeightSums = r.get<std::vector<float>>("gateWeightSums");
    return s;
}

TokenRouting traceFromJson(const ObjectReader& r)
{
    TokenRouting t;
    t.position = r.get<int64_t>("position");
    t.token = r.get<int32_t>("token");
    t.expertIds = r.get<std::vector<int32_t>>("expertIds");
    t.weights = r.get<std::vector<float>>("weights");
    return t;
}

template <typename T>
void appendNumber(std::string& out, T value)
{
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value); // shortest round-trip form
    out.append(buffer, result.ptr);
}

} // namespace

std::string exportProfileRunJson(const ProfileRun& run)
{
    json prompts = json::array(), steps = json::array(), traces = json::array();
    for (const auto& p : run.prompts)
        prompts.push_back(promptToJson(p));
    for (const auto& s : run.steps)
        steps.push_back(stepToJson(s));
    for (const auto& t : run.traces)
        traces.push_back(traceToJson(t));
    // settingsJson stays a string: re-serialising it as an object could reorder keys and
    // break the exact round trip.
    json doc = {{"format", kFormat},          {"version", kVersion},
                {"id", run.id},               {"name", run.name},
                {"createdAt", run.createdAt}, {"modelPath", run.modelPath},
                {"modelName", run.modelName}, {"architecture", run.architecture},
                {"randomWeights", run.randomWeights}, {"settingsJson", run.settingsJson},
                {"numMoeLayers", run.numMoeLayers},   {"numExperts", run.numExperts},
                {"topK", run.topK},           {"moeLayers", run.moeLayers},
                {"prompts", std::move(prompts)}, {"steps", std::move(steps)},
                {"traces", std::move(traces)}};
    return doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

ProfileRun importProfileRunJson(const std::string& text, const std::string& source)
{
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw Error(ErrorCode::BadJson, source, "byte " + std::to_string(e.byte), e.what());
    }
    ObjectReader r(doc, source, "");
    if (r.get<std::string>("format") != kFormat)
        throw Error(ErrorCode::BadValue, source, "format", "not a MoE Workbench profile run");
    if (int64_t version = r.get<int64_t>("version"); version != kVersion)
        throw Error(ErrorCode::BadValue, source, "version", "unsupported version " + std::to_string(version));
    ProfileRun run;
    run.id = r.get<int64_t>("id");
    run.name = r.get<std::string>("name");
    run.createdAt = r.get<std::string>("createdAt");
    run.modelPath = r.get<std::string>("modelPath");
    run.modelName = r.get<std::string>("modelName");
    run.architecture = r.get<std::string>("architecture");
    run.randomWeights = r.get<bool>("randomWeights");
    run.settingsJson = r.get<std::string>("settingsJson");
    run.numMoeLayers = r.get<int64_t>("numMoeLayers");
    run.numExperts = r.get<int64_t>("numExperts");
    run.topK = r.get<int64_t>("topK");
    run.moeLayers = r.get<std::vector<int32_t>>("moeLayers");
    run.prompts = r.getObjects<ProfilePromptResult>("prompts", promptFromJson);
    run.steps = r.getObjects<ProfileStep>("steps", stepFromJson);
    run.traces = r.getObjects<TokenRouting>("traces", traceFromJson);
    return run;
}

std::string exportProfileRunCsv(const ProfileRun& run)
{
    std::string out = "step,prompt,prefill,moe_layer,decoder_layer,expert,count,gate_weight_sum\n";
    for (const ProfileStep& step : run.steps) {
        for (int64_t layer = 0; layer < run.numMoeLayers; ++layer) {
            for (int64_t expert = 0; expert < run.numExperts; ++expert) {
                auto i = size_t(layer * run.numExperts + expert);
                if (i >= step.expertCounts.size())
                    break; // a step shorter than the run's shape: write what it holds
                appendNumber(out, step.index);
                out += ',';
                appendNumber(out, step.promptIndex);
                out += step.prefill ? ",1," : ",0,";
                appendNumber(out, layer);
                out += ',';
                if (size_t(layer) < run.moeLayers.size())
                    appendNumber(out, run.moeLayers[size_t(layer)]);
                out += ',';
                appendNumber(out, expert);
                out += ',';
                appendNumber(out, step.expertCounts[i]);
                out += ',';
                if (i < step.gateWeightSums.size())
                    appendNumber(out, step.gateWeightSums[i]);
                out += '\n';
            }
        }
    }
    return out;
}

} // namespace moe

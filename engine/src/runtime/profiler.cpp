#include "moe/profiler.h"

#include "moe/chat_template.h"
#include "moe/error.h"
#include "moe/safetensors.h"
#include "moe/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace moe {
namespace detail {
std::string_view builtinPromptsJson();
}

namespace {

std::vector<ProfilePrompt> promptsFromJson(const nlohmann::json& j, const std::string& source)
{
    const nlohmann::json* list = &j;
    if (j.is_object()) {
        auto it = j.find("prompts");
        if (it == j.end())
            throw Error(ErrorCode::MissingField, source, "prompts", "expected a \"prompts\" array");
        list = &*it;
    }
    if (!list->is_array())
        throw Error(ErrorCode::BadValue, source, "prompts", "expected an array of prompts");
    std::vector<ProfilePrompt> out;
    for (size_t i = 0; i < list->size(); ++i) {
        const nlohmann::json& item = (*list)[i];
        const std::string field = "prompts[" + std::to_string(i) + "]";
        if (item.is_string()) {
            out.push_back({"prompt", item.get<std::string>()});
        } else if (item.is_object() && item.contains("prompt") && item["prompt"].is_string()) {
            const auto cat = item.value("category", std::string("prompt"));
            out.push_back({cat, item["prompt"].get<std::string>()});
        } else {
            throw Error(ErrorCode::BadValue, source, field, "expected a string or {\"prompt\": ...}");
        }
    }
    return out;
}

// Offset of the first byte that breaks UTF-8, or npos.
size_t invalidUtf8At(const std::string& s)
{
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > s.size() || (len == 2 && c < 0xc2))
            return i;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
                return i;
        i += len;
    }
    return std::string::npos;
}

std::string isoNow()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace

std::vector<ProfilePrompt> builtinProfilePrompts()
{
    return promptsFromJson(parseJson(std::string(detail::builtinPromptsJson()), "builtin prompts"), "builtin prompts");
}

std::vector<ProfilePrompt> readProfilePrompts(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorCode::Io, path, "", "cannot read the prompts file");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (const size_t bad = invalidUtf8At(text); bad != std::string::npos) {
        const int64_t line = 1 + std::count(text.begin(), text.begin() + ptrdiff_t(bad), '\n');
        throw Error(ErrorCode::BadValue, path, "line " + std::to_string(line),
                    "is not valid UTF-8 (byte offset " + std::to_string(bad) + ")");
    }
    std::vector<ProfilePrompt> prompts;
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
        prompts = promptsFromJson(parseJson(text, path), path);
    } else {
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) {
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (line.find_first_not_of(" \t") != std::string::npos)
                prompts.push_back({"prompt", line});
        }
    }
    prompts.erase(std::remove_if(prompts.begin(), prompts.end(), [](const ProfilePrompt& p) {
                      return p.text.find_first_not_of(" \t\r\n") == std::string::npos;
                  }),
                  prompts.end());
    if (prompts.empty())
        throw Error(ErrorCode::InvalidArgument, path, "prompts", "the file holds no prompts");
    return prompts;
}

ProfileRun runProfile(Engine& engine, const std::vector<ProfilePrompt>& prompts, const ProfileOptions& options)
{
    if (prompts.empty())
        throw Error(ErrorCode::InvalidArgument, "", "prompts", "the prompt set is empty");
    const ModelInfo& info = engine.info();
    const ModelSpec& spec = engine.spec();
    ProfileRun run;
    run.createdAt = isoNow();
    run.name = options.name.empty() ? spec.name + " " + run.createdAt : options.name;
    run.modelPath = info.path;
    run.modelName = spec.name;
    run.architecture = spec.architecture;
    run.randomWeights = info.randomWeights;
    run.numExperts = spec.numExperts;
    run.topK = spec.numExpertsPerToken;
    for (int64_t l = 0; l < spec.numLayers; ++l)
        if (spec.isMoeLayer(l))
            run.moeLayers.push_back(int32_t(l));
    run.numMoeLayers = int64_t(run.moeLayers.size());
    nlohmann::json settings = options.settingsJson.empty() ? nlohmann::json::object()
                                                           : parseJson(options.settingsJson, "settings");
    settings["max_tokens"] = options.maxTokens;
    settings["temperature"] = options.sampling.temperature;
    settings["seed"] = options.sampling.seed;
    settings["chat_template"] = options.useChatTemplate;
    settings["trace_tokens"] = options.traceTokens;
    run.settingsJson = settings.dump();

    nlohmann::json skipped = nlohmann::json::array();
    auto buffer = engine.telemetry().subscribe(1 << 16);
    std::vector<StepTelemetryPtr> steps;
    const Tokenizer& tok = engine.tokenizer();
    for (size_t p = 0; p < prompts.size(); ++p) {
        if (options.cancel && options.cancel->load())
            break;
        std::string text = prompts[p].text;
        if (options.useChatTemplate)
            text = renderChatWithTokenizer(tok, {{"user", prompts[p].text}}, true).text;
        const std::vector<int32_t> ids = tok.encode(text, /*addSpecial=*/true, /*parseSpecial=*/true);
        if (int64_t(ids.size()) >= engine.contextLength()) {
            // A prompt longer than the context cannot run; the others still can, and the
            // run records which ones were left out.
            skipped.push_back({{"index", p}, {"category", prompts[p].category}, {"prompt_tokens", ids.size()}});
            continue;
        }
        engine.reset();
        GenerateCallbacks cb;
        cb.cancel = options.cancel;
        SamplingParams sp = options.sampling;
        sp.maxTokens = options.maxTokens;
        const GenerationResult r = engine.generate(ids, sp, cb);
        run.prompts.push_back({prompts[p].category, prompts[p].text, r.text, int64_t(ids.size()),
                               int64_t(r.tokens.size()), r.timings.prefillSeconds, r.timings.decodeSeconds});
        steps.clear();
        buffer->drainInto(steps);
        for (const StepTelemetryPtr& s : steps) {
            ProfileStep st;
            st.index = int64_t(run.steps.size());
            st.promptIndex = int64_t(p);
            st.prefill = s->prefill;
            st.tokens = s->tokens;
            st.seconds = s->stepSeconds;
            st.expertCounts = s->expertCounts;
            st.gateWeightSums = s->gateWeightSums;
            run.steps.push_back(std::move(st));
            for (const TokenRouting& tr : s->tokenRouting)
                if (int64_t(run.traces.size()) < options.traceTokens)
                    run.traces.push_back(tr);
        }
        if (options.onProgress)
            options.onProgress(p + 1, prompts.size());
    }
    engine.telemetry().unsubscribe(buffer);
    if (!skipped.empty()) {
        settings["skipped_prompts"] = skipped;
        run.settingsJson = settings.dump();
    }
    if (run.prompts.empty())
        throw Error(ErrorCode::InvalidArgument, info.path, "context",
                    "every prompt is longer than the context length " + std::to_string(engine.contextLength()));
    return run;
}

ProfileSummary summarizeProfileRun(const ProfileRun& run, double capacityFactor)
{
    ProfileSummary s;
    s.steps = int64_t(run.steps.size());
    s.tokens = run.totalTokens();
    const std::vector<int64_t> totals = run.totalCounts();
    const int64_t E = run.numExperts;
    for (int64_t m = 0; m < run.numMoeLayers; ++m) {
        LayerSummary ls;
        ls.moeLayer = m;
        ls.decoderLayer = m < int64_t(run.moeLayers.size()) ? run.moeLayers[size_t(m)] : int32_t(m);
        std::vector<int32_t> loads(static_cast<size_t>(E));
        for (int64_t e = 0; e < E; ++e) {
            const int64_t c = totals[size_t(m * E + e)];
            loads[size_t(e)] = int32_t(std::min<int64_t>(c, INT32_MAX));
            if (ls.hottestExpert < 0 || c > ls.hottestCount) {
                ls.hottestExpert = int32_t(e);
                ls.hottestCount = c;
            }
            if (ls.coldestExpert < 0 || c < ls.coldestCount) {
                ls.coldestExpert = int32_t(e);
                ls.coldestCount = c;
            }
            if (c == 0)
                ls.unusedExperts.push_back(int32_t(e));
        }
        ls.imbalance = computeImbalance(loads.data(), E, capacityFactor);
        s.layers.push_back(std::move(ls));
    }
    return s;
}

} // namespace moe

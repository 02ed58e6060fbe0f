// Store: profiling runs (metadata columns + compressed data blobs) and planner scenarios.
#include "store/profile_codec.h"
#include "store/store_impl.h"

#include <nlohmann/json.hpp>

namespace moe {

using store::Statement;

namespace {

std::string moeLayersJson(const std::vector<int32_t>& layers) { return nlohmann::json(layers).dump(); }

std::vector<int32_t> parseMoeLayers(const std::string& text, const std::string& path)
{
    try {
        return nlohmann::json::parse(text).get<std::vector<int32_t>>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorCode::BadJson, path, "profile_runs.moe_layers_json", e.what());
    }
}

constexpr const char* kRunColumns =
    "id, name, created_at, model_path, model_name, architecture, random_weights, num_moe_layers, num_experts, top_k, "
    "prompt_count, step_count, trace_count, total_tokens, stored_bytes";

ProfileRunSummary readSummary(const Statement& s)
{
    ProfileRunSummary r;
    r.id = s.int64(0);
    r.name = s.text(1);
    r.createdAt = s.text(2);
    r.modelPath = s.text(3);
    r.modelName = s.text(4);
    r.architecture = s.text(5);
    r.randomWeights = s.int64(6) != 0;
    r.numMoeLayers = s.int64(7);
    r.numExperts = s.int64(8);
    r.topK = s.int64(9);
    r.promptCount = s.int64(10);
    r.stepCount = s.int64(11);
    r.traceCount = s.int64(12);
    r.totalTokens = s.int64(13);
    r.storedBytes = s.int64(14);
    return r;
}

constexpr const char* kScenarioColumns = "id, name, inputs_json, results_json, created_at_ms, updated_at_ms";

PlannerScenario readScenario(const Statement& s)
{
    PlannerScenario p;
    p.id = s.int64(0);
    p.name = s.text(1);
    p.inputsJson = s.text(2);
    p.resultsJson = s.text(3);
    p.createdAtMs = s.int64(4);
    p.updatedAtMs = s.int64(5);
    return p;
}

} // namespace

// ---- Profiling runs ----

void Store::saveProfileRun(ProfileRun& run)
{
    // Compress before taking the write lock: it is the slow part and needs no database.
    std::string prompts = store::encodePrompts(run.prompts);
    std::string steps = store::encodeSteps(run.steps);
    std::string traces = store::encodeTraces(run.traces);
    auto storedBytes = int64_t(prompts.size() + steps.size() + traces.size());

    Transaction tx(*this);
    Statement s = m_impl->db->prepare(
        "INSERT INTO profile_runs (name, created_at, model_path, model_name, architecture, random_weights, "
        "settings_json, num_moe_layers, num_experts, top_k, moe_layers_json, prompt_count, step_count, "
        "trace_count, total_tokens, stored_bytes) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
    s.bind(1, run.name).bind(2, run.createdAt).bind(3, run.modelPath).bind(4, run.modelName);
    s.bind(5, run.architecture).bind(6, int64_t(run.randomWeights)).bind(7, run.settingsJson);
    s.bind(8, run.numMoeLayers).bind(9, run.numExperts).bind(10, run.topK).bind(11, moeLayersJson(run.moeLayers));
    s.bind(12, int64_t(run.prompts.size())).bind(13, int64_t(run.steps.size()));
    s.bind(14, int64_t(run.traces.size())).bind(15, run.totalTokens()).bind(16, storedBytes).run();
    int64_t id = m_impl->db->lastInsertRowId();

    Statement d = m_impl->db->prepare(
        "INSERT INTO profile_run_data (run_id, codec_version, prompts, steps, traces) VALUES (?1, ?2, ?3, ?4, ?5)");
    d.bind(1, id).bind(2, int64_t(store::kProfileCodecVersion)).bindBlob(3, prompts).bindBlob(4, steps);
    d.bindBlob(5, traces).run();
    tx.commit();
    run.id = id; // only once committed, so a failed save leaves the caller's run unchanged
}

std::vector<ProfileRunSummary> Store::listProfileRuns() const
{
    static const std::string sql =
        std::string("SELECT ") + kRunColumns + " FROM profile_runs ORDER BY created_at DESC, id DESC";
    Statement s = m_impl->db->prepare(sql.c_str());
    std::vector<ProfileRunSummary> out;
    while (s.step())
        out.push_back(readSummary(s));
    return out;
}

std::optional<ProfileRun> Store::loadProfileRun(int64_t id) const
{
    Statement s = m_impl->db->prepare(
        "SELECT r.name, r.created_at, r.model_path, r.model_name, r.architecture, r.random_weights, r.settings_json, "
        "r.num_moe_layers, r.num_experts, r.top_k, r.moe_layers_json, d.codec_version, d.prompts, d.steps, d.traces "
        "FROM profile_runs r JOIN profile_run_data d ON d.run_id = r.id WHERE r.id = ?1");
    s.bind(1, id);
    if (!s.step())
        return std::nullopt;
    const std::string& file = path();
    if (s.int64(11) != store::kProfileCodecVersion)
        throw Error(ErrorCode::UnsupportedType, file, "profile_run_data.codec_version",
                    "codec version " + std::to_string(s.int64(11)));
    ProfileRun run;
    run.id = id;
    run.name = s.text(0);
    run.createdAt = s.text(1);
    run.modelPath = s.text(2);
    run.modelName = s.text(3);
    run.architecture = s.text(4);
    run.randomWeights = s.int64(5) != 0;
    run.settingsJson = s.text(6);
    run.numMoeLayers = s.int64(7);
    run.numExperts = s.int64(8);
    run.topK = s.int64(9);
    run.moeLayers = parseMoeLayers(s.text(10), file);
    run.prompts = store::decodePrompts(s.blob(12), file, "profile_run_data.prompts");
    run.steps = store::decodeSteps(s.blob(13), file, "profile_run_data.steps");
    run.traces = store::decodeTraces(s.blob(14), file, "profile_run_data.traces");
    return run;
}

bool Store::deleteProfileRun(int64_t id)
{
    Transaction tx(*this);
    m_impl->db->prepare("DELETE FROM profile_runs WHERE id = ?1").bind(1, id).run();
    bool deleted = m_impl->db->changes() > 0;
    tx.commit();
    return deleted;
}

// ---- Planner scenarios ----

void Store::saveScenario(PlannerScenario& p)
{
    Transaction tx(*this);
    int64_t now = store::nowMs();
    if (p.id == 0) {
        int64_t created = p.createdAtMs ? p.createdAtMs : now;
        int64_t updated = p.updatedAtMs ? p.updatedAtMs : created;
        Statement s = m_impl->db->prepare(
            "INSERT INTO planner_scenarios (name, inputs_json, results_json, created_at_ms, updated_at_ms) "
            "VALUES (?1, ?2, ?3, ?4, ?5)");
        s.bind(1, p.name).bind(2, p.inputsJson).bind(3, p.resultsJson).bind(4, created).bind(5, updated).run();
        int64_t id = m_impl->db->lastInsertRowId();
        tx.commit();
        p.id = id;
        p.createdAtMs = created;
        p.updatedAtMs = updated;
        return;
    }
    Statement s = m_impl->db->prepare(
        "UPDATE planner_scenarios SET name = ?2, inputs_json = ?3, results_json = ?4, updated_at_ms = ?5 "
        "WHERE id = ?1");
    s.bind(1, p.id).bind(2, p.name).bind(3, p.inputsJson).bind(4, p.resultsJson).bind(5, now).run();
    if (m_impl->db->changes() == 0)
        throw Error(ErrorCode::MissingField, path(), "planner_scenarios.id", "no row with id " + std::to_string(p.id));
    tx.commit();
    p.updatedAtMs = now;
}

std::vector<PlannerScenario> Store::listScenarios() const
{
    static const std::string sql =
        std::string("SELECT ") + kScenarioColumns + " FROM planner_scenarios ORDER BY updated_at_ms DESC, id DESC";
    Statement s = m_impl->db->prepare(sql.c_str());
    std::vector<PlannerScenario> out;
    while (s.step())
        out.push_back(readScenario(s));
    return out;
}

std::optional<PlannerScenario> Store::scenario(int64_t id) const
{
    static const std::string sql = std::string("SELECT ") + kScenarioColumns + " FROM planner_scenarios WHERE id = ?1";
    Statement s = m_impl->db->prepare(sql.c_str());
    s.bind(1, id);
    if (!s.step())
        return std::nullopt;
    return readScenario(s);
}

bool Store::deleteScenario(int64_t id)
{
    Transaction tx(*this);
    m_impl->db->prepare("DELETE FROM planner_scenarios WHERE id = ?1").bind(1, id).run();
    bool deleted = m_impl->db->changes() > 0;
    tx.commit();
    return deleted;
}

} // namespace moe

// moe/store.h — the workbench's persistence: chats (conversations, messages with their
// generation stats), saved profiling runs and planner scenarios, in one SQLite file.
//
// Guarantees:
// - every write runs inside a Transaction (WAL journal, synchronous=FULL), so a crash or
//   SIGKILL at any moment leaves a database holding exactly the committed rows;
// - the schema is versioned (PRAGMA user_version) and migrated forward on open;
// - a file this build does not understand (newer schema, not a database, corrupt, another
//   application's database) is checked over a read-only connection first and refused with
//   a moe::Error naming the path — its bytes are never changed.
//
// Threading: one Store is one SQLite connection and must be used from one thread at a
// time (the GUI runs it on a worker thread, never the UI thread). Several Stores (in
// threads or processes) may open the same file: under WAL a reader never blocks a writer
// and writers wait up to busyTimeoutMs for each other.
#pragma once

#include "moe/profile_run.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace moe {

enum class StoreMode {
    ReadWrite, // creates the file when absent, migrates an older schema
    ReadOnly,  // never writes; an older schema that needs migrating is refused
};

// Statistics the runtime reports for one generated reply (zero for user messages).
struct MessageStats {
    int64_t promptTokens = 0;
    int64_t generatedTokens = 0;
    double timeToFirstTokenSeconds = 0;
    double tokensPerSecond = 0;
    std::string model; // model name that produced the reply
    bool operator==(const MessageStats&) const = default;
};

struct Message {
    int64_t id = 0;             // 0 = not stored yet
    int64_t conversationId = 0;
    std::string role;           // "system", "user", "assistant" or "tool"
    std::string content;
    int64_t createdAtMs = 0;    // Unix epoch milliseconds; 0 = "now" when added
    MessageStats stats;
    bool operator==(const Message&) const = default;
};

struct Conversation {
    int64_t id = 0;
    std::string title;
    std::string modelPath;
    std::string modelName;
    std::string systemPrompt;
    std::string samplingJson = "{}"; // temperature, top-p, ... as a JSON object text
    int64_t createdAtMs = 0;
    int64_t updatedAtMs = 0;         // last change to the conversation or its messages
    bool operator==(const Conversation&) const = default;
};

// What a list of profiling runs shows, read without decoding the (large) data blobs.
struct ProfileRunSummary {
    int64_t id = 0;
    std::string name;
    std::string createdAt;
    std::string modelPath;
    std::string modelName;
    std::string architecture;
    bool randomWeights = false;
    int64_t numMoeLayers = 0;
    int64_t numExperts = 0;
    int64_t topK = 0;
    int64_t promptCount = 0;
    int64_t stepCount = 0;
    int64_t traceCount = 0;
    int64_t totalTokens = 0;
    int64_t storedBytes = 0; // compressed size of the run's data blobs
};

struct PlannerScenario {
    int64_t id = 0;
    std::string name;
    std::string inputsJson = "{}";  // the planner's inputs as a JSON object text
    std::string resultsJson = "{}"; // its results, kept so a list can show them unrecomputed
    int64_t createdAtMs = 0;
    int64_t updatedAtMs = 0;
    bool operator==(const PlannerScenario&) const = default;
};

class Store {
public:
    static constexpr int kSchemaVersion = 2;            // what this build writes
    static constexpr int kBusyTimeoutMs = 5000;
    static constexpr int32_t kApplicationId = 0x4D6F4557; // "MoEW" in PRAGMA application_id

    // Throws moe::Error: Io (cannot open/create, e.g. a missing directory), BadMagic (not
    // a database or not ours), BadValue (corrupt, field "quick_check"; newer schema,
    // field "user_version"; ReadOnly on a schema that needs migrating).
    static Store open(const std::string& path, StoreMode mode = StoreMode::ReadWrite);

    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    const std::string& path() const;
    StoreMode mode() const;
    int schemaVersion() const;          // PRAGMA user_version as found after open
    std::string integrityCheck() const; // "ok" or SQLite's list of problems

    // Conversations. create*/add* fill in id and zero timestamps; lists are newest first.
    void createConversation(Conversation& conversation);
    void updateConversation(const Conversation& conversation); // all fields but created
    void renameConversation(int64_t id, const std::string& title);
    bool deleteConversation(int64_t id); // with its messages; false when absent
    std::optional<Conversation> conversation(int64_t id) const;
    std::vector<Conversation> listConversations() const;
    // Case-insensitive (ASCII) substring match on title and message content.
    std::vector<Conversation> searchConversations(const std::string& text) const;

    // Messages, in the order they were added.
    void addMessage(Message& message);           // also bumps the conversation's updatedAtMs
    void updateMessage(const Message& message);  // content and stats (a streamed reply)
    bool deleteMessage(int64_t id);
    std::vector<Message> messages(int64_t conversationId) const;

    // Profiling runs. save always inserts a new run and sets run.id.
    void saveProfileRun(ProfileRun& run);
    std::vector<ProfileRunSummary> listProfileRuns() const;
    std::optional<ProfileRun> loadProfileRun(int64_t id) const;
    bool deleteProfileRun(int64_t id);

    // Planner scenarios. save inserts when id == 0, else updates that row.
    void saveScenario(PlannerScenario& scenario);
    std::vector<PlannerScenario> listScenarios() const;
    std::optional<PlannerScenario> scenario(int64_t id) const;
    bool deleteScenario(int64_t id);

    struct Impl;

private:
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
    friend class Transaction;
};

// Groups writes into one atomic commit; rolls back when destroyed uncommitted (an
// exception on the way). Transactions nest (inner ones are savepoints), so callers can
// wrap several Store calls, each of which opens its own. The outermost one takes the
// write lock at once (BEGIN IMMEDIATE) so it never fails half-way on a lock upgrade.
class Transaction {
public:
    explicit Transaction(Store& store);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Store::Impl* m_impl;
    int m_depth = 0;
    bool m_done = false;
};

} // namespace moe

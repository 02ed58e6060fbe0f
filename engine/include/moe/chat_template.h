// moe/chat_template.h — renders a model's own Jinja chat template, as Hugging Face
// transformers does (jinja2 with trim_blocks, lstrip_blocks, loop controls,
// raise_exception, tojson(ensure_ascii=False)), so prompts match what the model was
// trained on.
//
// The interpreter covers the subset real chat templates use (Mixtral, Qwen3,
// DeepSeek-V3, Llama 3 ...): if/elif/else, for (loop.*, else, filter), set (incl.
// namespace() attributes and {% set %}...{% endset %}), break/continue, filters, tests,
// string/dict methods, slicing. Anything else raises Error(Template) naming the construct;
// callers can then fall back to renderPlainChat().
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace moe {

struct ChatMessage {
    std::string role; // "system", "user", "assistant", "tool"
    std::string content;
};

struct ChatRenderOptions {
    bool addGenerationPrompt = true;
    std::string bosToken;
    std::string eosToken;
};

class ChatTemplate {
public:
    // Parses once; throws Error(Template) with field "chat_template" and a detail naming the
    // unsupported construct or syntax error and its line.
    explicit ChatTemplate(const std::string& source);
    ~ChatTemplate();
    ChatTemplate(ChatTemplate&&) noexcept;
    ChatTemplate& operator=(ChatTemplate&&) noexcept;

    std::string render(const std::vector<ChatMessage>& messages, const ChatRenderOptions& options) const;
    // Full control over the variables (messages with tool_calls, tools, enable_thinking, ...).
    // `variables` must be a JSON object. A template's raise_exception('msg') throws
    // Error(Template) with field "raise_exception" and detail "msg".
    std::string render(const nlohmann::json& variables) const;

    struct Node;

private:
    std::vector<std::unique_ptr<Node>> m_nodes;
};

// One-shot helper: parse + render.
std::string renderChat(const std::string& templ, const std::vector<ChatMessage>& messages, bool addGenerationPrompt,
                       const std::string& bosToken, const std::string& eosToken);

// A template-free rendering for models without a (supported) template:
// "<bos>System: ...\n\nUser: ...\n\nAssistant: ..." ending with "Assistant:" when a
// generation prompt is asked for.
std::string renderPlainChat(const std::vector<ChatMessage>& messages, bool addGenerationPrompt,
                            const std::string& bosToken = {});

class Tokenizer;

// A conversation rendered with a tokenizer's own template, or with the plain layout when
// the model has no template or one we cannot render (then `usedFallback` is set and
// `fallbackReason` holds the technical detail; the caller phrases the notice).
struct RenderedChat {
    std::string text;
    bool usedFallback = false;
    std::string fallbackReason; // empty: the model has no template
};
RenderedChat renderChatWithTokenizer(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                     bool addGenerationPrompt);

// A chat turn's prompt: the conversation rendered (with the generation prompt) and
// tokenized, fitted into a context of `contextTokens` that keeps room for the answer
// (max(16, min(maxNewTokens, context / 4)) tokens) by dropping the oldest messages after
// a leading system message. When even the last message alone does not fit, `fits` is
// false and `tokens` holds that overlong prompt (its size is what to report).
struct FittedChat {
    std::vector<int32_t> tokens;
    int64_t droppedMessages = 0; // messages[first, first + dropped) were left out
    size_t firstDroppable = 0;   // 1 after a leading system message, else 0
    bool fits = true;
    RenderedChat rendered;       // the last rendering (fallback notice)
};
FittedChat fitChatToContext(const Tokenizer& tokenizer, std::vector<ChatMessage> messages, int64_t contextTokens,
                            int64_t maxNewTokens);

} // namespace moe

#include "moe/chat_template.h"
#include "moe/error.h"
#include "moe/tokenizer.h"

namespace moe {

RenderedChat renderChatWithTokenizer(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                     bool addGenerationPrompt)
{
    RenderedChat out;
    const std::string& tmpl = tokenizer.chatTemplate();
    if (!tmpl.empty()) {
        try {
            out.text = renderChat(tmpl, messages, addGenerationPrompt, tokenizer.bosToken(), tokenizer.eosToken());
            return out;
        } catch (const Error& e) {
            // A template we cannot render should not end the conversation: the plain
            // layout still works, only less well. Other errors are real failures.
            if (e.code() != ErrorCode::Template)
                throw;
            out.fallbackReason = e.what();
        }
    }
    out.usedFallback = true;
    out.text = renderPlainChat(messages, addGenerationPrompt, tokenizer.bosToken());
    return out;
}

} // namespace moe

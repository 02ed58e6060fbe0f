#include "moe/chat_template.h"
#include "moe/error.h"
#include "moe/tokenizer.h"

#include <algorithm>

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

FittedChat fitChatToContext(const Tokenizer& tokenizer, std::vector<ChatMessage> messages, int64_t contextTokens,
                            int64_t maxNewTokens)
{
    FittedChat out;
    const int64_t room = contextTokens - std::max<int64_t>(16, std::min<int64_t>(maxNewTokens, contextTokens / 4));
    out.firstDroppable = !messages.empty() && messages.front().role == "system" ? 1 : 0;
    while (true) {
        out.rendered = renderChatWithTokenizer(tokenizer, messages, true);
        out.tokens = tokenizer.encode(out.rendered.text, false, true);
        if (int64_t(out.tokens.size()) <= room)
            return out;
        if (messages.size() <= out.firstDroppable + 1) {
            out.fits = false;
            return out;
        }
        messages.erase(messages.begin() + long(out.firstDroppable)); // the oldest goes first
        ++out.droppedMessages;
    }
}

} // namespace moe

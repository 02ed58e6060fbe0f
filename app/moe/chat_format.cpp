#include "chat_format.h"

#include "moe/chat_template.h"
#include "moe/error.h"

namespace moecli {

std::string renderConversation(const moe::Tokenizer& tokenizer, const std::vector<ChatTurn>& turns,
                               bool addGenerationPrompt, std::string& notice)
{
    std::vector<moe::ChatMessage> messages;
    messages.reserve(turns.size());
    for (const ChatTurn& t : turns)
        messages.push_back({t.role, t.content});
    moe::RenderedChat r = moe::renderChatWithTokenizer(tokenizer, messages, addGenerationPrompt);
    notice = fallbackNotice(r);
    return r.text;
}

std::string fallbackNotice(const moe::RenderedChat& r)
{
    if (!r.usedFallback)
        return {};
    return r.fallbackReason.empty() ? "the model has no chat template; using a plain 'Role: text' layout"
                                    : "cannot render the model's chat template (" + r.fallbackReason +
                                          "); using a plain 'Role: text' layout";
}

} // namespace moecli

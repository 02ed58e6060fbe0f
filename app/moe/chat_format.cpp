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
    const std::string& tmpl = tokenizer.chatTemplate();
    if (!tmpl.empty()) {
        try {
            return moe::renderChat(tmpl, messages, addGenerationPrompt, tokenizer.bosToken(), tokenizer.eosToken());
        } catch (const moe::Error& e) {
            // A template we cannot render should not end the conversation: the plain
            // layout still works, only less well.
            if (e.code() != moe::ErrorCode::Template)
                throw;
            notice = std::string("cannot render the model's chat template (") + e.what() +
                     "); using a plain 'Role: text' layout";
        }
    } else {
        notice = "the model has no chat template; using a plain 'Role: text' layout";
    }
    return moe::renderPlainChat(messages, addGenerationPrompt, tokenizer.bosToken());
}

} // namespace moecli

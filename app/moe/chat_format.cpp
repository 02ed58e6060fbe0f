#include "chat_format.h"

#include <cctype>

namespace moecli {

namespace {

// ChatML, the layout of Qwen, OLMoE-Instruct and every model make-model writes.
std::string renderChatMl(const std::vector<ChatTurn>& turns, bool addGenerationPrompt)
{
    std::string out;
    for (const ChatTurn& t : turns)
        out += "<|im_start|>" + t.role + "\n" + t.content + "<|im_end|>\n";
    if (addGenerationPrompt)
        out += "<|im_start|>assistant\n";
    return out;
}

std::string renderPlain(const moe::Tokenizer& tokenizer, const std::vector<ChatTurn>& turns, bool addGenerationPrompt)
{
    std::string out = tokenizer.bosToken();
    for (const ChatTurn& t : turns) {
        std::string role = t.role;
        if (!role.empty())
            role[0] = char(std::toupper(static_cast<unsigned char>(role[0])));
        out += role + ": " + t.content + "\n";
    }
    if (addGenerationPrompt)
        out += "Assistant:";
    return out;
}

} // namespace

std::string renderConversation(const moe::Tokenizer& tokenizer, const std::vector<ChatTurn>& turns,
                               bool addGenerationPrompt, std::string& notice)
{
    const std::string& tmpl = tokenizer.chatTemplate();
    // The tokenizer room's Jinja renderer is not in the public API yet; until it is,
    // ChatML templates (recognised by their markers) are rendered here and everything
    // else gets the plain layout with a notice.
    if (!tmpl.empty() && tmpl.find("<|im_start|>") != std::string::npos && tokenizer.tokenId("<|im_start|>"))
        return renderChatMl(turns, addGenerationPrompt);
    notice = tmpl.empty() ? "the model has no chat template; using a plain 'Role: text' layout"
                          : "the model's chat template is not supported yet; using a plain 'Role: text' layout";
    return renderPlain(tokenizer, turns, addGenerationPrompt);
}

} // namespace moecli

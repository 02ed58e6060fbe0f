// chat_format.h — turns a conversation into prompt text with the model's chat template.
#pragma once

#include "moe/chat_template.h"
#include "moe/tokenizer.h"

#include <string>
#include <vector>

namespace moecli {

struct ChatTurn {
    std::string role; // "system", "user", "assistant"
    std::string content;
};

// The prompt for `turns`, ending with the assistant's opening when
// `addGenerationPrompt`. When the model's template cannot be rendered, falls back to a
// plain "role: text" layout and sets `notice` to say why (the caller shows it once).
std::string renderConversation(const moe::Tokenizer& tokenizer, const std::vector<ChatTurn>& turns,
                               bool addGenerationPrompt, std::string& notice);

// The one-time notice for a rendering that fell back to the plain layout ("" otherwise).
std::string fallbackNotice(const moe::RenderedChat& rendered);

} // namespace moecli

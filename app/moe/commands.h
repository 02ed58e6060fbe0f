// commands.h — the `moe` subcommands; each lives in its own cmd_<name>.cpp.
#pragma once

#include <string>
#include <vector>

namespace moecli {

struct Command {
    const char* name;
    const char* summary; // one line for `moe --help`
    const char* usage;   // full text for `moe <cmd> --help`
    int (*run)(const std::vector<std::string>& args);
};

extern const Command kInfoCommand;
extern const Command kTokenizeCommand;
extern const Command kGenerateCommand;
extern const Command kChatCommand;
extern const Command kMakeModelCommand;
extern const Command kBenchCommand;
extern const Command kPlanCommand;
extern const Command kProfileCommand;
extern const Command kQuantizeCommand;
extern const Command kEvalQuantCommand;

} // namespace moecli

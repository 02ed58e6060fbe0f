// `moe` — the command-line face of the engine: inspect, tokenize, generate, chat, make
// test models, benchmark. main() only dispatches and turns exceptions into exit codes:
// 0 ok, 1 a moe::Error (bad file, unsupported model...), 2 bad command-line usage.
#include "cli_args.h"
#include "commands.h"

#include "moe/error.h"

#include <cstdio>
#include <cstring>
#include <new>

namespace {

using moecli::Command;

const Command* const kCommands[] = {
    &moecli::kInfoCommand,      &moecli::kTokenizeCommand, &moecli::kGenerateCommand,
    &moecli::kChatCommand,      &moecli::kMakeModelCommand, &moecli::kBenchCommand,
    &moecli::kPlanCommand,     &moecli::kProfileCommand,   &moecli::kQuantizeCommand,
    &moecli::kEvalQuantCommand,
};

void printHelp(FILE* out)
{
    std::fprintf(out, "usage: moe <command> [options]\n\n"
                      "MoE Workbench command-line tool (version %s).\n\nCommands:\n",
                 MOE_VERSION);
    for (const Command* c : kCommands)
        std::fprintf(out, "  %-12s %s\n", c->name, c->summary);
    std::fprintf(out, "\nRun 'moe <command> --help' for the options of a command.\n"
                      "Exit status: 0 success, 1 error (the message names the file), 2 bad usage.\n");
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        printHelp(stderr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        printHelp(stdout);
        return 0;
    }
    if (name == "--version") {
        std::printf("moe %s\n", MOE_VERSION);
        return 0;
    }
    const Command* command = nullptr;
    for (const Command* c : kCommands)
        if (name == c->name)
            command = c;
    if (!command) {
        std::fprintf(stderr, "moe: unknown command '%s'\n\n", name.c_str());
        printHelp(stderr);
        return 2;
    }
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        return command->run(args);
    } catch (const moecli::UsageError& e) {
        std::fprintf(stderr, "moe %s: %s\n\n%s", command->name, e.what(), command->usage);
        return 2;
    } catch (const moe::Error& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "moe: error: %s\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fflush(stdout);
        std::fprintf(stderr, "moe: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "moe: error: %s\n", e.what());
        return 1;
    }
}

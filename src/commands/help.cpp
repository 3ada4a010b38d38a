// Help: `hardrun --help` (also -h, `hardrun help`) lists hardrun's own commands and options, then
// says that every other command is runc's; each own command answers --help with its usage. The
// usages live here, one per command, and the commands' option parsers quote them in errors.
#include "commands/commands.hpp"

#include <algorithm>
#include <cstdio>

namespace hardrun::commands {
namespace {

struct OwnCommand {
    const char* name;
    const char* usage;
    const char* what;
};

constexpr OwnCommand own_commands[] = {
    {"check", "hardrun check [--json] [--id ID] [--bundle DIR | FILE]",
     "what the policy would change in a config and what it would refuse; nothing is written"},
    {"report", "hardrun report [--json] [--root DIR] [ID...]",
     "running containers against the policy, from their live kernel state (CIS, Pod Security)"},
    {"doctor", "hardrun doctor [--json]", "what this host lets hardrun enforce, before a node is switched over"},
    {"setup",
     "hardrun setup docker [--daemon-json FILE] [--name NAME] [--path PATH] [--profile NAME] [--default] [--undo]\n"
     "       hardrun setup podman [--conf FILE] [--name NAME] [--path PATH] [--profile NAME] [--default] [--undo]",
     "register hardrun as a Docker runtime (daemon.json) or a podman runtime (containers.conf)"},
    {"profile", "hardrun profile check FILE | hardrun profile diff A B",
     "validate a seccomp profile, or compare two"},
    {"gc", "hardrun gc [--dry-run]", "remove hardrun's state of containers the runtime no longer knows"},
};

}  // namespace

const char* usage_of(const std::string& command)
{
    for (const OwnCommand& c : own_commands)
        if (command == c.name)
            return c.usage;
    return nullptr;
}

bool asks_for_help(const std::vector<std::string>& args)
{
    return std::any_of(args.begin(), args.end(),
                       [](const std::string& a) { return a == "--help" || a == "-help" || a == "-h" || a == "--h"; });
}

int print_help(const std::string& command)
{
    if (const char* usage = usage_of(command)) {
        std::printf("usage: %s\n", usage);
        for (const OwnCommand& c : own_commands)
            if (command == c.name)
                std::printf("\n%c%s. See man 8 hardrun.\n", c.what[0] - 'a' + 'A', c.what + 1);
        return 0;
    }
    std::printf("hardrun: an OCI runtime that hardens each container's config.json by a policy, then hands the\n"
                "call to the real runtime (runc) with the caller's arguments.\n\n"
                "usage: hardrun [--hardrun-policy FILE|NAME] [--hardrun-runtime PATH] [runc global options] COMMAND ...\n\n"
                "hardrun's own commands:\n");
    for (const OwnCommand& c : own_commands)
        std::printf("  %-8s %s\n", c.name, c.what);
    std::printf("\nhardrun's own options (before any runc option or the command):\n"
                "  --hardrun-policy FILE|NAME  the policy: a file, or a profile name (strict, compat, audit);\n"
                "                              default /etc/hardrun/policy.json, else the built-in policy\n"
                "  --hardrun-runtime PATH      the real runtime (default: the policy's \"runtime\", else runc on PATH)\n\n"
                "Every other command is runc's: create, run, exec, update and restore are hardened first, the\n"
                "rest (start, state, kill, delete, ps, features ...) go to runc unchanged. For their options,\n"
                "see runc --help and runc COMMAND --help (hardrun COMMAND --help passes it to runc).\n"
                "`hardrun COMMAND --help` shows the usage of one of hardrun's own commands.\n"
                "man 8 hardrun, man 5 hardrun-policy, man 8 hardrun-report.\n");
    return 0;
}

}  // namespace hardrun::commands

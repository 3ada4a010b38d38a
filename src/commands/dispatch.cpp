#include "commands/commands.hpp"

#include "policy/policy.hpp"
#include "runtime/runtime.hpp"

#include <algorithm>

namespace hardrun::commands {

int dispatch(const cli::Invocation& inv)
{
    const std::string& c = inv.command;
    const std::vector<std::string> after(inv.runtime_args.begin() + long(std::min(inv.command_index + 1, inv.runtime_args.size())),
                                         inv.runtime_args.end());
    // `hardrun --help`, `hardrun help [OWN-COMMAND]`, `hardrun OWN-COMMAND --help`; a runc
    // command's help (`hardrun create --help`, `hardrun help create`) is runc's.
    if (inv.help && (c.empty() || usage_of(c)))
        return print_help(c);
    if (c == "help" && (after.empty() || usage_of(after.front())))
        return print_help(after.empty() ? "" : after.front());
    if (usage_of(c) && asks_for_help(after))
        return print_help(c);
    if (inv.version)
        return version(inv);

    if (c == "check")  // hardrun's own commands; runc has none of these names
        return check(inv);
    if (c == "profile")
        return profile(inv);
    if (c == "setup")
        return setup(inv);
    if (c == "gc")
        return gc(inv);
    if (c == "report")
        return report(inv);
    if (c == "doctor")
        return doctor(inv);
    if (c == "create" || c == "run" || c == "restore" || c == "exec" || c == "update" || c == "delete") {
        cli::CommandLine cmd = cli::parse_command(inv);
        if (!cmd.last("help")) {  // `runc create --help` only prints help
            if (c == "exec")
                exec(inv, cmd);
            if (c == "update")
                update(inv, cmd);
            if (c == "delete")
                return delete_container(inv, cmd);
            return create(inv, cmd);
        }
    }

    // Everything else (state, kill, delete, start, pause, features, ...): straight to the runtime.
    // A policy file is read only for its "runtime" setting, so every command of one container
    // reaches the same runtime.
    runtime::exec(runtime::locate(inv.runtime, policy::runtime_setting(inv.policy)), inv.runtime_args);
}

}  // namespace hardrun::commands

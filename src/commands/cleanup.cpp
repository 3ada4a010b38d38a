// Undoing what hardrun mounted for a container (its idmapped rootfs and bind sources):
// `delete` runs the runtime's delete as a child, then removes hardrun's state of the container;
// `hardrun gc` removes the state of containers the runtime no longer knows (after a crash, or
// a daemon that never called delete), and records of policy files that are gone or changed. Both are idempotent: Docker calls delete twice, and
// `delete --force` after a failed create.
#include "commands/commands.hpp"

#include "cli/own_options.hpp"
#include "policy/policy.hpp"
#include "policy/runtime_record.hpp"
#include "runtime/runtime.hpp"
#include "state/state.hpp"
#include "util/error.hpp"

#include <cstdio>

namespace hardrun::commands {

int delete_container(const cli::Invocation& inv, const cli::CommandLine& cmd)
{
    std::string runtime_path = runtime::locate(inv.runtime, policy::runtime_setting(inv.policy));
    const std::string& id = cmd.positional.front();
    std::optional<state::Container> state = state::Container::open(id);
    if (!state)  // nothing of hardrun's: the common case costs one failed open()
        runtime::exec(runtime_path, inv.runtime_args);
    runtime::Exit exit = runtime::run(runtime_path, inv.runtime_args);
    if (exit.status == 0 || !runtime::knows(runtime_path, inv.root, id))
        state->remove();
    return exit.status;
}

int gc(const cli::Invocation& inv)
{
    std::vector<std::string> args(inv.runtime_args.begin() + long(inv.command_index) + 1, inv.runtime_args.end());
    cli::OwnOptions o = cli::parse_own_options(args, {}, {"dry-run"}, usage_of("gc"));
    if (!o.positional.empty())
        throw Error("gc takes no arguments");
    std::string runtime_path = runtime::locate(inv.runtime, policy::runtime_setting(inv.policy));
    int removed = 0, kept = 0;
    for (const std::string& id : state::containers()) {
        // A container being created or deleted right now holds the lock: not ours to judge.
        std::optional<state::Container> state = state::Container::open(id, false);
        if (!state)
            continue;
        if (runtime::knows(runtime_path, state->runtime_root(), id)) {
            ++kept;
            continue;
        }
        std::printf("%s %s (the runtime no longer knows it)\n", o.has("dry-run") ? "would remove" : "removed",
                    id.c_str());
        if (!o.has("dry-run"))
            state->remove();
        ++removed;
    }
    int slices = o.has("dry-run") ? 0 : state::free_orphan_slices();
    int records = policy::runtime_record::remove_stale(o.has("dry-run"));
    std::printf("gc: %d container state(s) %s, %d kept, %d orphan slice(s) freed, %d stale policy runtime record(s) %s\n",
                removed, o.has("dry-run") ? "to remove" : "removed", kept, slices, records,
                o.has("dry-run") ? "to remove" : "removed");
    return 0;
}

}  // namespace hardrun::commands

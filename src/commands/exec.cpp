// exec: a new process in a running container must not get what the container could not.
// `--process FILE` carries a whole process spec (Docker sends its default capability set,
// every capability for `docker exec --privileged`): it goes through the process controls and
// is rewritten atomically. Without it, runc builds the process from the container's (already
// hardened) config plus flags, which are vetted one by one.
#include "commands/commands.hpp"

#include "harden/controls.hpp"
#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "state/state.hpp"
#include "spec/capability_names.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <cstdlib>

namespace hardrun::commands {
namespace {

constexpr size_t max_process_bytes = 4u << 20;

// Flags cannot be rewritten (the command line is the caller's): a flag the policy does not
// allow is refused, or only recorded when the control is in audit mode.
policy::Mode flag_mode(policy::Mode control) { return control == policy::Mode::audit ? control : policy::Mode::refuse; }

// The process flags runc applies when there is no --process file: --cap adds to four
// capability sets, --no-new-privs=false turns no_new_privs off, --user sets the uid,
// --apparmor and --process-label replace the container's confinement.
void vet_process_flags(const cli::CommandLine& cmd, const policy::Policy& policy, bool root_remapped,
                       harden::Report& report)
{
    harden::Decision caps(report, "capabilities", flag_mode(policy.capabilities.mode));
    const auto& allow = policy.capabilities.allow;
    for (const auto& cap : cmd.all("cap")) {
        // runc ignores unknown names with a warning; hardrun does not guess what was meant.
        if (!spec::capability_number(cap))
            throw Error("exec --cap " + cap + ": unknown capability");
        if (std::find(allow.begin(), allow.end(), cap) == allow.end())
            caps.change("exec --cap", cap + " is not in the policy's capability allowlist");
    }
    if (auto nnp = cmd.last("no-new-privs"); nnp && *nnp == "false")
        harden::Decision(report, "noNewPrivileges", flag_mode(policy.no_new_privileges.mode))
            .change("exec --no-new-privs=false", "would turn no_new_privs off");
    if (auto u = cmd.last("user"); u && policy.user.non_root && !root_remapped) {
        std::string uid = u->substr(0, u->find(':'));
        char* end = nullptr;
        long n = std::strtol(uid.c_str(), &end, 10);
        if (uid.empty() || *end || n == 0)
            harden::Decision(report, "user", flag_mode(policy.user.mode))
                .change("exec --user", *u + " runs as root (or is not a number); the policy requires a non-root user");
    }
    harden::Decision labels(report, "kernelInterfaces", flag_mode(policy.kernel.mode));
    for (const char* flag : {"apparmor", "process-label"})
        if (auto value = cmd.last(flag); value && !value->empty())
            labels.change(std::string("exec --") + flag, *value + " would replace the container's confinement");
}

}  // namespace

void exec(const cli::Invocation& inv, const cli::CommandLine& cmd)
{
    policy::Policy policy = policy::load(inv.policy);
    std::string runtime_path = runtime::locate(inv.runtime, policy.runtime);
    std::string id = cmd.positional.empty() ? "" : cmd.positional.front();

    // uid 0 is no host root in a container hardrun gave a user namespace (its state says so).
    bool root_remapped = state::Container::exists(id);
    harden::Report report;
    vet_process_flags(cmd, policy, root_remapped, report);

    std::string process_path = cmd.last("process").value_or("");
    DirFile file;
    json::Value process;
    if (!process_path.empty()) {
        try {
            file = read_dir_file(process_path, max_process_bytes);
            process = json::parse(file.text);
            harden::harden_process(process, policy, report, root_remapped, live::read_apparmor());
        } catch (const Error& e) {
            throw Error(process_path + ": " + e.what());
        }
    }

    // exec runs often (health checks): audit only what hardrun changed or would change.
    log::AuditEvent event{"exec", id, process_path, "", nullptr};
    conclude(inv, policy, runtime_path, report, Vetted{event, &file, &process, false, std::nullopt});
}

}  // namespace hardrun::commands

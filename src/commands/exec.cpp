// exec: a new process in a running container must not get what the container could not.
// `--cap X` adds X to the process's bounding, effective, permitted and ambient sets, and
// `--process FILE` carries a whole process spec (Docker sends its default capability set,
// every capability for `docker exec --privileged`): both go through the process controls.
#include "commands/commands.hpp"

#include "harden/controls.hpp"
#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability_names.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <algorithm>

namespace hardrun::commands {
namespace {

constexpr size_t max_process_bytes = 4u << 20;

}  // namespace

void exec(const cli::Invocation& inv, const cli::CommandLine& cmd)
{
    policy::Policy policy = policy::load(inv.policy);
    std::string runtime_path = runtime::locate(inv.runtime, policy.runtime);
    std::string id = cmd.positional.empty() ? "" : cmd.positional.front();

    harden::Report report;
    harden::Decision cap_flags(report, "capabilities",
                               policy.capabilities.mode == policy::Mode::audit ? policy::Mode::audit
                                                                               : policy::Mode::refuse);
    const auto& allow = policy.capabilities.allow;
    for (const auto& cap : cmd.all("cap")) {
        // runc ignores unknown names with a warning; hardrun does not guess what was meant.
        if (!spec::capability_number(cap))
            throw Error("exec --cap " + cap + ": unknown capability");
        if (std::find(allow.begin(), allow.end(), cap) == allow.end())
            cap_flags.change("exec --cap", cap + " is not in the policy's capability allowlist");
    }

    std::string process_path = cmd.last("process").value_or("");
    DirFile file;
    json::Value process;
    if (!process_path.empty()) {
        try {
            file = read_dir_file(process_path, max_process_bytes);
            process = json::parse(file.text);
            harden::harden_process(process, policy, report);
        } catch (const Error& e) {
            throw Error(process_path + ": " + e.what());
        }
    }

    // exec runs often (health checks): audit only what hardrun changed or would change.
    log::AuditEvent event{"exec", id, process_path, "", nullptr};
    conclude(inv, policy, runtime_path, report, Vetted{event, &file, &process, false, std::nullopt});
}

}  // namespace hardrun::commands

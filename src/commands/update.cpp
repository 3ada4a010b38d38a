// update: raised limits must not become a way around the resources control. runc reads the
// new limits from `--resources FILE`, from standard input (`-r -`, as containerd and Docker
// send them), or, without -r, from flags. A file is rewritten atomically like a process file;
// standard input is read, vetted and handed to runc again through a memfd, so runc's command
// line stays as the caller wrote it. Flags cannot be rewritten: a flag that would raise a limit
// above its ceiling or remove it is refused.
#include "commands/commands.hpp"

#include "cli/units.hpp"
#include "harden/controls.hpp"
#include "json/value.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <unistd.h>

namespace hardrun::commands {
namespace {

constexpr size_t max_resources_bytes = 4u << 20;

void vet_flags(const cli::CommandLine& cmd, const policy::Policy& policy, harden::Report& report)
{
    harden::Decision decision(report, "resources",
                              policy.resources.mode == policy::Mode::audit ? policy::Mode::audit : policy::Mode::refuse);
    const policy::Resources& limits = policy.resources;
    if (auto text = cmd.last("pids-limit")) {
        std::optional<int64_t> pids = cli::parse_go_int(*text);
        if (!pids)
            throw Error("update --pids-limit " + *text + ": not a number hardrun can read");
        if (*pids < 0 || *pids > limits.pids.max)
            decision.change("update --pids-limit", *text + " would exceed the ceiling " + std::to_string(limits.pids.max));
    }
    std::optional<int64_t> memory;
    for (const char* flag : {"memory", "memory-swap"}) {
        auto text = cmd.last(flag);
        if (!text || text->empty())
            continue;
        std::optional<int64_t> bytes = *text == "-1" ? std::optional<int64_t>(-1) : cli::parse_ram_in_bytes(*text);
        if (!bytes)
            throw Error("update --" + std::string(flag) + " " + *text + ": not a size hardrun can read");
        int64_t ceiling = std::string_view(flag) == "memory-swap" && memory && *memory > 0 ? *memory : limits.memory.max;
        if (*bytes < 0 || *bytes > ceiling)
            decision.change(std::string("update --") + flag,
                            *text + " would exceed the ceiling " + std::to_string(ceiling));
        if (std::string_view(flag) == "memory")
            memory = bytes;
    }
    // What the document rules remove (taking_fields) or refuse (intelRdt), as flags.
    for (const char* flag : {"cpu-rt-runtime", "cpu-rt-period"})
        if (auto text = cmd.last(flag); text && !text->empty() && *text != "0")
            decision.change(std::string("update --") + flag, *text + ": real-time CPU time is taken from the host's budget");
    if (auto text = cmd.last("memory-reservation"); text && !text->empty() && *text != "0" && harden::host_cgroup_v2())
        decision.change("update --memory-reservation",
                        *text + ": cgroup v2 memory.low would shield the container's memory from reclaim at the host's expense");
    for (const char* flag : {"l3-cache-schema", "mem-bw-schema"})
        if (auto text = cmd.last(flag); text && !policy.resources.intel_rdt)
            decision.refuse(std::string("update --") + flag, "Intel RDT allocates the host's caches and memory bandwidth "
                                                            "for every tenant; refused unless the policy's resources.intelRdt is true");
}

// A LinuxResources document: read as runc reads it (fields), then its limits held.
void vet_document(json::Value& resources, const policy::Policy& policy, harden::Report& report)
{
    if (!resources.is_object())
        throw Error("the resources must be a JSON object");
    size_t refused_before = report.refused.size();
    harden::resources_fields(resources, policy, report);
    if (report.refused.size() == refused_before)
        harden::update_resources(resources, policy, harden::host_cgroup_v2(), report);
}

}  // namespace

void update(const cli::Invocation& inv, const cli::CommandLine& cmd)
{
    policy::Policy policy = policy::load(inv.policy);
    std::string runtime_path = runtime::locate(inv.runtime, policy.runtime);
    std::string id = cmd.positional.front();
    std::string source = cmd.last("resources").value_or("");

    harden::Report report;
    DirFile file;
    json::Value resources;
    Vetted vetted;
    vetted.event = log::AuditEvent{"update", id, source.empty() ? "(flags)" : source, "", nullptr};
    vetted.audit_unchanged = false;
    try {
        if (source.empty()) {
            vet_flags(cmd, policy, report);
        } else if (source == "-") {
            vetted.stdin_text = read_all(STDIN_FILENO, max_resources_bytes, "the resources on standard input");
            resources = json::parse(*vetted.stdin_text);
            vet_document(resources, policy, report);
            vetted.document = &resources;
        } else {
            file = read_dir_file(source, max_resources_bytes);
            resources = json::parse(file.text);
            vet_document(resources, policy, report);
            vetted.file = &file;
            vetted.document = &resources;
        }
    } catch (const Error& e) {
        throw Error("update " + (source.empty() ? std::string("flags") : source) + ": " + std::string(e.what()));
    }
    conclude(inv, policy, runtime_path, report, vetted);
}

}  // namespace hardrun::commands

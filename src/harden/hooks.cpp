// OCI hooks: programs the runtime runs on the host as root, outside every control of the
// container: prestart, createRuntime, poststart and poststop in the host's namespaces;
// createContainer and startContainer from the container's init, before it is confined (all
// capabilities, no seccomp, no no_new_privs). Whoever writes config.json (`podman
// --hooks-dir`, an NRI or CDI plugin, an engine component) would run anything there, so a hook
// runs only when:
//  - the policy names it (hooks.allow: the exact path and the kinds it may run as), and the
//    binary is root's alone, up to / (checked at every create, not when the policy was written);
//  - or it is Docker's own network hook (hooks.dockerNetwork): prestart or createRuntime
//    `/proc/<pid>/exe libnetwork-setkey ... <this container's id> ...`, where <pid> is a running
//    process of root whose executable is a root-owned binary named dockerd.
// Any other hook is refused with its kind and path (audit: recorded). Nothing is removed: a
// hook left out breaks the container in ways the caller could not trace back.
#include "harden/controls.hpp"
#include "live/executable.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace hardrun::harden {
namespace {

constexpr std::array<const char*, 6> kinds = {"prestart",       "createRuntime", "createContainer",
                                              "startContainer", "poststart",     "poststop"};

std::string why_not_root_owned(const Context& context, const std::string& path)
{
    return context.why_not_root_owned ? context.why_not_root_owned(path) : live::why_not_root_owned(path);
}

// "" when the hook is Docker's libnetwork-setkey for this container, else why it is not.
std::string why_not_docker_network(const std::string& kind, const std::string& path,
                                   const std::vector<std::string>& args, const Context& context)
{
    if (kind != "prestart" && kind != "createRuntime")
        return "not a kind Docker's network hook runs as";
    if (path.rfind("/proc/", 0) != 0 || path.size() <= 10 || path.compare(path.size() - 4, 4, "/exe") != 0)
        return "not a process's executable";
    std::string digits = path.substr(6, path.size() - 10);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
        return "not a process's executable";
    if (args.empty() || args[0] != "libnetwork-setkey")
        return "not libnetwork-setkey";
    if (context.container_id.empty() || std::find(args.begin(), args.end(), context.container_id) == args.end())
        return "libnetwork-setkey for another container than " + context.container_id;
    long pid = std::strtol(digits.c_str(), nullptr, 10);
    live::ProcessExe process = context.process_exe ? context.process_exe(pid) : live::process_exe(pid);
    if (!process.found)
        return "process " + digits + " is not running";
    if (process.uid != 0)
        return "process " + digits + " is not root's";
    std::string base = process.exe.substr(process.exe.rfind('/') + 1);
    if (base != "dockerd")
        return "process " + digits + " runs " + process.exe + ", not dockerd";
    std::string why = why_not_root_owned(context, process.exe);
    return why.empty() ? "" : "dockerd's binary: " + why;
}

}  // namespace

void hooks(json::Value& config, const policy::Policy& policy, const Context& context, Report& report)
{
    json::Value* all = spec::field(config, "hooks", json::Kind::object, "/");
    if (!all)
        return;
    Decision decision(report, "hooks", policy.hooks.mode);
    for (const auto& [key, value] : all->members()) {
        std::string folded = spec::fold_key(key);
        if (std::none_of(kinds.begin(), kinds.end(), [&](const char* k) { return spec::fold_key(k) == folded; }))
            decision.refuse("/hooks/" + key, "is not a hook kind of the OCI runtime spec hardrun knows; a runtime "
                                             "that knows it would run it on the host");
    }
    for (const char* kind : kinds) {
        const std::string list_where = std::string("/hooks/") + kind;
        json::Value* list = spec::field(*all, kind, json::Kind::array, "/hooks");
        for (size_t i = 0; list && i < list->items().size(); ++i) {
            std::string where;
            json::Value& hook = spec::object_item(*list, i, list_where, where);
            json::Value* path = spec::field(hook, "path", json::Kind::string, where);
            if (!path)
                throw Error(where + "/path is required");
            std::vector<std::string> args;
            if (json::Value* a = spec::field(hook, "args", json::Kind::array, where))
                for (const auto& arg : a->items()) {
                    if (!arg.is_string())
                        throw Error(where + "/args must hold strings");
                    args.push_back(arg.as_string());
                }
            const std::string& p = path->as_string();
            if (policy.hooks.docker_network && why_not_docker_network(kind, p, args, context).empty())
                continue;
            auto allowed = std::find_if(policy.hooks.allow.begin(), policy.hooks.allow.end(),
                                        [&](const policy::Hook& h) { return h.path == p; });
            if (allowed != policy.hooks.allow.end() &&
                std::find(allowed->kinds.begin(), allowed->kinds.end(), kind) != allowed->kinds.end()) {
                std::string why = why_not_root_owned(context, p);
                if (why.empty())
                    continue;
                decision.refuse(where + "/path", "the policy allows " + p + " as a " + kind + " hook, but " + why);
                continue;
            }
            std::string detail = "runs " + p + " on the host as root (" + kind + " hook)";
            if (allowed != policy.hooks.allow.end())
                detail += "; the policy allows it only as " + [&] {
                    std::string k;
                    for (const auto& x : allowed->kinds)
                        k += (k.empty() ? "" : ", ") + x;
                    return k;
                }();
            else
                detail += "; the policy's hooks.allow does not name it";
            decision.refuse(where + "/path", detail);
        }
    }
}

}  // namespace hardrun::harden

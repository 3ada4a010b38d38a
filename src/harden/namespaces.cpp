// Namespaces: a container gets its own pid, ipc, uts, mount, network and cgroup namespaces.
// In an OCI config the host's namespace is shared by leaving the type out of linux.namespaces
// (`docker run --pid host`, `--ipc host`) or by naming a path to it (Docker's `--network host`
// names dockerd's own netns file). Sharing the host's is refused: a rewrite would silently give
// the caller something else than asked. Joining another container's namespace by path (a
// Kubernetes pod's sandbox) is allowed. A missing cgroup namespace (Docker on cgroup v1 hosts)
// is added instead: nothing the caller sees depends on it.
// "The host's" is compared by inode with hardrun's own namespaces (/proc/self/ns): hardrun runs
// in its caller's, and /proc/1/ns may be unreadable.
// A CRI pod member (annotation io.kubernetes.cri.container-type "container") may join by path
// only namespaces of its own sandbox's pause process (io.kubernetes.cri.sandbox-id, found with
// `runc state`), compared by inode: not another pod's, not some process's of the host. The
// annotations only add this check; everything above applies to pod members in full.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <sys/stat.h>

#include <array>

namespace hardrun::harden {
namespace {

struct Kind {
    const char* oci;   // linux.namespaces[].type
    const char* proc;  // /proc/self/ns/<proc>
    const char* flag;  // how callers spell sharing it, for the message
};

constexpr std::array<Kind, 6> kinds = {{
    {"pid", "pid", "--pid host"},
    {"ipc", "ipc", "--ipc host"},
    {"uts", "uts", "--uts host"},
    {"mount", "mnt", "a shared mount namespace"},
    {"network", "net", "--network host"},
    {"cgroup", "cgroup", "--cgroupns host"},
}};

bool same_inode(const std::string& a, const std::string& b)
{
    struct stat sa {}, sb {};
    return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

void namespaces(json::Value& config, const policy::Policy& policy, const Context& context, Report& report)
{
    Decision decision(report, "namespaces", policy.namespaces.mode);
    json::Value* linux = spec::field(config, "linux", json::Kind::object, "/");
    json::Value* list = linux ? spec::field(*linux, "namespaces", json::Kind::array, "/linux") : nullptr;

    // A pod member's sandbox: its pause process, whose namespaces are the only ones it may join.
    const long pause = context.pod.is_member() && context.pod.pause_pid ? *context.pod.pause_pid : 0;

    for (const Kind& kind : kinds) {
        bool host_ok = std::string_view(kind.oci) == "network" && policy.namespaces.host_network;
        json::Value* entry = nullptr;
        std::string entry_path;
        for (size_t i = 0; list && i < list->items().size(); ++i) {
            std::string where;
            json::Value& ns = spec::object_item(*list, i, "/linux/namespaces", where);
            json::Value* type = spec::field(ns, "type", json::Kind::string, where);
            if (type && type->as_string() == kind.oci) {
                if (entry)
                    throw Error(where + ": a second \"" + std::string(kind.oci) + "\" namespace entry");
                entry = &ns;
                entry_path = where;
            }
        }
        if (!entry) {
            if (std::string_view(kind.oci) == "cgroup") {
                if (decision.change("/linux/namespaces", "no cgroup namespace, a private one added"))
                    spec::add_namespace(config, "cgroup");
            } else if (!host_ok) {
                decision.refuse("/linux/namespaces",
                                std::string("the host's ") + kind.oci + " namespace is shared (" + kind.flag + ")");
            }
            continue;
        }
        json::Value* path = spec::field(*entry, "path", json::Kind::string, entry_path);
        if (!path || path->as_string().empty())
            continue;
        if (!host_ok && same_inode(path->as_string(), std::string("/proc/self/ns/") + kind.proc))
            decision.refuse(entry_path + "/path", std::string("joins the host's ") + kind.oci + " namespace (" +
                                                      path->as_string() + ")");
        else if (pause > 0 && !same_inode(path->as_string(), "/proc/" + std::to_string(pause) + "/ns/" + kind.proc))
            decision.refuse(entry_path + "/path", std::string("joins a ") + kind.oci + " namespace (" +
                                                      path->as_string() + ") that is not its pod sandbox " +
                                                      context.pod.sandbox_id + "'s");
    }
}

}  // namespace hardrun::harden

// Namespaces: a container gets its own pid, ipc, uts, mount, network and cgroup namespaces.
// In an OCI config the host's namespace is shared by leaving the type out of linux.namespaces
// (`docker run --pid host`, `--ipc host`) or by naming a path to it (Docker's `--network host`
// names dockerd's own netns file). Sharing the host's is refused: a rewrite would silently give
// the caller something else than asked. So is joining another container's or process's namespace
// by path, but for a proven pod member joining its own sandbox's, and a fresh network namespace
// an engine made for this container (see why_not_joinable). A missing cgroup namespace (Docker on cgroup v1 hosts)
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

#include <dirent.h>
#include <sys/stat.h>

#include <array>
#include <cstdlib>
#include <optional>

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

// Whether some process is in the namespace `path` names (compared by inode with every
// /proc/PID/ns/<proc>): a namespace someone is in belongs to them.
std::optional<long> occupant(const std::string& path, const char* proc)
{
    struct stat target {};
    if (stat(path.c_str(), &target) != 0)
        return std::nullopt;
    DIR* d = opendir("/proc");
    if (!d)
        return std::nullopt;
    std::optional<long> found;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        struct stat st {};
        std::string ns = std::string("/proc/") + e->d_name + "/ns/" + proc;
        if (stat(ns.c_str(), &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino) {
            found = std::strtol(e->d_name, nullptr, 10);
            break;
        }
    }
    closedir(d);
    return found;
}

// "" when a config that is no pod member may join the namespace at `path`, else why not. Only a
// network namespace an engine made for this container qualifies: a namespace file (Docker's
// /var/run/docker/netns/..., CNI's /var/run/netns/cni-..., podman's) that no process is in yet.
// Another container's (`docker run --network container:X`, a path into /proc) is that
// container's: joining it would reach what it serves on loopback and, with a user namespace of
// the config's own, its processes' files through /proc.
std::string why_not_joinable(const Kind& kind, const std::string& path)
{
    const std::string what = std::string("joins the ") + kind.oci + " namespace at " + path;
    if (std::string_view(kind.oci) != "network")
        return what + "; a container owns its " + kind.oci +
               " namespace (only a Kubernetes pod member may join its own sandbox's)";
    if (path.rfind("/proc/", 0) == 0)
        return what + ", another process's (--network container:X); a container owns its network namespace";
    if (std::optional<long> pid = occupant(path, kind.proc))
        return what + ", which process " + std::to_string(*pid) + " is in; only a fresh one an engine made may be "
                                                                  "joined";
    return "";
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
        const std::string& p = path->as_string();
        if (!host_ok && same_inode(p, std::string("/proc/self/ns/") + kind.proc))
            decision.refuse(entry_path + "/path", std::string("joins the host's ") + kind.oci + " namespace (" + p + ")");
        else if (pause > 0 && !same_inode(p, "/proc/" + std::to_string(pause) + "/ns/" + kind.proc))
            decision.refuse(entry_path + "/path", std::string("joins a ") + kind.oci + " namespace (" + p +
                                                      ") that is not its pod sandbox " + context.pod.sandbox_id + "'s");
        else if (pause == 0 && !(host_ok && same_inode(p, "/proc/self/ns/net")))
            if (std::string why = why_not_joinable(kind, p); !why.empty())
                decision.refuse(entry_path + "/path", why);
    }
    // The namespaces above are the ones a container may own; a user or time namespace by path is
    // only a pod member's own sandbox's (Kubernetes' hostUsers: false), or a user namespace no
    // process is in yet: the one containerd 2.x pins for a pod before its sandbox starts (the
    // userNamespace control reads its mappings and refuses one that reaches host root).
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        std::string where;
        json::Value& ns = spec::object_item(*list, i, "/linux/namespaces", where);
        json::Value* type = spec::field(ns, "type", json::Kind::string, where);
        json::Value* path = spec::field(ns, "path", json::Kind::string, where);
        if (!type || !path || path->as_string().empty() || (type->as_string() != "user" && type->as_string() != "time"))
            continue;
        const std::string proc = type->as_string() == "user" ? "user" : "time";
        if (pause > 0 && same_inode(path->as_string(), "/proc/" + std::to_string(pause) + "/ns/" + proc))
            continue;
        if (proc == "user" && pause == 0 && !same_inode(path->as_string(), "/proc/self/ns/user") &&
            !occupant(path->as_string(), "user"))
            continue;
        decision.refuse(where + "/path", "joins the " + type->as_string() + " namespace of another process (" +
                                             path->as_string() + "); only a Kubernetes pod member may join its own "
                                                                 "sandbox's");
    }
}

}  // namespace hardrun::harden

// Mounts: what a container may see of the host through bind mounts.
//  - A bind source (resolved through symlinks on the host in one openat2 walk, relative ones from
//    the bundle; one through a /proc magic link is refused) is refused when it is a denied path,
//    lies under one, or contains one (binding /var exposes /var/lib/docker); "/" itself is denied
//    only as itself. A source whose file name is a runtime's socket (docker.sock ...) is refused
//    wherever it lives.
//  - The engines bind their own per-container files from their data roots; exactly those
//    shapes are allowed, never a whole data root or another container's files:
//      docker      <root>/containers/<this id>/{hosts,hostname,resolv.conf}, .../mounts/...,
//                  <root>/volumes/<name>/_data[/...]
//      podman      <root>/overlay-containers/<this id>/userdata/..., <root>/volumes/<name>/_data[/...]
//      containerd  <root>/io.containerd.grpc.v1.cri/sandboxes/<this pod's sandbox>/{hostname,hosts,
//                  resolv.conf,shm}, <root>/io.containerd.grpc.v1.cri/containers/<this id>/volumes/...
//      kubelet     <root>/pods/<uid>/{etc-hosts, containers/<name>/<file>, volumes/<plugin>/<name>[/...],
//                  volume-subpaths/...}
//  - Every bind mount gets nosuid and nodev; sources under the policy's read-only paths, and the
//    denied-but-allowed read-only files (/etc/localtime), get ro.
//  - The root filesystem (root.path, resolved the same way) must not be or contain a denied path:
//    "/" or a symlink to it would be the host's root.
// A denied bind is refused, not dropped: removing a mount the caller asked for would start a
// container that is not what they asked for.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "spec/paths.hpp"
#include "util/error.hpp"
#include "util/resolve.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

namespace hardrun::harden {
namespace {

bool under(const std::string& path, const std::string& dir)
{
    if (dir == "/")
        return true;
    return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

std::vector<std::string> components_below(const std::string& path, const std::string& root)
{
    std::vector<std::string> out;
    if (!under(path, root) || path == root)
        return out;
    std::string rest = root == "/" ? path.substr(1) : path.substr(root.size() + 1);
    size_t start = 0;
    while (start <= rest.size()) {
        size_t end = rest.find('/', start);
        if (end == std::string::npos)
            end = rest.size();
        out.push_back(rest.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool one_of(const std::string& s, std::initializer_list<const char*> names)
{
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

// Whether `source` is one of an engine's own per-container files (see the header comment).
bool engine_file(const std::string& source, const policy::Mounts& m, const std::string& id, const std::string& sandbox)
{
    for (const auto& root : m.docker) {
        auto c = components_below(source, root);
        if (c.size() == 3 && c[0] == "containers" && c[1] == id && one_of(c[2], {"hosts", "hostname", "resolv.conf"}))
            return true;
        if (c.size() >= 4 && c[0] == "containers" && c[1] == id && c[2] == "mounts")
            return true;
        if (c.size() >= 3 && c[0] == "volumes" && c[2] == "_data")
            return true;
    }
    for (const auto& root : m.podman) {
        auto c = components_below(source, root);
        if (c.size() >= 4 && c[0] == "overlay-containers" && c[1] == id && c[2] == "userdata")
            return true;
        if (c.size() >= 3 && c[0] == "volumes" && c[2] == "_data")
            return true;
    }
    for (const auto& root : m.containerd) {
        auto c = components_below(source, root);
        if (c.size() == 4 && c[0] == "io.containerd.grpc.v1.cri" && c[1] == "sandboxes" && !sandbox.empty() &&
            c[2] == sandbox && one_of(c[3], {"hostname", "hosts", "resolv.conf", "shm"}))
            return true;
        if (c.size() >= 5 && c[0] == "io.containerd.grpc.v1.cri" && c[1] == "containers" && c[2] == id &&
            c[3] == "volumes")
            return true;
    }
    for (const auto& root : m.kubelet) {
        auto c = components_below(source, root);
        if (c.size() >= 3 && c[0] == "pods" &&
            ((c.size() == 3 && c[2] == "etc-hosts") || (c.size() == 5 && c[2] == "containers") ||
             (c.size() >= 5 && (c[2] == "volumes" || c[2] == "volume-subpaths"))))
            return true;
    }
    return false;
}

// The deny entry that `source` hits, or "".
std::string denied_by(const std::string& source, const policy::Mounts& m)
{
    for (const auto& d : m.deny) {
        if (d == "/" ? source == "/" : (under(source, d) || under(d, source)))
            return d;
    }
    std::string name = source.substr(source.rfind('/') + 1);
    for (const auto& n : m.deny_names)
        if (name == n)
            return n;
    for (const auto* roots : {&m.docker, &m.containerd, &m.podman, &m.kubelet})
        for (const auto& root : *roots)
            if (under(source, root) || under(root, source))
                return root;
    return "";
}

// The source as the kernel finds it: resolved in one openat2 walk, symlinks followed as runc's
// mount will follow them, /proc magic links (/proc/PID/root, /proc/PID/fd/N) not: those name
// another process's view and are refused ("" here). A missing source stays as written: runc
// fails on it.
std::string resolve(const std::string& source, const std::string& bundle)
{
    std::string path = source[0] == '/' ? source : (bundle.empty() ? "." : bundle) + "/" + source;
    Resolved r = resolve_path(AT_FDCWD, path, RESOLVE_NO_MAGICLINKS);
    if (r.fd)
        return r.path;
    if (r.error == ELOOP)
        return "";
    return spec::clean_path(path);
}

}  // namespace

void mounts(json::Value& config, const policy::Policy& policy, const Context& context, Report& report)
{
    const policy::Mounts& m = policy.mounts;
    Decision decision(report, "mounts", m.mode);
    // The root filesystem is a view of the host too: it must not be, or contain, a denied path
    // (root.path "/" or a symlink to it would hand the container the host's root).
    if (json::Value* root = spec::field(config, "root", json::Kind::object, "/")) {
        json::Value* path = spec::field(*root, "path", json::Kind::string, "/root");
        if (path && !path->as_string().empty()) {
            std::string resolved = resolve(path->as_string(), context.bundle);
            report.checked_rootfs = resolved;
            std::string shown = path->as_string() + (resolved != path->as_string() ? " (" + resolved + ")" : "");
            auto inside = std::find_if(m.deny.begin(), m.deny.end(), [&](const std::string& d) { return under(d, resolved); });
            // The kernel's and the system's own trees, and hardrun's state (a config pointing
            // there without the annotation that says what hardrun replaced) are no image either.
            const char* system = nullptr;
            for (const char* dir : {"/proc", "/sys", "/dev", "/boot", "/etc", "/root", "/run/hardrun"})
                if (!resolved.empty() && under(resolved, dir))
                    system = dir;
            if (resolved.empty())
                decision.refuse("/root/path", path->as_string() + " goes through a /proc magic link or a symlink loop");
            else if (inside != m.deny.end())
                decision.refuse("/root/path", "the root filesystem " + shown + " is or contains a denied path (" +
                                                  *inside + ")");
            else if (system)
                decision.refuse("/root/path", "the root filesystem " + shown + " lies in the host's " + system);
        }
    }

    json::Value* list = spec::field(config, "mounts", json::Kind::array, "/");
    if (!list)
        return;

    // A CRI pod's sandbox id: the sandbox itself, or the one its members belong to.
    const std::string sandbox = context.pod.in_pod() ? context.pod.sandbox_id : "";

    for (size_t i = 0; i < list->items().size(); ++i) {
        std::string where;
        json::Value& mount = spec::object_item(*list, i, "/mounts", where);
        if (!spec::is_bind_mount(mount, where))
            continue;
        json::Value* source = spec::field(mount, "source", json::Kind::string, where);
        if (!source || source->as_string().empty())
            throw Error(where + " is a bind mount without a source");
        std::string resolved = resolve(source->as_string(), context.bundle);
        report.checked_sources[i] = resolved;
        if (resolved.empty()) {
            decision.refuse(where + "/source", "bind of " + source->as_string() +
                                                   " goes through a /proc magic link or a symlink loop");
            continue;
        }
        std::string shown = source->as_string() + (resolved != source->as_string() ? " (" + resolved + ")" : "");

        // Read-only paths match the source as written or as resolved (/etc/localtime is a
        // symlink into /usr/share/zoneinfo); denials only ever look at the resolved one.
        std::string written = spec::clean_path(source->as_string());
        auto matches = [&](const std::vector<std::string>& dirs) {
            return std::any_of(dirs.begin(), dirs.end(),
                               [&](const std::string& d) { return under(resolved, d) || under(written, d); });
        };
        bool read_only = matches(m.read_only);
        if (!engine_file(resolved, m, context.container_id, sandbox)) {
            bool allowed_ro = matches(m.allow_read_only);
            std::string denial = allowed_ro ? "" : denied_by(resolved, m);
            if (!denial.empty()) {
                decision.refuse(where + "/source", "bind of " + shown + " is denied (" + denial + ")");
                continue;
            }
            read_only = read_only || allowed_ro;
        }

        json::Value* options = spec::field(mount, "options", json::Kind::array, where);
        std::vector<std::string> required = {"nosuid", "nodev"};
        if (read_only)
            required.push_back("ro");
        for (const auto& option : required) {
            bool present = options && std::any_of(options->items().begin(), options->items().end(),
                                                  [&](const json::Value& o) { return o.is_string() && o.as_string() == option; });
            if (present || !decision.change(where + "/options", "bind of " + shown + " without " + option + ", added"))
                continue;
            if (!options)
                options = &mount.set("options", json::Value::array());
            if (option == "ro")  // "rw" and "ro" together: the last wins in runc; drop rw
                options->items().erase(std::remove_if(options->items().begin(), options->items().end(),
                                                      [](const json::Value& o) { return o.is_string() && o.as_string() == "rw"; }),
                                       options->items().end());
            options->items().push_back(json::Value::string(option));
        }
    }
}

}  // namespace hardrun::harden

// Mounts: what a container may see of the host through its mounts, and through its root
// filesystem. Every entry of "mounts" is judged, whatever its type.
//  - Paths are judged where runc will find them: a relative bind source is joined to the
//    bundle lexically, as runc's filepath.Join(cwd, source) does ("lnk/../../etc" is
//    bundle/../etc whatever lnk is), then resolved through symlinks in one openat2 walk; one
//    through a /proc magic link is refused. A relative source is rewritten to the absolute path
//    that was judged.
//  - A path is refused when it is a denied path, lies under one, or contains one (binding /var
//    exposes /var/lib/docker); "/" itself is denied only as itself. The deny list holds the
//    system's trees (/usr, /var, /etc ...) and, always, hardrun's own files: the audit log's
//    directory, /run/hardrun, hardrun's and the runtime's directories. A source whose file name
//    is a runtime's socket (docker.sock ...) is refused wherever it lives. The policy's
//    allowReadOnly paths are allowed, read-only. A single regular file of a software tree
//    (/usr, /bin, /sbin, /lib*, /opt), owned by root and readable by all, is allowed read-only:
//    Docker's --init binds /usr/bin/docker-init, CDI binds driver libraries and tools; it shows
//    nothing a host user cannot read, and the container cannot change it.
//  - The engines bind their own per-container files from their data roots; exactly those
//    shapes are allowed, never a whole data root or another container's files:
//      docker      <root>/containers/<this id>/{hosts,hostname,resolv.conf}, .../mounts/...,
//                  <root>/volumes/<name>/_data[/...]
//      podman      <root>/overlay-containers/<this id>/userdata/..., <root>/volumes/<name>/_data[/...]
//      containerd  <root>/io.containerd.grpc.v1.cri/sandboxes/<this pod's sandbox>/{hostname,hosts,
//                  resolv.conf,shm}, <root>/io.containerd.grpc.v1.cri/containers/<this id>/volumes/...
//      kubelet     <root>/pods/<this pod's uid>/{etc-hosts, containers/<name>/<file>,
//                  volumes/<plugin>/<name>[/...], volume-subpaths/...}: only for a CRI pod
//                  (Context::pod) whose uid it is
//  - Other mount types: the kernel's container filesystems only where a container has them
//    (proc at /proc, once: a second procfs is not covered by the masked and read-only /proc
//    paths; sysfs at /sys; cgroup and cgroup2 at /sys/fs/cgroup; devpts at /dev/pts; mqueue at
//    /dev/mqueue), tmpfs anywhere, overlay with its layer directories judged like bind sources.
//    Any other type (a disk's ext4, nfs, fuse, debugfs, bpf ...) and any mount whose source is a
//    block device only when the policy lists the type in "types".
//  - Options: every mount gets nosuid, and nodev (but devpts and a tmpfs at /dev, which hold
//    device nodes); binds under readOnly paths and allowed read-only ones get ro. Options that
//    would undo those flags are removed, recursive ones too (rsuid, rdev, rrw: runc applies them
//    after the flags, wherever they stand). Refused: shared propagation (rshared, shared; and
//    linux.rootfsPropagation), which would carry mounts between the container and the host;
//    idmapped mounts ("idmap", "ridmap", X-mount.idmap, a mount's uidMappings/gidMappings),
//    which map who owns the host's files, but for a bind mount idmapped with exactly the
//    mappings of the container's own user namespace (what kubelet asks for the volumes of a pod
//    with hostUsers: false): through it the pod's root owns what host root owns under the
//    source, no more than a container without a user namespace gets from the same bind, and
//    the source is judged as any other; "remount" and "move", which act on another mount.
//  - The root filesystem (root.path, resolved the same way) must not be or contain a denied
//    path, nor lie under one, except under an engine's data root (where engines keep rootfs).
// A denied mount is refused, not dropped: removing a mount the caller asked for would start a
// container that is not what they asked for.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "spec/mount_options.hpp"
#include "spec/paths.hpp"
#include "util/error.hpp"
#include "util/resolve.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>

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

std::string parent_of(const std::string& path)
{
    size_t slash = path.rfind('/');
    return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

// Whether `source` is one of an engine's own per-container files (see the header comment).
bool engine_file(const std::string& source, const policy::Mounts& m, const Context& context)
{
    const std::string& id = context.container_id;
    const std::string sandbox = context.pod.in_pod() ? context.pod.sandbox_id : "";
    const std::string pod_uid = context.pod.in_pod() ? context.pod.pod_uid : "";
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
        if (c.size() >= 3 && c[0] == "pods" && !pod_uid.empty() && c[1] == pod_uid &&
            ((c.size() == 3 && c[2] == "etc-hosts") || (c.size() == 5 && c[2] == "containers") ||
             (c.size() >= 5 && (c[2] == "volumes" || c[2] == "volume-subpaths"))))
            return true;
    }
    return false;
}

bool under_engine_root(const std::string& path, const policy::Mounts& m)
{
    for (const auto* roots : {&m.docker, &m.containerd, &m.podman, &m.kubelet})
        for (const auto& root : *roots)
            if (under(path, root))
                return true;
    return false;
}

// The policy's deny list plus hardrun's own files, which no policy allows: its audit log, its
// state, its binary's and the runtime's directories (a writable bind there would let the
// container replace what the host runs as root for every container).
std::vector<std::string> deny_list(const policy::Policy& policy, const Context& context)
{
    std::vector<std::string> deny = policy.mounts.deny;
    deny.push_back("/etc/hardrun");
    deny.push_back("/run/hardrun");
    if (!policy.audit_log.empty() && policy.audit_log[0] == '/')
        deny.push_back(parent_of(spec::clean_path(policy.audit_log)));
    char self[PATH_MAX + 1];
    ssize_t n = readlink("/proc/self/exe", self, PATH_MAX);
    if (n > 0 && self[0] == '/')
        deny.push_back(parent_of(std::string(self, size_t(n))));
    if (!context.runtime.empty()) {
        Resolved runtime = resolve_path(AT_FDCWD, context.runtime);
        deny.push_back(parent_of(runtime.fd ? runtime.path : spec::clean_path(context.runtime)));
    }
    return deny;
}

// The deny entry that `source` hits (the most specific one, which names the reason best), or "".
std::string denied_by(const std::string& source, const std::vector<std::string>& deny, const policy::Mounts& m)
{
    std::string hit;
    for (const auto& d : deny)
        if ((d == "/" ? source == "/" : (under(source, d) || under(d, source))) && d.size() > hit.size())
            hit = d;
    if (!hit.empty())
        return hit;
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

// Trees of installed software, from which a single root-owned, world-readable file may be bound
// read-only (see the header comment).
bool software_file(const std::string& path, const Resolved& found)
{
    static const char* const trees[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt"};
    if (!std::any_of(std::begin(trees), std::end(trees), [&](const char* t) { return under(path, t); }))
        return false;
    struct stat st {};
    return found.fd && fstat(found.fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
           (st.st_mode & S_IROTH) && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

// runc's working directory during a create: the bundle, as the kernel names it (runc chdirs
// there and reads it back with getcwd(2)).
std::string runc_cwd(const std::string& bundle)
{
    Resolved r = resolve_path(AT_FDCWD, bundle.empty() ? "." : bundle, RESOLVE_NO_MAGICLINKS, O_DIRECTORY);
    if (r.fd)
        return r.path;
    if (!bundle.empty() && bundle[0] == '/')
        return spec::clean_path(bundle);
    char cwd[PATH_MAX];
    return spec::clean_path(std::string(getcwd(cwd, sizeof cwd) ? cwd : "/") + "/" + bundle);
}

// A path as runc and the kernel will find it: a relative one joined to runc's working
// directory and cleaned lexically (Go's filepath.Join), then resolved in one openat2 walk,
// symlinks followed, /proc magic links (/proc/PID/root, /proc/PID/fd/N) not: those name another
// process's view and are refused (path ""). A missing path stays as joined: runc fails on it.
struct Judged {
    std::string path;  // "" when it goes through a magic link or a symlink loop
    Resolved found;
};

Judged resolve(const std::string& path, const Context& context)
{
    std::string joined = path[0] == '/' ? path : spec::clean_path(runc_cwd(context.bundle) + "/" + path);
    Judged j;
    j.found = resolve_path(AT_FDCWD, joined, RESOLVE_NO_MAGICLINKS);
    if (j.found.fd)
        j.path = j.found.path;
    else if (j.found.error != ELOOP)
        j.path = spec::clean_path(joined);
    return j;
}

// Where a container filesystem belongs; nullptr for tmpfs (anywhere), overlay and bind.
const char* home_of(const std::string& type)
{
    static const std::map<std::string, const char*> homes = {
        {"proc", "/proc"},        {"sysfs", "/sys"},         {"cgroup", "/sys/fs/cgroup"},
        {"cgroup2", "/sys/fs/cgroup"}, {"devpts", "/dev/pts"}, {"mqueue", "/dev/mqueue"}};
    auto it = homes.find(type);
    return it == homes.end() ? nullptr : it->second;
}

// The directories an overlay's options name (lowerdir=a:b, upperdir=, workdir=, lowerdir+=,
// datadir+=), with whether the container could write there.
std::vector<std::pair<std::string, bool>> overlay_dirs(const json::Value* options)
{
    std::vector<std::pair<std::string, bool>> out;
    for (size_t i = 0; options && i < options->items().size(); ++i) {
        const json::Value& o = options->items()[i];
        if (!o.is_string())
            continue;
        const std::string& s = o.as_string();
        size_t eq = s.find('=');
        if (eq == std::string::npos)
            continue;
        std::string key = s.substr(0, eq), value = s.substr(eq + 1);
        if (key == "upperdir" || key == "workdir") {
            out.emplace_back(value, true);
        } else if (key == "lowerdir" || key == "lowerdir+" || key == "datadir+") {
            // Layers are separated by ':'; "\:" is a colon inside a name.
            std::string dir;
            for (size_t k = 0; k <= value.size(); ++k) {
                if (k == value.size() || value[k] == ':') {
                    out.emplace_back(dir, false);
                    dir.clear();
                } else if (value[k] == '\\' && k + 1 < value.size()) {
                    dir += value[++k];
                } else {
                    dir += value[k];
                }
            }
        }
    }
    return out;
}

// Whether a mount's uidMappings (or gidMappings) are, as a set, the user namespace's `ranges`.
bool same_mappings(json::Value& list, const std::string& where, std::vector<live::IdRange> ranges)
{
    std::vector<live::IdRange> asked = id_mappings(list, where);
    auto order = [](const live::IdRange& a, const live::IdRange& b) {
        return std::tie(a.inside, a.outside, a.count) < std::tie(b.inside, b.outside, b.count);
    };
    std::sort(asked.begin(), asked.end(), order);
    std::sort(ranges.begin(), ranges.end(), order);
    return std::equal(asked.begin(), asked.end(), ranges.begin(), ranges.end(), [](const live::IdRange& a, const live::IdRange& b) {
        return a.inside == b.inside && a.outside == b.outside && a.count == b.count;
    });
}

class MountJudge {
public:
    MountJudge(const policy::Policy& policy, const Context& context, Report& report)
        : m_(policy.mounts), context_(context), report_(report), decision_(report, "mounts", m_.mode),
          deny_(deny_list(policy, context))
    {
    }

    void rootfs(json::Value& config);
    void root_propagation(json::Value& config);
    void mount(json::Value& mount, size_t index, const std::string& where);

private:
    // Judge a host path a mount exposes (a bind source, an overlay layer); returns whether it
    // passed and, in `read_only`, whether it must be mounted read-only.
    bool host_path(const Judged& j, const std::string& written, const std::string& where, const std::string& what,
                   bool writable_use, bool& read_only);
    bool type_allowed(const std::string& type) const
    {
        return std::find(m_.types.begin(), m_.types.end(), type) != m_.types.end();
    }

    const policy::Mounts& m_;
    const Context& context_;
    Report& report_;
    Decision decision_;
    std::vector<std::string> deny_;
    bool proc_seen_ = false;
};

void MountJudge::rootfs(json::Value& config)
{
    json::Value* root = spec::field(config, "root", json::Kind::object, "/");
    json::Value* path = root ? spec::field(*root, "path", json::Kind::string, "/root") : nullptr;
    if (!path || path->as_string().empty())
        return;
    Judged j = resolve(path->as_string(), context_);
    const std::string& resolved = j.path;
    report_.checked_rootfs = resolved;
    std::string shown = path->as_string() + (resolved != path->as_string() ? " (" + resolved + ")" : "");
    if (resolved.empty()) {
        decision_.refuse("/root/path", path->as_string() + " goes through a /proc magic link or a symlink loop");
        return;
    }
    // runc creates mount points and files in the root filesystem as host root: a host system
    // tree is no image, wherever it is named from.
    auto inside = std::find_if(deny_.begin(), deny_.end(), [&](const std::string& d) { return under(d, resolved); });
    if (inside != deny_.end()) {
        decision_.refuse("/root/path", "the root filesystem " + shown + " is or contains a denied path (" + *inside + ")");
        return;
    }
    if (under_engine_root(resolved, m_))
        return;
    // Below a denied tree: refused for the system trees and hardrun's own files; the host's data
    // areas (/run, /var) hold bundles of callers other than the engines (a tmpfs bundle, a
    // build tool's), and runc writing mount points there touches nothing of the host's.
    auto in = std::find_if(deny_.begin(), deny_.end(), [&](const std::string& d) {
        return d != "/" && d != "/run" && d != "/var/run" && d != "/var/lib" && under(resolved, d);
    });
    if (in != deny_.end())
        decision_.refuse("/root/path", "the root filesystem " + shown + " lies in the host's " + *in +
                                           " (a host system tree, or hardrun's own files)");
}

void MountJudge::root_propagation(json::Value& config)
{
    json::Value* linux = spec::field(config, "linux", json::Kind::object, "/");
    json::Value* propagation = linux ? spec::field(*linux, "rootfsPropagation", json::Kind::string, "/linux") : nullptr;
    if (propagation && (spec::option_effect(propagation->as_string()).set & MS_SHARED))
        decision_.refuse("/linux/rootfsPropagation",
                         "\"" + propagation->as_string() + "\" would share the container's mounts with the host's");
}

bool MountJudge::host_path(const Judged& j, const std::string& written, const std::string& where,
                           const std::string& what, bool writable_use, bool& read_only)
{
    const std::string& resolved = j.path;
    if (resolved.empty()) {
        decision_.refuse(where, what + " " + written + " goes through a /proc magic link or a symlink loop");
        return false;
    }
    std::string shown = written + (resolved != written ? " (" + resolved + ")" : "");
    // Read-only paths match the path as written or as resolved (/etc/localtime is a symlink
    // into /usr/share/zoneinfo); denials only ever look at the resolved one.
    std::string clean = spec::clean_path(written);
    auto matches = [&](const std::vector<std::string>& dirs) {
        return std::any_of(dirs.begin(), dirs.end(), [&](const std::string& d) { return under(resolved, d) || under(clean, d); });
    };
    read_only = matches(m_.read_only);
    if (engine_file(resolved, m_, context_))
        return true;
    std::string denial = denied_by(resolved, deny_, m_);
    if (denial.empty())
        return true;
    if (!writable_use && (matches(m_.allow_read_only) || software_file(resolved, j.found))) {
        read_only = true;
        return true;
    }
    decision_.refuse(where, what + " " + shown + " is denied (" + denial + ")");
    return false;
}

void MountJudge::mount(json::Value& mount, size_t index, const std::string& where)
{
    json::Value* type_value = spec::field(mount, "type", json::Kind::string, where);
    json::Value* destination_value = spec::field(mount, "destination", json::Kind::string, where);
    json::Value* source = spec::field(mount, "source", json::Kind::string, where);
    json::Value* options = spec::field(mount, "options", json::Kind::array, where);
    const std::string type = type_value ? type_value->as_string() : "";
    std::string destination = destination_value ? destination_value->as_string() : "";
    if (!destination.empty() && destination[0] != '/')
        destination = "/" + destination;  // runc takes a relative destination from the rootfs
    destination = spec::clean_path(destination);
    const bool bind = spec::is_bind_mount(mount, where);
    const std::string what = bind ? "bind of" : type + " mount of";

    for (size_t k = 0; options && k < options->items().size(); ++k) {
        const json::Value& o = options->items()[k];
        std::string at = where + "/options/" + std::to_string(k);
        if (!o.is_string())
            throw Error(at + " must be a string");
        const std::string& s = o.as_string();
        std::string name = s.substr(0, s.find('='));
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        spec::OptionEffect e = spec::option_effect(s);
        if (s.find(',') != std::string::npos)
            decision_.refuse(at, "\"" + s + "\" holds a comma: the filesystem would read it as several options");
        else if (lower == "idmap" || lower == "ridmap" || lower.rfind("x-mount.idmap", 0) == 0) {
            // runc maps "idmap"/"ridmap" with the mount's mappings (judged below), or the
            // container's user namespace's without.
            bool runc_idmap = lower == "idmap" || lower == "ridmap";
            if (!(runc_idmap && bind && report_.own_user_namespace))
                decision_.refuse(at, "\"" + s + "\" asks for an idmapped mount, which decides who owns the host's "
                                     "files (only a bind with the container's own user namespace's mappings may)");
        }
        else if (e.set & MS_SHARED)
            decision_.refuse(at, "\"" + s + "\" would share mounts between the container and the host");
        else if ((e.set | e.cleared) & (MS_REMOUNT | MS_MOVE))
            decision_.refuse(at, "\"" + s + "\" acts on another mount than the one asked for");
    }
    for (const char* key : {"uidMappings", "gidMappings"}) {
        json::Value* maps = spec::field(mount, key, json::Kind::array, where);
        if (!maps || maps->items().empty())
            continue;
        const std::string at = spec::child_path(where, key);
        const live::UserNamespaceMaps* own = report_.own_user_namespace ? &*report_.own_user_namespace : nullptr;
        if (!own)
            decision_.refuse(at, "an idmapped mount, which decides who owns the host's files, is not allowed in a "
                                 "container without a user namespace of its own");
        else if (!bind)
            decision_.refuse(at, "only a bind mount may be idmapped");
        else if (!same_mappings(*maps, at, std::string_view(key) == "uidMappings" ? own->uid : own->gid))
            decision_.refuse(at, "an idmapped mount whose mappings are not the container's user namespace's, which "
                                 "would decide who owns the host's files");
    }

    bool read_only = false;
    if (bind) {
        if (!source || source->as_string().empty())
            throw Error(where + " is a bind mount without a source");
        const std::string written = source->as_string();
        Judged j = resolve(written, context_);
        report_.checked_sources[index] = j.path;
        if (!host_path(j, written, where + "/source", what, false, read_only))
            return;
        // runc would join a relative source to its working directory: name what was judged.
        if (written[0] != '/' &&
            decision_.change(where + "/source", "relative source " + written + " made the absolute path " + j.path))
            mount.set("source", json::Value::string(j.path));
    } else {
        const char* home = home_of(type);
        bool listed = type_allowed(type);
        if (home && destination != home) {
            decision_.refuse(where + "/destination", type + " belongs at " + home + ", not " + destination);
            return;
        }
        if (type == "proc") {
            if (proc_seen_) {
                decision_.refuse(where, "a second proc mount: only the one at /proc gets the masked and read-only paths");
                return;
            }
            proc_seen_ = true;
        }
        if (!home && type != "tmpfs" && type != "overlay" && !listed) {
            decision_.refuse(where + "/type", "filesystem type \"" + type +
                                                  "\" is not one a container needs (the policy's mounts.types may list it)");
            return;
        }
        // A block device as source means a disk's filesystem, whatever the type says.
        if (source && !source->as_string().empty() && !listed) {
            Judged j = resolve(source->as_string(), context_);
            struct stat st {};
            if (j.found.fd && fstat(j.found.fd.get(), &st) == 0 && S_ISBLK(st.st_mode)) {
                decision_.refuse(where + "/source", type + " mount of the block device " + source->as_string() +
                                                        " (the policy's mounts.types may list the type)");
                return;
            }
        }
        if (type == "overlay") {
            auto dirs = overlay_dirs(options);
            for (const auto& [dir, writable] : dirs) {
                if (dir.empty() || dir[0] != '/') {
                    decision_.refuse(where + "/options", "overlay layer \"" + dir + "\" must be an absolute path");
                    return;
                }
                bool layer_read_only = false;
                if (!host_path(resolve(dir, context_), dir, where + "/options", "overlay layer", writable, layer_read_only))
                    return;
            }
        }
    }

    // The flags hardrun requires, and what undid them removed.
    std::vector<std::pair<unsigned long, const char*>> required = {{MS_NOSUID, "nosuid"}};
    if (type != "devpts" && !(type == "tmpfs" && destination == "/dev"))
        required.push_back({MS_NODEV, "nodev"});
    if (read_only)
        required.push_back({MS_RDONLY, "ro"});
    // Copied: imposing a flag may add "options" to the mount, which moves its members.
    const std::string shown = source ? source->as_string() : type;
    source = nullptr;
    for (const auto& [flag, name] : required) {
        if (spec::keeps_flag(mount.find("options"), flag))
            continue;
        if (decision_.change(where + "/options", what + " " + shown + " without " + name + ", added")) {
            std::string dropped = spec::impose_flag(mount, flag, name);
            if (!dropped.empty())
                report_.changed.back().detail += " (removed " + dropped + ")";
        }
    }
}

}  // namespace

void mounts(json::Value& config, const policy::Policy& policy, const Context& context, Report& report)
{
    MountJudge judge(policy, context, report);
    judge.rootfs(config);
    judge.root_propagation(config);
    json::Value* list = spec::field(config, "mounts", json::Kind::array, "/");
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        std::string where;
        judge.mount(spec::object_item(*list, i, "/mounts", where), i, where);
    }
}

}  // namespace hardrun::harden

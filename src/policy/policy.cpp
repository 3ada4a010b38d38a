#include "policy/policy.hpp"
#include "policy/runtime_record.hpp"

#include "config.h"
#include "spec/capability_names.hpp"
#include "spec/fields.hpp"
#include "spec/paths.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/resolve.hpp"
#include "util/sha256.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <cerrno>
#include <set>

namespace hardrun::policy {
namespace {

constexpr size_t max_policy_bytes = 1u << 20;

// Walks one policy object: every key must be taken, or finish() names the stray one.
class ObjectReader {
public:
    ObjectReader(const json::Value& object, std::string path) : object_(object), path_(std::move(path))
    {
        if (!object.is_object())
            throw Error(where() + " must be an object");
    }

    const json::Value* take(std::string_view key)
    {
        taken_.insert(std::string(key));
        return object_.find(key);
    }

    std::string path_of(std::string_view key) const { return spec::child_path(path_, key); }

    void finish() const
    {
        for (const auto& [key, value] : object_.members())
            if (!taken_.count(key))
                throw Error("unknown key " + path_of(key));
    }

    std::string where() const { return path_; }

private:
    const json::Value& object_;
    std::string path_;
    std::set<std::string> taken_;
};

std::string string_at(const json::Value& v, const std::string& path)
{
    if (!v.is_string() || v.as_string().empty())
        throw Error(path + " must be a non-empty string");
    if (v.as_string().find('\0') != std::string::npos)
        throw Error(path + " must not contain NUL");
    return v.as_string();
}

bool bool_at(const json::Value* v, const std::string& path, bool fallback)
{
    if (!v)
        return fallback;
    if (!v->is_bool())
        throw Error(path + " must be true or false");
    return v->as_bool();
}

// An array of non-empty strings, each checked by `valid` ("must be <requirement>" otherwise).
std::vector<std::string> strings_at(const json::Value& v, const std::string& path, const char* what,
                                    const std::function<bool(const std::string&)>& valid, const char* requirement)
{
    if (!v.is_array())
        throw Error(path + " must be an array of " + what);
    std::vector<std::string> out;
    for (size_t i = 0; i < v.items().size(); ++i) {
        std::string item_path = path + "/" + std::to_string(i);
        std::string item = string_at(v.items()[i], item_path);
        if (!valid(item))
            throw Error(item_path + " must be " + requirement + ", not \"" + item + "\"");
        out.push_back(item);
    }
    return out;
}

Mode mode_at(const json::Value* v, const std::string& path)
{
    if (!v)
        return Mode::enforce;
    std::string s = string_at(*v, path);
    if (s == "enforce")
        return Mode::enforce;
    if (s == "refuse")
        return Mode::refuse;
    if (s == "audit")
        return Mode::audit;
    throw Error(path + " must be \"enforce\", \"refuse\" or \"audit\", not \"" + s + "\"");
}

Capabilities capabilities_at(const json::Value& v, const std::string& path)
{
    ObjectReader r(v, path);
    Capabilities caps;
    caps.mode = mode_at(r.take("mode"), r.path_of("mode"));
    const json::Value* allow = r.take("allow");
    if (!allow || !allow->is_array())
        throw Error(r.path_of("allow") + " must be an array of capability names");
    for (size_t i = 0; i < allow->items().size(); ++i) {
        std::string item_path = r.path_of("allow") + "/" + std::to_string(i);
        std::string name = string_at(allow->items()[i], item_path);
        if (!spec::capability_number(name))
            throw Error(item_path + ": unknown capability \"" + name + "\" (expected e.g. \"CAP_CHOWN\")");
        if (std::find(caps.allow.begin(), caps.allow.end(), name) != caps.allow.end())
            throw Error(item_path + ": \"" + name + "\" is listed twice");
        caps.allow.push_back(name);
    }
    r.finish();
    return caps;
}

}  // namespace

bool valid_profile_name(const std::string& name)
{
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

namespace {

int64_t positive_at(const json::Value* v, const std::string& path, int64_t fallback)
{
    if (!v)
        return fallback;
    std::optional<int64_t> n = v->as_int64();
    if (!n || *n <= 0)
        throw Error(path + " must be a positive integer");
    return *n;
}

Limit limit_at(const json::Value* v, const std::string& path, Limit fallback)
{
    if (!v)
        return fallback;
    ObjectReader r(*v, path);
    Limit limit;
    limit.fallback = positive_at(r.take("default"), r.path_of("default"), fallback.fallback);
    limit.max = positive_at(r.take("max"), r.path_of("max"), fallback.max);
    if (limit.fallback > limit.max)
        throw Error(r.path_of("default") + " must not exceed " + r.path_of("max"));
    r.finish();
    return limit;
}

Resources resources_at(const json::Value& v, const std::string& path, const Resources& fallback)
{
    ObjectReader r(v, path);
    Resources res;
    res.mode = mode_at(r.take("mode"), r.path_of("mode"));
    res.pids = limit_at(r.take("pids"), r.path_of("pids"), fallback.pids);
    res.memory = limit_at(r.take("memory"), r.path_of("memory"), fallback.memory);
    res.intel_rdt = bool_at(r.take("intelRdt"), r.path_of("intelRdt"), fallback.intel_rdt);
    r.finish();
    return res;
}

Rootfs rootfs_at(const json::Value& v, const std::string& path, const Rootfs& fallback)
{
    ObjectReader r(v, path);
    Rootfs rootfs = fallback;
    rootfs.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* list = r.take("tmpfs")) {
        std::string list_path = r.path_of("tmpfs");
        if (!list->is_array())
            throw Error(list_path + " must be an array");
        rootfs.tmpfs.clear();
        for (size_t i = 0; i < list->items().size(); ++i) {
            ObjectReader item(list->items()[i], list_path + "/" + std::to_string(i));
            const json::Value* path_value = item.take("path");
            if (!path_value)
                throw Error(item.path_of("path") + " is required");
            std::string dir = string_at(*path_value, item.path_of("path"));
            if (dir[0] != '/' || spec::clean_path(dir) != dir || dir == "/")
                throw Error(item.path_of("path") + " must be a clean absolute path other than /");
            const json::Value* mode_value = item.take("mode");
            std::string mode = mode_value ? string_at(*mode_value, item.path_of("mode")) : "1777";
            char* end = nullptr;
            unsigned long bits = std::strtoul(mode.c_str(), &end, 8);
            if (*end || bits > 07777)
                throw Error(item.path_of("mode") + " must be octal permission bits, e.g. \"1777\"");
            for (const auto& t : rootfs.tmpfs)
                if (t.path == dir)
                    throw Error(item.path_of("path") + ": " + dir + " is listed twice");
            rootfs.tmpfs.push_back(Tmpfs{dir, unsigned(bits)});
            item.finish();
        }
    }
    rootfs.noexec = bool_at(r.take("noexec"), r.path_of("noexec"), rootfs.noexec);
    if (const json::Value* size = r.take("size")) {
        if (size->is_string() && size->as_string() == "memory")
            rootfs.size = 0;
        else
            rootfs.size = uint64_t(positive_at(size, r.path_of("size"), 0));
    }
    r.finish();
    return rootfs;
}

// An array of clean absolute paths.
std::vector<std::string> paths_at(const json::Value& v, const std::string& path)
{
    return strings_at(
        v, path, "absolute paths", [](const std::string& p) { return p[0] == '/' && spec::clean_path(p) == p; },
        "a clean absolute path");
}

Mounts mounts_at(const json::Value& v, const std::string& path, const Mounts& fallback)
{
    ObjectReader r(v, path);
    Mounts m = fallback;
    m.mode = mode_at(r.take("mode"), r.path_of("mode"));
    struct {
        const char* key;
        std::vector<std::string> Mounts::*field;
    } lists[] = {{"deny", &Mounts::deny}, {"allowReadOnly", &Mounts::allow_read_only}, {"readOnly", &Mounts::read_only}};
    for (const auto& l : lists)
        if (const json::Value* list = r.take(l.key))
            m.*l.field = paths_at(*list, r.path_of(l.key));
    if (const json::Value* names = r.take("denyNames"))
        m.deny_names = strings_at(
            *names, r.path_of("denyNames"), "file names",
            [](const std::string& n) { return n.find('/') == std::string::npos; }, "a file name, without '/'");
    if (const json::Value* types = r.take("types"))
        m.types = strings_at(
            *types, r.path_of("types"), "filesystem types",
            [](const std::string& t) { return t.find_first_of("/,= \t\n") == std::string::npos; },
            "a filesystem type name (\"ext4\", \"nfs\", \"fuse.sshfs\")");
    if (const json::Value* engines = r.take("engines")) {
        ObjectReader e(*engines, r.path_of("engines"));
        struct {
            const char* key;
            std::vector<std::string> Mounts::*field;
        } roots[] = {{"docker", &Mounts::docker},
                     {"containerd", &Mounts::containerd},
                     {"podman", &Mounts::podman},
                     {"kubelet", &Mounts::kubelet}};
        for (const auto& root : roots)
            if (const json::Value* list = e.take(root.key))
                m.*root.field = paths_at(*list, e.path_of(root.key));
        e.finish();
    }
    r.finish();
    return m;
}

// Each section reader takes the section's JSON, its pointer, and the defaults it starts from.
template <typename Control>
Control mode_only_at(const json::Value& v, const std::string& path, const Control& fallback)
{
    ObjectReader r(v, path);
    Control c = fallback;
    c.mode = mode_at(r.take("mode"), r.path_of("mode"));
    r.finish();
    return c;
}

Devices devices_at(const json::Value& v, const std::string& path, const Devices& fallback)
{
    ObjectReader r(v, path);
    Devices d = fallback;
    d.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* allow = r.take("allow"))
        d.allow = strings_at(
            *allow, r.path_of("allow"), "device paths",
            [](const std::string& dev) { return dev.rfind("/dev/", 0) == 0 && spec::clean_path(dev) == dev; },
            "a clean path under /dev/");
    r.finish();
    return d;
}

User user_at(const json::Value& v, const std::string& path, const User& fallback)
{
    ObjectReader r(v, path);
    User u = fallback;
    u.mode = mode_at(r.take("mode"), r.path_of("mode"));
    u.non_root = bool_at(r.take("nonRoot"), r.path_of("nonRoot"), u.non_root);
    r.finish();
    return u;
}

// A string that must be one of `choices`; returns its index.
size_t choice_at(const json::Value* v, const std::string& path, std::initializer_list<const char*> choices,
                 size_t fallback)
{
    if (!v)
        return fallback;
    std::string s = string_at(*v, path);
    std::string expected;
    size_t i = 0;
    for (const char* c : choices) {
        if (s == c)
            return i;
        expected += std::string(i ? ", " : "") + "\"" + c + "\"";
        ++i;
    }
    throw Error(path + " must be one of " + expected + ", not \"" + s + "\"");
}

UserNamespace user_namespace_at(const json::Value& v, const std::string& path, const UserNamespace& fallback)
{
    ObjectReader r(v, path);
    UserNamespace u = fallback;
    u.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* owner = r.take("owner")) {
        u.owner = string_at(*owner, r.path_of("owner"));
        if (u.owner.find_first_of(":\n") != std::string::npos)
            throw Error(r.path_of("owner") + " must be a user name, not \"" + u.owner + "\"");
    }
    u.shared = choice_at(r.take("ranges"), r.path_of("ranges"), {"perContainer", "shared"}, u.shared) == 1;
    u.run_without_when_unsupported = choice_at(r.take("unsupported"), r.path_of("unsupported"),
                                               {"refuse", "withoutUserNamespace"},
                                               u.run_without_when_unsupported) == 1;
    u.refuse_pods_without = choice_at(r.take("podMembers"), r.path_of("podMembers"), {"allowHostUsers", "refuse"},
                                      u.refuse_pods_without) == 1;
    u.overlay_layers = UserNamespace::OverlayLayers(choice_at(r.take("overlayLayers"), r.path_of("overlayLayers"),
                                                              {"auto", "fd", "path", "lowerdir"},
                                                              size_t(u.overlay_layers)));
    r.finish();
    return u;
}

Sysctls sysctls_at(const json::Value& v, const std::string& path, const Sysctls& fallback)
{
    ObjectReader r(v, path);
    Sysctls s = fallback;
    s.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* allow = r.take("allow"))
        s.allow = strings_at(
            *allow, r.path_of("allow"), "sysctl names",
            [](const std::string& n) { return n.find_first_of("/ ") == std::string::npos; }, "a dotted sysctl name");
    r.finish();
    return s;
}

constexpr std::string_view hook_kinds[] = {"prestart",       "createRuntime", "createContainer",
                                              "startContainer", "poststart",     "poststop"};

Hooks hooks_at(const json::Value& v, const std::string& path, const Hooks& fallback)
{
    ObjectReader r(v, path);
    Hooks h = fallback;
    h.mode = mode_at(r.take("mode"), r.path_of("mode"));
    h.docker_network = bool_at(r.take("dockerNetwork"), r.path_of("dockerNetwork"), h.docker_network);
    if (const json::Value* allow = r.take("allow")) {
        if (!allow->is_array())
            throw Error(r.path_of("allow") + " must be an array of {path, kinds}");
        h.allow.clear();
        for (size_t i = 0; i < allow->items().size(); ++i) {
            std::string where = r.path_of("allow") + "/" + std::to_string(i);
            ObjectReader item(allow->items()[i], where);
            Hook hook;
            const json::Value* p = item.take("path");
            if (!p)
                throw Error(where + "/path is required");
            hook.path = string_at(*p, where + "/path");
            if (hook.path[0] != '/' || spec::clean_path(hook.path) != hook.path || hook.path.rfind("/proc/", 0) == 0)
                throw Error(where + "/path must be a clean absolute path outside /proc");
            const json::Value* kinds = item.take("kinds");
            if (!kinds)
                throw Error(where + "/kinds is required");
            hook.kinds = strings_at(
                *kinds, where + "/kinds", "hook kinds",
                [](const std::string& k) { return std::find(std::begin(hook_kinds), std::end(hook_kinds), k) != std::end(hook_kinds); },
                "a hook kind (prestart, createRuntime, createContainer, startContainer, poststart, poststop)");
            item.finish();
            h.allow.push_back(std::move(hook));
        }
    }
    r.finish();
    return h;
}

Annotations annotations_at(const json::Value& v, const std::string& path, const Annotations& fallback)
{
    ObjectReader r(v, path);
    Annotations a = fallback;
    a.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* allow = r.take("allow"))
        a.allow = strings_at(
            *allow, r.path_of("allow"), "annotation keys",
            [](const std::string& k) { return k.find('*') == std::string::npos || k.find('*') == k.size() - 1; },
            "an annotation key, or a prefix ending in *");
    r.finish();
    return a;
}

SELinux selinux_at(const json::Value& v, const std::string& path, const SELinux& fallback)
{
    ObjectReader r(v, path);
    SELinux s = fallback;
    s.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* types = r.take("types"))
        s.types = strings_at(
            *types, r.path_of("types"), "SELinux types",
            [](const std::string& t) {
                return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return isalnum((unsigned char)c) || c == '_'; });
            },
            "an SELinux type name (container_t)");
    r.finish();
    return s;
}

Fields fields_at(const json::Value& v, const std::string& path, const Fields& fallback)
{
    ObjectReader r(v, path);
    Fields f = fallback;
    f.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* allow = r.take("allow"))
        f.allow = strings_at(
            *allow, r.path_of("allow"), "field pointers",
            [](const std::string& p) { return p.size() > 1 && p[0] == '/' && p.back() != '/'; },
            "a JSON pointer of a config field, as in man 5 hardrun-policy FIELDS (\"/linux/netDevices\")");
    r.finish();
    return f;
}

AppArmor apparmor_at(const json::Value& v, const std::string& path, const AppArmor& fallback)
{
    ObjectReader r(v, path);
    AppArmor a = fallback;
    a.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* profiles = r.take("profiles"))
        a.profiles = strings_at(
            *profiles, r.path_of("profiles"), "AppArmor profile names",
            [](const std::string& n) { return n != "unconfined" && n.find_first_of(std::string("\n\0", 2)) == std::string::npos; },
            "the name of a confining profile");
    if (const json::Value* u = r.take("unavailable")) {
        std::string what = string_at(*u, r.path_of("unavailable"));
        if (what != "runUnconfined" && what != "refuse")
            throw Error(r.path_of("unavailable") + " must be \"runUnconfined\" or \"refuse\"");
        a.refuse_unavailable = what == "refuse";
    }
    r.finish();
    return a;
}

Seccomp seccomp_at(const json::Value& v, const std::string& path, const Seccomp& fallback)
{
    ObjectReader r(v, path);
    Seccomp s = fallback;
    s.mode = mode_at(r.take("mode"), r.path_of("mode"));
    if (const json::Value* profile = r.take("profile")) {
        s.profile_source = string_at(*profile, r.path_of("profile"));
        if (s.profile_source != "default" && s.profile_source[0] != '/')
            throw Error(r.path_of("profile") + " must be \"default\" or an absolute path");
    }
    if (const json::Value* deny = r.take("deny"))
        s.deny = strings_at(
            *deny, r.path_of("deny"), "syscall names",
            [](const std::string& n) { return n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos; },
            "a syscall name");
    if (const json::Value* listeners = r.take("listeners"))
        s.listeners = strings_at(
            *listeners, r.path_of("listeners"), "socket paths",
            [](const std::string& p) { return p.size() > 1 && p[0] == '/' && p.find('\0') == std::string::npos; },
            "an absolute path");
    r.finish();
    return s;
}

Namespaces namespaces_at(const json::Value& v, const std::string& path, const Namespaces& fallback)
{
    ObjectReader r(v, path);
    Namespaces n = fallback;
    n.mode = mode_at(r.take("mode"), r.path_of("mode"));
    n.host_network = bool_at(r.take("hostNetwork"), r.path_of("hostNetwork"), n.host_network);
    if (const json::Value* c = r.take("criNamespaces"))
        n.cri_namespaces = strings_at(
            *c, r.path_of("criNamespaces"), "containerd namespaces",
            [](const std::string& s) { return s.find_first_of(std::string("/\0", 2)) == std::string::npos; },
            "a containerd namespace name");
    r.finish();
    return n;
}

// Read the section `key` into `control` when the policy has it.
template <typename Control, typename Reader>
void section(ObjectReader& r, const char* key, Control& control, Reader read)
{
    if (const json::Value* v = r.take(key))
        control = read(*v, r.path_of(key), control);
}

// A policy or profile file: a regular file owned by root and writable by no one else.
UniqueFd open_root_only(const std::string& path, const std::string& what, struct stat* file_stat = nullptr)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd)
        throw system_error("cannot open " + what + " " + path, errno);
    struct stat local {};
    struct stat& st = file_stat ? *file_stat : local;
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw Error(what + " " + path + " is not a regular file");
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
        throw Error(what + " " + path + " must be owned by root and writable by no one else");
    // The directories it is found through (symlinks resolved: where the file really is) too:
    // whoever can write one of them can swap the file. A sticky one (/tmp) protects root's names.
    Resolved real = resolve_path(AT_FDCWD, "/proc/self/fd/" + std::to_string(fd.get()), 0);
    if (!real.fd)
        throw system_error("cannot tell where " + what + " " + path + " is", real.error);
    std::string dir = real.path;
    while (dir.size() > 1) {
        dir = dir.substr(0, std::max<size_t>(dir.rfind('/'), 1));
        struct stat d {};
        if (::lstat(dir.c_str(), &d) != 0 || !S_ISDIR(d.st_mode))
            throw Error(what + " " + path + ": cannot check its directory " + dir);
        if (d.st_uid != 0 || ((d.st_mode & (S_IWGRP | S_IWOTH)) && !(d.st_mode & S_ISVTX)))
            throw Error(what + " " + path + ": its directory " + dir +
                        " must be owned by root and writable by no one else");
    }
    return fd;
}

// The seccomp profile the policy names, read (a file counts in the policy's digest).
void load_seccomp_profile(Policy& p)
{
    if (p.seccomp.profile_source == "default") {
        p.seccomp.profile_text = builtin_seccomp_text;
        return;
    }
    UniqueFd fd;
    try {
        fd = open_root_only(p.seccomp.profile_source, "seccomp profile");
    } catch (const Error& e) {
        throw Error(std::string("/seccomp/profile: ") + e.what());
    }
    p.seccomp.profile_text = read_all(fd.get(), max_policy_bytes, p.seccomp.profile_source);
    p.digest = "sha256:" + sha256_hex(p.digest + p.seccomp.profile_text);
}

}  // namespace

const json::Value& Seccomp::profile() const
{
    if (!parsed_) {
        json::Value v;
        try {
            v = json::parse(profile_text, json::ParseLimits{max_policy_bytes, 64});
        } catch (const Error& e) {
            throw Error("seccomp profile " + profile_source + ": " + e.what());
        }
        if (!v.is_object())
            throw Error("seccomp profile " + profile_source + " must hold a JSON object");
        parsed_ = std::move(v);
    }
    return *parsed_;
}

bool Policy::rewrites() const
{
    return capabilities.mode == Mode::enforce || no_new_privileges.mode == Mode::enforce ||
           resources.mode == Mode::enforce || rootfs.mode == Mode::enforce || namespaces.mode == Mode::enforce ||
           devices.mode == Mode::enforce || kernel.mode == Mode::enforce || mounts.mode == Mode::enforce ||
           sysctls.mode == Mode::enforce || seccomp.mode == Mode::enforce ||
           (user.non_root && user.mode == Mode::enforce) || user_namespace.mode == Mode::enforce;
}

const char* to_string(AuditTarget target)
{
    switch (target) {
    case AuditTarget::file: return "file";
    case AuditTarget::journal: return "journal";
    case AuditTarget::syslog: return "syslog";
    case AuditTarget::none: return "none";
    }
    return "?";
}

Policy parse(std::string_view text, const std::string& source)
{
    Policy p;
    p.source = source;
    p.audit_log = HARDRUN_AUDIT_LOG;
    try {
        json::Value root = json::parse(text, json::ParseLimits{max_policy_bytes, 64});
        p.digest = "sha256:" + sha256_hex(json::serialize(root));
        ObjectReader r(root, "/");
        if (const json::Value* v = r.take("runtime"))
            p.runtime = string_at(*v, "/runtime");
        if (const json::Value* v = r.take("audit")) {
            ObjectReader audit(*v, "/audit");
            if (const json::Value* target = audit.take("target")) {
                std::string name = string_at(*target, "/audit/target");
                if (name == "file")
                    p.audit_target = AuditTarget::file;
                else if (name == "journal")
                    p.audit_target = AuditTarget::journal;
                else if (name == "syslog")
                    p.audit_target = AuditTarget::syslog;
                else if (name == "none")
                    p.audit_target = AuditTarget::none;
                else
                    throw Error("/audit/target must be \"file\", \"journal\", \"syslog\" or \"none\", not \"" + name + "\"");
            }
            if (const json::Value* log = audit.take("log")) {
                p.audit_log = string_at(*log, "/audit/log");
                if (p.audit_log[0] != '/')
                    throw Error("/audit/log must be an absolute path");
            }
            audit.finish();
        }
        const json::Value* caps = r.take("capabilities");
        if (!caps)
            throw Error("/capabilities is required");
        p.capabilities = capabilities_at(*caps, "/capabilities");
        // A control left out of the policy keeps its defaults, enforced: forgetting a section
        // must not switch a control off.
        section(r, "noNewPrivileges", p.no_new_privileges, mode_only_at<NoNewPrivileges>);
        section(r, "resources", p.resources, resources_at);
        section(r, "rootfs", p.rootfs, rootfs_at);
        section(r, "devices", p.devices, devices_at);
        section(r, "user", p.user, user_at);
        section(r, "userNamespace", p.user_namespace, user_namespace_at);
        section(r, "sysctls", p.sysctls, sysctls_at);
        section(r, "mounts", p.mounts, mounts_at);
        section(r, "seccomp", p.seccomp, seccomp_at);
        section(r, "kernelInterfaces", p.kernel, mode_only_at<KernelInterfaces>);
        section(r, "restore", p.restore, mode_only_at<Restore>);
        section(r, "apparmor", p.apparmor, apparmor_at);
        section(r, "hooks", p.hooks, hooks_at);
        section(r, "annotations", p.annotations, annotations_at);
        section(r, "fields", p.fields, fields_at);
        section(r, "selinux", p.selinux, selinux_at);
        section(r, "namespaces", p.namespaces, namespaces_at);
        if (const json::Value* v = r.take("selectable"))
            p.selectable = strings_at(*v, "/selectable", "profile names", valid_profile_name, "a profile name");
        r.finish();
        load_seccomp_profile(p);
    } catch (const Error& e) {
        throw Error("policy " + source + ": " + e.what());
    }
    return p;
}

namespace {

std::string policy_path(const std::optional<std::string>& requested)
{
    std::string path;
    if (requested) {
        path = *requested;
        if (path.find('/') == std::string::npos) {
            // A profile name: only [A-Za-z0-9_-], so it cannot walk out of the profiles dir.
            if (!valid_profile_name(path))
                throw Error("invalid policy profile name \"" + path + "\"");
            path = std::string(HARDRUN_PROFILES_DIR) + "/" + path + ".json";
        }
    } else {
        path = HARDRUN_POLICY_PATH;
    }
    return path;
}

}  // namespace

std::optional<std::string> runtime_setting(const std::optional<std::string>& requested)
{
    std::string path = policy_path(requested);
    if (!requested && access(path.c_str(), F_OK) != 0 && errno == ENOENT)
        return std::nullopt;  // the built-in policy names no runtime
    // Commands passed straight to the runtime need its path, not the controls: the file is
    // opened as load() opens it (root's, writable by nobody else: the runtime it names gets
    // executed) and must be JSON, but its sections and seccomp profile are read by the commands
    // they concern. A full load here cost every start, state and kill about 0.3 ms. The whole
    // file is still checked as JSON (a broken one fails the call with the error a create gives),
    // but only "runtime" is kept: building the tree cost about 0.1 M instructions more. Even so the
    // parse was a third of a pass-through call's instructions (0.12 M, 0.12 ms on the development
    // VM), so its result is recorded for the file's exact state (runtime_record.hpp): the record is
    // only written after a parse succeeded, and a changed file no longer matches it.
    struct stat st {};
    UniqueFd fd = open_root_only(path, "policy", &st);
    if (runtime_record::Found recorded = runtime_record::find(path, st); recorded.found)
        return recorded.runtime;
    std::optional<std::string> setting;
    try {
        json::RootMember runtime = json::parse_root_member(read_all(fd.get(), max_policy_bytes, "policy " + path),
                                                           "runtime", json::ParseLimits{max_policy_bytes, 64});
        if (!runtime.root_is_object)
            throw Error("/ must be an object");
        if (runtime.value)
            setting = string_at(*runtime.value, "/runtime");
    } catch (const Error& e) {
        throw Error("policy " + path + ": " + e.what());
    }
    runtime_record::keep(path, st, setting);
    return setting;
}

Policy load(const std::optional<std::string>& requested)
{
    std::string path = policy_path(requested);
    if (!requested && ::access(path.c_str(), F_OK) != 0 && errno == ENOENT)
        return parse(builtin_policy_text, "built-in");
    UniqueFd fd = open_root_only(path, "policy");
    return parse(read_all(fd.get(), max_policy_bytes, "policy " + path), path);
}

std::vector<Policy> load_known(const std::optional<std::string>& requested)
{
    std::vector<Policy> out;
    auto add = [&](Policy p) {
        for (const Policy& known : out)
            if (known.digest == p.digest)
                return;
        out.push_back(std::move(p));
    };
    if (requested)
        add(load(requested));
    add(load(std::nullopt));  // the system policy, or the built-in one
    add(parse(builtin_policy_text, "built-in"));
    std::vector<std::string> names;
    if (DIR* d = opendir(HARDRUN_PROFILES_DIR)) {
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0 &&
                valid_profile_name(name.substr(0, name.size() - 5)))
                names.push_back(name.substr(0, name.size() - 5));
        }
        closedir(d);
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        try {
            add(load(name));
        } catch (const Error&) {
            // Not a policy (seccomp-default.json), or not one hardrun would load: no config
            // can carry its digest.
        }
    }
    return out;
}

}  // namespace hardrun::policy

#include "compliance/checks.hpp"

#include "spec/capability_names.hpp"
#include "util/error.hpp"

#include <string>

namespace hardrun::compliance {
namespace {

// CIS Docker Benchmark v1.6.0 section 5 ("Container Runtime") numbering, as docker-bench-
// security implements it; Pod Security Standards controls by their names on kubernetes.io.
constexpr Standard table[] = {
    {"capabilities", "5.4", "Linux kernel capabilities are restricted within containers", "restricted",
     "Capabilities"},
    {"no-new-privileges", "5.26", "Container is restricted from acquiring additional privileges", "restricted",
     "Privilege Escalation"},
    {"seccomp", "5.22", "Default seccomp profile is not disabled", "baseline", "Seccomp"},
    {"root-read-only", "5.13", "Container's root filesystem is mounted as read only", "", ""},
    {"tmpfs-nosuid-nodev", "5.13", "Container's root filesystem is mounted as read only (writable scratch on tmpfs)",
     "", ""},
    {"pids-limit", "5.29", "PIDs cgroup limit is used", "", ""},
    {"memory-limit", "5.11", "Memory usage for containers is limited", "", ""},
    {"swap-held", "5.11", "Memory usage for containers is limited (no swap beyond the memory limit)", "", ""},
    {"namespace-pid", "5.16", "Host's process namespace is not shared", "baseline", "Host Namespaces"},
    {"namespace-ipc", "5.17", "Host's IPC namespace is not shared", "baseline", "Host Namespaces"},
    {"namespace-uts", "5.21", "Host's UTS namespace is not shared", "", ""},
    {"namespace-net", "5.10", "Host's network namespace is not shared", "baseline", "Host Namespaces"},
    {"namespace-mnt", "", "", "", ""},
    {"namespace-cgroup", "", "", "", ""},
    {"non-root", "", "", "restricted", "Running as Non-root"},
    {"user-namespace", "5.31", "Docker host user namespace is not shared", "restricted", "Running as Non-root"},
};

std::string join(const std::vector<std::string>& names)
{
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ",") + n;
    return out.empty() ? "none" : out;
}

std::string bytes_text(uint64_t n)
{
    return std::to_string(n);
}

Check make(const char* name, Level level)
{
    Check c;
    c.name = name;
    c.level = level;
    return c;
}

// A requirement the live state meets (pass) or not (fail); with Level::off it is only shown.
void verdict(Check& c, bool ok)
{
    c.result = c.level == Level::off ? Result::info : ok ? Result::pass : Result::fail;
}

Check capabilities(const live::State& s, const Requirements& r)
{
    Check c = make("capabilities", r.capabilities);
    uint64_t any = 0;
    for (live::CapSet set : live::cap_sets)
        any |= s.status.cap(set);
    c.live = "bounding " + join(spec::capability_names(s.status.cap(live::CapSet::bounding)));
    if (s.status.cap(live::CapSet::ambient) != 0)
        c.live += "; ambient " + join(spec::capability_names(s.status.cap(live::CapSet::ambient)));
    uint64_t extra = any & ~r.allowed_caps;
    if (extra != 0) {
        std::string sets;
        for (live::CapSet set : live::cap_sets)
            if (s.status.cap(set) & extra)
                sets += std::string(sets.empty() ? "" : ",") + live::cap_set_name(set);
        c.live = "beyond the allowlist: " + join(spec::capability_names(extra)) + " (in " + sets + ")";
    }
    if (r.capabilities != Level::off)
        c.required = "at most " + join(spec::capability_names(r.allowed_caps));
    verdict(c, extra == 0);
    return c;
}

Check no_new_privileges(const live::State& s, const Requirements& r)
{
    Check c = make("no-new-privileges", r.no_new_privileges);
    c.live = s.status.no_new_privs ? "on" : "off";
    if (r.no_new_privileges != Level::off)
        c.required = "on";
    verdict(c, s.status.no_new_privs);
    return c;
}

Check seccomp(const live::State& s, const Requirements& r)
{
    Check c = make("seccomp", r.seccomp);
    c.live = s.status.seccomp == 2 ? "filter" : s.status.seccomp == 1 ? "strict" : "disabled";
    if (s.status.seccomp_filters)
        c.live += " (" + std::to_string(*s.status.seccomp_filters) +
                  (*s.status.seccomp_filters == 1 ? " filter)" : " filters)");
    if (r.seccomp != Level::off)
        c.required = "filter";
    verdict(c, s.status.seccomp != 0);
    return c;
}

Check root_read_only(const live::State& s, const Requirements& r)
{
    Check c = make("root-read-only", r.rootfs);
    const live::Mount* root = live::mount_at(s.mounts, "/");
    bool ro = root && root->read_only;
    c.live = !root ? "no root mount" : ro ? "read-only" : "writable";
    if (r.rootfs != Level::off)
        c.required = "read-only";
    verdict(c, ro);
    return c;
}

Check tmpfs(const live::State& s, const Requirements& r)
{
    Check c = make("tmpfs-nosuid-nodev", r.rootfs);
    std::string missing, seen;
    for (const auto& path : r.tmpfs) {
        const live::Mount* m = live::mount_at(s.mounts, path);
        if (!m || m->fstype != "tmpfs")
            continue;
        std::string lacks;
        if (!m->nosuid)
            lacks += ",nosuid";
        if (!m->nodev)
            lacks += ",nodev";
        if (r.tmpfs_noexec && !m->noexec)
            lacks += ",noexec";
        seen += (seen.empty() ? "" : ",") + path;
        if (!lacks.empty())
            missing += (missing.empty() ? "" : "; ") + path + " without " + lacks.substr(1);
    }
    c.live = !missing.empty() ? missing : seen.empty() ? "no tmpfs at the scratch paths" : seen + " ok";
    if (r.rootfs != Level::off)
        c.required = std::string(r.tmpfs_noexec ? "nosuid,nodev,noexec" : "nosuid,nodev") + " on tmpfs at " +
                     join(r.tmpfs);
    verdict(c, missing.empty());
    return c;
}

Check limit(const char* name, const live::Limit& l, Level level, int64_t ceiling)
{
    Check c = make(name, level);
    bool ok = false;
    if (!l.dir) {
        c.live = "no cgroup found";
    } else if (!l.limit.value) {
        c.live = "unlimited";
    } else {
        c.live = bytes_text(*l.limit.value);
        ok = *l.limit.value <= uint64_t(ceiling);
    }
    if (level != Level::off)
        c.required = "at most " + std::to_string(ceiling);
    verdict(c, ok);
    return c;
}

// The memory limit cannot be sidestepped by swapping: v2 memory.swap.max is 0, v1's memory plus
// swap is no more than memory. A host without swap accounting cannot hold it (nothing to check).
Check swap_held(const live::State& s, const Requirements& r)
{
    Check c = make("swap-held", r.resources);
    bool ok = false;
    if (!s.memory.dir || !s.swap) {
        c.live = "the host does not account swap";
        ok = true;
    } else if (!s.swap->value) {
        c.live = "swap unlimited";
    } else if (s.memory.dir->version == 2) {
        c.live = "memory.swap.max " + bytes_text(*s.swap->value);
        ok = *s.swap->value == 0;
    } else {
        c.live = "memory+swap " + bytes_text(*s.swap->value);
        ok = s.memory.limit.value && *s.swap->value <= *s.memory.limit.value;
    }
    if (r.resources != Level::off)
        c.required = "no swap beyond the memory limit";
    verdict(c, ok);
    return c;
}

Check namespace_check(const live::State& s, size_t index, const Requirements& r)
{
    std::string kind = live::namespace_names[index];
    Check c = make(("namespace-" + kind).c_str(), r.namespaces);
    bool host = s.host_namespace[index];
    bool allowed = kind == "net" && r.host_network;
    c.live = host ? "host's" : "own";
    if (r.namespaces != Level::off)
        c.required = allowed ? "own or host's (hostNetwork)" : "own";
    verdict(c, !host || allowed);
    return c;
}

Check non_root(const live::State& s, const Requirements& r)
{
    Check c = make("non-root", r.non_root);
    // Status uids are the host's view: uid 0 of a remapped user namespace shows as its host uid.
    uint32_t uid = s.status.uids[1];
    c.live = "host uid " + std::to_string(uid);
    if (r.non_root != Level::off)
        c.required = "not host uid 0";
    verdict(c, uid != 0);
    return c;
}

Check user_namespace(const live::State& s, const Requirements& r)
{
    Check c = make("user-namespace", r.user_namespace);
    std::optional<uint32_t> root = s.root_host_uid();
    c.live = !root ? "root unmapped" : *root == 0 ? "root is host uid 0" : "root remapped to host uid " +
                                                                              std::to_string(*root);
    if (r.user_namespace != Level::off)
        c.required = "root remapped to an unprivileged host uid";
    verdict(c, root && *root != 0);
    return c;
}

}  // namespace

std::span<const Standard> standards()
{
    return table;
}

const Standard& standard_of(std::string_view check)
{
    for (const Standard& s : table)
        if (check == s.check)
            return s;
    throw Error("internal error: no standard for check " + std::string(check));
}

const char* result_name(Result result)
{
    switch (result) {
    case Result::pass: return "pass";
    case Result::fail: return "fail";
    case Result::info: return "info";
    }
    return "info";
}

std::vector<Check> evaluate(const live::State& s, const Requirements& r)
{
    std::vector<Check> out;
    out.push_back(capabilities(s, r));
    out.push_back(no_new_privileges(s, r));
    out.push_back(seccomp(s, r));
    out.push_back(root_read_only(s, r));
    out.push_back(tmpfs(s, r));
    out.push_back(limit("pids-limit", s.pids, r.resources, r.pids_max));
    out.push_back(limit("memory-limit", s.memory, r.resources, r.memory_max));
    out.push_back(swap_held(s, r));
    for (size_t i = 0; i < live::namespace_names.size(); ++i)
        if (std::string_view(live::namespace_names[i]) != "user")  // user: the user-namespace check
            out.push_back(namespace_check(s, i, r));
    out.push_back(non_root(s, r));
    out.push_back(user_namespace(s, r));
    return out;
}

}  // namespace hardrun::compliance

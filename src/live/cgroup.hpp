// A process's pids and memory limits from its cgroup, under cgroup v1 (one hierarchy per
// controller, as on this hybrid host) or v2 (the unified hierarchy): /proc/PID/cgroup names
// the process's cgroup in each hierarchy, the host's mount table says where each hierarchy is.
#pragma once

#include "live/mounts.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hardrun::live {

// One line of /proc/PID/cgroup: "hierarchy-ID:controller,list:/path" (v2: "0::/path").
struct CgroupLine {
    unsigned hierarchy = 0;
    std::vector<std::string> controllers;  // empty for v2; "name=systemd" kept as is
    std::string path;                      // relative to the reader's cgroup namespace root
};

// Throws hardrun::Error on a malformed line.
std::vector<CgroupLine> parse_proc_cgroup(std::string_view text);

// The directory of a process's cgroup for one controller.
struct CgroupDir {
    int version = 0;   // 1 or 2
    std::string path;  // on the host, e.g. /sys/fs/cgroup/pids/<id>
};

// Where `controller` ("pids", "memory") of the process is: a v1 hierarchy that carries it,
// else the v2 hierarchy. `host_mounts` is the reader's own mount table. nullopt when neither
// is mounted (or the process's cgroup lies outside the mounted part of the hierarchy).
std::optional<CgroupDir> controller_dir(std::string_view controller, const std::vector<CgroupLine>& cgroup,
                                        const std::vector<Mount>& host_mounts);

// The file that holds the limit of `controller` ("pids" or "memory") for `version`:
// pids.max (v1 and v2), memory.limit_in_bytes (v1), memory.max (v2).
std::string limit_file(std::string_view controller, int version);

// A limit as cgroupfs writes it: a number, or "max". Unlimited (nullopt in `value`) is "max",
// or v1's memory "unlimited", which is the largest page-aligned int64 (9223372036854771712 with
// 4 KiB pages). Throws hardrun::Error on anything else.
struct CgroupLimit {
    std::optional<uint64_t> value;  // nullopt: unlimited
};
CgroupLimit parse_limit(std::string_view text);

// The root directory of every cgroup hierarchy, found from `base` (/sys/fs/cgroup) alone when
// it has the layout systemd and runc set up, without reading the mount table (which takes
// libmount, four libraries, on every create): `base` is itself the root of the v2 hierarchy
// (cgroup2fs, no cgroup.type: the root cgroup has none) and `proc_self_cgroup` names no v1
// hierarchy; or `base` is a tmpfs whose subdirectories are v1 hierarchies, each mounted at its
// root (release_agent exists only there), as many distinct ones as `proc_self_cgroup` names,
// plus the v2 hierarchy's root where a hybrid host mounts it. nullopt for any other layout (none
// found, a hierarchy mounted elsewhere or only in part as in a container's view, anything else).
std::optional<std::vector<std::string>> conventional_hierarchy_roots(const std::string& base,
                                                                     std::string_view proc_self_cgroup);

// A process found in the cgroup `path` (relative to a hierarchy's root; `below_own`: relative to
// the reader's own cgroup instead, as runc places a relative cgroupfs path) or in a cgroup below
// it, in any mounted hierarchy: "pid N in DIR". nullopt when no such cgroup exists or all are
// empty. Reads /proc/self/cgroup, and the host's mount table unless `path` is absolute and the
// layout conventional (see above).
std::optional<std::string> cgroup_occupant(const std::string& path, bool below_own);

}  // namespace hardrun::live

// The live state of a container's init process, as the kernel has it now (not what its
// config.json asked for): what the report compares with the policy.
#pragma once

#include "live/cgroup.hpp"
#include "live/mounts.hpp"
#include "live/proc.hpp"

#include <sys/types.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace hardrun::live {

// The namespaces the report compares, by their /proc/PID/ns name.
inline constexpr std::array<const char*, 7> namespace_names = {"pid", "ipc", "uts", "net", "mnt", "cgroup", "user"};

struct Limit {
    std::optional<CgroupDir> dir;  // nullopt: not mounted on this host (v2: not enabled for the cgroup)
    CgroupLimit limit;             // meaningful only with `dir`
};

struct State {
    pid_t pid = 0;
    ProcStatus status;
    std::vector<IdRange> uid_map;
    std::vector<Mount> mounts;        // the container's mount table
    Limit pids;
    Limit memory;
    // The swap limit, in the memory controller's directory: v2 memory.swap.max (swap alone), v1
    // memory.memsw.limit_in_bytes (memory plus swap). nullopt: the host does not account swap.
    std::optional<CgroupLimit> swap;
    std::array<bool, 7> host_namespace{};  // indexed like namespace_names: shares the reader's

    // The host uid of the container's root (uid 0), or nullopt when its user namespace leaves
    // uid 0 unmapped.
    std::optional<uint32_t> root_host_uid() const { return map_id(uid_map, 0); }
};

// Read the state of process `pid` from /proc and cgroupfs. "The host's" namespaces are the
// reader's own (/proc/self/ns: /proc/1/ns may be unreadable), and cgroup hierarchies are found
// in the reader's mount table. Throws hardrun::Error when the process is gone or a file cannot
// be read or parsed.
State read(pid_t pid);

}  // namespace hardrun::live

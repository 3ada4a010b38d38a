// What the policies that shaped a container require of it while it runs, merged into one set
// of requirements (a profile selected by annotation applies after the policy: the stricter of
// the two wins). Only the requirements the kernel can show are here (capabilities,
// no_new_privs, seccomp, read-only root and scratch tmpfs flags, limits, namespaces, uid).
#pragma once

#include "policy/policy.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hardrun::compliance {

// What the policies do about a control: nothing (off), record only (audit: a looser live state
// is reported, not counted as a violation), or enforce/refuse (a looser live state violates).
enum class Level { off, audit, enforced };

struct Requirements {
    Level capabilities = Level::off;
    uint64_t allowed_caps = 0;  // mask of the allowlist (the intersection of the policies')

    Level no_new_privileges = Level::off;
    Level seccomp = Level::off;  // a filter (or strict mode) on the container's processes

    Level rootfs = Level::off;
    std::vector<std::string> tmpfs;  // scratch paths whose tmpfs must be nosuid,nodev
    bool tmpfs_noexec = false;       // ... and noexec

    Level resources = Level::off;
    int64_t pids_max = 0;    // the ceilings; a missing limit violates as well
    int64_t memory_max = 0;

    Level namespaces = Level::off;
    bool host_network = false;  // the host's network namespace is allowed

    Level non_root = Level::off;  // user.nonRoot: no process as host uid 0

    // userNamespace: the container's root is an unprivileged host uid. Only audited where the
    // policy lets hardrun run a container without one: a Kubernetes pod member under
    // "podMembers": "allowHostUsers", any container under "unsupported": "withoutUserNamespace".
    Level user_namespace = Level::off;
};

// The merged requirements of `policies` (at least one) for a container; `pod_member`: its
// config carries the CRI's annotations (io.kubernetes.cri.container-type).
Requirements required_by(const std::vector<const policy::Policy*>& policies, bool pod_member = false);

}  // namespace hardrun::compliance

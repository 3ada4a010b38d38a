// What hardening did to one config or process: changes made, changes a policy in audit mode
// would have made, and refusals. Controls record through a Decision, which also tells them
// whether to make the change (enforce) or only note it (audit, refuse).
#pragma once

#include "idmap/idmap.hpp"
#include "live/userns.hpp"
#include "policy/policy.hpp"

#include <map>
#include <optional>

#include <string>
#include <vector>

namespace hardrun::harden {

struct Finding {
    std::string control;  // "capabilities"
    std::string path;     // JSON pointer, "/process/capabilities/bounding"
    std::string detail;   // "removed CAP_SYS_ADMIN"
};

struct Report {
    std::vector<Finding> changed;   // applied (enforce)
    std::vector<Finding> audited;   // would have been applied (audit)
    std::vector<Finding> refused;   // non-compliance in refuse mode: the create must fail
    bool annotated = false;         // the policy annotation was added or updated
    std::string profile;            // the profile the config selected by annotation, if any
    // Set when the userNamespace control added a user namespace: the image and the bind sources
    // must be idmapped to this range before the runtime starts (idmap/container.cpp).
    std::optional<idmap::IdRange> user_namespace_added;
    // Set when the config has a user namespace of its own that the userNamespace control accepted
    // (Kubernetes' hostUsers: false, Docker's userns-remap): its mappings as the kernel has them
    // (joined by path) or as the config states them. The mounts control lets a bind mount be
    // idmapped with exactly these.
    std::optional<live::UserNamespaceMaps> own_user_namespace;
    // root.path and the bind sources (by index in "mounts") as the rootfs and mounts controls
    // resolved and checked them. The idmap step opens exactly these paths, refusing symlinks, so
    // a path swapped for a symlink after the check fails instead of being mounted.
    std::string checked_rootfs;
    std::map<size_t, std::string> checked_sources;

    // Whether the document must be written back.
    bool modified() const { return !changed.empty() || annotated; }
};

// The refusals as one line for the caller's user: findings with the same control and detail
// are merged ("capabilities: outside the allowlist: CAP_X (at /a, /b)").
std::string describe(const std::vector<Finding>& findings);

// One control's view of the report.
class Decision {
public:
    Decision(Report& report, std::string control, policy::Mode mode)
        : report_(report), control_(std::move(control)), mode_(mode) {}

    // Record that the config is not compliant at `path`; returns true when the control
    // must change it (enforce mode).
    bool change(const std::string& path, const std::string& detail)
    {
        Finding f{control_, path, detail};
        switch (mode_) {
        case policy::Mode::enforce: report_.changed.push_back(std::move(f)); return true;
        case policy::Mode::audit: report_.audited.push_back(std::move(f)); return false;
        case policy::Mode::refuse: report_.refused.push_back(std::move(f)); return false;
        }
        return false;
    }

    // Record non-compliance that no rewrite can fix without changing what the caller asked for
    // (sharing a host namespace): refused in enforce and refuse mode, recorded in audit mode.
    void refuse(const std::string& path, const std::string& detail)
    {
        Finding f{control_, path, detail};
        if (mode_ == policy::Mode::audit)
            report_.audited.push_back(std::move(f));
        else
            report_.refused.push_back(std::move(f));
    }

private:
    Report& report_;
    std::string control_;
    policy::Mode mode_;
};

}  // namespace hardrun::harden

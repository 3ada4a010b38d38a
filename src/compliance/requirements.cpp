#include "compliance/requirements.hpp"

#include "spec/capability_names.hpp"

#include <algorithm>

namespace hardrun::compliance {
namespace {

Level level_of(policy::Mode mode)
{
    return mode == policy::Mode::audit ? Level::audit : Level::enforced;
}

void tighten(Level& level, Level other)
{
    level = std::max(level, other);
}

uint64_t mask_of(const std::vector<std::string>& names)
{
    uint64_t mask = 0;
    for (const auto& name : names)
        if (std::optional<unsigned> n = spec::capability_number(name); n && *n < 64)
            mask |= uint64_t(1) << *n;
    return mask;
}

}  // namespace

Requirements required_by(const std::vector<const policy::Policy*>& policies, bool pod_member)
{
    Requirements r;
    bool first = true;
    for (const policy::Policy* p : policies) {
        tighten(r.capabilities, level_of(p->capabilities.mode));
        uint64_t allowed = mask_of(p->capabilities.allow);
        r.allowed_caps = first ? allowed : (r.allowed_caps & allowed);
        tighten(r.no_new_privileges, level_of(p->no_new_privileges.mode));
        tighten(r.seccomp, level_of(p->seccomp.mode));

        tighten(r.rootfs, level_of(p->rootfs.mode));
        for (const policy::Tmpfs& t : p->rootfs.tmpfs)
            if (std::find(r.tmpfs.begin(), r.tmpfs.end(), t.path) == r.tmpfs.end())
                r.tmpfs.push_back(t.path);
        r.tmpfs_noexec = r.tmpfs_noexec || p->rootfs.noexec;

        tighten(r.resources, level_of(p->resources.mode));
        r.pids_max = first ? p->resources.pids.max : std::min(r.pids_max, p->resources.pids.max);
        r.memory_max = first ? p->resources.memory.max : std::min(r.memory_max, p->resources.memory.max);

        tighten(r.namespaces, level_of(p->namespaces.mode));
        r.host_network = first ? p->namespaces.host_network : (r.host_network && p->namespaces.host_network);

        if (p->user.non_root)
            tighten(r.non_root, level_of(p->user.mode));
        const policy::UserNamespace& userns = p->user_namespace;
        bool may_run_without = userns.run_without_when_unsupported || (pod_member && !userns.refuse_pods_without);
        tighten(r.user_namespace, may_run_without ? Level::audit : level_of(userns.mode));
        first = false;
    }
    return r;
}

}  // namespace hardrun::compliance

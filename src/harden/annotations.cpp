// Annotations are free text for whoever writes the config, but some are instructions to the
// runtime underneath, acting on the host:
//  - org.systemd.property.NAME: runc's systemd cgroup driver sets NAME on the container's unit
//    (DeviceAllow=, Delegate=, MemoryMax=infinity, CPUQuota= ...), past every resources and
//    devices control;
//  - org.criu.config: criu reads the configuration file it names, as root, on checkpoint/restore;
//  - run.oci.*: crun's (keep_original_groups keeps the caller's host groups, seccomp_receiver
//    hands the seccomp fd to a socket, systemd.* and delegate-cgroup shape the cgroup, handler
//    picks another executor ...).
// These are refused unless the policy vouches for the key (annotations.allow). The CRI's
// io.kubernetes.cri.* are claims judged by pod_of; run.hardrun.profile can only tighten.
#include "harden/controls.hpp"
#include "spec/fields.hpp"

#include <algorithm>
#include <array>

namespace hardrun::harden {
namespace {

constexpr std::array<const char*, 3> runtime_prefixes = {"org.systemd.property.", "org.criu.config", "run.oci."};

bool vouched(const std::vector<std::string>& allow, const std::string& key)
{
    return std::any_of(allow.begin(), allow.end(), [&](const std::string& a) {
        if (!a.empty() && a.back() == '*')
            return key.compare(0, a.size() - 1, a, 0, a.size() - 1) == 0;
        return key == a;
    });
}

}  // namespace

void annotations(json::Value& config, const policy::Policy& policy, Report& report)
{
    json::Value* all = spec::field(config, "annotations", json::Kind::object, "/");
    if (!all)
        return;
    Decision decision(report, "annotations", policy.annotations.mode);
    for (const auto& member : all->members()) {
        const std::string& key = member.first;
        bool runtime_instruction = std::any_of(runtime_prefixes.begin(), runtime_prefixes.end(),
                                               [&](const char* p) { return key.rfind(p, 0) == 0; });
        // hardrun's own swap hold (resources.cpp) tightens: no swap beyond the memory limit.
        bool own_swap_hold = key == swap_hold_annotation && member.second.is_string() &&
                             member.second.as_string() == swap_hold_value;
        if (runtime_instruction && !own_swap_hold && !vouched(policy.annotations.allow, key))
            decision.refuse("/annotations/" + key, "is an instruction to the runtime that acts on the host; the "
                                                   "policy's annotations.allow does not vouch for it");
    }
}

}  // namespace hardrun::harden

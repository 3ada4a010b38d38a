// A config's role in a Kubernetes pod, as the controls may act on it. The annotations only
// claim a role; this is the one place that decides whether the claim holds. Today: a member's
// sandbox must be a running container of this runtime (its pause process is the only one whose
// namespaces the member may join). A claim that does not hold is refused.
#include "harden/controls.hpp"
#include "spec/pod.hpp"

namespace hardrun::harden {

spec::Pod pod_of(json::Value& config, const Context& context, const policy::Policy& policy, Report& report)
{
    const spec::PodClaim claim = spec::pod_claim(config);
    spec::Pod pod;
    pod.pod_uid = claim.pod_uid;
    switch (claim.kind) {
    case spec::PodClaim::Kind::none:
        break;
    case spec::PodClaim::Kind::sandbox:
        pod.kind = spec::Pod::Kind::sandbox;
        pod.sandbox_id = context.container_id;
        break;
    case spec::PodClaim::Kind::member: {
        pod.kind = spec::Pod::Kind::member;
        pod.sandbox_id = claim.sandbox_id;
        if (!claim.sandbox_id.empty() && context.container_pid)
            pod.pause_pid = context.container_pid(claim.sandbox_id);
        if (!pod.pause_pid)
            Decision(report, "namespaces", policy.namespaces.mode)
                .refuse(std::string("/annotations/") + spec::cri_sandbox_id,
                        "the CRI pod member's sandbox \"" + claim.sandbox_id +
                            "\" is not a running container of this runtime");
        break;
    }
    }
    return pod;
}

}  // namespace hardrun::harden

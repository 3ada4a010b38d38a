// A config's role in a Kubernetes pod, as the controls may act on it. The annotations only
// claim a role (whoever writes the config writes them); this is the one place that decides
// whether the claim holds, from facts the config cannot write:
//  - hardrun was started by a root-owned containerd shim of one of the policy's CRI namespaces
//    (namespaces.criNamespaces, "k8s.io": the CRI plugin's), whose -id is the pod's sandbox
//    (containerd runs a whole pod in its sandbox's shim);
//  - a sandbox is the container that shim was started for (its id is the shim's);
//  - a member's sandbox is the shim's, and is a running container of this runtime (its pause
//    process is then the only one whose namespaces the member may join: namespaces.cpp).
// A claim that does not hold is refused, naming the fact that failed (audit: recorded, and the
// config treated as no pod member at all, so every control applies in full).
#include "harden/controls.hpp"
#include "spec/pod.hpp"

#include <algorithm>

namespace hardrun::harden {

spec::Pod pod_of(json::Value& config, const Context& context, const policy::Policy& policy, Report& report)
{
    const spec::PodClaim claim = spec::pod_claim(config);
    if (claim.kind == spec::PodClaim::Kind::none)
        return {};
    Decision decision(report, "namespaces", policy.namespaces.mode);
    const std::string type_path = std::string("/annotations/") + spec::cri_container_type;
    const std::string role = claim.kind == spec::PodClaim::Kind::sandbox ? "sandbox" : "member";
    auto unproven = [&](const std::string& why) {
        decision.refuse(type_path, "the config claims to be a Kubernetes pod " + role + ", but " + why);
        return spec::Pod{};
    };

    if (claim.kind == spec::PodClaim::Kind::unknown) {
        decision.refuse(type_path, "\"" + claim.type + "\" is not a CRI container type (sandbox or container)");
        return {};
    }
    live::Shim shim;
    if (context.caller_shim)
        shim = context.caller_shim();
    else
        shim.why_not = "hardrun cannot tell who started it";
    if (!shim.found)
        return unproven(shim.why_not);
    const auto& cri = policy.namespaces.cri_namespaces;
    if (std::find(cri.begin(), cri.end(), shim.namespace_) == cri.end())
        return unproven("its containerd shim runs in namespace \"" + shim.namespace_ +
                        "\", not one the policy's namespaces.criNamespaces names as Kubernetes'");

    spec::Pod pod;
    pod.pod_uid = claim.pod_uid;
    if (claim.kind == spec::PodClaim::Kind::sandbox) {
        if (shim.id != context.container_id)
            return unproven("its containerd shim serves the pod \"" + shim.id + "\", not this container \"" +
                            context.container_id + "\"");
        if (!claim.sandbox_id.empty() && claim.sandbox_id != context.container_id)
            return unproven("its " + std::string(spec::cri_sandbox_id) + " names \"" + claim.sandbox_id +
                            "\", not this container \"" + context.container_id + "\"");
        pod.kind = spec::Pod::Kind::sandbox;
        pod.sandbox_id = context.container_id;
        return pod;
    }
    if (claim.sandbox_id.empty() || shim.id != claim.sandbox_id)
        return unproven("its containerd shim serves the pod \"" + shim.id + "\", not the sandbox \"" +
                        claim.sandbox_id + "\" its annotations name");
    if (context.container_pid)
        pod.pause_pid = context.container_pid(claim.sandbox_id);
    if (!pod.pause_pid)
        return unproven("its sandbox \"" + claim.sandbox_id + "\" is not a running container of this runtime");
    pod.kind = spec::Pod::Kind::member;
    pod.sandbox_id = claim.sandbox_id;
    return pod;
}

}  // namespace hardrun::harden

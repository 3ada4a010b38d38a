// Kubernetes pods as containerd's CRI plugin hands them to the runtime: a sandbox (the pause
// container, which holds the pod's network, IPC and UTS namespaces) and its members (the app
// containers, which join those namespaces by path). The only marks are annotations, so they may
// only ever add checks: a config claiming to be a pod member gets the member checks on top of
// everything else, never fewer.
#pragma once

#include "json/value.hpp"

#include <string>

namespace hardrun::spec {

inline constexpr const char* cri_container_type = "io.kubernetes.cri.container-type";
inline constexpr const char* cri_sandbox_id = "io.kubernetes.cri.sandbox-id";

struct PodRole {
    enum class Kind { none, sandbox, member };
    Kind kind = Kind::none;
    std::string sandbox_id;  // io.kubernetes.cri.sandbox-id as given ("" when absent)
};

// The config's role in a CRI pod by its annotations (container-type "sandbox" or "container").
// Throws when an annotation is not a string.
PodRole pod_role(json::Value& config);

}  // namespace hardrun::spec

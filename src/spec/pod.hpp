// Kubernetes pods as containerd's CRI plugin hands them to the runtime: a sandbox (the pause
// container, which holds the pod's network, IPC and UTS namespaces) and its members (the app
// containers, which join those namespaces by path). The config marks them only by annotations,
// which whoever writes the config can set: a claim is a question to check, never an answer.
// harden::pod_of (harden/pod.cpp) turns the claim into a Pod the controls read from the Context.
#pragma once

#include "json/value.hpp"

#include <optional>
#include <string>

namespace hardrun::spec {

inline constexpr const char* cri_container_type = "io.kubernetes.cri.container-type";
inline constexpr const char* cri_sandbox_id = "io.kubernetes.cri.sandbox-id";
inline constexpr const char* cri_sandbox_uid = "io.kubernetes.cri.sandbox-uid";

// What the config's annotations claim (container-type "sandbox" or "container"; any other
// value is `unknown`, which no fact can prove).
struct PodClaim {
    enum class Kind { none, sandbox, member, unknown };
    Kind kind = Kind::none;
    std::string type;        // io.kubernetes.cri.container-type as given
    std::string sandbox_id;  // io.kubernetes.cri.sandbox-id as given ("" when absent)
    std::string pod_uid;     // io.kubernetes.cri.sandbox-uid as given ("" when absent)
};

// The config's claimed role in a CRI pod. Throws when an annotation is not a string.
PodClaim pod_claim(json::Value& config);

// A role the controls may act on: set only by harden::pod_of.
struct Pod {
    enum class Kind { none, sandbox, member };
    Kind kind = Kind::none;
    std::string sandbox_id;           // the pod's sandbox (the container itself for a sandbox)
    std::string pod_uid;              // the Kubernetes pod uid, "" when unknown
    std::optional<long> pause_pid;    // a member's sandbox (pause) process
    bool is_member() const { return kind == Kind::member; }
    bool is_sandbox() const { return kind == Kind::sandbox; }
    bool in_pod() const { return kind != Kind::none; }
};

}  // namespace hardrun::spec

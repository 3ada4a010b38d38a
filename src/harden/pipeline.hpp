// The order in which controls run over a config (create, run, restore) or over a single
// process (exec). A new control is one file plus one line here.
#pragma once

#include "harden/report.hpp"
#include "idmap/idmap.hpp"
#include "json/value.hpp"
#include "live/apparmor.hpp"
#include "live/caller.hpp"
#include "live/executable.hpp"
#include "policy/policy.hpp"
#include "spec/pod.hpp"

#include <functional>
#include <optional>
#include <string>

namespace hardrun::harden {

// The annotation naming the policy that last rewrote a config. Informational only: it never
// lets a check be skipped, since the config is caller input every time it is read.
inline constexpr const char* policy_annotation = "run.hardrun.policy";

// The pid of a running container's init process, by container id (nullopt: not running, or
// unknown to the runtime). In production `runc --root R state ID`; tests pass their own.
using ContainerPid = std::function<std::optional<long>(const std::string& id)>;

// What the controls know of the container besides its config.
struct Context {
    std::string container_id;  // runc's id argument (Docker's and podman's container id)
    std::string bundle;        // the bundle directory (relative bind sources are relative to it)
    std::string runtime = "";  // the real runtime's path: its directory is hardrun's own, never bound
    // Where verdicts of compiled seccomp profiles are kept (see seccomp::compile_cached; "":
    // no cache, every profile compiled).
    std::string seccomp_cache = "/run/hardrun/seccomp-compiled";
    // Hands out the host ids of a user namespace the userNamespace control adds (create: a slice
    // held for the container; check: the one it would get). Unset, that control cannot add one.
    std::function<idmap::IdRange(const policy::UserNamespace&)> allocate_ids = nullptr;
    // Why the idmapped mounts could not be made on this host: the control then refuses the
    // container or records running it without a user namespace, as userNamespace.unsupported says.
    std::string idmap_unsupported = "";
    // Finds a CRI pod's sandbox (pause) process; without it pod members are refused.
    ContainerPid container_pid = nullptr;
    // Who started hardrun, when it is a containerd shim (live::parent_shim in production): the
    // fact that proves a CRI pod claim. Unset, every pod claim is unproven.
    std::function<live::Shim()> caller_shim = nullptr;
    // The host's AppArmor (live::read_apparmor in production; unset: a host without AppArmor).
    std::function<live::AppArmorHost()> apparmor_host = nullptr;
    // Facts about the programs hooks would run (unset: live::process_exe and
    // live::why_not_root_owned, this host's; tests pass their own).
    std::function<live::ProcessExe(long pid)> process_exe = nullptr;
    std::function<std::string(const std::string& path)> why_not_root_owned = nullptr;
    // The config's role in a Kubernetes pod, as pod_of() decided it from the claim in its
    // annotations (harden_config sets it before the controls run; a claim never sets it alone).
    spec::Pod pod = {};
    // Whether the final filter is compiled with libseccomp. Always in hardrun; the fuzz harness
    // compiles only a sample of its inputs (the BPF compile is most of the cost of one input).
    bool compile_seccomp = true;
    // Whether the host's cgroups are v2 only (unset: this host's, host_cgroup_v2()).
    std::optional<bool> cgroup_v2 = std::nullopt;
};

// Where a config hardrun idmapped keeps the caller's rootfs and bind sources (see
// user_namespace.cpp): a JSON object {"root": PATH, "mounts": {"INDEX": SOURCE}}.
inline constexpr const char* idmap_annotation = "run.hardrun.idmap";

// The annotation by which a config picks a profile among the policy's "selectable" ones.
inline constexpr const char* profile_annotation = "run.hardrun.profile";

// Loads a named profile (policy::load in production; tests pass their own).
using ProfileLoader = std::function<policy::Policy(const std::string& name)>;

// All controls of `policy`; then, if the config's run.hardrun.profile names a selectable
// profile, all controls of that profile too. Marks the config with the policy annotation.
Report harden_config(json::Value& config, const policy::Policy& policy, const Context& context = {},
                     const ProfileLoader& load_profile = nullptr);
Report harden_process(json::Value& process, const policy::Policy& policy);
// The same, adding to an existing report (exec also vets its --cap flags); `root_remapped`: the
// container runs in a user namespace hardrun added, so uid 0 is not host root.
void harden_process(json::Value& process, const policy::Policy& policy, Report& report, bool root_remapped = false,
                    const live::AppArmorHost& apparmor_host = {});

}  // namespace hardrun::harden

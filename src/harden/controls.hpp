// The controls, one file each. Process-level controls take a process object (config.json's
// "process", or the process.json of `runc exec --process`) and its JSON pointer.
#pragma once

#include "harden/pipeline.hpp"
#include "harden/report.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"

#include <string>

namespace hardrun::harden {

// All five capability sets cut to the policy's allowlist (capabilities.cpp).
void capabilities(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report);

// process.noNewPrivileges = true (no_new_privileges.cpp).
void no_new_privileges(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report);

// A confining AppArmor profile on hosts that enforce AppArmor (apparmor.cpp).
void apparmor(json::Value& process, const std::string& where, const policy::Policy& policy,
              const live::AppArmorHost& host, Report& report);

// No real-time or raised priority through rlimits, scheduler or ioPriority; oomScoreAdj not below
// the engine's (process_limits.cpp).
void process_limits(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report);

// Only SELinux types that confine containers in process.selinuxLabel (selinux.cpp).
void selinux(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report);

// No uid 0 without a user namespace remapping it, when the policy says nonRoot (user.cpp).
// `config` is the whole config.json, or nullptr for an exec's process.json; `root_remapped` says
// the container (of an exec) runs in a user namespace hardrun added.
void user(json::Value& process, const std::string& where, json::Value* config, bool root_remapped,
          const policy::Policy& policy, Report& report);

// The document read as runc's Go decoder reads it: keys that differ from an OCI field only by
// case, unknown keys, wrong kinds, integers outside their Go type and NUL bytes refused with
// their JSON pointer; fields no control makes safe refused (fields.cpp). Runs before every other
// control, over config.json, an exec's process.json and the resources document of `update`.
void fields(json::Value& config, const policy::Policy& policy, Report& report);
void process_fields(json::Value& process, const policy::Policy& policy, Report& report);
void resources_fields(json::Value& resources, const policy::Policy& policy, Report& report);

// Config-level controls take the whole config.json.

// The config's role in a CRI pod: what its annotations claim, if the facts agree (pod.cpp).
// Runs before the controls, which read the result from Context::pod.
spec::Pod pod_of(json::Value& config, const Context& context, const policy::Policy& policy, Report& report);

// A user namespace remapping root to an unprivileged host range where the config has none; a
// config's own checked (user_namespace.cpp). Runs first: the user control reads its mappings.
void user_namespace(json::Value& config, const policy::Policy& policy, const Context& context, Report& report);

// The ranges of an OCI uidMappings or gidMappings list at `where` (the config's own, or a
// mount's): integer containerID, hostID and size within 32 bits, size above 0; throws
// hardrun::Error naming the entry otherwise (user_namespace.cpp).
std::vector<live::IdRange> id_mappings(json::Value& list, const std::string& where);

// The annotation (and its value) that carries the swap hold into the container's systemd unit
// (resources.cpp); the annotations control knows it as hardrun's own.
inline constexpr const char* swap_hold_annotation = "org.systemd.property.MemorySwapMax";
inline constexpr const char* swap_hold_value = "uint64 0";

// Whether this host's cgroups are v2 only (unified), where runc writes memory.reservation to
// memory.low (resources.cpp).
bool host_cgroup_v2();

// pids and memory limits: default where unset, ceiling where higher; swap held to memory; what
// takes from the host rather than limits removed (resources.cpp). `cgroup_v2`: the host's.
void resources(json::Value& config, const policy::Policy& policy, bool cgroup_v2, Report& report);

// The LinuxResources document of `runc update` (-r FILE, -r -): no limit above its ceiling, none
// removed (resources.cpp).
void update_resources(json::Value& resources, const policy::Policy& policy, bool cgroup_v2, Report& report);

// Read-only root, tmpfs scratch mounts (rootfs.cpp). Runs after resources: sizes by memory.
void rootfs(json::Value& config, const policy::Policy& policy, const Context& context, Report& report);

// Own pid, ipc, uts, mount, network, cgroup namespaces; the host's refused; a CRI pod member
// joins only its own sandbox's (namespaces.cpp).
void namespaces(json::Value& config, const policy::Policy& policy, const Context& context, Report& report);

// Every mount judged: bind sources and overlay layers against the deny list (engines' own files
// allowed by shape), kernel filesystems only where a container has them, other types only when
// the policy lists them, nosuid,nodev kept, shared propagation and idmapped mounts refused; the
// root filesystem judged the same way (mounts.cpp).
void mounts(json::Value& config, const policy::Policy& policy, const Context& context, Report& report);

// Only the OCI default devices and the policy's; device cgroup narrowed to match (devices.cpp).
void devices(json::Value& config, const policy::Policy& policy, Report& report);

// Masked and read-only /proc and /sys paths restored, sysfs and cgroupfs read-only
// (kernel_interfaces.cpp): what --privileged turns off.
void kernel_interfaces(json::Value& config, const policy::Policy& policy, Report& report);

// Only safe namespaced sysctls (sysctls.cpp).
void sysctls(json::Value& config, const policy::Policy& policy, Report& report);

// A seccomp filter on every container: the policy's profile where there is none or an
// unconfined one, the caller's own less the deny list (seccomp.cpp). Runs after capabilities.
void seccomp(json::Value& config, const policy::Policy& policy, const Context& context, Report& report);

// linux.cgroupsPath only for a cgroup that holds no process yet (cgroups_path.cpp).
void cgroups_path(json::Value& config, const policy::Policy& policy, Report& report);

// OCI hooks: only the policy's and Docker's own network hook (hooks.cpp).
void hooks(json::Value& config, const policy::Policy& policy, const Context& context, Report& report);

// Annotations that runtimes act on, refused unless vouched for (annotations.cpp).
void annotations(json::Value& config, const policy::Policy& policy, Report& report);

// `restore`: a checkpoint image's processes come back with what the image says (restore.cpp).
void checkpoint_restore(const policy::Policy& policy, Report& report);

}  // namespace hardrun::harden

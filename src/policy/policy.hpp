// The policy: which controls hardrun applies, and how (mode). Loaded from a JSON file,
// validated strictly (an unknown key or a bad value is an error naming the field), and
// named by a digest of its content so a rewritten config records which policy shaped it.
#pragma once

#include "json/value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hardrun::policy {

// enforce: rewrite the config; refuse: fail the create when the config is not compliant;
// audit: change nothing, only record what enforce would have changed.
enum class Mode { enforce, refuse, audit };

struct Capabilities {
    Mode mode = Mode::enforce;
    std::vector<std::string> allow;  // OCI names, validated with libcap-ng
};

struct NoNewPrivileges {
    Mode mode = Mode::enforce;
};

struct Tmpfs {
    std::string path;  // absolute, clean
    unsigned mode;     // permission bits of the tmpfs root, e.g. 01777
};

// Read-only root filesystem, with writable tmpfs scratch space.
struct Rootfs {
    Mode mode = Mode::enforce;
    std::vector<Tmpfs> tmpfs;  // added where the caller mounts nothing; always nosuid,nodev
    bool noexec = false;       // add noexec to those tmpfs mounts
    uint64_t size = 0;         // tmpfs size in bytes; 0: the container's memory limit
};

// A cgroup limit: `fallback` where the config sets none (or unlimited), `max` caps a higher one.
struct Limit {
    int64_t fallback;
    int64_t max;
};

struct Resources {
    Mode mode = Mode::enforce;
    Limit pids{1024, 4096};
    Limit memory{int64_t(1) << 30, int64_t(16) << 30};
    // "intelRdt": whether a config may program Intel RDT (linux.intelRdt: the host's cache and
    // memory-bandwidth allocation); false by default.
    bool intel_rdt = false;
};

// Namespaces: the container's own, never the host's.
struct Namespaces {
    Mode mode = Mode::enforce;
    bool host_network = false;  // allow sharing the host's network namespace
    // "criNamespaces": the containerd namespaces whose shims speak for Kubernetes (the CRI
    // plugin's); only a config run by such a shim can be a pod sandbox or member.
    std::vector<std::string> cri_namespaces = {"k8s.io"};
};

// Devices beyond the OCI defaults, by path ("/dev/fuse"); none by default.
struct Devices {
    Mode mode = Mode::enforce;
    std::vector<std::string> allow;
};

// OCI hooks run on the host, as root, outside every control of the container (createContainer and
// startContainer from the container's init before it is confined). None by default, but for the
// ones named here: an exact absolute path of a root-owned binary and the kinds it may run as.
struct Hook {
    std::string path;
    std::vector<std::string> kinds;  // prestart, createRuntime, createContainer, startContainer, poststart, poststop
};
struct Hooks {
    Mode mode = Mode::enforce;
    std::vector<Hook> allow;
    // "dockerNetwork": Docker's own prestart hook (dockerd's binary run as libnetwork-setkey for
    // this container), recognised by facts; without it Docker's networking breaks.
    bool docker_network = true;
};

// Annotations that runtimes act on (runc's systemd driver turns org.systemd.property.* into unit
// properties, criu reads the file org.criu.config names, crun acts on run.oci.*): refused unless
// the policy vouches for the key ("allow": exact keys, or prefixes ending in '*'; by default
// org.systemd.property.KillSignal and TimeoutStopUSec, which podman 5 sets).
struct Annotations {
    Mode mode = Mode::enforce;
    // podman 5 sets how the container's scope is stopped (signal, time to wait): harmless.
    std::vector<std::string> allow = {"org.systemd.property.KillSignal", "org.systemd.property.TimeoutStopUSec"};
};

// Fields: the config read as runc reads it (harden/fields.cpp). "allow": schema pointers
// ("/linux/netDevices", "/process/newField") of fields no control owns that the operator lets
// through unread.
struct Fields {
    Mode mode = Mode::enforce;
    std::vector<std::string> allow;
};

// AppArmor, on hosts that enforce it: a container without a confining profile (none,
// "unconfined", or one only in complain mode) gets the first of `profiles` the host has loaded in
// enforce mode. None loaded: runs unconfined, recorded; or refused ("unavailable": "refuse").
struct AppArmor {
    Mode mode = Mode::enforce;
    std::vector<std::string> profiles = {"hardrun-default", "docker-default", "cri-containerd.apparmor.d"};
    bool refuse_unavailable = false;
};

// SELinux, on hosts that enforce it: the types a container process may run as
// (process.selinuxLabel); engines use container_t and container_init_t.
struct SELinux {
    Mode mode = Mode::enforce;
    std::vector<std::string> types = {"container_t", "container_init_t", "container_kvm_t", "svirt_lxc_net_t"};
};

// `restore` from a checkpoint image: criu gives the restored processes the credentials,
// capabilities, seccomp state and memory saved in the image, which hardrun cannot vet (the
// config is hardened, the image is not). Refused unless the policy trusts the images (audit).
struct Restore {
    Mode mode = Mode::enforce;
};

// What --privileged turns off: masked and read-only /proc and /sys paths, read-only sysfs.
struct KernelInterfaces {
    Mode mode = Mode::enforce;
};

// Mounts: denied host paths (the system's trees: a bind or a root filesystem there is refused),
// read-only ones, the engines' data roots, from which only the engines' own per-container files
// and volumes may be bound, and the filesystem types allowed beyond the container ones.
struct Mounts {
    Mode mode = Mode::enforce;
    std::vector<std::string> deny = {"/", "/proc", "/sys", "/dev", "/boot", "/etc", "/root", "/run", "/var/run",
                                     "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/opt", "/var/lib", "/var/log", "/var/cache",
                                     "/var/spool", "/var/backups", "/var/mail",
                                     "/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet",
                                     "/var/lib/containers"};
    // Filesystem types a mount may have besides bind, proc, sysfs, cgroup, cgroup2, devpts,
    // mqueue, tmpfs and overlay ("ext4", "nfs", "fuse.sshfs" ...): none by default.
    std::vector<std::string> types;
    std::vector<std::string> deny_names = {"docker.sock", "containerd.sock", "crio.sock", "podman.sock"};
    std::vector<std::string> allow_read_only = {"/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo"};
    std::vector<std::string> read_only;
    std::vector<std::string> docker = {"/var/lib/docker"};
    std::vector<std::string> containerd = {"/var/lib/containerd", "/run/containerd"};
    std::vector<std::string> podman = {"/var/lib/containers/storage", "/run/containers/storage"};
    std::vector<std::string> kubelet = {"/var/lib/kubelet"};
};

// Sysctls beyond Kubernetes' safe set and the container's own net.*.
struct Sysctls {
    Mode mode = Mode::enforce;
    std::vector<std::string> allow;
};

// User: with non_root, uid 0 only inside a user namespace that remaps it.
struct User {
    Mode mode = Mode::enforce;
    bool non_root = false;
};

// User namespace: where a config has none, container ids 0..65535 are mapped to an unprivileged
// host range, a 65536-id slice of the subordinate ids /etc/subuid and /etc/subgid give `owner`,
// and the image is shown through idmapped mounts (no chown). A config's own user namespace is kept
// when no mapping reaches host id 0.
struct UserNamespace {
    Mode mode = Mode::enforce;
    std::string owner = "hardrun";  // the user whose subordinate ids hardrun hands out
    bool shared = false;            // "ranges": "shared" (one slice for all) or "perContainer"
    // "unsupported": what happens when a layer or bind source cannot be idmapped (a filesystem or
    // kernel without support): "refuse" the container, or run it "withoutUserNamespace" (audited).
    bool run_without_when_unsupported = false;
    // "podMembers": a Kubernetes pod member (CRI annotations) without a user namespace of its own
    // cannot get one from the runtime (its pod's namespaces belong to the host's user namespace):
    // "allowHostUsers" runs it without (audited), "refuse" tells the operator to set hostUsers: false.
    bool refuse_pods_without = false;
    // "overlayLayers": how an overlay rootfs's idmapped layers are given to the new overlay.
    // "auto" takes the first form the host's probe (idmap/host.hpp) found working; the others
    // force one form (tests exercise each on a kernel that has them all).
    enum class OverlayLayers { automatic, fd, path, lowerdir };
    OverlayLayers overlay_layers = OverlayLayers::automatic;
};

// Seccomp: the profile injected where a container has none (or an unconfined one), and the
// syscalls removed from a caller's own profile.
struct Seccomp {
    Mode mode = Mode::enforce;
    std::string profile_source = "default";  // "default" (built in) or a file path
    std::string profile_text;                // read when the policy is loaded (it counts in the digest)
    // The profile, parsed on first use: most creates keep the caller's own profile and never
    // need it, and parsing it costs more than the rest of a create's rewrite.
    const json::Value& profile() const;
    std::vector<std::string> deny = {"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
                                     "io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load",
                                     "kexec_file_load", "init_module", "finit_module", "delete_module",
                                     "open_by_handle_at", "mount", "umount", "umount2", "unshare", "setns",
                                     "ptrace", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
                                     "open_tree"};
    // "listeners": the sockets (absolute paths) of seccomp agents a container's profile may hand
    // its notification fd to (linux.seccomp.listenerPath); none by default.
    std::vector<std::string> listeners;

private:
    mutable std::optional<json::Value> parsed_;
};

// Where the audit event of each vetted command goes: a JSON line appended to audit.log, the
// system journal (structured fields), syslog (authpriv, the JSON line), or nowhere.
enum class AuditTarget { file, journal, syslog, none };
const char* to_string(AuditTarget target);

struct Policy {
    std::string source;                  // file path, or "built-in"
    std::string digest;                  // "sha256:<hex>" of the canonical JSON
    std::optional<std::string> runtime;  // the real runtime (path or name on PATH)
    AuditTarget audit_target = AuditTarget::file;  // where audit events go
    std::string audit_log;               // the file target's path
    Capabilities capabilities;
    NoNewPrivileges no_new_privileges;
    Resources resources;
    Namespaces namespaces;
    Devices devices;
    Mounts mounts;
    Sysctls sysctls;
    Seccomp seccomp;
    User user;
    UserNamespace user_namespace;
    // Profiles a config may pick with the annotation run.hardrun.profile; they are applied
    // after this policy, so they can only tighten.
    std::vector<std::string> selectable;
    KernelInterfaces kernel;
    Restore restore;
    AppArmor apparmor;
    SELinux selinux;
    Hooks hooks;
    Annotations annotations;
    Fields fields;
    Rootfs rootfs{Mode::enforce, {{"/tmp", 01777}, {"/run", 0755}, {"/var/tmp", 01777}}, false, 0};

    // Whether any control rewrites configs (false for a purely audit/refuse policy).
    bool rewrites() const;
};

extern const char* const builtin_policy_text;
extern const char* const builtin_seccomp_text;

// Profile names: letters, digits, '-' and '_' (so a name cannot leave the profiles directory).
bool valid_profile_name(const std::string& name);

// Parse and validate policy text. `source` names it in messages.
Policy parse(std::string_view text, const std::string& source);

// The policy to use: `requested` (--hardrun-policy: a path, or a profile name looked up in
// the installed profiles directory), else the system policy file if it exists, else the
// built-in default. A file (and a seccomp profile file it names) must be a regular file owned
// by root and writable by no one else, and so must every directory it lies in (symlinks
// resolved; a sticky directory such as /tmp excepted): whoever could write one could swap it.
Policy load(const std::optional<std::string>& requested);

// Every policy a config may carry the digest of: the built-in one, the system policy file,
// `requested`, and each profile of the profiles directory that loads (files that are not
// policies are skipped). One entry per digest. For `hardrun report`.
std::vector<Policy> load_known(const std::optional<std::string>& requested);

// The policy's "runtime" setting, for commands that only hand over to the runtime. Without a
// policy file there is none, and the built-in policy is not even parsed. A file is opened and
// checked as load() does each time; its parsed setting is recorded for the file's exact state
// (runtime_record.hpp) and read from that record while the file stays unchanged.
std::optional<std::string> runtime_setting(const std::optional<std::string>& requested);

}  // namespace hardrun::policy

// `hardrun doctor [--json]`: before a node is switched over, what this host lets hardrun enforce,
// one line per check (pass, warn, fail) with what was found and what to do. Every finding comes
// from a probe of this host (the idmap forms are tried on the filesystems of the engines' data
// roots), never from a version table. It changes nothing: probes work in scratch directories
// they remove. Exit status 1 when a check fails.
#include "commands/commands.hpp"

#include "cli/own_options.hpp"
#include "idmap/host.hpp"
#include "json/value.hpp"
#include "live/apparmor.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "state/state.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <dirent.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <linux/capability.h>

namespace hardrun::commands {
namespace {

enum class Status { pass, warn, fail };

const char* status_name(Status s)
{
    return s == Status::pass ? "pass" : s == Status::warn ? "warn" : "fail";
}

struct Finding {
    std::string check;
    Status status;
    std::string found;
    std::string advice;  // what to do (warn, fail)
};

bool exists(const std::string& path)
{
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

// "1.1.5+ds1" -> {1, 1, 5}; missing parts are 0.
std::vector<int> version_numbers(const std::string& text)
{
    std::vector<int> out;
    const char* p = text.c_str();
    char* end;
    for (long n; out.size() < 3 && (n = std::strtol(p, &end, 10), end != p); p = end + 1) {
        out.push_back(int(n));
        if (*end != '.')
            break;
    }
    out.resize(3, 0);
    return out;
}

Finding kernel_and_idmap(const policy::Policy& policy, std::vector<Finding>& out)
{
    struct utsname u {};
    uname(&u);
    out.push_back({"kernel", Status::pass, std::string("Linux ") + u.release, ""});
    // The forms an overlay rootfs's idmapped layers can take here, probed (cached per boot).
    idmap::HostSupport host = idmap::host_support(true);
    idmap::FormChoice choice = idmap::choose_form(policy.user_namespace.overlay_layers, host);
    bool degrade = policy.user_namespace.run_without_when_unsupported;
    if (choice.form)
        return {"idmapped layers", Status::pass,
                std::string("overlay layers idmapped in the ") + idmap::form_name(*choice.form) + " form", ""};
    return {"idmapped layers", degrade ? Status::warn : Status::fail, "none: " + choice.why_none,
            degrade ? "containers run without a user namespace (audited); a kernel of Linux 5.19 or later idmaps them"
                    : "the policy refuses containers it cannot give a user namespace: use Linux 5.19 or later"};
}

// Each engine data root (and hardrun's state directory): can its filesystem be idmapped?
void data_roots(const policy::Policy& policy, std::vector<Finding>& out)
{
    bool degrade = policy.user_namespace.run_without_when_unsupported;
    for (const char* dir : {"/var/lib/docker", "/var/lib/containerd", "/var/lib/containers/storage", "/run"}) {
        if (!exists(dir))
            continue;
        idmap::HostSupport probe = idmap::probe_host({dir});
        std::string check = std::string("idmap on ") + dir;
        if (probe.no_idmap.empty()) {
            out.push_back({check, Status::pass, "its filesystem can be idmapped", ""});
        } else if (std::string(dir) == "/run") {
            // podman's per-container files (hosts, resolv.conf) live there: bound as they are.
            out.push_back({check, Status::warn, probe.no_idmap,
                           "bind sources there (podman's hosts, resolv.conf) are bound without idmapping, owned by "
                           "nobody inside; Linux 6.3 idmaps tmpfs"});
        } else {
            out.push_back({check, degrade ? Status::warn : Status::fail, probe.no_idmap,
                           degrade ? "images there run without a user namespace (audited)"
                                   : "the policy refuses images there: move the data root to ext4, xfs or btrfs"});
        }
    }
}

void cgroups(std::vector<Finding>& out)
{
    if (exists("/sys/fs/cgroup/cgroup.controllers")) {
        std::string controllers = first_line_of("/sys/fs/cgroup/cgroup.controllers", 1u << 20);
        bool pids = controllers.find("pids") != std::string::npos;
        bool memory = controllers.find("memory") != std::string::npos;
        // memory.swap.max is in every non-root cgroup when swap is accounted (the root has none).
        bool swap = false;
        if (DIR* root = opendir("/sys/fs/cgroup")) {
            while (dirent* e = readdir(root))
                swap = swap || (e->d_type == DT_DIR && e->d_name[0] != '.' &&
                                exists(std::string("/sys/fs/cgroup/") + e->d_name + "/memory.swap.max"));
            closedir(root);
        }
        Status s = pids && memory ? (swap ? Status::pass : Status::warn) : Status::fail;
        out.push_back({"cgroup", s, "v2 (controllers: " + controllers + ")" + (swap ? ", swap accounting on" : ", no swap accounting"),
                       !(pids && memory) ? "the pids and memory controllers must be enabled for the limits to hold"
                       : swap           ? ""
                                        : "swap cannot be held to the memory limit: enable CONFIG_MEMCG_SWAP"});
        return;
    }
    bool pids = exists("/sys/fs/cgroup/pids"), memory = exists("/sys/fs/cgroup/memory");
    bool swap = exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
    bool hybrid = exists("/sys/fs/cgroup/unified");
    Status s = pids && memory ? (swap ? Status::pass : Status::warn) : Status::fail;
    out.push_back({"cgroup", s, std::string(hybrid ? "v1 (hybrid)" : "v1") + (swap ? ", swap accounting on" : ", no swap accounting"),
                   !(pids && memory) ? "the pids and memory controllers must be mounted for the limits to hold"
                   : swap           ? "cgroup v1 is deprecated by systemd and the engines: plan a move to v2"
                                    : "swap cannot be held: boot with swapaccount=1, or move to cgroup v2"});
    if (s == Status::pass)
        out.back().status = Status::warn;
}

void mac(std::vector<Finding>& out)
{
    live::AppArmorHost aa = live::read_apparmor();
    if (!aa.enabled)
        out.push_back({"apparmor", Status::pass, "not enabled on this host (nothing to confine with)", ""});
    else if (aa.confines("hardrun-default"))
        out.push_back({"apparmor", Status::pass, "enabled; hardrun-default loaded in enforce mode", ""});
    else
        out.push_back({"apparmor", Status::warn, "enabled; hardrun-default not loaded",
                       "run contrib/install.sh (it loads contrib/apparmor/hardrun-default); meanwhile an engine's "
                       "default profile is used where loaded"});
    if (exists("/sys/fs/selinux/enforce"))
        out.push_back({"selinux", Status::pass,
                       first_line_of("/sys/fs/selinux/enforce", 1u << 20) == "1" ? "enforcing" : "permissive",
                       ""});
}

void seccomp(std::vector<Finding>& out)
{
    bool filters = false;
    std::string status = read_small_file("/proc/self/status", 1u << 20).value_or("");
    for (std::string_view line : lines_of(status))
        filters = filters || line.substr(0, 16) == "Seccomp_filters:";  // only with CONFIG_SECCOMP_FILTER
    const scmp_version* v = seccomp_version();
    std::string lib = "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    out.push_back({"seccomp", filters ? Status::pass : Status::fail, (filters ? "the kernel filters system calls; " : "no seccomp in this kernel; ") + lib,
                   filters ? "" : "a kernel with CONFIG_SECCOMP_FILTER is needed"});
}

void subordinate_ids(const policy::Policy& policy, std::vector<Finding>& out)
{
    const std::string& owner = policy.user_namespace.owner;
    try {
        size_t n = state::slices_of(owner).size();
        out.push_back({"subordinate ids", Status::pass,
                       "user " + owner + ": " + std::to_string(n) + " slice" + (n == 1 ? "" : "s") + " of 65536 ids (" +
                           std::to_string(n) + " containers at once" + (policy.user_namespace.shared ? ", shared" : "") + ")",
                       ""});
    } catch (const Error& e) {
        bool needed = policy.user_namespace.mode != policy::Mode::audit;
        out.push_back({"subordinate ids", needed ? Status::fail : Status::warn, e.what(),
                       "run contrib/install.sh --user-only (it creates the user and its range)"});
    }
}

void runc(const cli::Invocation& inv, const policy::Policy& policy, std::vector<Finding>& out)
{
    std::string path;
    try {
        path = runtime::locate(inv.runtime, policy.runtime);
    } catch (const Error& e) {
        out.push_back({"runtime", Status::fail, e.what(), "install runc (1.1 or later)"});
        return;
    }
    std::string text = runtime::output_of(path, {"--version"}, true);
    std::string first = text.substr(0, text.find('\n'));
    size_t at = first.find("version ");
    std::vector<int> v = version_numbers(at == std::string::npos ? "" : first.substr(at + 8));
    bool old = v[0] < 1 || (v[0] == 1 && v[1] < 1);
    out.push_back({"runtime", first.empty() ? Status::fail : old ? Status::warn : Status::pass,
                   path + ": " + (first.empty() ? "does not answer --version" : first),
                   first.empty() ? "check the runtime hardrun hands over to" : old ? "use runc 1.1 or later" : ""});
}

void capabilities(std::vector<Finding>& out)
{
    bool resource = prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) == 1;
    out.push_back({"CAP_SYS_RESOURCE", resource ? Status::pass : Status::warn,
                   resource ? "in hardrun's bounding set" : "not in hardrun's bounding set",
                   resource ? ""
                            : "runc cannot set rlimits above this host's or a lower oomScoreAdj: containers asking "
                              "for them fail to start (containerd's restrict_oom_score_adj avoids the latter)"});
}

void policy_and_log(const cli::Invocation& inv, std::optional<policy::Policy>& loaded, std::vector<Finding>& out)
{
    try {
        loaded = policy::load(inv.policy);
        out.push_back({"policy", Status::pass, loaded->source + " (" + loaded->digest + ")", ""});
    } catch (const Error& e) {
        out.push_back({"policy", Status::fail, e.what(),
                       "fix the file: until then every create is refused"});
        return;
    }
    // An undelivered event never stops a container (hardrun warns): a warn, not a fail.
    policy::AuditTarget target = loaded->audit_target;
    std::string where = target == policy::AuditTarget::file ? "file " + loaded->audit_log : policy::to_string(target);
    std::string problem = log::audit_target_problem(*loaded);
    if (target == policy::AuditTarget::none)
        out.push_back({"audit", Status::warn, "none", "no audit events are kept: set audit.target"});
    else
        out.push_back({"audit", problem.empty() ? Status::pass : Status::warn, where + (problem.empty() ? "" : ": " + problem),
                       problem.empty() ? "" : "events are lost until this is fixed (or pick another audit.target)"});
}

}  // namespace

int doctor(const cli::Invocation& inv)
{
    std::vector<std::string> args(inv.runtime_args.begin() + long(inv.command_index) + 1, inv.runtime_args.end());
    cli::OwnOptions o = cli::parse_own_options(args, {}, {"json"}, usage_of("doctor"));
    if (!o.positional.empty())
        throw Error("doctor: no arguments besides --json");

    std::vector<Finding> out;
    std::optional<policy::Policy> policy;
    policy_and_log(inv, policy, out);
    policy::Policy effective = policy ? *policy : policy::parse(policy::builtin_policy_text, "built-in");
    out.push_back(kernel_and_idmap(effective, out));
    data_roots(effective, out);
    cgroups(out);
    mac(out);
    seccomp(out);
    subordinate_ids(effective, out);
    runc(inv, effective, out);
    capabilities(out);

    bool failed = false;
    for (const Finding& f : out)
        failed = failed || f.status == Status::fail;
    if (o.has("json")) {
        json::Value checks = json::Value::array();
        for (const Finding& f : out) {
            json::Value item = json::Value::object();
            item.set("check", json::Value::string(f.check));
            item.set("status", json::Value::string(status_name(f.status)));
            item.set("finding", json::Value::string(f.found));
            item.set("advice", json::Value::string(f.advice));
            checks.items().push_back(std::move(item));
        }
        json::Value doc = json::Value::object();
        doc.set("checks", std::move(checks));
        doc.set("result", json::Value::string(failed ? "fail" : "pass"));
        std::printf("%s\n", json::serialize_pretty(doc).c_str());
    } else {
        for (const Finding& f : out) {
            std::printf("%s  %s: %s\n", status_name(f.status), f.check.c_str(), f.found.c_str());
            if (!f.advice.empty())
                std::printf("      -> %s\n", f.advice.c_str());
        }
    }
    return failed ? 1 : 0;
}

}  // namespace hardrun::commands

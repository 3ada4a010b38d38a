#include "harden/controls.hpp"
#include "harden/pipeline.hpp"
#include "idmap/host.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>
#include <sys/prctl.h>

#include <algorithm>
#include <csignal>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using hardrun::Error;
using namespace hardrun;

namespace {

policy::Policy default_policy() { return policy::parse(policy::builtin_policy_text, "built-in"); }

policy::Policy policy_with_modes(const char* caps_mode, const char* nnp_mode, const char* others = "enforce")
{
    std::string text = std::string(R"({"capabilities":{"mode":")") + caps_mode +
                       R"(","allow":["CAP_KILL","CAP_CHOWN"]},"noNewPrivileges":{"mode":")" + nnp_mode + "\"}";
    for (const char* control : {"resources", "rootfs", "namespaces", "devices", "kernelInterfaces", "mounts", "sysctls", "seccomp", "userNamespace"})
        text += std::string(",\"") + control + R"(":{"mode":")" + others + "\"}";
    return policy::parse(text + "}", "test");
}

// Whether hardrun turns the config away: an error, or a refusal in the report (the fields
// control refuses malformed fields with their pointer, before any control reads them).
bool rejected(json::Value& config, const policy::Policy& policy, const harden::Context& context = test::context())
{
    try {
        return !harden::harden_config(config, policy, context).refused.empty();
    } catch (const Error&) {
        return true;
    }
}

size_t count(const std::vector<harden::Finding>& findings, const char* control)
{
    return size_t(std::count_if(findings.begin(), findings.end(),
                                [&](const harden::Finding& f) { return f.control == control; }));
}

std::vector<std::string> names(const json::Value& caps, const char* set)
{
    std::vector<std::string> out;
    if (const json::Value* v = caps.find(set))
        for (const auto& item : v->items())
            out.push_back(item.as_string());
    return out;
}

const char* privileged_process = R"({"process":{"args":["sh"],"capabilities":{
  "bounding":["CAP_CHOWN","CAP_SYS_ADMIN","CAP_NET_RAW","CAP_KILL","CAP_SYS_MODULE"],
  "effective":["CAP_CHOWN","CAP_SYS_ADMIN"],
  "permitted":["CAP_CHOWN","CAP_SYS_ADMIN","CAP_KILL"],
  "inheritable":["CAP_SYS_ADMIN"],
  "ambient":["CAP_SYS_ADMIN","CAP_KILL"]},"noNewPrivileges":false},"root":{"path":"rootfs"},
  "linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}]}})";

}  // namespace

Test(harden, cuts_all_five_sets_to_the_allowlist)
{
    json::Value config = json::parse(privileged_process);
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    const json::Value& caps = *config.find("process")->find("capabilities");
    cr_assert(names(caps, "bounding") == std::vector<std::string>({"CAP_CHOWN", "CAP_KILL"}));
    cr_assert(names(caps, "effective") == std::vector<std::string>({"CAP_CHOWN"}));
    cr_assert(names(caps, "permitted") == std::vector<std::string>({"CAP_CHOWN", "CAP_KILL"}));
    cr_assert(names(caps, "inheritable").empty());
    cr_assert(names(caps, "ambient") == std::vector<std::string>({"CAP_KILL"}));
    cr_assert(config.find("process")->find("noNewPrivileges")->as_bool());
    cr_assert(report.modified());
    cr_assert_eq(count(report.changed, "capabilities"), 5u);
    cr_assert_eq(count(report.changed, "noNewPrivileges"), 1u);
    cr_assert(report.refused.empty());
    // Exact numbers survive (uint64 beyond double precision).
    json::Value nofile = json::parse(R"({"process":{"args":["sh"],"rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":1024}]},"root":{"path":"rootfs"}})");
    harden::harden_config(nofile, default_policy(), test::context());
    cr_assert_eq(nofile.find("process")->find("rlimits")->items()[0].find("hard")->number_text(), "18446744073709551615");
    cr_assert_eq(config.find("annotations")->find(harden::policy_annotation)->as_string(), default_policy().digest);
}

Test(harden, second_pass_changes_nothing)
{
    policy::Policy p = default_policy();
    json::Value config = json::parse(privileged_process);
    harden::harden_config(config, p, test::context());
    std::string once = json::serialize(config);
    harden::Report second = harden::harden_config(config, p, test::context());
    cr_assert(!second.modified());
    cr_assert_eq(json::serialize(config), once);
}

Test(harden, every_fixture_is_hardened_idempotently)
{
    policy::Policy p = default_policy();
    for (const auto& path : test::fixture_files()) {
        if (path.find("-update-") != std::string::npos)
            continue;  // `runc update` resources, not a config or a process
        json::Value doc = json::parse(test::read_file(path));
        bool is_process = path.find("-process.json") != std::string::npos;  // an exec process.json
        harden::Report first = is_process ? harden::harden_process(doc, p) : harden::harden_config(doc, p, test::context());
        (void)first;
        std::string once = json::serialize(doc);
        harden::Report second = is_process ? harden::harden_process(doc, p) : harden::harden_config(doc, p, test::context());
        cr_assert(!second.modified(), "%s: second pass changed it", path.c_str());
        cr_assert_eq(json::serialize(doc), once, "%s", path.c_str());
        const json::Value& process = is_process ? doc : *doc.find("process");
        cr_assert(process.find("noNewPrivileges")->as_bool(), "%s", path.c_str());
        if (const json::Value* caps = process.find("capabilities"))
            for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"})
                for (const auto& name : names(*caps, set))
                    cr_assert(name != "CAP_SYS_ADMIN" && name != "CAP_NET_RAW" && name != "CAP_MKNOD" &&
                                  name != "CAP_SYS_CHROOT" && name != "CAP_AUDIT_WRITE",
                              "%s: %s kept in %s", path.c_str(), name.c_str(), set);
    }
}

Test(harden, missing_capabilities_object_gets_the_allowlist)
{
    json::Value config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"rootfs"}})");
    harden::harden_config(config, default_policy(), test::context());
    const json::Value& caps = *config.find("process")->find("capabilities");
    cr_assert_eq(names(caps, "bounding").size(), 8u);
    cr_assert_eq(names(caps, "effective").size(), 8u);
    cr_assert(names(caps, "ambient").empty());
}

Test(harden, unknown_capability_is_an_error)
{
    json::Value config = json::parse(R"({"process":{"capabilities":{"bounding":["CAP_NOT_A_CAP"]}}})");
    cr_assert(rejected(config, default_policy()));
    json::Value lower = json::parse(R"({"process":{"capabilities":{"bounding":["cap_sys_admin"]}}})");
    cr_assert(rejected(lower, default_policy()));
    // The audit profile records it and changes nothing (man 8 hardrun: audit refuses nothing).
    policy::Policy audit = policy::parse(test::read_file(test::fixtures_dir() + "/../../profiles/audit.json"), "audit");
    json::Value audited = json::parse(R"({"process":{"args":["sh"],"capabilities":{"bounding":["CAP_NOT_A_CAP","CAP_KILL"]}},"root":{"path":"r"}})");
    std::string before = json::serialize(audited);
    harden::Report report = harden::harden_config(audited, audit, test::context());
    cr_assert(report.refused.empty(), "%s", harden::describe(report.refused).c_str());
    cr_assert(std::any_of(report.audited.begin(), report.audited.end(), [](const harden::Finding& f) {
        return f.path == "/process/capabilities/bounding/0" && f.detail.find("CAP_NOT_A_CAP") != std::string::npos;
    }));
    cr_assert_eq(json::serialize(audited), before);
    json::Value number = json::parse(R"({"process":{"capabilities":{"bounding":[21]}}})");
    cr_assert(rejected(number, default_policy()));
}

Test(harden, keys_runc_would_fold_onto_oci_keys_are_refused)
{
    const char* docs[] = {
        R"({"process":{"args":["sh"]},"Process":{"args":["sh"]}})",
        R"({"PROCESS":{"args":["sh"]}})",
        "{\"proce\xc5\xbfs\":{\"args\":[\"sh\"]}}",  // U+017F long s
        R"({"process":{"Capabilities":{"bounding":["CAP_SYS_ADMIN"]}}})",
        R"({"process":{"capabilities":{"Bounding":["CAP_SYS_ADMIN"]}}})",
        "{\"process\":{\"capabilities\":{\"bounding\":[],\"\xe2\x84\xaa\":1,\"ambient\":[]},\"noNewPrivileges\":true,\"NoNewPrivileges\":false}}",
    };
    for (const char* text : docs) {
        json::Value config = json::parse(text);
        cr_assert(rejected(config, default_policy()), "accepted: %s", text);
    }
}

Test(harden, wrong_types_are_errors)
{
    const char* docs[] = {
        R"({"process":[]})",
        R"({"process":{"capabilities":[]}})",
        R"({"process":{"capabilities":{"bounding":"CAP_KILL"}}})",
        R"({"process":{"noNewPrivileges":"yes"}})",
        R"({"process":{},"annotations":[]})",
        R"([])",
        R"({"root":{}})",
    };
    for (const char* text : docs) {
        json::Value config = json::parse(text);
        cr_assert(rejected(config, default_policy()), "accepted: %s", text);
    }
}

Test(harden, audit_mode_changes_nothing_and_records_everything)
{
    json::Value config = json::parse(privileged_process);
    std::string before = json::serialize(config);
    harden::Report report = harden::harden_config(config, policy_with_modes("audit", "audit", "audit"), test::context());
    cr_assert(!report.modified());
    cr_assert_eq(json::serialize(config), before);
    cr_assert_eq(count(report.audited, "capabilities"), 5u);
    cr_assert_eq(count(report.audited, "noNewPrivileges"), 1u);
    cr_assert_eq(count(report.audited, "rootfs"), 4u);  // readonly + three tmpfs
    cr_assert_eq(count(report.audited, "resources"), 2u);  // pids, memory (swap: no limit to hold it to)
    cr_assert_eq(count(report.audited, "namespaces"), 1u);  // cgroup
    cr_assert(report.refused.empty());
}

Test(harden, refuse_mode_reports_instead_of_changing)
{
    json::Value config = json::parse(privileged_process);
    harden::Report report = harden::harden_config(config, policy_with_modes("refuse", "enforce"), test::context());
    cr_assert_eq(count(report.refused, "capabilities"), 5u);
    cr_assert_eq(report.refused[0].control, "capabilities");
    cr_assert(report.refused[0].detail.find("CAP_SYS_ADMIN") != std::string::npos);
    cr_assert(config.find("process")->find("noNewPrivileges")->as_bool());  // nnp still enforced
}

Test(harden, exec_process_json)
{
    json::Value process = json::parse(R"({"args":["sh"],"capabilities":{"bounding":["CAP_SYS_ADMIN","CAP_KILL"]}})");
    harden::Report report = harden::harden_process(process, default_policy());
    cr_assert(report.modified());
    cr_assert(names(*process.find("capabilities"), "bounding") == std::vector<std::string>({"CAP_KILL"}));
    cr_assert(process.find("noNewPrivileges")->as_bool());
    cr_assert_eq(report.changed[0].path, "/capabilities/bounding");
}

Test(harden, refusal_description_merges_paths)
{
    json::Value config = json::parse(
        R"({"process":{"capabilities":{"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"]},"noNewPrivileges":true},)"
        R"("root":{"path":"r","readonly":true},"linux":{"resources":{"pids":{"limit":10},"memory":{"limit":1000,"swap":1000}},)"
        R"("namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"},{"type":"cgroup"}]},)"
        R"("mounts":[{"destination":"/tmp","type":"tmpfs","options":["nosuid","nodev"]},{"destination":"/run","type":"tmpfs","options":["nosuid","nodev"]},)"
        R"({"destination":"/var/tmp/","type":"tmpfs","options":["nodev","nosuid"]}]})");
    harden::Report report = harden::harden_config(config, policy_with_modes("refuse", "refuse"), test::context());
    std::string text = harden::describe(report.refused);
    cr_assert_eq(text, "capabilities: outside the allowlist: CAP_SYS_ADMIN (at /process/capabilities/bounding, "
                       "/process/capabilities/effective)");
}

namespace {

json::Value config_with(const char* linux_and_mounts)
{
    return json::parse(std::string(R"({"process":{"args":["sh"],"noNewPrivileges":true},"root":{"path":"r"})") +
                       linux_and_mounts + "}");
}

const json::Value* resource(const json::Value& config, const char* group, const char* key)
{
    const json::Value* g = config.find("linux")->find("resources")->find(group);
    return g ? g->find(key) : nullptr;
}

const json::Value* mount_at(const json::Value& config, const std::string& destination)
{
    for (const auto& m : config.find("mounts")->items())
        if (m.find("destination")->as_string() == destination)
            return &m;
    return nullptr;
}

std::vector<std::string> options_of(const json::Value& mount)
{
    std::vector<std::string> out;
    for (const auto& o : mount.find("options")->items())
        out.push_back(o.as_string());
    return out;
}

}  // namespace

Test(resources, defaults_where_unset_or_unlimited)
{
    for (const char* linux : {"", R"(,"linux":{})", R"(,"linux":{"resources":{"pids":{"limit":0},"memory":{"limit":-1}}})",
                              R"(,"linux":{"resources":{"pids":{"limit":-1}}})"}) {
        json::Value config = config_with(linux);
        harden::harden_config(config, default_policy(), test::context());
        cr_assert_eq(*resource(config, "pids", "limit")->as_int64(), 1024, "%s", linux);
        cr_assert_eq(*resource(config, "memory", "limit")->as_int64(), int64_t(1) << 30, "%s", linux);
    }
}

Test(resources, ceilings_lower_and_lower_limits_stay)
{
    json::Value high = config_with(R"(,"linux":{"resources":{"pids":{"limit":100000},"memory":{"limit":68719476736,"swap":-1}}})");
    harden::harden_config(high, default_policy(), test::context());
    cr_assert_eq(*resource(high, "pids", "limit")->as_int64(), 4096);
    cr_assert_eq(*resource(high, "memory", "limit")->as_int64(), int64_t(16) << 30);
    cr_assert_eq(*resource(high, "memory", "swap")->as_int64(), int64_t(16) << 30);

    // Docker's --memory 64m --pids-limit 50: memory+swap 128m is held to 64m, the rest stays.
    json::Value docker = config_with(R"(,"linux":{"resources":{"pids":{"limit":50},"memory":{"limit":67108864,"swap":134217728}}})");
    harden::Report report = harden::harden_config(docker, default_policy(), test::context());
    cr_assert_eq(*resource(docker, "pids", "limit")->as_int64(), 50);
    cr_assert_eq(*resource(docker, "memory", "limit")->as_int64(), 67108864);
    cr_assert_eq(*resource(docker, "memory", "swap")->as_int64(), 67108864);
    cr_assert_eq(count(report.changed, "resources"), 1u);
}

Test(resources, wrong_types_are_errors)
{
    for (const char* linux : {R"(,"linux":{"resources":{"pids":{"limit":"1"}}})", R"(,"linux":{"resources":{"pids":[]}})",
                              R"(,"linux":{"resources":{"memory":{"limit":1.5}}})", R"(,"linux":[])",
                              R"(,"linux":{"Resources":{}})"}) {
        json::Value config = config_with(linux);
        cr_assert(rejected(config, default_policy()), "%s", linux);
    }
}

Test(rootfs, read_only_root_and_tmpfs_scratch)
{
    json::Value config = config_with(R"(,"mounts":[{"destination":"/proc","type":"proc","source":"proc"}])");
    harden::harden_config(config, default_policy(), test::context());
    cr_assert(config.find("root")->find("readonly")->as_bool());
    const json::Value* tmp = mount_at(config, "/tmp");
    cr_assert(tmp);
    cr_assert_eq(tmp->find("type")->as_string(), "tmpfs");
    std::vector<std::string> expected = {"nosuid", "nodev", "mode=1777", "size=1073741824", "tmpcopyup"};
    cr_assert(options_of(*tmp) == expected);
    cr_assert(options_of(*mount_at(config, "/run"))[2] == "mode=755");
    cr_assert(mount_at(config, "/var/tmp"));
    cr_assert_eq(config.find("mounts")->items().size(), 4u);
}

Test(rootfs, callers_tmpfs_is_kept_and_tightened_never_doubled)
{
    json::Value config = config_with(
        R"(,"mounts":[{"destination":"/tmp/","type":"tmpfs","source":"tmpfs","options":["rw","size=65536k"]},)"
        R"({"destination":"/run","type":"bind","source":"/srv/run","options":["rbind"]}])");
    harden::harden_config(config, default_policy(), test::context());
    const auto& mounts = config.find("mounts")->items();
    cr_assert_eq(mounts.size(), 3u);  // + /var/tmp only
    std::vector<std::string> expected = {"rw", "size=65536k", "nosuid", "nodev"};
    cr_assert(options_of(mounts[0]) == expected);
    cr_assert(options_of(mounts[1]) == std::vector<std::string>({"rbind", "nosuid", "nodev"}));  // a bind: mounts control
}

Test(rootfs, fixed_size_and_noexec_from_the_policy)
{
    policy::Policy p = policy::parse(
        R"({"capabilities":{"allow":[]},"rootfs":{"tmpfs":[{"path":"/scratch","mode":"0700"}],"noexec":true,"size":4096}})",
        "t");
    json::Value config = config_with("");
    harden::harden_config(config, p, test::context());
    std::vector<std::string> expected = {"nosuid", "nodev", "noexec", "mode=700", "size=4096", "tmpcopyup"};
    cr_assert(options_of(*mount_at(config, "/scratch")) == expected);
    cr_assert(!mount_at(config, "/tmp"));
}

Test(rootfs, missing_root_is_an_error)
{
    json::Value config = json::parse(R"({"process":{"args":["sh"]}})");
    cr_assert_throw(harden::harden_config(config, default_policy(), test::context()), Error);
}

namespace {

json::Value with_namespaces(const std::string& list)
{
    return json::parse(R"({"process":{"args":["sh"],"noNewPrivileges":true},"root":{"path":"r","readonly":true},)"
                       R"("linux":{"namespaces":)" + list + "}}");
}

const std::string all_private =
    R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"},{"type":"cgroup"}])";

}  // namespace

Test(namespaces, private_namespaces_pass_and_cgroup_is_added)
{
    json::Value ok = with_namespaces(all_private);
    harden::Report report = harden::harden_config(ok, default_policy(), test::context());
    cr_assert_eq(count(report.refused, "namespaces") + count(report.changed, "namespaces"), 0u);

    json::Value no_cgroup =
        with_namespaces(R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}])");
    report = harden::harden_config(no_cgroup, default_policy(), test::context());
    cr_assert_eq(count(report.changed, "namespaces"), 1u);
    cr_assert_eq(no_cgroup.find("linux")->find("namespaces")->items().back().find("type")->as_string(), "cgroup");
    cr_assert(report.refused.empty());
}

Test(namespaces, omitted_namespaces_are_the_hosts_and_refused)
{
    json::Value host_pid =
        with_namespaces(R"([{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"},{"type":"cgroup"}])");
    harden::Report report = harden::harden_config(host_pid, default_policy(), test::context());
    cr_assert_eq(report.refused.size(), 1u);
    cr_assert(report.refused[0].detail.find("--pid host") != std::string::npos, "%s", report.refused[0].detail.c_str());
}

namespace {

struct FakeSandbox {
    pid_t pid = -1;
    FakeSandbox()
    {
        int ready[2];
        if (pipe(ready) != 0)
            return;
        pid = fork();
        if (pid == 0) {
            close(ready[0]);
            // A failed assertion ends the test without this destructor: the child must not
            // outlive it (it would hold the test's output open until meson's timeout).
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            for (int fd = 0; fd < 1024; ++fd)
                if (fd != ready[1])
                    close(fd);
            if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
                _exit(1);
            (void)!write(ready[1], "x", 1);
            pause();
            _exit(0);
        }
        close(ready[1]);
        char c;
        if (read(ready[0], &c, 1) != 1)
            pid = -1;
        close(ready[0]);
    }
    ~FakeSandbox()
    {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
    std::string ns(const char* kind) const { return "/proc/" + std::to_string(pid) + "/ns/" + kind; }
};

}  // namespace

Test(namespaces, a_path_to_the_hosts_namespace_is_refused_another_is_joined)
{
    json::Value host_net = with_namespaces(
        R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":"/proc/self/ns/net"},{"type":"cgroup"}])");
    harden::Report report = harden::harden_config(host_net, default_policy(), test::context());
    cr_assert_eq(count(report.refused, "namespaces"), 1u);
    cr_assert_eq(report.refused.back().path, "/linux/namespaces/4/path");

    // Another process's network namespace (a container's: --network container:X): refused.
    FakeSandbox other;
    cr_assert_gt(other.pid, 0, "cannot create namespaces for the test (needs root)");
    json::Value theirs = with_namespaces(
        R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":")" + other.ns("net") +
        R"("},{"type":"cgroup"}])");
    report = harden::harden_config(theirs, default_policy(), test::context());
    cr_assert_eq(count(report.refused, "namespaces"), 1u, "%s", harden::describe(report.refused).c_str());
    cr_assert(report.refused[0].detail.find("another process's") != std::string::npos);
    // Its namespace file bound elsewhere, still occupied by it: refused, naming the process.
    system("mkdir -p /run/hardrun-unit && touch /run/hardrun-unit/occupied");
    system(("mount --bind " + other.ns("net") + " /run/hardrun-unit/occupied").c_str());
    json::Value bound = with_namespaces(
        R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":"/run/hardrun-unit/occupied"},{"type":"cgroup"}])");
    report = harden::harden_config(bound, default_policy(), test::context());
    system("umount /run/hardrun-unit/occupied");
    cr_assert_eq(count(report.refused, "namespaces"), 1u, "%s", harden::describe(report.refused).c_str());
    cr_assert(report.refused[0].detail.find("which process " + std::to_string(other.pid) + " is in") != std::string::npos,
              "%s", report.refused[0].detail.c_str());
    // Another kind by path: a container owns it.
    json::Value ipc = with_namespaces(
        R"([{"type":"pid"},{"type":"ipc","path":")" + other.ns("ipc") +
        R"("},{"type":"uts"},{"type":"mount"},{"type":"network"},{"type":"cgroup"},{"type":"user","path":")" +
        other.ns("user") + R"("}])");
    report = harden::harden_config(ipc, default_policy(), test::context());
    cr_assert_eq(count(report.refused, "namespaces"), 2u, "%s", harden::describe(report.refused).c_str());

    // A fresh network namespace an engine made (bound to a file, no process in it): joined.
    if (system("mkdir -p /run/hardrun-unit && touch /run/hardrun-unit/netns && "
               "unshare --net=/run/hardrun-unit/netns true") != 0)
        cr_assert_fail("cannot create a network namespace for the test (needs root)");
    json::Value joined = with_namespaces(
        R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":"/run/hardrun-unit/netns"},{"type":"cgroup"}])");
    report = harden::harden_config(joined, default_policy(), test::context());
    system("umount /run/hardrun-unit/netns; rm -rf /run/hardrun-unit");
    cr_assert_eq(count(report.refused, "namespaces"), 0u, "%s", harden::describe(report.refused).c_str());
    // A user namespace added by the runtime could not enter that network namespace (it belongs
    // to the host's user namespace): the userNamespace control's "unsupported" setting decides
    // (the shipped default runs it without one, recorded).
    cr_assert_eq(count(report.refused, "userNamespace") + count(report.audited, "userNamespace"), 1u);
}

Test(namespaces, host_network_can_be_allowed_and_audit_only_records)
{
    policy::Policy allow = policy::parse(R"({"capabilities":{"allow":[]},"namespaces":{"hostNetwork":true}})", "t");
    json::Value host_net =
        with_namespaces(R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}])");
    cr_assert(harden::harden_config(host_net, allow, test::context()).refused.empty());

    policy::Policy audit = policy::parse(R"({"capabilities":{"allow":[]},"namespaces":{"mode":"audit"}})", "t");
    json::Value none = with_namespaces("[]");
    harden::Report report = harden::harden_config(none, audit, test::context());
    cr_assert(report.refused.empty());
    cr_assert_eq(count(report.audited, "namespaces"), 6u);
}

namespace {

// A stand-in for a pod's pause process: a child in its own network, IPC and UTS namespaces.

// A CRI pod member's config (annotations as containerd 1.6 sets them) joining `net`, `ipc`, `uts`.
json::Value pod_member(const std::string& net, const std::string& ipc, const std::string& uts,
                       const char* sandbox_id = "sandbox-1", const char* type = "container")
{
    std::string annotations = std::string(R"({"io.kubernetes.cri.container-type":")") + type + "\"";
    if (sandbox_id)
        annotations += std::string(R"(,"io.kubernetes.cri.sandbox-id":")") + sandbox_id + "\"";
    annotations += "}";
    return json::parse(R"({"process":{"args":["sh"],"noNewPrivileges":true},"root":{"path":"r","readonly":true},)"
                       R"("annotations":)" + annotations + R"(,"linux":{"namespaces":[{"type":"pid"},)"
                       R"({"type":"ipc","path":")" + ipc + R"("},{"type":"uts","path":")" + uts + R"("},)"
                       R"({"type":"mount"},{"type":"network","path":")" + net + R"("},{"type":"cgroup"}]}})");
}

// A create run by the shim of pod "sandbox-1" (containerd namespace k8s.io), whose pause process
// is `pid`; `id` is the container being created.
harden::Context sandbox_context(pid_t pid, std::vector<std::string>* asked = nullptr, std::string id = "")
{
    harden::Context c;
    c.container_id = id;
    c.caller_shim = [] {
        live::Shim s;
        s.found = true;
        s.namespace_ = "k8s.io";
        s.id = "sandbox-1";
        return s;
    };
    c.container_pid = [pid, asked](const std::string& sandbox) -> std::optional<long> {
        if (asked)
            asked->push_back(sandbox);
        if (sandbox == "sandbox-1")
            return long(pid);
        return std::nullopt;
    };
    return c;
}

}  // namespace

Test(namespaces, a_pod_member_joins_its_own_sandboxs_namespaces)
{
    FakeSandbox sandbox;
    cr_assert_gt(sandbox.pid, 0, "cannot create namespaces for the test (needs root)");
    std::vector<std::string> asked;
    json::Value member = pod_member(sandbox.ns("net"), sandbox.ns("ipc"), sandbox.ns("uts"));
    harden::Report report = harden::harden_config(member, default_policy(), sandbox_context(sandbox.pid, &asked));
    cr_assert(report.refused.empty(), "%s", harden::describe(report.refused).c_str());
    cr_assert(asked == std::vector<std::string>({"sandbox-1"}));
}

Test(namespaces, a_pod_member_may_not_join_another_pods_or_the_hosts)
{
    FakeSandbox sandbox, other;
    cr_assert(sandbox.pid > 0 && other.pid > 0, "cannot create namespaces for the test (needs root)");
    // Another pod's network namespace: refused at the network entry only.
    json::Value member = pod_member(other.ns("net"), sandbox.ns("ipc"), sandbox.ns("uts"));
    harden::Report report = harden::harden_config(member, default_policy(), sandbox_context(sandbox.pid));
    cr_assert_eq(report.refused.size(), 1u, "%s", harden::describe(report.refused).c_str());
    cr_assert_eq(report.refused[0].path, "/linux/namespaces/4/path");
    cr_assert(report.refused[0].detail.find("not its pod sandbox sandbox-1's") != std::string::npos, "%s",
              report.refused[0].detail.c_str());

    // The host's IPC namespace, named through some host process: refused as the host's.
    member = pod_member(sandbox.ns("net"), "/proc/self/ns/ipc", sandbox.ns("uts"));
    report = harden::harden_config(member, default_policy(), sandbox_context(sandbox.pid));
    cr_assert_eq(report.refused.size(), 1u, "%s", harden::describe(report.refused).c_str());
    cr_assert(report.refused[0].detail.find("joins the host's ipc namespace") != std::string::npos);

    // Even when the "sandbox" is a host process: the host's namespaces stay refused.
    member = pod_member("/proc/self/ns/net", "/proc/self/ns/ipc", "/proc/self/ns/uts");
    report = harden::harden_config(member, default_policy(), sandbox_context(getpid()));
    cr_assert_eq(report.refused.size(), 3u, "%s", harden::describe(report.refused).c_str());
}

Test(namespaces, a_pod_member_without_a_known_sandbox_is_refused)
{
    FakeSandbox sandbox;
    cr_assert_gt(sandbox.pid, 0, "cannot create namespaces for the test (needs root)");
    const std::string net = sandbox.ns("net"), ipc = sandbox.ns("ipc"), uts = sandbox.ns("uts");
    for (const char* id : {"sandbox-2", "", static_cast<const char*>(nullptr)}) {
        json::Value member = pod_member(net, ipc, uts, id);
        harden::Report report = harden::harden_config(member, default_policy(), sandbox_context(sandbox.pid));
        // Refused as a claim; and, being no pod member, refused again for joining namespaces
        // a user namespace cannot enter.
        // (then, no pod member, its joins of the pause's namespaces are refused too)
        cr_assert_geq(count(report.refused, "namespaces"), 1u, "%s: %s", id ? id : "(none)",
                      harden::describe(report.refused).c_str());
        cr_assert_eq(report.refused[0].path, "/annotations/io.kubernetes.cri.container-type");
        cr_assert(report.refused[0].detail.find("not the sandbox") != std::string::npos, "%s",
                  report.refused[0].detail.c_str());
    }
    // The shim's sandbox, but not running: refused.
    harden::Context gone = sandbox_context(sandbox.pid);
    gone.container_pid = [](const std::string&) { return std::nullopt; };
    json::Value stopped = pod_member(net, ipc, uts);
    harden::Report not_running = harden::harden_config(stopped, default_policy(), gone);
    cr_assert_geq(count(not_running.refused, "namespaces"), 1u);
    cr_assert(not_running.refused[0].detail.find("not a running container") != std::string::npos);
    // No way to ask the runtime: refused too, never waved through.
    json::Value member = pod_member(net, ipc, uts);
    harden::Report unasked = harden::harden_config(member, default_policy());
    cr_assert_geq(count(unasked.refused, "namespaces"), 1u, "%s", harden::describe(unasked.refused).c_str());
    cr_assert(unasked.refused[0].detail.find("cannot tell who started it") != std::string::npos);
    // In audit mode only recorded.
    policy::Policy audit = policy::parse(R"({"capabilities":{"allow":[]},"namespaces":{"mode":"audit"}})", "t");
    member = pod_member(net, ipc, uts, "sandbox-2");
    harden::Report report = harden::harden_config(member, audit, sandbox_context(sandbox.pid));
    cr_assert_eq(count(report.refused, "namespaces"), 0u);
    cr_assert_geq(count(report.audited, "namespaces"), 1u);
    cr_assert(report.audited[0].detail.find("claims to be a Kubernetes pod member") != std::string::npos);
    // ... and the config is then no pod member: the other controls judge it in full (here the
    // user namespace, which cannot enter the namespaces it joins).
    // (the shipped default then runs it without one, recorded)
    cr_assert_eq(count(report.refused, "userNamespace") + count(report.audited, "userNamespace"), 1u, "%s",
                 harden::describe(report.refused).c_str());
}

Test(namespaces, annotations_only_add_checks)
{
    FakeSandbox sandbox;
    cr_assert_gt(sandbox.pid, 0, "cannot create namespaces for the test (needs root)");
    // A proven sandbox (the shim's own container) is not looked up; its claim holds, but it
    // joins no other process's namespaces (CRI gives it a fresh network namespace file and new
    // ipc and uts ones), nor the host's; a container type CRI does not have is refused.
    std::vector<std::string> asked;
    json::Value config = pod_member(sandbox.ns("net"), sandbox.ns("ipc"), sandbox.ns("uts"), "sandbox-1", "sandbox");
    harden::Report proven = harden::harden_config(config, default_policy(), sandbox_context(sandbox.pid, &asked, "sandbox-1"));
    cr_assert_eq(count(proven.refused, "namespaces"), 3u, "%s", harden::describe(proven.refused).c_str());
    for (const auto& f : proven.refused)
        cr_assert(f.detail.find("claims") == std::string::npos, "%s", f.detail.c_str());
    config = pod_member("/proc/self/ns/net", sandbox.ns("ipc"), sandbox.ns("uts"), "sandbox-1", "sandbox");
    harden::Report host = harden::harden_config(config, default_policy(), sandbox_context(sandbox.pid, nullptr, "sandbox-1"));
    cr_assert(std::any_of(host.refused.begin(), host.refused.end(), [](const harden::Finding& f) {
        return f.detail.find("joins the host's network namespace") != std::string::npos;
    }));
    cr_assert(asked.empty());
    config = pod_member(sandbox.ns("net"), sandbox.ns("ipc"), sandbox.ns("uts"), "sandbox-1", "something");
    harden::Report unknown = harden::harden_config(config, default_policy(), sandbox_context(sandbox.pid, nullptr, "sandbox-1"));
    cr_assert_geq(count(unknown.refused, "namespaces"), 1u, "%s", harden::describe(unknown.refused).c_str());
    cr_assert(unknown.refused[0].detail.find("not a CRI container type") != std::string::npos);
    // A member claiming to be a pod member does not escape the other controls.
    config = pod_member(sandbox.ns("net"), sandbox.ns("ipc"), sandbox.ns("uts"));
    config.find("process")->set("noNewPrivileges", json::Value::boolean(false));
    harden::Report report = harden::harden_config(config, default_policy(), sandbox_context(sandbox.pid));
    cr_assert_eq(count(report.changed, "noNewPrivileges"), 1u);
    // A non-string annotation is an error.
    config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"r"},)"
                         R"("annotations":{"io.kubernetes.cri.container-type":1}})");
    cr_assert(rejected(config, default_policy()));
}

Test(namespaces, malformed_entries_are_errors)
{
    for (const char* list : {R"([{"type":"pid"},{"type":"pid"}])", R"(["pid"])", R"([{"type":1}])", R"({"pid":{}})",
                             R"([{"Type":"pid"}])"}) {
        json::Value config = with_namespaces(list);
        cr_assert(rejected(config, default_policy()), "%s", list);
    }
}

Test(update, raised_or_removed_limits_are_capped)
{
    json::Value r = json::parse(R"({"memory":{"limit":-1,"swap":-1},"pids":{"limit":100000},"cpu":{"shares":0}})");
    harden::Report report;
    harden::update_resources(r, default_policy(), false, report);
    cr_assert_eq(*r.find("pids")->find("limit")->as_int64(), 4096);
    cr_assert_eq(*r.find("memory")->find("limit")->as_int64(), int64_t(16) << 30);
    cr_assert_eq(*r.find("memory")->find("swap")->as_int64(), int64_t(16) << 30);
    cr_assert_eq(report.changed.size(), 3u);
}

Test(update, docker_update_keeps_what_is_within_and_holds_swap)
{
    json::Value r = json::parse(test::read_file(test::fixtures_dir() + "/docker-20.10-update-resources.json"));
    harden::Report report;
    harden::update_resources(r, default_policy(), false, report);
    cr_assert_eq(*r.find("pids")->find("limit")->as_int64(), 100);
    cr_assert_eq(*r.find("memory")->find("limit")->as_int64(), 134217728);
    cr_assert_eq(*r.find("memory")->find("swap")->as_int64(), 134217728);
    cr_assert_eq(*r.find("memory")->find("reservation")->as_int64(), 0);
    // 0 leaves a limit unchanged in runc update: nothing to do.
    json::Value zero = json::parse(R"({"pids":{"limit":0},"memory":{"limit":0,"swap":0}})");
    harden::Report none;
    harden::update_resources(zero, default_policy(), false, none);
    cr_assert(!none.modified());
}

Test(update, unified_pids_and_memory_keys_are_removed)
{
    json::Value r = json::parse(R"({"unified":{"pids.max":"max","memory.max":"max","cpu.weight":"100"}})");
    harden::Report report;
    harden::update_resources(r, default_policy(), false, report);
    cr_assert_eq(json::serialize(*r.find("unified")), R"({"cpu.weight":"100"})");
    json::Value config = config_with(R"(,"linux":{"resources":{"unified":{"pids.max":"max"}}})");
    harden::harden_config(config, default_policy(), test::context());
    cr_assert(config.find("linux")->find("resources")->find("unified")->members().empty());
}

Test(update, case_folded_keys_and_wrong_types_are_errors)
{
    for (const char* text : {R"({"Pids":{"limit":-1}})", R"({"pids":{"Limit":-1}})", R"({"pids":{"limit":"max"}})",
                             R"([])", R"({"memory":[]})"}) {
        json::Value r = json::parse(text);
        harden::Report report;
        cr_assert_throw(harden::update_resources(r, default_policy(), false, report), Error, "%s", text);
    }
}

namespace {

json::Value privileged_fixture()
{
    return json::parse(test::read_file(test::fixtures_dir() + "/docker-20.10-privileged.json"));
}

bool contains(const json::Value& list, const std::string& s)
{
    return std::any_of(list.items().begin(), list.items().end(),
                       [&](const json::Value& v) { return v.is_string() && v.as_string() == s; });
}

}  // namespace

Test(devices, privileged_host_devices_and_allow_all_rule_are_narrowed)
{
    json::Value config = privileged_fixture();
    cr_assert_gt(config.find("linux")->find("devices")->items().size(), 50u);
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    for (const auto& d : config.find("linux")->find("devices")->items()) {
        const std::string& path = d.find("path")->as_string();
        cr_assert(path == "/dev/null" || path == "/dev/zero" || path == "/dev/full" || path == "/dev/random" ||
                      path == "/dev/urandom" || path == "/dev/tty" || path == "/dev/console" || path == "/dev/ptmx",
                  "kept %s", path.c_str());
    }
    const auto& rules = config.find("linux")->find("resources")->find("devices")->items();
    cr_assert_eq(rules[0].find("allow")->as_bool(), false);
    cr_assert(!rules[0].find("type"));
    for (size_t i = 1; i < rules.size(); ++i) {
        cr_assert(rules[i].find("allow")->as_bool());
        cr_assert_eq(rules[i].find("type")->as_string(), "c");  // no allow-all left
    }
    cr_assert_eq(count(report.changed, "devices"), 2u);
    // Idempotent.
    cr_assert(!harden::harden_config(config, default_policy(), test::context()).modified());
}

Test(devices, dockers_default_rules_are_kept_but_tun_is_not)
{
    json::Value config = json::parse(test::read_file(test::fixtures_dir() + "/docker-20.10-default.json"));
    harden::harden_config(config, default_policy(), test::context());
    const auto& rules = config.find("linux")->find("resources")->find("devices")->items();
    for (const auto& r : rules)
        if (r.find("allow")->as_bool() && r.find("major"))
            cr_assert_neq(*r.find("major")->as_int64(), 10, "c 10:200 (tun) still allowed");
}

Test(devices, policy_allowed_device_is_kept_with_its_rule)
{
    policy::Policy p = policy::parse(R"({"capabilities":{"allow":[]},"devices":{"allow":["/dev/fuse"]}})", "t");
    json::Value config = config_with(
        R"(,"linux":{"devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229},{"path":"/dev/sda","type":"b","major":8,"minor":0}],)"
        R"("resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":229,"access":"rwm"},)"
        R"({"allow":true,"type":"b","major":8,"minor":0,"access":"rw"}]}})");
    harden::Report report = harden::harden_config(config, p, test::context());
    const auto& devices = config.find("linux")->find("devices")->items();
    cr_assert_eq(devices.size(), 1u);
    cr_assert_eq(devices[0].find("path")->as_string(), "/dev/fuse");
    std::string rules = json::serialize(*config.find("linux")->find("resources")->find("devices"));
    cr_assert(rules.find(R"("major":10,"minor":229)") != std::string::npos, "%s", rules.c_str());
    cr_assert(rules.find(R"("type":"b")") == std::string::npos, "%s", rules.c_str());
}

Test(kernel_interfaces, privileged_gets_masked_readonly_paths_and_ro_sysfs)
{
    json::Value config = privileged_fixture();
    harden::harden_config(config, default_policy(), test::context());
    const json::Value& linux = *config.find("linux");
    for (const char* p : {"/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/timer_list"})
        cr_assert(contains(*linux.find("maskedPaths"), p), "%s not masked", p);
    for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq"})
        cr_assert(contains(*linux.find("readonlyPaths"), p), "%s not read-only", p);
    for (const auto& m : config.find("mounts")->items()) {
        const std::string& type = m.find("type")->as_string();
        if (type == "sysfs" || type == "cgroup")
            cr_assert(contains(*m.find("options"), "ro") && !contains(*m.find("options"), "rw"), "%s",
                      m.find("destination")->as_string().c_str());
    }
}

Test(kernel_interfaces, a_default_config_only_gains_the_newer_masked_path)
{
    json::Value config = json::parse(test::read_file(test::fixtures_dir() + "/docker-20.10-default.json"));
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    cr_assert_eq(count(report.changed, "kernelInterfaces"), 1u);
    cr_assert(report.changed.size() > 0);
    bool found = false;
    for (const auto& f : report.changed)
        found = found || (f.control == "kernelInterfaces" && f.detail == "missing /sys/devices/virtual/powercap");
    cr_assert(found);
}

namespace {

const char* const docker_id = "4394a820ecaa8e746ffbc5889e0dea40f54f09961dd9c0d58fad5fc3b2348d20";

harden::Report with_bind(const std::string& source, const std::string& extra_annotations = "",
                         const std::string& id = docker_id, json::Value* out = nullptr,
                         const harden::Context* context = nullptr)
{
    json::Value config = config_with((R"(,"mounts":[{"destination":"/x","type":"bind","source":")" + source +
                                      R"(","options":["rbind","rprivate"]}])" +
                                      (extra_annotations.empty() ? "" : ",\"annotations\":{" + extra_annotations + "}"))
                                         .c_str());
    harden::Report report = harden::harden_config(
        config, default_policy(), context ? *context : test::context(id, "/nonexistent-bundle"));
    if (out)
        *out = config;
    return report;
}

bool refused_mount(const harden::Report& report) { return count(report.refused, "mounts") > 0; }

}  // namespace

Test(mounts, denied_paths_their_children_and_their_parents)
{
    for (const char* source : {"/", "/etc", "/etc/shadow", "/proc", "/proc/1/root", "/sys/kernel", "/dev/sda", "/boot",
                               "/root/.ssh", "/run", "/run/docker.sock", "/var/run/docker.sock", "/var/lib/docker",
                               "/var/lib/docker/containers/other/hostname", "/var/lib", "/var", "/var/lib/kubelet",
                               "/srv/sockets/docker.sock", "/home/u/containerd.sock", "/var/lib/containerd/io.containerd.content.v1.content"})
        cr_assert(refused_mount(with_bind(source)), "%s not refused", source);
    for (const char* source : {"/srv/data", "/home/user/project", "/mnt/nfs", "/tmp/x", "/var/tmp/x", "/var/www/site"})
        cr_assert(!refused_mount(with_bind(source)), "%s refused", source);
    // The system's trees and hardrun's own files.
    for (const char* source : {"/opt/app", "/var/log", "/var/log/hardrun", "/usr/local/sbin", "/usr", "/lib64",
                               "/bin", "/etc/hardrun", "/run/hardrun", "/var/lib/dpkg", "/var/cache/apt"})
        cr_assert(refused_mount(with_bind(source)), "%s not refused", source);
}

Test(mounts, symlinks_are_resolved_before_the_check)
{
    system("rm -rf /tmp/hardrun-unit-links && mkdir -p /tmp/hardrun-unit-links && ln -s /etc /tmp/hardrun-unit-links/e");
    harden::Report report = with_bind("/tmp/hardrun-unit-links/e");
    system("rm -rf /tmp/hardrun-unit-links");
    cr_assert(refused_mount(report));
    auto refusal = std::find_if(report.refused.begin(), report.refused.end(),
                                [](const harden::Finding& f) { return f.control == "mounts"; });
    cr_assert(refusal->detail.find("(/etc)") != std::string::npos, "%s", refusal->detail.c_str());
}

Test(mounts, magic_links_and_loops_are_refused)
{
    for (const char* source : {"/proc/self/root", "/proc/self/root/srv", "/proc/1/cwd", "/proc/self/fd/0"}) {
        harden::Report report = with_bind(source);
        cr_assert(refused_mount(report), "%s not refused", source);
    }
    system("rm -rf /tmp/hardrun-unit-loop && mkdir -p /tmp/hardrun-unit-loop && ln -s l /tmp/hardrun-unit-loop/l");
    harden::Report report = with_bind("/tmp/hardrun-unit-loop/l");
    system("rm -rf /tmp/hardrun-unit-loop");
    cr_assert(refused_mount(report));
    cr_assert(report.refused.back().detail.find("magic link or a symlink loop") != std::string::npos);
}

Test(mounts, root_filesystem_must_not_be_or_contain_a_denied_path)
{
    system("rm -rf /tmp/hardrun-unit-root && mkdir -p /tmp/hardrun-unit-root/b/rootfs && "
           "ln -s / /tmp/hardrun-unit-root/b/to-host && ln -s /var /tmp/hardrun-unit-root/b/to-var");
    auto refused_root = [](const std::string& path) {
        json::Value config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":")" + path + R"("}})");
        harden::Report report = harden::harden_config(config, default_policy(), test::context("id", "/tmp/hardrun-unit-root/b"));
        return std::any_of(report.refused.begin(), report.refused.end(),
                           [](const harden::Finding& f) { return f.control == "mounts" && f.path == "/root/path"; });
    };
    for (const char* path : {"/", "to-host", "/tmp/hardrun-unit-root/b/to-host", "to-var", "/etc/..", "/proc/self/root",
                             "/etc", "/run/hardrun/containers/x/rootfs"})
        cr_assert(refused_root(path), "%s not refused", path);
    for (const char* path : {"rootfs", "/tmp/hardrun-unit-root/b/rootfs", "missing", "/var/lib/docker/overlay2/x/merged"})
        cr_assert(!refused_root(path), "%s refused", path);
    system("rm -rf /tmp/hardrun-unit-root");
}

Test(mounts, engines_own_files_are_allowed_by_shape)
{
    std::string docker = "/var/lib/docker/containers/" + std::string(docker_id);
    for (const std::string& source : {docker + "/hosts", docker + "/hostname", docker + "/resolv.conf",
                                      docker + "/mounts/shm", std::string("/var/lib/docker/volumes/pgdata/_data"),
                                      std::string("/var/lib/docker/volumes/pgdata/_data/sub"),
                                      std::string("/var/lib/containers/storage/overlay-containers/") + docker_id +
                                          "/userdata/hosts",
})
        cr_assert(!refused_mount(with_bind(source)), "%s refused", source.c_str());
    // Another container's files, a volume's parent, the data root itself: refused.
    for (const char* source : {"/var/lib/docker/containers/0000/hosts", "/var/lib/docker/volumes/pgdata",
                               "/var/lib/docker/volumes", "/var/lib/docker/containers", "/var/lib/kubelet/pods/0c7e",
                               "/var/lib/kubelet/pods/0c7e/containers"})
        cr_assert(refused_mount(with_bind(source)), "%s not refused", source);
}

Test(mounts, cri_sandbox_files_only_for_this_pod)
{
    std::string sandboxes = "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/";
    // A member of pod sb1, run by sb1's shim.
    const char* member = R"("io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"sb1")";
    harden::Context in_sb1 = test::cri_context("app1", "sb1", getpid());
    cr_assert(!refused_mount(with_bind(sandboxes + "sb1/resolv.conf", member, "app1", nullptr, &in_sb1)));
    cr_assert(!refused_mount(with_bind(sandboxes + "sb1/shm", member, "app1", nullptr, &in_sb1)));
    cr_assert(refused_mount(with_bind(sandboxes + "sb2/shm", member, "app1", nullptr, &in_sb1)));
    // The same claim, not run by a CRI shim: no pod, so no pod's files.
    cr_assert(refused_mount(with_bind(sandboxes + "sb1/resolv.conf", member, "app1")));
    // The sandbox sb1 itself.
    const char* sandbox = R"("io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"sb1")";
    harden::Context sb1 = test::cri_context("sb1", "sb1", getpid());
    cr_assert(!refused_mount(with_bind(sandboxes + "sb1/hostname", sandbox, "sb1", nullptr, &sb1)));
    cr_assert(refused_mount(with_bind(sandboxes + "sb2/hostname", sandbox, "sb1", nullptr, &sb1)));
    cr_assert(refused_mount(with_bind(sandboxes + "sb1/hostname", "", "sb1")));
    // A claim naming another sandbox than the container is refused, and gets no pod's files.
    const char* other = R"("io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"sb2")";
    harden::Report forged = with_bind(sandboxes + "sb2/hostname", other, "sb1", nullptr, &sb1);
    cr_assert(refused_mount(forged));
    cr_assert_eq(forged.refused[0].path, "/annotations/io.kubernetes.cri.container-type");
    cr_assert(forged.refused[0].detail.find("names \"sb2\", not this container") != std::string::npos, "%s",
              forged.refused[0].detail.c_str());
}

Test(mounts, every_bind_gets_nosuid_nodev_and_read_only_files_ro)
{
    json::Value config;
    with_bind("/srv/data", "", docker_id, &config);
    std::vector<std::string> expected = {"rbind", "rprivate", "nosuid", "nodev"};
    cr_assert(options_of(config.find("mounts")->items()[0]) == expected);
    with_bind("/etc/localtime", "", docker_id, &config);
    expected = {"rbind", "rprivate", "nosuid", "nodev", "ro"};
    cr_assert(options_of(config.find("mounts")->items()[0]) == expected);
}

Test(mounts, docker_fixture_passes_for_its_own_id_only)
{
    json::Value config = json::parse(test::read_file(test::fixtures_dir() + "/docker-20.10-default.json"));
    policy::Policy p = policy::parse(
        R"({"capabilities":{"allow":[]},"mounts":{"engines":{"docker":["/tmp/hardrun-e2e-2l26q_2s/data"]}}})", "t");
    json::Value copy = config;
    cr_assert_eq(count(harden::harden_config(config, p, test::context(docker_id)).refused, "mounts"), 0u);
    cr_assert_eq(count(harden::harden_config(copy, p, test::context("someone-else")).refused, "mounts"), 3u);
}

namespace {

// The config_with() config plus `mounts` (a JSON array) and `linux_extra` members of "linux".
harden::Report with_mounts(const std::string& mounts, json::Value* out = nullptr,
                           const policy::Policy& p = default_policy(), const std::string& bundle = "/nonexistent-bundle")
{
    json::Value config = config_with((",\"mounts\":" + mounts).c_str());
    harden::Report report = harden::harden_config(config, p, test::context(docker_id, bundle));
    if (out)
        *out = config;
    return report;
}

bool refused_at(const harden::Report& report, const std::string& path)
{
    return std::any_of(report.refused.begin(), report.refused.end(),
                       [&](const harden::Finding& f) { return f.control == "mounts" && f.path == path; });
}

}  // namespace

Test(mounts, kernel_filesystems_only_where_a_container_has_them)
{
    cr_assert(!refused_mount(with_mounts(R"([{"destination":"/proc","type":"proc","source":"proc"},)"
                                         R"({"destination":"/sys","type":"sysfs","source":"sysfs","options":["ro"]},)"
                                         R"({"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup"},)"
                                         R"({"destination":"/dev/pts","type":"devpts","source":"devpts"},)"
                                         R"({"destination":"/dev/mqueue","type":"mqueue","source":"mqueue"},)"
                                         R"({"destination":"/data","type":"tmpfs","source":"tmpfs"}])")));
    cr_assert(refused_at(with_mounts(R"([{"destination":"/mnt/p","type":"proc","source":"proc"}])"),
                         "/mounts/0/destination"));
    cr_assert(refused_at(with_mounts(R"([{"destination":"/proc","type":"proc","source":"proc"},)"
                                     R"({"destination":"proc/","type":"proc","source":"proc"}])"),
                         "/mounts/1"));
    cr_assert(refused_at(with_mounts(R"([{"destination":"/x","type":"sysfs","source":"sysfs"}])"), "/mounts/0/destination"));
    for (const char* type : {"ext4", "nfs", "fuse.sshfs", "debugfs", "bpf", "securityfs", "binfmt_misc", ""})
        cr_assert(refused_at(with_mounts(std::string(R"([{"destination":"/x","type":")") + type +
                                         R"(","source":"/nonexistent"}])"),
                             "/mounts/0/type"),
                  "%s not refused", type);
    policy::Policy listed = policy::parse(R"({"capabilities":{"allow":[]},"mounts":{"types":["ext4"]}})", "t");
    cr_assert(!refused_mount(with_mounts(R"([{"destination":"/x","type":"ext4","source":"/nonexistent"}])", nullptr, listed)));
    // A block device as source is a disk, whatever the type says.
    system("rm -f /tmp/hardrun-unit-blk && mknod /tmp/hardrun-unit-blk b 7 0");
    harden::Report report = with_mounts(R"([{"destination":"/x","type":"tmpfs","source":"/tmp/hardrun-unit-blk"}])");
    system("rm -f /tmp/hardrun-unit-blk");
    cr_assert(refused_at(report, "/mounts/0/source"));
    // An overlay's layers are judged like bind sources.
    cr_assert(refused_at(with_mounts(R"([{"destination":"/x","type":"overlay","source":"overlay",)"
                                     R"("options":["lowerdir=/tmp:/etc","upperdir=/tmp/u","workdir=/tmp/w"]}])"),
                         "/mounts/0/options"));
    cr_assert(refused_at(with_mounts(R"([{"destination":"/x","type":"overlay","source":"overlay",)"
                                     R"("options":["lowerdir=/tmp","upperdir=/usr/local/sbin","workdir=/tmp/w"]}])"),
                         "/mounts/0/options"));
    cr_assert(!refused_mount(with_mounts(R"([{"destination":"/x","type":"overlay","source":"overlay",)"
                                         R"("options":["lowerdir=/tmp/a\\:b:/srv/l","upperdir=/tmp/u","workdir=/tmp/w"]}])")));
}

Test(mounts, options_that_undo_hardruns_flags_are_removed)
{
    json::Value config;
    with_mounts(R"([{"destination":"/x","type":"bind","source":"/srv/data","options":["rbind","nosuid","suid","rdev","nodev"]},)"
                R"({"destination":"/y","type":"bind","source":"/etc/localtime","options":["rbind","ro","rrw","rw"]},)"
                R"({"destination":"/z","type":"tmpfs","source":"tmpfs","options":["rsuid","exec"]},)"
                R"({"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=755"]}])",
                &config);
    const auto& m = config.find("mounts")->items();
    cr_assert(options_of(m[0]) == std::vector<std::string>({"rbind", "nosuid", "nodev"}));
    cr_assert(options_of(m[1]) == std::vector<std::string>({"rbind", "ro", "nosuid", "nodev"}));
    cr_assert(options_of(m[2]) == std::vector<std::string>({"exec", "nosuid", "nodev"}));
    cr_assert(options_of(m[3]) == std::vector<std::string>({"nosuid", "mode=755"}));  // /dev holds device nodes
    // Audit mode records and changes nothing.
    json::Value audited;
    harden::Report report = with_mounts(R"([{"destination":"/x","type":"bind","source":"/srv/data","options":["rbind","suid"]}])",
                                        &audited, policy_with_modes("audit", "audit", "audit"));
    cr_assert(options_of(audited.find("mounts")->items()[0]) == std::vector<std::string>({"rbind", "suid"}));
    cr_assert_gt(count(report.audited, "mounts"), 0u);
}

Test(mounts, shared_propagation_idmap_and_remount_are_refused)
{
    for (const char* option : {"rshared", "shared", "idmap", "ridmap", "X-mount.idmap=u:0:0:1", "remount", "nosuid,suid"})
        cr_assert(refused_at(with_mounts(std::string(R"([{"destination":"/x","type":"bind","source":"/srv/d","options":["rbind",")") +
                                         option + "\"]}]"),
                             "/mounts/0/options/1"),
                  "%s not refused", option);
    cr_assert(refused_at(with_mounts(R"([{"destination":"/x","type":"bind","source":"/srv/d","options":["rbind"],)"
                                     R"("uidMappings":[{"containerID":0,"hostID":0,"size":1}]}])"),
                         "/mounts/0/uidMappings"));
    json::Value config = config_with(R"(,"linux":{"rootfsPropagation":"rshared"})");
    harden::Report report = harden::harden_config(config, default_policy(), test::context(docker_id));
    cr_assert(refused_at(report, "/linux/rootfsPropagation"));
    config = config_with(R"(,"linux":{"rootfsPropagation":"rslave"})");
    cr_assert(!refused_at(harden::harden_config(config, default_policy(), test::context(docker_id)), "/linux/rootfsPropagation"));
}

Test(mounts, a_single_root_owned_file_of_a_software_tree_read_only)
{
    json::Value config;
    cr_assert(!refused_mount(with_bind("/usr/bin/env", "", docker_id, &config)));
    cr_assert(spec::has_option(config.find("mounts")->items()[0].find("options"), "ro"));
    cr_assert(refused_mount(with_bind("/usr/bin")));
    cr_assert(!refused_mount(with_bind("/usr/share/zoneinfo", "", docker_id, &config)));  // allowReadOnly
    cr_assert(spec::has_option(config.find("mounts")->items()[0].find("options"), "ro"));
}

Test(mounts, relative_sources_are_joined_as_runc_joins_them)
{
    system("rm -rf /tmp/hardrun-unit-rel && mkdir -p /tmp/hardrun-unit-rel/b/d/e /tmp/hardrun-unit-rel/data && "
           "ln -s d/e /tmp/hardrun-unit-rel/b/lnk");
    // runc: filepath.Join(bundle, "lnk/../../data") = /tmp/hardrun-unit-rel/data (lexically), not
    // bundle/d/data as the kernel would walk it.
    json::Value config;
    harden::Report report = with_mounts(R"([{"destination":"/x","type":"bind","source":"lnk/../../data","options":["rbind"]}])",
                                        &config, default_policy(), "/tmp/hardrun-unit-rel/b");
    cr_assert(!refused_mount(report));
    cr_assert_str_eq(config.find("mounts")->items()[0].find("source")->as_string().c_str(), "/tmp/hardrun-unit-rel/data");
    // Deep enough, the lexical join reaches the host's /etc.
    report = with_mounts(R"([{"destination":"/x","type":"bind","source":"lnk/../../../../../etc","options":["rbind"]}])",
                         nullptr, default_policy(), "/tmp/hardrun-unit-rel/b");
    system("rm -rf /tmp/hardrun-unit-rel");
    cr_assert(refused_at(report, "/mounts/0/source"));
}

Test(mounts, kubelet_shapes_only_for_the_proven_pods_uid)
{
    const std::string volume = "/var/lib/kubelet/pods/0c7e/volumes/kubernetes.io~empty-dir/cache";
    const char* pod = R"("io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-uid":"0c7e")";
    const char* other = R"("io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-uid":"9999")";
    // Run by the shim of the pod (the sandbox itself): its pod uid's volumes only.
    harden::Context sandbox = test::cri_context(docker_id, docker_id, getpid());
    cr_assert(!refused_mount(with_bind(volume, pod, docker_id, nullptr, &sandbox)));
    cr_assert(!refused_mount(with_bind("/var/lib/kubelet/pods/0c7e/etc-hosts", pod, docker_id, nullptr, &sandbox)));
    cr_assert(refused_mount(with_bind(volume, other, docker_id, nullptr, &sandbox)));
    cr_assert(refused_mount(with_bind(volume)));
    // The same claim without the shim: no pod, no pod's volumes.
    cr_assert(refused_mount(with_bind(volume, pod)));
}

Test(rootfs, scratch_tmpfs_only_where_a_configs_own_user_namespace_can_mount_it)
{
    system("rm -rf /tmp/hardrun-unit-userns && mkdir -p /tmp/hardrun-unit-userns/rootfs/tmp && "
           "ln -s /tmp /tmp/hardrun-unit-userns/rootfs/run");
    json::Value config = json::parse(
        R"({"process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},)"
        R"({"type":"uts"},{"type":"mount"},{"type":"network"},{"type":"cgroup"},{"type":"user"}],)"
        R"("uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}})");
    harden::Report report = harden::harden_config(config, default_policy(), test::context("id", "/tmp/hardrun-unit-userns"));
    system("rm -rf /tmp/hardrun-unit-userns");
    cr_assert(mount_at(config, "/tmp"));
    cr_assert(mount_at(config, "/run"));  // a symlink to /tmp inside the rootfs: a directory there
    cr_assert(!mount_at(config, "/var/tmp"));
    cr_assert(std::any_of(report.audited.begin(), report.audited.end(), [](const harden::Finding& f) {
        return f.control == "rootfs" && f.detail.find("/var/tmp") != std::string::npos;
    }));
}

Test(mounts, a_bind_idmapped_with_the_containers_own_user_namespace_is_allowed)
{
    // A pod with hostUsers: false: kubelet asks for its volumes idmapped with the pod's mappings.
    system("rm -rf /tmp/hardrun-unit-idmapvol && mkdir -p /tmp/hardrun-unit-idmapvol/rootfs /srv/hardrun-unit-vol");
    const std::string map = R"([{"containerID":0,"hostID":655360,"size":65536}])";
    auto config_of = [&](const std::string& mount_maps, const std::string& options, bool own_userns) {
        std::string userns = own_userns ? R"(,{"type":"user"}],"uidMappings":)" + map + R"(,"gidMappings":)" + map : "]";
        return json::parse(
            R"({"process":{"args":["sh"]},"root":{"path":"rootfs"},"mounts":[{"destination":"/cache","type":"bind",)"
            R"("source":"/srv/hardrun-unit-vol","options":["rbind")" + options + "]" + mount_maps + "}],"
            R"("linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"},)"
            R"({"type":"cgroup"})" + userns + "}}");
    };
    const std::string same = R"(,"uidMappings":)" + map + R"(,"gidMappings":)" + map;
    auto refused = [&](json::Value config) {
        harden::Report r = harden::harden_config(config, default_policy(), test::context("id", "/tmp/hardrun-unit-idmapvol"));
        return refused_at(r, "/mounts/0/uidMappings") || refused_at(r, "/mounts/0/gidMappings") ||
               refused_at(r, "/mounts/0/options/1");
    };
    cr_assert(!refused(config_of(same, "", true)));
    cr_assert(!refused(config_of("", R"(,"idmap")", true)));  // runc: the container's own mappings
    // Other mappings than the user namespace's: they would decide who owns the host's files.
    cr_assert(refused(config_of(R"(,"uidMappings":[{"containerID":0,"hostID":0,"size":65536}],"gidMappings":)" + map, "",
                                true)));
    cr_assert(refused(config_of(R"(,"uidMappings":)" + map + R"(,"gidMappings":[{"containerID":0,"hostID":1000,"size":1}])",
                                "", true)));
    // No user namespace of its own (hardrun adds one; the engine asked for no idmapped volume).
    cr_assert(refused(config_of(same, "", false)));
    cr_assert(refused(config_of("", R"(,"idmap")", false)));
    system("rm -rf /tmp/hardrun-unit-idmapvol /srv/hardrun-unit-vol");
}

Test(mounts, root_filesystem_in_a_system_tree_is_refused)
{
    for (const char* path : {"/usr", "/usr/local", "/var/log", "/opt/x", "/lib"}) {
        json::Value config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":")" + std::string(path) + R"("}})");
        harden::Report report = harden::harden_config(config, default_policy(), test::context("id", "/tmp"));
        cr_assert(refused_at(report, "/root/path"), "%s not refused", path);
    }
}

Test(sysctls, safe_and_own_network_ones_stay_others_go)
{
    json::Value config = config_with(
        R"(,"linux":{"namespaces":[{"type":"network"}],"sysctl":{"net.ipv4.ping_group_range":"0 2147483647",)"
        R"("net.core.somaxconn":"1024","kernel.shm_rmid_forced":"1","kernel.shmmax":"1","kernel.domainname":"x",)"
        R"("vm.overcommit_memory":"1"}})");
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    std::string kept = json::serialize(*config.find("linux")->find("sysctl"));
    // Docker's ping_group_range clamped to the gids the added user namespace maps.
    cr_assert_eq(kept, R"({"net.ipv4.ping_group_range":"0 65535","net.core.somaxconn":"1024","kernel.shm_rmid_forced":"1"})");
    cr_assert_eq(count(report.changed, "sysctls"), 3u);
}

Test(sysctls, no_net_sysctls_in_the_hosts_network_namespace)
{
    policy::Policy p = policy::parse(R"({"capabilities":{"allow":[]},"namespaces":{"hostNetwork":true},)"
                                     R"("sysctls":{"allow":["kernel.shmmax"]}})", "t");
    json::Value config = config_with(R"(,"linux":{"sysctl":{"net.ipv4.tcp_syncookies":"1","kernel.shmmax":"5"}})");
    harden::harden_config(config, p, test::context());
    cr_assert_eq(json::serialize(*config.find("linux")->find("sysctl")), R"({"kernel.shmmax":"5"})");
}

namespace {

policy::Policy load_test_profile(const std::string& name)
{
    if (name == "tight")
        return policy::parse(R"({"capabilities":{"allow":["CAP_KILL"]},"resources":{"pids":{"default":64,"max":128}}})",
                             "tight");
    if (name == "loose")  // asks for more than the base policy: must change nothing
        return policy::parse(R"({"capabilities":{"allow":["CAP_SYS_ADMIN","CAP_KILL","CAP_CHOWN","CAP_NET_RAW"]},)"
                             R"("resources":{"pids":{"default":100000,"max":100000}},"namespaces":{"hostNetwork":true}})",
                             "loose");
    throw Error("no profile " + name);
}

json::Value annotated(const char* profile)
{
    return json::parse(std::string(R"({"process":{"args":["sh"],"capabilities":{"bounding":["CAP_KILL","CAP_CHOWN","CAP_SYS_ADMIN"]}},)"
                                   R"("root":{"path":"r"},"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},)"
                                   R"({"type":"mount"},{"type":"network"},{"type":"cgroup"}]},"annotations":{"run.hardrun.profile":")") +
                       profile + "\"}}");
}

}  // namespace

Test(profiles, a_selectable_profile_picked_by_annotation_tightens)
{
    policy::Policy base = policy::parse(R"({"capabilities":{"allow":["CAP_KILL","CAP_CHOWN"]},"selectable":["tight","loose"]})", "base");
    json::Value config = annotated("tight");
    harden::Report report = harden::harden_config(config, base, test::context(), load_test_profile);
    cr_assert_eq(report.profile, "tight");
    cr_assert(names(*config.find("process")->find("capabilities"), "bounding") == std::vector<std::string>({"CAP_KILL"}));
    // The base's default (1024) is above the profile's ceiling (128): lowered.
    cr_assert_eq(*config.find("linux")->find("resources")->find("pids")->find("limit")->as_int64(), 128);
    std::string stamp = config.find("annotations")->find(harden::policy_annotation)->as_string();
    cr_assert_eq(stamp, base.digest + "+" + load_test_profile("tight").digest);
    cr_assert(!harden::harden_config(config, base, test::context(), load_test_profile).modified(), "not idempotent");
}

Test(profiles, a_looser_profile_cannot_loosen)
{
    policy::Policy base = policy::parse(R"({"capabilities":{"allow":["CAP_KILL","CAP_CHOWN"]},"selectable":["loose"]})", "base");
    json::Value config = annotated("loose");
    harden::harden_config(config, base, test::context(), load_test_profile);
    cr_assert(names(*config.find("process")->find("capabilities"), "bounding") ==
              std::vector<std::string>({"CAP_KILL", "CAP_CHOWN"}));
    cr_assert_eq(*config.find("linux")->find("resources")->find("pids")->find("limit")->as_int64(), 1024);
}

Test(profiles, a_profile_not_marked_selectable_is_refused)
{
    policy::Policy base = policy::parse(R"({"capabilities":{"allow":["CAP_KILL"]},"selectable":["tight"]})", "base");
    for (const char* name : {"loose", "../../etc/x", ""}) {
        json::Value config = annotated(name);
        harden::Report report = harden::harden_config(config, base, test::context(), load_test_profile);
        cr_assert_eq(count(report.refused, "profile"), 1u, "%s", name);
    }
}

namespace {

harden::Context with_apparmor(const std::string& profiles_text)
{
    harden::Context c = test::context("c1", "/nonexistent-bundle");
    c.apparmor_host = [profiles_text] { return live::parse_apparmor_profiles(profiles_text); };
    return c;
}

std::string apparmor_of(const json::Value& config)
{
    const json::Value* p = config.find("process")->find("apparmorProfile");
    return p ? p->as_string() : "";
}

}  // namespace

Test(apparmor, unconfined_or_none_gets_the_first_loaded_profile_of_the_policy)
{
    const std::string loaded = "docker-default (enforce)\nhardrun-default (enforce)\n/usr/bin/man (complain)\n";
    for (const char* asked : {"", R"(,"apparmorProfile":"unconfined")", R"(,"apparmorProfile":"/usr/bin/man")"}) {
        json::Value config = json::parse(std::string(R"({"process":{"args":["sh"])") + asked +
                                         R"(},"root":{"path":"r"}})");
        harden::Report report = harden::harden_config(config, default_policy(), with_apparmor(loaded));
        cr_assert_eq(apparmor_of(config), "hardrun-default", "%s", asked);
        cr_assert_eq(count(report.changed, "apparmor"), 1u);
    }
    // Only the engine's default loaded: that one.
    json::Value config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"r"}})");
    harden::harden_config(config, default_policy(), with_apparmor("docker-default (enforce)\n"));
    cr_assert_eq(apparmor_of(config), "docker-default");
    // A confining profile the caller chose is kept.
    config = json::parse(R"({"process":{"args":["sh"],"apparmorProfile":"my-app"},"root":{"path":"r"}})");
    harden::Report kept = harden::harden_config(config, default_policy(), with_apparmor(loaded + "my-app (enforce)\n"));
    cr_assert_eq(apparmor_of(config), "my-app");
    cr_assert_eq(count(kept.changed, "apparmor"), 0u);
    // A host without AppArmor: the field is inert, nothing changes.
    config = json::parse(R"({"process":{"args":["sh"],"apparmorProfile":"unconfined"},"root":{"path":"r"}})");
    harden::Report none = harden::harden_config(config, default_policy(), test::context("c1", "/nonexistent-bundle"));
    cr_assert_eq(apparmor_of(config), "unconfined");
    cr_assert_eq(count(none.changed, "apparmor") + count(none.audited, "apparmor"), 0u);
}

Test(apparmor, no_profile_loaded_degrades_loudly_or_is_refused)
{
    json::Value config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"r"}})");
    harden::Report report = harden::harden_config(config, default_policy(), with_apparmor("/usr/bin/man (enforce)\n"));
    cr_assert_eq(apparmor_of(config), "");
    cr_assert_eq(count(report.audited, "apparmor"), 1u);
    cr_assert_eq(count(report.refused, "apparmor"), 0u);
    policy::Policy strict = policy::parse(R"({"capabilities":{"allow":[]},"apparmor":{"unavailable":"refuse"}})", "t");
    config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"r"}})");
    cr_assert_eq(count(harden::harden_config(config, strict, with_apparmor("")).refused, "apparmor"), 1u);
    cr_assert_throw(policy::parse(R"({"capabilities":{"allow":[]},"apparmor":{"profiles":["unconfined"]}})", "t"),
                    Error);
}

Test(apparmor, an_exec_process_cannot_leave_the_profile)
{
    json::Value process = json::parse(R"({"args":["sh"],"apparmorProfile":"unconfined"})");
    harden::Report report;
    harden::harden_process(process, default_policy(), report, false,
                           live::parse_apparmor_profiles("hardrun-default (enforce)\n"));
    cr_assert_eq(process.find("apparmorProfile")->as_string(), "hardrun-default");
    cr_assert_eq(report.changed.back().path, "/apparmorProfile");
}

namespace {

// A create by Docker 20.10 (the fixture's dockerd was pid 20090), with a hook `extra` added.
struct HookCase {
    json::Value config;
    harden::Context context;
};

HookCase docker_with_hook(const std::string& extra = "", long dockerd_uid = 0, std::string dockerd = "/usr/sbin/dockerd")
{
    HookCase c{json::parse(test::read_file(test::fixtures_dir() + "/docker-20.10-default.json")),
               test::context(docker_id, "/nonexistent-bundle")};
    if (!extra.empty())
        c.config.find("hooks")->set("poststart", json::parse(extra));
    c.context.process_exe = [dockerd_uid, dockerd](long pid) {
        live::ProcessExe p;
        p.found = pid == 20090;
        p.uid = uid_t(dockerd_uid);
        p.exe = dockerd;
        return p;
    };
    c.context.why_not_root_owned = [](const std::string& path) -> std::string {
        return path == "/usr/sbin/dockerd" || path == "/usr/bin/nvidia-ctk" ? "" : path + " is owned by uid 1000";
    };
    return c;
}

}  // namespace

Test(hooks, dockers_network_hook_is_recognised_by_facts)
{
    HookCase c = docker_with_hook();
    harden::Report report = harden::harden_config(c.config, default_policy(), c.context);
    cr_assert_eq(count(report.refused, "hooks"), 0u, "%s", harden::describe(report.refused).c_str());
    // The same hook, but the process is not root's dockerd, or the id is another container's.
    for (auto [uid, exe] : {std::pair<long, const char*>{1000, "/usr/sbin/dockerd"}, {0, "/usr/bin/python3"},
                            {0, "/home/u/dockerd"}}) {
        HookCase bad = docker_with_hook("", uid, exe);
        cr_assert_eq(count(harden::harden_config(bad.config, default_policy(), bad.context).refused, "hooks"), 1u, "%s", exe);
    }
    HookCase other = docker_with_hook();
    other.context.container_id = "another";
    cr_assert_eq(count(harden::harden_config(other.config, default_policy(), other.context).refused, "hooks"), 1u);
    policy::Policy no_docker = policy::parse(R"({"capabilities":{"allow":[]},"hooks":{"dockerNetwork":false}})", "t");
    HookCase off = docker_with_hook();
    cr_assert_eq(count(harden::harden_config(off.config, no_docker, off.context).refused, "hooks"), 1u);
}

Test(hooks, any_other_hook_is_refused_unless_the_policy_names_it)
{
    HookCase c = docker_with_hook(R"([{"path":"/bin/sh","args":["sh","-c","touch /tmp/x"]}])");
    harden::Report report = harden::harden_config(c.config, default_policy(), c.context);
    cr_assert_eq(count(report.refused, "hooks"), 1u);
    cr_assert_eq(report.refused[0].path, "/hooks/poststart/0/path");
    cr_assert(report.refused[0].detail.find("runs /bin/sh on the host as root (poststart hook)") != std::string::npos);

    policy::Policy nvidia = policy::parse(
        R"({"capabilities":{"allow":[]},"hooks":{"allow":[{"path":"/usr/bin/nvidia-ctk","kinds":["poststart"]},)"
        R"({"path":"/opt/hooks/mine","kinds":["poststart"]}]}})", "t");
    c = docker_with_hook(R"([{"path":"/usr/bin/nvidia-ctk","args":["nvidia-ctk","hook"]}])");
    cr_assert_eq(count(harden::harden_config(c.config, nvidia, c.context).refused, "hooks"), 0u);
    // Named, but as another kind; named, but not root's alone: refused.
    c = docker_with_hook(R"([{"path":"/usr/bin/nvidia-ctk"}])");
    c.config.find("hooks")->set("createContainer", *c.config.find("hooks")->find("poststart"));
    c.config.find("hooks")->erase("poststart");
    harden::Report kind = harden::harden_config(c.config, nvidia, c.context);
    cr_assert_eq(count(kind.refused, "hooks"), 1u);
    cr_assert(kind.refused[0].detail.find("only as poststart") != std::string::npos);
    c = docker_with_hook(R"([{"path":"/opt/hooks/mine"}])");
    harden::Report owned = harden::harden_config(c.config, nvidia, c.context);
    cr_assert(owned.refused.size() == 1 && owned.refused[0].detail.find("owned by uid 1000") != std::string::npos);
    // Audit mode records; case-folded kinds are errors; unknown kinds refused.
    policy::Policy audit = policy::parse(R"({"capabilities":{"allow":[]},"hooks":{"mode":"audit"}})", "t");
    c = docker_with_hook(R"([{"path":"/bin/sh"}])");
    harden::Report audited = harden::harden_config(c.config, audit, c.context);
    cr_assert(count(audited.refused, "hooks") == 0 && count(audited.audited, "hooks") == 1);
    c = docker_with_hook();
    c.config.find("hooks")->set("Prestart", json::Value::array());
    cr_assert(rejected(c.config, default_policy(), c.context));
    c = docker_with_hook();
    c.config.find("hooks")->set("preStop", json::Value::array());
    harden::Report unknown = harden::harden_config(c.config, default_policy(), c.context);
    cr_assert(unknown.refused.size() == 1 && unknown.refused[0].control == "fields" &&
              unknown.refused[0].path == "/hooks/preStop", "%s", harden::describe(unknown.refused).c_str());
    cr_assert_throw(policy::parse(R"({"capabilities":{"allow":[]},"hooks":{"allow":[{"path":"sh","kinds":["prestart"]}]}})", "t"), Error);
    cr_assert_throw(policy::parse(R"({"capabilities":{"allow":[]},"hooks":{"allow":[{"path":"/x","kinds":["later"]}]}})", "t"), Error);
}

Test(hooks, the_host_facts_are_read_from_the_host)
{
    cr_assert_eq(live::why_not_root_owned("/bin/sh"), "");
    cr_assert(live::why_not_root_owned("/tmp").find("not a regular file") != std::string::npos);
    cr_assert(live::why_not_root_owned("/nonexistent/x").find("cannot be resolved") != std::string::npos);
    // A root-owned binary in a directory others can write (they could swap it) is not root's alone.
    char dir[] = "/tmp/hardrun-unit-hook-XXXXXX";
    cr_assert(mkdtemp(dir));
    std::string bin = std::string(dir) + "/hook";
    std::ofstream(bin) << "#!/bin/sh\n";
    chmod(bin.c_str(), 0755);
    chmod(dir, 0700);
    cr_assert(live::why_not_root_owned(bin).find("/tmp is writable by others") != std::string::npos,
              "%s", live::why_not_root_owned(bin).c_str());
    chmod(bin.c_str(), 0775);
    cr_assert(live::why_not_root_owned(bin).find("hook is writable by others") != std::string::npos);
    unlink(bin.c_str());
    rmdir(dir);
    live::ProcessExe self = live::process_exe(getpid());
    cr_assert(self.found && self.uid == getuid() && self.exe.find("unit-harden") != std::string::npos, "%s", self.exe.c_str());
}

Test(annotations, runtime_instructions_are_refused_unless_vouched_for)
{
    auto with = [](const std::string& key) {
        return json::parse(R"({"process":{"args":["sh"]},"root":{"path":"r"},"annotations":{")" + key +
                           R"(":"x","org.opencontainers.image.title":"t"}})");
    };
    for (const char* key : {"org.systemd.property.DeviceAllow", "org.criu.config", "run.oci.keep_original_groups",
                            "run.oci.seccomp_receiver"}) {
        json::Value config = with(key);
        harden::Report report = harden::harden_config(config, default_policy(), test::context());
        cr_assert_eq(count(report.refused, "annotations"), 1u, "%s", key);
        cr_assert(std::any_of(report.refused.begin(), report.refused.end(), [&](const harden::Finding& f) {
            return f.control == "annotations" && f.path == std::string("/annotations/") + key;
        }));
    }
    json::Value plain = with("com.example.team");
    cr_assert_eq(count(harden::harden_config(plain, default_policy(), test::context()).refused, "annotations"), 0u);
    policy::Policy vouching = policy::parse(
        R"({"capabilities":{"allow":[]},"annotations":{"allow":["run.oci.keep_original_groups","org.systemd.property.Cpu*"]}})",
        "t");
    json::Value config = with("run.oci.keep_original_groups");
    cr_assert_eq(count(harden::harden_config(config, vouching, test::context()).refused, "annotations"), 0u);
    config = with("org.systemd.property.CPUWeight");
    cr_assert_eq(count(harden::harden_config(config, vouching, test::context()).refused, "annotations"), 1u);
    config = with("org.systemd.property.CpuQuota");
    cr_assert_eq(count(harden::harden_config(config, vouching, test::context()).refused, "annotations"), 0u);
    cr_assert_throw(policy::parse(R"({"capabilities":{"allow":[]},"annotations":{"allow":["a*b"]}})", "t"), Error);
}

// The idmap step failed on this host (create and check tell the control why): the shipped default
// runs the container without a user namespace and says so; strict refuses with the reason.
Test(harden, user_namespace_not_possible_on_this_host_degrades_or_refuses_by_policy)
{
    const char* reason = "cannot idmap /run/demo/rootfs: its filesystem (tmpfs) does not support idmapped mounts";
    harden::Context context;
    context.idmap_unsupported = reason;
    policy::Policy shipped = default_policy();
    cr_assert(shipped.user_namespace.run_without_when_unsupported);
    json::Value config = json::parse(privileged_process);
    harden::Report report;
    harden::user_namespace(config, shipped, context, report);
    cr_assert(report.refused.empty() && report.changed.empty() && !report.user_namespace_added);
    cr_assert_eq(report.audited.size(), 1u);
    cr_assert_eq(report.audited[0].control, std::string("userNamespace"));
    cr_assert_eq(report.audited[0].detail.rfind(std::string("not possible on this host (") + reason + ")", 0), 0u,
                 "%s", report.audited[0].detail.c_str());
    cr_assert(json::serialize(config).find("\"user\"") == std::string::npos);

    policy::Policy strict = policy::parse(R"({"capabilities": {"allow": []}, "userNamespace": {"unsupported": "refuse"}})", "t");
    harden::Report refused;
    harden::user_namespace(config, strict, context, refused);
    cr_assert_eq(refused.refused.size(), 1u);
    cr_assert(refused.refused[0].detail.find(reason) != std::string::npos);
    cr_assert(refused.refused[0].detail.find("userNamespace.unsupported is \"refuse\"") != std::string::npos);

    // In audit mode even strict only records it.
    policy::Policy audit = policy::parse(R"({"capabilities": {"allow": []}, "userNamespace": {"mode": "audit", "unsupported": "refuse"}})", "t");
    harden::Report audited;
    harden::user_namespace(config, audit, context, audited);
    cr_assert(audited.refused.empty() && audited.audited.size() == 1u);
}

Test(harden, overlay_layer_form_is_the_policys_or_the_first_the_probe_proved)
{
    using O = policy::UserNamespace::OverlayLayers;
    idmap::HostSupport all{"6.18", "/run/hardrun", "", "", "", ""};
    cr_assert_eq(*idmap::choose_form(O::automatic, all).form, idmap::LayerForm::fd);
    idmap::HostSupport k612{"6.12", "/run/hardrun", "", "Bad file descriptor", "", ""};
    cr_assert_eq(*idmap::choose_form(O::automatic, k612).form, idmap::LayerForm::path);
    idmap::HostSupport k61{"6.1", "/var/lib/hardrun", "", "Operation not supported", "Invalid argument", ""};
    cr_assert_eq(*idmap::choose_form(O::automatic, k61).form, idmap::LayerForm::lowerdir);
    // A forced form is taken whatever the probe said (the kernel's own error then names it).
    cr_assert_eq(*idmap::choose_form(O::fd, k61).form, idmap::LayerForm::fd);
    cr_assert_eq(*idmap::choose_form(O::lowerdir, all).form, idmap::LayerForm::lowerdir);
    idmap::HostSupport none{"5.15", "/run/hardrun", "", "EINVAL a", "EINVAL b", "EINVAL c"};
    idmap::FormChoice c = idmap::choose_form(O::automatic, none);
    cr_assert(!c.form);
    cr_assert(c.why_none.find("Linux 5.15") != std::string::npos && c.why_none.find("lowerdir: EINVAL c") != std::string::npos,
              "%s", c.why_none.c_str());
    idmap::HostSupport no_scratch{"6.1", "", "cannot idmap /run/hardrun/probe.x/a: tmpfs", "x", "x", "x"};
    c = idmap::choose_form(O::automatic, no_scratch);
    cr_assert(!c.form && c.why_none.find("cannot idmap hardrun's probe layer") != std::string::npos);
}

Test(annotations, podmans_stop_properties_pass_by_default)
{
    json::Value config = json::parse(
        R"({"process":{"args":["sh"]},"root":{"path":"r"},"annotations":{"org.systemd.property.KillSignal":"uint32 15",)"
        R"("org.systemd.property.TimeoutStopUSec":"uint64 10000000"}})");
    cr_assert_eq(count(harden::harden_config(config, default_policy(), test::context()).refused, "annotations"), 0u);
}

// Found by the fuzz smoke: a mount without "options" gets them added while the control still
// held a pointer into the mount's members (a use-after-free the sanitizer build catches).
Test(mounts, a_mount_without_options_gets_them)
{
    json::Value config = config_with(R"(,"mounts":[{"destination":"/x","type":"tmpfs","source":"tmpfs"}])");
    harden::harden_config(config, default_policy(), test::context(docker_id, "/nonexistent-bundle"));
    std::vector<std::string> got = options_of(config.find("mounts")->items()[0]);
    cr_assert(std::find(got.begin(), got.end(), "nosuid") != got.end() && std::find(got.begin(), got.end(), "nodev") != got.end());
}

Test(selinux, only_types_that_confine_a_container)
{
    auto label = [](const char* l) {
        return json::parse(std::string(R"({"process":{"args":["sh"],"selinuxLabel":")") + l +
                           R"("},"root":{"path":"rootfs"}})");
    };
    for (const char* ok : {"system_u:system_r:container_t:s0:c1,c2", "system_u:system_r:container_init_t:s0", ""}) {
        json::Value config = label(ok);
        harden::Report report = harden::harden_config(config, default_policy(), test::context());
        cr_assert_eq(count(report.refused, "selinux"), 0u, "%s", ok);
        cr_assert_eq(config.find("process")->find("selinuxLabel")->as_string(), ok);
    }
    for (const char* bad : {"system_u:system_r:spc_t:s0", "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", "spc_t"}) {
        json::Value config = label(bad);
        harden::Report report = harden::harden_config(config, default_policy(), test::context());
        cr_assert_eq(count(report.refused, "selinux"), 1u, "%s", bad);
        cr_assert_eq(report.refused[0].path, "/process/selinuxLabel");
    }
    // An exec's process file too; audit records.
    json::Value process = json::parse(R"({"args":["sh"],"selinuxLabel":"system_u:system_r:spc_t:s0"})");
    cr_assert_eq(count(harden::harden_process(process, default_policy()).refused, "selinux"), 1u);
    policy::Policy audit = policy::parse(R"({"capabilities":{"allow":[]},"selinux":{"mode":"audit"}})", "t");
    json::Value config = label("system_u:system_r:spc_t:s0");
    harden::Report report = harden::harden_config(config, audit, test::context());
    cr_assert(count(report.refused, "selinux") == 0 && count(report.audited, "selinux") == 1);
    cr_assert_throw(policy::parse(R"({"capabilities":{"allow":[]},"selinux":{"types":["spc t"]}})", "t"), Error);
}

Test(resources, the_swap_hold_goes_into_the_systemd_unit)
{
    // Docker's systemd driver config: the unit must carry MemorySwapMax=0 (runc leaves it out).
    json::Value config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"rootfs"},)"
                                     R"("linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}],"cgroupsPath":"system.slice:docker:abc"}})");
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    cr_assert(report.refused.empty(), "%s", harden::describe(report.refused).c_str());
    const json::Value* hold = config.find("annotations")->find(harden::swap_hold_annotation);
    cr_assert(hold && hold->as_string() == "uint64 0");
    harden::Report again = harden::harden_config(config, default_policy(), test::context());
    cr_assert(!again.modified() && again.refused.empty());
    // A caller's own value for it is replaced by the hold; the cgroupfs driver's configs do not get it,
    // and a caller's MemorySwapMax there is an instruction the policy does not vouch for.
    config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}],"cgroupsPath":"system.slice:docker:abc"},)"
                         R"("annotations":{"org.systemd.property.MemorySwapMax":"uint64 1000000000"}})");
    report = harden::harden_config(config, default_policy(), test::context());
    cr_assert(report.refused.empty());
    cr_assert_eq(config.find("annotations")->find(harden::swap_hold_annotation)->as_string(), "uint64 0");
    config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}],"cgroupsPath":"/docker/abc"}})");
    harden::harden_config(config, default_policy(), test::context());
    cr_assert(!config.find("annotations")->find(harden::swap_hold_annotation));
    config = json::parse(R"({"process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}],"cgroupsPath":"/docker/abc"},)"
                         R"("annotations":{"org.systemd.property.MemorySwapMax":"uint64 0"}})");
    cr_assert_eq(count(harden::harden_config(config, default_policy(), test::context()).refused, "annotations"), 0u,
                 "no swap beyond memory only tightens");
}

Test(devices, a_device_is_its_numbers_not_its_path)
{
    json::Value config = config_with(
        R"(,"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}],)"
        R"("devices":[{"path":"/dev/full","type":"c","major":1,"minor":11},{"path":"/dev/mynull","type":"c","major":1,"minor":3,"fileMode":2486},)"
        R"({"path":"/dev/fuse","type":"c","major":10,"minor":200},{"path":"/dev/pipe","type":"p"},{"path":"/dev/x","type":"b","major":1,"minor":3}]})");
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    const auto& devices = config.find("linux")->find("devices")->items();
    cr_assert_eq(devices.size(), 2u, "%s", json::serialize(*config.find("linux")->find("devices")).c_str());
    cr_assert_eq(devices[0].find("path")->as_string(), "/dev/mynull");  // a default device, whatever its name
    cr_assert_eq(*devices[0].find("fileMode")->as_int64(), 0666);       // 04666: no setuid bit on a node
    cr_assert_eq(devices[1].find("path")->as_string(), "/dev/pipe");
    bool named = std::any_of(report.changed.begin(), report.changed.end(), [](const harden::Finding& f) {
        return f.detail.find("/dev/full (c 1:11)") != std::string::npos && f.detail.find("/dev/fuse (c 10:200)") != std::string::npos;
    });
    cr_assert(named, "%s", harden::describe(report.changed).c_str());
    // The device cgroup allows nothing of 1:11.
    std::string rules = json::serialize(*config.find("linux")->find("resources")->find("devices"));
    cr_assert(rules.find(R"("major":1,"minor":11)") == std::string::npos, "%s", rules.c_str());
    // devices.allow names a host file: its numbers (stat) are what is allowed, not its path.
    policy::Policy fuse = policy::parse(R"({"capabilities":{"allow":[]},"devices":{"allow":["/dev/fuse","/dev/nonexistent-device"]}})", "t");
    config = config_with(
        R"(,"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}],)"
        R"("devices":[{"path":"/dev/other-name","type":"c","major":10,"minor":229},{"path":"/dev/fuse","type":"c","major":1,"minor":11}]})");
    harden::harden_config(config, fuse, test::context());
    const auto& kept = config.find("linux")->find("devices")->items();
    cr_assert_eq(kept.size(), 1u);
    cr_assert_eq(*kept[0].find("minor")->as_int64(), 229);
}

namespace {

json::Value own_namespaces_config(const std::string& process, const std::string& linux_extra = "")
{
    return json::parse(R"({"process":{"args":["sh"])" + process + R"(},"root":{"path":"rootfs"},"linux":{"namespaces":)"
                       R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}])" +
                       linux_extra + "}}");
}

}  // namespace

Test(resources, no_real_time_or_raised_priority_for_a_process)
{
    json::Value config = own_namespaces_config(
        R"(,"rlimits":[{"type":"RLIMIT_RTPRIO","hard":99,"soft":99},{"type":"RLIMIT_NICE","hard":40,"soft":20},)"
        R"({"type":"RLIMIT_NOFILE","hard":1048576,"soft":1048576}],"oomScoreAdj":-1000)");
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    cr_assert(report.refused.empty(), "%s", harden::describe(report.refused).c_str());
    const auto& limits = config.find("process")->find("rlimits")->items();
    cr_assert_eq(*limits[0].find("hard")->as_int64(), 0);
    cr_assert_eq(*limits[0].find("soft")->as_int64(), 0);
    cr_assert_eq(*limits[1].find("hard")->as_int64(), 20);
    cr_assert_eq(*limits[1].find("soft")->as_int64(), 20);
    cr_assert_eq(*limits[2].find("hard")->as_int64(), 1048576);
    int64_t own = 0;
    FILE* f = fopen("/proc/self/oom_score_adj", "r");
    cr_assert(f && fscanf(f, "%ld", &own) == 1);
    fclose(f);
    cr_assert_eq(*config.find("process")->find("oomScoreAdj")->as_int64(), std::max<int64_t>(own, -1000));

    for (const char* process : {R"(,"rlimits":[{"type":"RLIMIT_NOPE","hard":1,"soft":1}])",
                                R"(,"scheduler":{"policy":"SCHED_FIFO","priority":99})",
                                R"(,"scheduler":{"policy":"SCHED_DEADLINE","runtime":1,"deadline":2,"period":3})",
                                R"(,"scheduler":{"policy":"SCHED_OTHER","nice":-20})",
                                R"(,"ioPriority":{"class":"IOPRIO_CLASS_RT","priority":0})"}) {
        json::Value bad = own_namespaces_config(process);
        harden::Report r = harden::harden_config(bad, default_policy(), test::context());
        cr_assert_eq(count(r.refused, "resources"), 1u, "%s: %s", process, harden::describe(r.refused).c_str());
    }
    for (const char* process : {R"(,"scheduler":{"policy":"SCHED_BATCH","nice":5})",
                                R"(,"ioPriority":{"class":"IOPRIO_CLASS_IDLE","priority":7})"}) {
        json::Value ok = own_namespaces_config(process);
        cr_assert(harden::harden_config(ok, default_policy(), test::context()).refused.empty(), "%s", process);
    }
    // An exec's process too.
    json::Value exec = json::parse(R"({"args":["sh"],"scheduler":{"policy":"SCHED_RR","priority":1}})");
    cr_assert_eq(count(harden::harden_process(exec, default_policy()).refused, "resources"), 1u);
}

Test(resources, fields_that_take_from_the_host)
{
    json::Value config = own_namespaces_config("",
        R"(,"resources":{"cpu":{"realtimeRuntime":950000,"realtimePeriod":1000000,"shares":512},)"
        R"("memory":{"disableOOMKiller":true},"unified":{"cpu.max":"50000 100000","memory.min":"1G","io.weight":"default 100",)"
        R"("hugetlb.2MB.max":"0"}})");
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    cr_assert(report.refused.empty(), "%s", harden::describe(report.refused).c_str());
    const json::Value& resources = *config.find("linux")->find("resources");
    cr_assert(!resources.find("cpu")->find("realtimeRuntime") && !resources.find("cpu")->find("realtimePeriod"));
    cr_assert_eq(*resources.find("cpu")->find("shares")->as_int64(), 512);
    cr_assert(!resources.find("memory")->find("disableOOMKiller")->as_bool());
    const json::Value& unified = *resources.find("unified");
    cr_assert(!unified.find("memory.min") && unified.find("cpu.max") && unified.find("io.weight") && unified.find("hugetlb.2MB.max"));

    json::Value unknown = own_namespaces_config("", R"(,"resources":{"unified":{"cgroup.freeze":"1"}})");
    cr_assert_eq(count(harden::harden_config(unknown, default_policy(), test::context()).refused, "resources"), 1u);
    json::Value rdt = own_namespaces_config("", R"(,"intelRdt":{"closID":"guaranteed","l3CacheSchema":"L3:0=fffff"})");
    cr_assert_eq(count(harden::harden_config(rdt, default_policy(), test::context()).refused, "resources"), 1u);
    policy::Policy with_rdt = policy::parse(R"({"capabilities":{"allow":[]},"resources":{"intelRdt":true}})", "t");
    rdt = own_namespaces_config("", R"(,"intelRdt":{"closID":"guaranteed","l3CacheSchema":"L3:0=fffff"})");
    cr_assert_eq(count(harden::harden_config(rdt, with_rdt, test::context()).refused, "resources"), 0u);

    // `runc update` gets the same.
    json::Value update = json::parse(R"({"cpu":{"realtimeRuntime":1},"memory":{"disableOOMKiller":true},"unified":{"memory.low":"8G"}})");
    harden::Report u;
    harden::update_resources(update, default_policy(), false, u);
    cr_assert(!update.find("cpu")->find("realtimeRuntime") && !update.find("memory")->find("disableOOMKiller")->as_bool() &&
              !update.find("unified")->find("memory.low"), "%s", json::serialize(update).c_str());
}

Test(resources, memory_reservation_is_reclaim_protection_on_cgroup_v2)
{
    // Docker's --memory-reservation 1g, --memory 2g; a unified io.latency target beside it.
    const char* docker = R"(,"resources":{"memory":{"limit":2147483648,"reservation":1073741824},)"
                         R"("unified":{"io.latency":"8:0 target=75"}})";
    // v1: memory.soft_limit_in_bytes, which only makes the container reclaimed first: kept.
    json::Value v1 = own_namespaces_config("", docker);
    harden::harden_config(v1, default_policy(), test::context());
    const json::Value& v1_memory = *v1.find("linux")->find("resources")->find("memory");
    cr_assert_eq(*v1_memory.find("reservation")->as_int64(), int64_t(1) << 30);
    cr_assert(!v1.find("linux")->find("resources")->find("unified")->find("io.latency"));
    // v2: runc writes it to memory.low: removed, and recorded.
    harden::Context v2_host = test::context();
    v2_host.cgroup_v2 = true;
    json::Value v2 = own_namespaces_config("", docker);
    harden::Report report = harden::harden_config(v2, default_policy(), v2_host);
    cr_assert(!v2.find("linux")->find("resources")->find("memory")->find("reservation"));
    bool recorded = false;
    for (const auto& f : report.changed)
        recorded |= f.path == "/linux/resources/memory/reservation";
    cr_assert(recorded, "%s", harden::describe(report.changed).c_str());
    // A zero reservation is runc's "none": nothing to change.
    json::Value zero = own_namespaces_config("", R"(,"resources":{"memory":{"limit":2147483648,"reservation":0}})");
    harden::Report none = harden::harden_config(zero, default_policy(), v2_host);
    for (const auto& f : none.changed)
        cr_assert_neq(f.path, "/linux/resources/memory/reservation");
    // `runc update` on v2 as well; on v1 kept.
    json::Value update = json::parse(R"({"memory":{"reservation":1073741824}})");
    harden::Report u;
    harden::update_resources(update, default_policy(), true, u);
    cr_assert(!update.find("memory")->find("reservation"), "%s", json::serialize(update).c_str());
    update = json::parse(R"({"memory":{"reservation":1073741824}})");
    harden::update_resources(update, default_policy(), false, u);
    cr_assert(update.find("memory")->find("reservation"));
}

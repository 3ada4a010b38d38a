// hardrun report's checks: live state (from fixtures captured on this host) against policies.
#include "compliance/checks.hpp"
#include "compliance/requirements.hpp"
#include "live/container.hpp"
#include "policy/policy.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>

#include <map>

using namespace hardrun;
using compliance::Level;
using compliance::Result;

namespace {

std::string proc_fixture(const std::string& name)
{
    return test::read_file(test::fixtures_dir() + "/proc/" + name);
}

live::State state_of(const std::string& kind)
{
    live::State s;
    s.pid = 42;
    s.status = live::parse_status(proc_fixture("status-" + kind));
    if (kind == "hardrun") {  // hardrun adds a user namespace (status uids are the host's view)
        s.uid_map = live::parse_id_map("0 1048576 65536\n");
        s.status.uids = {1048576, 1048576, 1048576, 1048576};
        s.host_namespace[6] = false;
    } else {
        s.uid_map = live::parse_id_map("0 0 4294967295\n");
        s.host_namespace[6] = true;
    }
    s.mounts = live::parse_mountinfo(proc_fixture("mountinfo-" + kind));
    s.pids = {live::CgroupDir{1, "/sys/fs/cgroup/pids/x"}, live::parse_limit("1024\n")};
    s.memory = {live::CgroupDir{1, "/sys/fs/cgroup/memory/x"}, live::parse_limit("1073741824\n")};
    s.swap = live::parse_limit("1073741824\n");
    return s;
}

std::map<std::string, compliance::Check> by_name(const std::vector<compliance::Check>& checks)
{
    std::map<std::string, compliance::Check> out;
    for (const auto& c : checks)
        out[c.name] = c;
    return out;
}

// The built-in policy on a host that idmaps (userNamespace.unsupported "refuse", as strict): the
// shipped default's "withoutUserNamespace" only reports a container without one (tested below).
compliance::Requirements builtin()
{
    static policy::Policy p = [] {
        policy::Policy q = policy::parse(policy::builtin_policy_text, "built-in");
        q.user_namespace.run_without_when_unsupported = false;
        return q;
    }();
    return compliance::required_by({&p});
}

size_t violations(const std::vector<compliance::Check>& checks)
{
    size_t n = 0;
    for (const auto& c : checks)
        n += c.violation();
    return n;
}

}  // namespace

Test(compliance, hardrun_container_meets_the_builtin_policy)
{
    auto checks = compliance::evaluate(state_of("hardrun"), builtin());
    cr_assert_eq(checks.size(), compliance::standards().size());
    for (size_t i = 0; i < checks.size(); ++i)
        cr_assert_eq(checks[i].name, compliance::standards()[i].check);  // table order
    cr_assert_eq(violations(checks), 0u);
    auto c = by_name(checks);
    for (const char* name : {"capabilities", "no-new-privileges", "seccomp", "root-read-only", "tmpfs-nosuid-nodev",
                             "pids-limit", "memory-limit", "namespace-pid", "namespace-net", "namespace-cgroup"})
        cr_assert_eq(c[name].result, Result::pass, "%s: %s", name, c[name].live.c_str());
    cr_assert_eq(c["non-root"].result, Result::info);  // the default policy has no nonRoot
    cr_assert_eq(c["user-namespace"].result, Result::pass);
    cr_assert_eq(c["user-namespace"].level, Level::enforced);
    cr_assert_eq(c["user-namespace"].live, "root remapped to host uid 1048576");
}

Test(compliance, plain_runc_container_drifts)
{
    live::State s = state_of("runc");
    s.host_namespace[5] = true;  // cgroup: runc spec makes no cgroup namespace
    s.pids.limit = live::parse_limit("max\n");
    s.memory.limit = live::parse_limit("9223372036854771712\n");
    s.swap = live::parse_limit("9223372036854771712\n");
    auto checks = compliance::evaluate(s, builtin());
    auto c = by_name(checks);
    cr_assert(c["swap-held"].violation());
    cr_assert_eq(c["swap-held"].live, "swap unlimited");
    cr_assert(c["capabilities"].violation());
    cr_assert(c["capabilities"].live.find("CAP_AUDIT_WRITE") != std::string::npos, "%s", c["capabilities"].live.c_str());
    cr_assert(c["seccomp"].violation());
    cr_assert_eq(c["seccomp"].live, "disabled (0 filters)");
    cr_assert_eq(by_name(compliance::evaluate(state_of("hardrun"), builtin()))["seccomp"].live, "filter (1 filter)");
    cr_assert(c["pids-limit"].violation());
    cr_assert_eq(c["pids-limit"].live, "unlimited");
    cr_assert(c["memory-limit"].violation());
    cr_assert(c["namespace-cgroup"].violation());
    cr_assert_not(c["namespace-pid"].violation());
    cr_assert_not(c["no-new-privileges"].violation());  // the runc spec template sets it
    cr_assert(c["user-namespace"].violation());
    cr_assert_eq(c["user-namespace"].live, "root is host uid 0");
    cr_assert_eq(violations(checks), 7u);
}

Test(compliance, each_looser_state_is_a_violation)
{
    auto one = [](auto change, const char* check) {
        live::State s = state_of("hardrun");
        change(s);
        auto c = by_name(compliance::evaluate(s, builtin()));
        cr_assert(c[check].violation(), "%s: %s", check, c[check].live.c_str());
    };
    one([](live::State& s) { s.status.caps[size_t(live::CapSet::ambient)] = uint64_t(1) << 21; }, "capabilities");
    one([](live::State& s) { s.status.caps[size_t(live::CapSet::bounding)] |= uint64_t(1) << 41; }, "capabilities");
    one([](live::State& s) { s.status.no_new_privs = false; }, "no-new-privileges");
    one([](live::State& s) { s.status.seccomp = 0; }, "seccomp");
    one([](live::State& s) { s.mounts = live::parse_mountinfo("1 0 8:1 / / rw - ext4 /dev/sda rw\n"); },
        "root-read-only");
    one([](live::State& s) {
        s.mounts = live::parse_mountinfo("1 0 8:1 / / ro - ext4 /dev/sda rw\n2 1 0:5 / /run rw,nosuid - tmpfs t rw\n");
    }, "tmpfs-nosuid-nodev");
    one([](live::State& s) { s.pids.limit = live::parse_limit("4097"); }, "pids-limit");
    one([](live::State& s) { s.pids.dir.reset(); }, "pids-limit");
    one([](live::State& s) { s.memory.limit = live::parse_limit("17179869185"); }, "memory-limit");
    // Swap: v1 memory+swap above memory, v2 any swap, or unlimited (what a daemon-reload did to
    // runc's systemd scopes before hardrun put the hold into the unit).
    one([](live::State& s) { s.swap = live::parse_limit("2147483648"); }, "swap-held");
    one([](live::State& s) { s.swap = live::parse_limit("max"); }, "swap-held");
    one([](live::State& s) {
        s.memory.dir = live::CgroupDir{2, "/sys/fs/cgroup/system.slice/docker-x.scope"};
        s.swap = live::parse_limit("1");
    }, "swap-held");
    {
        live::State s = state_of("hardrun");
        s.memory.dir = live::CgroupDir{2, "/sys/fs/cgroup/system.slice/docker-x.scope"};
        s.swap = live::parse_limit("0");
        cr_assert(!by_name(compliance::evaluate(s, builtin()))["swap-held"].violation());
        s.swap.reset();  // no swap accounting on the host: nothing to hold
        cr_assert(!by_name(compliance::evaluate(s, builtin()))["swap-held"].violation());
    }
    for (size_t i : {0, 1, 2, 3, 4, 5}) {
        live::State s = state_of("hardrun");
        s.host_namespace[i] = true;
        cr_assert_eq(violations(compliance::evaluate(s, builtin())), 1u, "%s", live::namespace_names[i]);
    }
    one([](live::State& s) { s.uid_map = live::parse_id_map("0 0 65536\n"); }, "user-namespace");
    one([](live::State& s) { s.uid_map.clear(); }, "user-namespace");
    // The ceiling itself is within the policy.
    live::State s = state_of("hardrun");
    s.pids.limit = live::parse_limit("4096");
    cr_assert_eq(violations(compliance::evaluate(s, builtin())), 0u);
}

Test(compliance, audit_mode_reports_but_does_not_violate)
{
    policy::Policy p = policy::parse(R"({"capabilities": {"mode": "audit", "allow": ["CAP_KILL"]},
        "noNewPrivileges": {"mode": "audit"}, "seccomp": {"mode": "audit"}, "resources": {"mode": "audit"},
        "namespaces": {"mode": "audit"}, "rootfs": {"mode": "audit"}})", "audit");
    live::State s = state_of("runc");
    s.status.no_new_privs = false;
    auto c = by_name(compliance::evaluate(s, compliance::required_by({&p})));
    cr_assert_eq(c["capabilities"].result, Result::fail);
    cr_assert_eq(c["capabilities"].level, Level::audit);
    cr_assert_not(c["capabilities"].violation());
    cr_assert_eq(c["no-new-privileges"].result, Result::fail);
    cr_assert_not(c["no-new-privileges"].violation());
}

Test(compliance, a_selected_profile_tightens)
{
    policy::Policy base = policy::parse(policy::builtin_policy_text, "built-in");
    policy::Policy strict = policy::parse(R"({"capabilities": {"allow": ["CAP_NET_BIND_SERVICE"]},
        "user": {"nonRoot": true}, "rootfs": {"noexec": true},
        "resources": {"pids": {"default": 512, "max": 2048}}, "namespaces": {"hostNetwork": true}})", "strict");
    compliance::Requirements r = compliance::required_by({&base, &strict});
    cr_assert_eq(r.allowed_caps, uint64_t(1) << 10);
    cr_assert_eq(r.pids_max, 2048);
    cr_assert_eq(r.memory_max, int64_t(16) << 30);
    cr_assert(r.tmpfs_noexec);
    cr_assert_not(r.host_network);  // only when every policy allows it
    cr_assert_eq(r.non_root, Level::enforced);
    auto c = by_name(compliance::evaluate(state_of("hardrun"), r));
    cr_assert(c["capabilities"].violation());  // CAP_KILL is outside strict's allowlist
    cr_assert(c["tmpfs-nosuid-nodev"].violation());  // no noexec
    cr_assert_not(c["non-root"].violation());  // root remapped: host uid 1048576
    live::State host_root = state_of("hardrun");
    host_root.status.uids = {0, 0, 0, 0};
    host_root.uid_map = live::parse_id_map("0 0 4294967295\n");
    auto d = by_name(compliance::evaluate(host_root, r));
    cr_assert(d["non-root"].violation());  // host uid 0
    cr_assert_eq(d["user-namespace"].live, "root is host uid 0");
}

Test(compliance, user_namespace_only_audited_where_the_policy_lets_hardrun_run_without)
{
    policy::Policy p = policy::parse(policy::builtin_policy_text, "built-in");
    // The shipped default runs a container without a user namespace where the host cannot idmap.
    cr_assert_eq(compliance::required_by({&p}).user_namespace, Level::audit);
    p.user_namespace.run_without_when_unsupported = false;
    cr_assert_eq(compliance::required_by({&p}).user_namespace, Level::enforced);
    // The default policy lets a Kubernetes pod member run in the host's user namespace.
    cr_assert_eq(compliance::required_by({&p}, true).user_namespace, Level::audit);
    policy::Policy pods_refused = policy::parse(
        R"({"capabilities": {"allow": []}, "userNamespace": {"podMembers": "refuse"}})", "t");
    cr_assert_eq(compliance::required_by({&pods_refused}, true).user_namespace, Level::enforced);
    policy::Policy without = policy::parse(
        R"({"capabilities": {"allow": []}, "userNamespace": {"unsupported": "withoutUserNamespace"}})", "t");
    cr_assert_eq(compliance::required_by({&without}).user_namespace, Level::audit);
    policy::Policy audit = policy::parse(R"({"capabilities": {"allow": []}, "userNamespace": {"mode": "audit"}})", "t");
    cr_assert_eq(compliance::required_by({&audit}).user_namespace, Level::audit);
    live::State s = state_of("runc");
    auto c = by_name(compliance::evaluate(s, compliance::required_by({&p}, true)));
    cr_assert_eq(c["user-namespace"].result, Result::fail);
    cr_assert_not(c["user-namespace"].violation());
}

Test(compliance, every_check_has_a_standard_row)
{
    for (const auto& s : compliance::standards()) {
        cr_assert_eq(&compliance::standard_of(s.check), &s);
        std::string pss = s.pss_level;
        cr_assert(pss.empty() || pss == "baseline" || pss == "restricted", "%s", s.check);
        cr_assert_eq(std::string(s.cis).empty(), std::string(s.cis_title).empty(), "%s", s.check);
    }
    cr_assert_str_eq(compliance::standard_of("capabilities").cis, "5.4");
    cr_assert_str_eq(compliance::standard_of("pids-limit").cis, "5.29");
    cr_assert_str_eq(compliance::standard_of("namespace-net").pss_control, "Host Namespaces");
}

#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"
#include "seccomp/seccomp.hpp"
#include "util/error.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

using hardrun::Error;
using namespace hardrun;

namespace {

policy::Policy default_policy() { return policy::parse(policy::builtin_policy_text, "built-in"); }

json::Value default_profile() { return json::parse(policy::builtin_seccomp_text); }

std::set<std::string> names_with(const json::Value& oci, const std::string& action)
{
    std::set<std::string> out;
    for (const auto& rule : oci.find("syscalls")->items())
        if (rule.find("action")->as_string() == action)
            for (const auto& n : rule.find("names")->items())
                out.insert(n.as_string());
    return out;
}

json::Value config_with_seccomp(const std::string& seccomp, const char* caps = R"(["CAP_KILL"])")
{
    return json::parse(std::string(R"({"process":{"args":["sh"],"capabilities":{"bounding":)") + caps +
                       R"(}},"root":{"path":"r"},"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},)"
                       R"({"type":"uts"},{"type":"mount"},{"type":"network"},{"type":"cgroup"}])" +
                       (seccomp.empty() ? "" : ",\"seccomp\":" + seccomp) + "}}");
}

const json::Value& seccomp_of(const json::Value& config) { return *config.find("linux")->find("seccomp"); }

size_t count(const std::vector<harden::Finding>& findings, const char* control)
{
    return size_t(std::count_if(findings.begin(), findings.end(),
                                [&](const harden::Finding& f) { return f.control == control; }));
}

}  // namespace

Test(seccomp, shipped_profile_checks_clean_and_is_at_least_as_strict_as_dockers)
{
    json::Value profile = default_profile();
    std::vector<std::string> problems = seccomp::check(profile);
    cr_assert(problems.empty(), "%s", problems.empty() ? "" : problems.front().c_str());
    json::Value docker = json::parse(test::read_file(test::fixtures_dir() + "/docker-20.10-default.json"));
    std::set<std::string> dockers = names_with(*docker.find("linux")->find("seccomp"), "SCMP_ACT_ALLOW");
    json::Value ours = seccomp::render(profile, {"CAP_CHOWN", "CAP_KILL"});
    for (const auto& name : names_with(ours, "SCMP_ACT_ALLOW"))
        cr_assert(dockers.count(name), "%s allowed by hardrun's default but not by Docker's", name.c_str());
    for (const char* denied : {"io_uring_setup", "ptrace", "mount", "unshare", "keyctl", "bpf", "userfaultfd"})
        cr_assert(!names_with(ours, "SCMP_ACT_ALLOW").count(denied), "%s allowed", denied);
    cr_assert(names_with(ours, "SCMP_ACT_ERRNO").count("clone3"));
}

Test(seccomp, render_follows_capabilities_and_architecture)
{
    json::Value profile = default_profile();
    json::Value plain = seccomp::render(profile, {"CAP_KILL"});
    json::Value chroot = seccomp::render(profile, {"CAP_KILL", "CAP_SYS_CHROOT"});
    cr_assert(!names_with(plain, "SCMP_ACT_ALLOW").count("chroot"));
    cr_assert(names_with(chroot, "SCMP_ACT_ALLOW").count("chroot"));
    cr_assert(names_with(plain, "SCMP_ACT_ALLOW").count("arch_prctl"));       // x86_64 machine
    cr_assert(!names_with(plain, "SCMP_ACT_ALLOW").count("arm_fadvise64_64"));
    std::string arches = json::serialize(*plain.find("architectures"));
    cr_assert_eq(arches, R"(["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"])");
    cr_assert(!plain.find("archMap") && !json::serialize(plain).empty());
    seccomp::compile(plain);
}

Test(seccomp, no_filter_or_unconfined_gets_the_default)
{
    for (std::string s : {std::string(""), std::string(R"({"defaultAction":"SCMP_ACT_ALLOW"})"),
                          std::string(R"({"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["reboot"],"action":"SCMP_ACT_ERRNO"}]})")}) {
        json::Value config = config_with_seccomp(s);
        harden::Report report = harden::harden_config(config, default_policy(), test::context());
        cr_assert_eq(seccomp_of(config).find("defaultAction")->as_string(), "SCMP_ACT_ERRNO", "%s", s.c_str());
        cr_assert(names_with(seccomp_of(config), "SCMP_ACT_ALLOW").count("read"));
        std::string again = json::serialize(config);
        cr_assert(!harden::harden_config(config, default_policy(), test::context()).modified());
        cr_assert_eq(json::serialize(config), again);
    }
}

Test(seccomp, dockers_profile_is_kept_less_the_deny_list)
{
    json::Value docker = json::parse(test::read_file(test::fixtures_dir() + "/docker-20.10-default.json"));
    json::Value before = *docker.find("linux")->find("seccomp");
    harden::Report report = harden::harden_config(docker, default_policy(), test::context());
    const json::Value& after = seccomp_of(docker);
    std::set<std::string> allowed = names_with(after, "SCMP_ACT_ALLOW");
    for (const char* gone : {"io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace"})
        cr_assert(!allowed.count(gone), "%s still allowed", gone);
    std::set<std::string> was = names_with(before, "SCMP_ACT_ALLOW");
    cr_assert_eq(was.size() - allowed.size(), 4u);
    // Docker's own conditional clone and personality rules were already safe: kept as they were.
    size_t personality_rules = 0;
    for (const auto& rule : after.find("syscalls")->items())
        personality_rules += rule.find("names")->items()[0].as_string() == "personality";
    cr_assert_eq(personality_rules, 5u);
    cr_assert(!harden::harden_config(docker, default_policy(), test::context()).modified(), "not idempotent");
}

Test(seccomp, unconditional_clone_and_personality_are_replaced_by_safe_forms)
{
    json::Value config = config_with_seccomp(
        R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[)"
        R"({"names":["read","write","clone","clone3","personality","mount","setns"],"action":"SCMP_ACT_ALLOW"}]})");
    harden::harden_config(config, default_policy(), test::context());
    const json::Value& s = seccomp_of(config);
    std::string text = json::serialize(s);
    cr_assert(text.find(R"({"names":["read","write"],"action":"SCMP_ACT_ALLOW"})") != std::string::npos, "%s", text.c_str());
    cr_assert(text.find(R"("names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288)") !=
              std::string::npos, "%s", text.c_str());
    cr_assert(text.find(R"("names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38)") != std::string::npos);
    cr_assert(names_with(s, "SCMP_ACT_ALLOW").count("personality"));
    cr_assert(!names_with(s, "SCMP_ACT_ALLOW").count("mount") && !names_with(s, "SCMP_ACT_ALLOW").count("setns"));
}

Test(seccomp, a_profile_libseccomp_cannot_compile_fails_the_create)
{
    for (const char* bad : {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_MAYBE"}]})",
                            R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_VAX"]})",
                            R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]})",
                            R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_SOMETIMES"}]}]})"}) {
        json::Value config = config_with_seccomp(bad);
        cr_assert_throw(harden::harden_config(config, default_policy(), test::context()), Error, "%s", bad);
    }
}

Test(seccomp, check_reports_unknown_names_and_actions)
{
    json::Value bad = json::parse(R"({"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64"}],)"
                                  R"("syscalls":[{"names":["read","not_a_syscall"],"action":"SCMP_ACT_ALLOW"}]})");
    std::vector<std::string> problems = seccomp::check(bad);
    cr_assert_eq(problems.size(), 1u);
    cr_assert(problems[0].find("not_a_syscall") != std::string::npos);
    json::Value worse = json::parse(R"({"defaultAction":"SCMP_ACT_NOPE","syscalls":[]})");
    cr_assert(!seccomp::check(worse).empty());
}

Test(seccomp, compiled_verdicts_are_cached_bad_profiles_never)
{
    char dir[] = "/tmp/hardrun-unit-seccomp-XXXXXX";
    cr_assert(mkdtemp(dir));
    std::string cache = std::string(dir) + "/cache";
    json::Value good = seccomp::render(default_profile(), {"CAP_KILL"});
    seccomp::compile_cached(good, cache);
    std::string marker = cache + "/" + seccomp::cache_key(good);
    cr_assert_eq(access(marker.c_str(), F_OK), 0, "no verdict cached");
    struct stat st {};
    cr_assert_eq(stat(cache.c_str(), &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700u);
    seccomp::compile_cached(good, cache);  // served from the cache
    json::Value bad = json::parse(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_NO"}]})");
    cr_assert_throw(seccomp::compile_cached(bad, cache), Error);
    cr_assert_throw(seccomp::compile_cached(bad, cache), Error);
    std::string cmd = "test $(ls " + cache + " | wc -l) -eq 1 && rm -rf " + dir;
    cr_assert_eq(system(cmd.c_str()), 0);
}

Test(seccomp, a_cache_others_can_write_is_not_used)
{
    char dir[] = "/tmp/hardrun-unit-seccomp-XXXXXX";
    cr_assert(mkdtemp(dir));
    json::Value good = seccomp::render(default_profile(), {"CAP_KILL"});
    std::string marker_name = "/" + seccomp::cache_key(good);
    // Looser than 0700 but ours: tightened, then used.
    std::string loose = std::string(dir) + "/loose";
    cr_assert_eq(mkdir(loose.c_str(), 0777), 0);
    chmod(loose.c_str(), 0777);
    seccomp::compile_cached(good, loose);
    struct stat st {};
    cr_assert_eq(stat(loose.c_str(), &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700u);
    cr_assert_eq(access((loose + marker_name).c_str(), F_OK), 0);
    // A symlink, or a parent others can write: compiled, nothing remembered there.
    std::string target = std::string(dir) + "/target";
    cr_assert_eq(mkdir(target.c_str(), 0700), 0);
    cr_assert_eq(symlink(target.c_str(), (std::string(dir) + "/link").c_str()), 0);
    seccomp::compile_cached(good, std::string(dir) + "/link");
    cr_assert_eq(access((target + marker_name).c_str(), F_OK), -1);
    std::string open_parent = std::string(dir) + "/open";
    cr_assert_eq(mkdir(open_parent.c_str(), 0700), 0);
    chmod(open_parent.c_str(), 0777);
    seccomp::compile_cached(good, open_parent + "/cache");
    cr_assert_eq(access((open_parent + "/cache" + marker_name).c_str(), F_OK), -1);
    cr_assert_eq(stat(open_parent.c_str(), &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0777u, "a parent that is not hardrun's own is never chmod'ed");
    system(("rm -rf " + std::string(dir)).c_str());
}

Test(seccomp, a_profile_that_allows_by_default_keeps_its_denials_under_the_default)
{
    // What the OCI validation suite sends: allow everything but getcwd. The result denies what
    // the default profile denies and what the caller denied.
    json::Value config = config_with_seccomp(
        R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getcwd","chdir"],"action":"SCMP_ACT_ERRNO","errnoRet":38},)"
        R"({"names":["read"],"action":"SCMP_ACT_ALLOW"}]})");
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    const json::Value& s = seccomp_of(config);
    cr_assert_eq(s.find("defaultAction")->as_string(), "SCMP_ACT_ERRNO");
    std::set<std::string> allowed = names_with(s, "SCMP_ACT_ALLOW");
    cr_assert(allowed.count("read") && !allowed.count("getcwd") && !allowed.count("chdir"));
    cr_assert(!allowed.count("unshare") && !allowed.count("mount"));
    cr_assert(names_with(s, "SCMP_ACT_ERRNO").count("getcwd"));
    bool errno_kept = false;
    for (const auto& rule : s.find("syscalls")->items())
        if (rule.find("names")->items()[0].as_string() == "getcwd" && rule.find("errnoRet"))
            errno_kept = *rule.find("errnoRet")->as_int64() == 38;
    cr_assert(errno_kept);
    cr_assert_eq(count(report.changed, "seccomp"), 1u);
    // Idempotent: a second pass finds a profile that denies by default and changes nothing.
    std::string once = json::serialize(config);
    cr_assert(!harden::harden_config(config, default_policy(), test::context()).modified());
    cr_assert_eq(json::serialize(config), once);
}

Test(seccomp, a_conditional_denial_keeps_the_rest_of_the_syscall)
{
    std::vector<std::string> whole;
    json::Value denial = json::parse(
        R"({"names":["getcwd"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":7,"op":"SCMP_CMP_EQ"}]})");
    json::Value base = seccomp::render(default_profile(), {});
    json::Value merged = seccomp::with_denials(base, {denial}, whole);
    cr_assert(whole.empty());
    int allow_ne = 0, deny_eq = 0;
    for (const auto& rule : merged.find("syscalls")->items()) {
        if (rule.find("names")->items().size() != 1 || rule.find("names")->items()[0].as_string() != "getcwd")
            continue;
        cr_assert(rule.find("args"), "getcwd keeps no unconditional rule");
        std::string op = rule.find("args")->items()[0].find("op")->as_string();
        std::string action = rule.find("action")->as_string();
        allow_ne += action == "SCMP_ACT_ALLOW" && op == "SCMP_CMP_NE";
        deny_eq += action == "SCMP_ACT_ERRNO" && op == "SCMP_CMP_EQ";
    }
    cr_assert(allow_ne == 1 && deny_eq == 1);
    seccomp::compile(merged);
    // A masked comparison has no single negation: the whole syscall is denied, and said so.
    json::Value masked = json::parse(
        R"({"names":["getcwd"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":7,"valueTwo":7,"op":"SCMP_CMP_MASKED_EQ"}]})");
    merged = seccomp::with_denials(seccomp::render(default_profile(), {}), {masked}, whole);
    cr_assert(whole == std::vector<std::string>{"getcwd"});
    cr_assert(!names_with(merged, "SCMP_ACT_ALLOW").count("getcwd"));
}

Test(seccomp, spec_allow_is_removed_and_listeners_need_the_policy)
{
    json::Value config = config_with_seccomp(
        R"({"defaultAction":"SCMP_ACT_ERRNO","flags":["SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],)"
        R"("syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]})");
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    cr_assert_eq(json::serialize(*seccomp_of(config).find("flags")), R"(["SECCOMP_FILTER_FLAG_LOG"])");
    cr_assert(report.refused.empty());

    const std::string notify =
        R"({"defaultAction":"SCMP_ACT_ERRNO","listenerPath":"/run/agent.sock",)"
        R"("syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"},{"names":["mount"],"action":"SCMP_ACT_NOTIFY"}]})";
    config = config_with_seccomp(notify);
    report = harden::harden_config(config, default_policy(), test::context());
    cr_assert_eq(count(report.refused, "seccomp"), 1u);
    cr_assert_eq(report.refused[0].path, "/linux/seccomp/listenerPath");
    policy::Policy trusting = policy::parse(
        R"({"capabilities":{"allow":[]},"seccomp":{"listeners":["/run/agent.sock"]}})", "t");
    config = config_with_seccomp(notify);
    cr_assert_eq(count(harden::harden_config(config, trusting, test::context()).refused, "seccomp"), 0u);
    cr_assert_throw(policy::parse(R"({"seccomp":{"listeners":["agent.sock"]}})", "t"), Error);
}

// The cache key stands for the whole profile: any change a serialisation would show changes it
// (a verdict cached for one profile must never be read for another).
Test(seccomp, cache_key_differs_for_every_difference_in_the_profile)
{
    const char* profiles[] = {
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["reaD"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_LOG"}]})",
        R"({"defaultAction":"SCMP_ACT_KILL","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}],"defaultAction":"SCMP_ACT_ERRNO"})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["readwrite"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"]},{"action":"SCMP_ACT_ALLOW"}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1.0,"op":"SCMP_CMP_EQ"}]}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":"1","op":"SCMP_CMP_EQ"}]}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":null,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":true,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":false,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
        R"({"a":"bc"})", R"({"ab":"c"})", R"({"a":["b","c"]})", R"({"a":["bc"]})", R"({"a":[["b"],"c"]})", R"({"a":[["b","c"]]})", R"({"a":[{"b":1},{"c":2}]})", R"({"a":[{"b":1,"c":2}]})", R"({"a":{"b":1},"c":2})", R"({"a":{"b":1,"c":2}})",
        R"({"a":"12345678"})", R"({"a":"12345678\u0000"})", R"({"a":"1234567"})", "{}", "[]", "null",
    };
    std::set<std::string> keys;
    for (const char* text : profiles)
        cr_assert(keys.insert(seccomp::cache_key(json::parse(text))).second, "same key as another profile: %s", text);
    // The same profile, however it was made, has the same key.
    cr_assert_eq(seccomp::cache_key(json::parse(profiles[0])), seccomp::cache_key(json::parse(profiles[0])));
    json::Value rendered = seccomp::render(default_profile(), {"CAP_KILL"});
    cr_assert_eq(seccomp::cache_key(rendered), seccomp::cache_key(json::parse(json::serialize(rendered))));
}

// Names the policy denies go from wherever they stand in an allowing rule (first, last, side by
// side), a rule left without names goes, every other rule stays where it was, untouched; a
// profile that allows nothing the policy denies is left exactly as it came.
Test(seccomp, denied_names_go_from_their_rules_and_the_rest_stays_in_order)
{
    json::Value config = config_with_seccomp(
        R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[)"
        R"({"names":["mount","read","keyctl","bpf","write","ptrace"],"action":"SCMP_ACT_ALLOW"},)"
        R"({"names":["reboot","mount"],"action":"SCMP_ACT_ERRNO","errnoRet":1},)"
        R"({"names":["unshare","setns"],"action":"SCMP_ACT_ALLOW"},)"
        R"({"names":["getpid","bpf"],"action":"SCMP_ACT_LOG"},)"
        R"({"names":["exit_group"],"action":"SCMP_ACT_ALLOW"}]})");
    harden::harden_config(config, default_policy(), test::context());
    std::string text = json::serialize(*seccomp_of(config).find("syscalls"));
    cr_assert_str_eq(text.c_str(),
                     R"([{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},)"
                     R"({"names":["reboot","mount"],"action":"SCMP_ACT_ERRNO","errnoRet":1},)"
                     R"({"names":["getpid"],"action":"SCMP_ACT_LOG"},)"
                     R"({"names":["exit_group"],"action":"SCMP_ACT_ALLOW"}])");

    const std::string clean = R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[)"
                              R"({"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"},)"
                              R"({"names":["mount"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]})";
    json::Value untouched = config_with_seccomp(clean);
    harden::Report report = harden::harden_config(untouched, default_policy(), test::context());
    // Named strings: criterion's macro keeps the pointers past a temporary's end.
    std::string after = json::serialize(seccomp_of(untouched)), before = json::serialize(json::parse(clean));
    cr_assert_str_eq(after.c_str(), before.c_str());
    cr_assert_eq(count(report.changed, "seccomp") + count(report.audited, "seccomp") + count(report.refused, "seccomp"), 0u);
}

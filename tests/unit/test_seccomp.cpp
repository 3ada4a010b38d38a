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
    std::string marker = cache + "/" + seccomp::cache_key(json::serialize(good));
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
    std::string marker_name = "/" + seccomp::cache_key(json::serialize(good));
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

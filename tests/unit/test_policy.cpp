#include "policy/policy.hpp"
#include "policy/runtime_record.hpp"
#include "util/sha256.hpp"
#include "util/error.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

using hardrun::Error;
using namespace hardrun::policy;

namespace {

std::string error_of(const std::string& text)
{
    try {
        parse(text, "test");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::string temp_policy(const std::string& text, mode_t mode)
{
    char path[] = "/tmp/hardrun-policy-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text.data(), text.size()), ssize_t(text.size()));
    close(fd);
    chmod(path, mode);
    return path;
}

}  // namespace

Test(policy, builtin_is_the_shipped_default)
{
    Policy p = parse(builtin_policy_text, "built-in");
    std::vector<std::string> expected = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                                         "CAP_SETGID", "CAP_SETUID",       "CAP_NET_BIND_SERVICE", "CAP_KILL"};
    cr_assert(p.capabilities.allow == expected);
    cr_assert_eq(p.capabilities.mode, Mode::enforce);
    cr_assert_eq(p.no_new_privileges.mode, Mode::enforce);
    cr_assert(p.rewrites());
    cr_assert_eq(p.digest.substr(0, 7), "sha256:");
    cr_assert_eq(p.digest.size(), 7u + 64u);
}

Test(policy, digest_ignores_whitespace_but_not_content)
{
    Policy a = parse(R"({"capabilities":{"allow":["CAP_KILL"]}})", "a");
    Policy b = parse("{\n  \"capabilities\": { \"allow\": [ \"CAP_KILL\" ] }\n}\n", "b");
    Policy c = parse(R"({"capabilities":{"allow":["CAP_CHOWN"]}})", "c");
    cr_assert_eq(a.digest, b.digest);
    cr_assert_neq(a.digest, c.digest);
}

Test(policy, errors_name_the_field)
{
    cr_assert(error_of(R"({"capabilities":{"allow":[]},"bogus":1})").find("unknown key /bogus") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"alow":[]}})").find("/capabilities/allow") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"allow":["CAP_NOPE"]}})").find("/capabilities/allow/0") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"allow":["cap_chown"]}})").find("unknown capability") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"allow":["CAP_KILL","CAP_KILL"]}})").find("twice") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"allow":[],"mode":"lenient"}})").find("/capabilities/mode") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"allow":[]},"noNewPrivileges":{"mode":1}})").find("/noNewPrivileges/mode") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"allow":[]},"audit":{"log":"rel/path"}})").find("absolute") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"allow":[]},"audit":{"target":"journald"}})").find("/audit/target") != std::string::npos);
    cr_assert(error_of(R"({"capabilities":{"allow":[]},"audit":{"target":["file"]}})").find("/audit/target") != std::string::npos);
    cr_assert(error_of(R"({})").find("/capabilities is required") != std::string::npos);
    cr_assert(error_of(R"([1])").find("must be an object") != std::string::npos);
    cr_assert(error_of("{").find("policy test") != std::string::npos);
    cr_assert_eq(error_of(R"({"capabilities":{"allow":[]},"runtime":"/usr/sbin/runc"})"), "");
}

Test(policy, audit_target_is_the_file_unless_the_policy_says)
{
    cr_assert(parse(R"({"capabilities":{"allow":[]}})", "t").audit_target == AuditTarget::file);
    for (auto [name, target] : {std::pair{"file", AuditTarget::file}, {"journal", AuditTarget::journal},
                                {"syslog", AuditTarget::syslog}, {"none", AuditTarget::none}}) {
        Policy p = parse(std::string(R"({"capabilities":{"allow":[]},"audit":{"target":")") + name + "\"}}", "t");
        cr_assert(p.audit_target == target, "%s", name);
        cr_assert_str_eq(to_string(p.audit_target), name);
    }
}

Test(policy, audit_only_policy_does_not_rewrite)
{
    Policy p = parse(R"({"capabilities":{"mode":"audit","allow":[]},"noNewPrivileges":{"mode":"audit"},)"
                     R"("resources":{"mode":"audit"},"rootfs":{"mode":"refuse"},"namespaces":{"mode":"audit"},)"
                     R"("devices":{"mode":"audit"},"kernelInterfaces":{"mode":"audit"},"mounts":{"mode":"audit"},)"
                     R"("sysctls":{"mode":"audit"},"seccomp":{"mode":"audit"},"userNamespace":{"mode":"audit"}})", "t");
    cr_assert(!p.rewrites());
    // A control left out keeps its defaults, enforced.
    cr_assert(parse(R"({"capabilities":{"mode":"audit","allow":[]},"noNewPrivileges":{"mode":"audit"}})", "t").rewrites());
}

Test(policy, load_checks_owner_and_mode)
{
    std::string text = R"({"capabilities":{"allow":["CAP_KILL"]}})";
    std::string ok = temp_policy(text, 0644);
    if (geteuid() == 0) {
        cr_assert_eq(load(ok).capabilities.allow.size(), 1u);
        cr_assert_eq(load(ok).source, ok);
        std::string other = temp_policy(text, 0644);
        cr_assert_eq(chown(other.c_str(), 1000, 1000), 0);
        cr_assert_throw(load(other), Error);
        unlink(other.c_str());
    }
    std::string writable = temp_policy(text, 0666);
    cr_assert_throw(load(writable), Error);
    std::string group = temp_policy(text, 0664);
    cr_assert_throw(load(group), Error);
    cr_assert_throw(load(std::string("/nonexistent/policy.json")), Error);
    cr_assert_throw(load(std::string("../escape")), Error);
    cr_assert_throw(load(std::string("bad name")), Error);
    unlink(ok.c_str());
    unlink(writable.c_str());
    unlink(group.c_str());
}

Test(policy, runtime_setting_reads_the_runtime_from_a_file_checked_like_load)
{
    // Sections are left to the commands that use them; the file itself is checked as load() does.
    std::string named = temp_policy(R"({"runtime":"/usr/bin/crun","capabilities":{"allow":["CAP_NOPE"]}})", 0644);
    std::string none = temp_policy(R"({"capabilities":{"allow":["CAP_KILL"]}})", 0644);
    std::string empty = temp_policy(R"({"runtime":""})", 0644);
    std::string broken = temp_policy(R"({"runtime":"/usr/bin/crun")", 0644);
    std::string writable = temp_policy(R"({"runtime":"/tmp/evil"})", 0666);
    if (geteuid() == 0) {
        cr_assert_eq(runtime_setting(named).value_or(""), "/usr/bin/crun");
        cr_assert_not(runtime_setting(none).has_value());
        cr_assert_throw(load(named), Error);  // create still refuses the unknown capability
    }
    cr_assert_throw(runtime_setting(empty), Error);
    cr_assert_throw(runtime_setting(broken), Error);
    cr_assert_throw(runtime_setting(writable), Error);
    cr_assert_throw(runtime_setting(std::string("bad name")), Error);
    for (const std::string& f : {named, none, empty, broken, writable})
        unlink(f.c_str());
}

Test(policy, resources_and_rootfs_sections)
{
    Policy p = parse(R"({"capabilities":{"allow":[]},"resources":{"pids":{"default":100,"max":200},)"
                     R"("memory":{"max":1073741824}},"rootfs":{"tmpfs":[{"path":"/scratch","mode":"0700"}],)"
                     R"("noexec":true,"size":65536}})", "t");
    cr_assert_eq(p.resources.pids.fallback, 100);
    cr_assert_eq(p.resources.pids.max, 200);
    cr_assert_eq(p.resources.memory.fallback, int64_t(1) << 30);
    cr_assert_eq(p.rootfs.tmpfs.size(), 1u);
    cr_assert_eq(p.rootfs.tmpfs[0].path, "/scratch");
    cr_assert_eq(p.rootfs.tmpfs[0].mode, 0700u);
    cr_assert(p.rootfs.noexec);
    cr_assert_eq(p.rootfs.size, 65536u);
    Policy d = parse(builtin_policy_text, "built-in");
    cr_assert_eq(d.rootfs.tmpfs.size(), 3u);
    cr_assert_eq(d.rootfs.size, 0u);
}

Test(policy, resources_and_rootfs_errors_name_the_field)
{
    const char* base = R"({"capabilities":{"allow":[]},)";
    struct Case {
        const char* rest;
        const char* field;
    } cases[] = {
        {R"("resources":{"pids":{"default":0}}})", "/resources/pids/default"},
        {R"("resources":{"pids":{"default":-5}}})", "/resources/pids/default"},
        {R"("resources":{"pids":{"default":5000}}})", "/resources/pids/default must not exceed"},
        {R"("resources":{"memory":{"max":"1G"}}})", "/resources/memory/max"},
        {R"("resources":{"cpu":{}}})", "unknown key /resources/cpu"},
        {R"("rootfs":{"tmpfs":[{"path":"tmp"}]}})", "/rootfs/tmpfs/0/path"},
        {R"("rootfs":{"tmpfs":[{"path":"/a/../b"}]}})", "/rootfs/tmpfs/0/path"},
        {R"("rootfs":{"tmpfs":[{"path":"/"}]}})", "/rootfs/tmpfs/0/path"},
        {R"("rootfs":{"tmpfs":[{"path":"/t","mode":"9"}]}})", "/rootfs/tmpfs/0/mode"},
        {R"("rootfs":{"tmpfs":[{"path":"/t"},{"path":"/t"}]}})", "listed twice"},
        {R"("rootfs":{"tmpfs":[{}]}})", "/rootfs/tmpfs/0/path is required"},
        {R"("rootfs":{"tmpfs":"/tmp"}})", "/rootfs/tmpfs must be an array"},
        {R"("rootfs":{"noexec":"yes"}})", "/rootfs/noexec"},
        {R"("rootfs":{"size":"half"}})", "/rootfs/size"},
        {R"("rootfs":{"mode":"off"}})", "/rootfs/mode"},
        {R"("namespaces":{"hostNetwork":1}})", "/namespaces/hostNetwork"},
        {R"("namespaces":{"pid":true}})", "unknown key /namespaces/pid"},
        {R"("devices":{"allow":["/etc/passwd"]}})", "/devices/allow/0"},
        {R"("devices":{"allow":"/dev/fuse"}})", "/devices/allow must be an array"},
        {R"("mounts":{"deny":["relative"]}})", "/mounts/deny/0"},
        {R"("mounts":{"deny":["/a/../b"]}})", "/mounts/deny/0"},
        {R"("mounts":{"denyNames":["a/b"]}})", "/mounts/denyNames/0"},
        {R"("mounts":{"engines":{"cri-o":[]}}})", "unknown key /mounts/engines/cri-o"},
        {R"("mounts":{"readOnly":"/etc"}})", "/mounts/readOnly"},
        {R"("sysctls":{"allow":["a b"]}})", "/sysctls/allow/0"},
        {R"("user":{"nonRoot":"yes"}})", "/user/nonRoot"},
        {R"("selectable":["../x"]})", "/selectable/0"},
        {R"("selectable":"strict"})", "/selectable must be an array"},
        {R"("kernelInterfaces":{"mode":"enforce","x":1}})", "unknown key /kernelInterfaces/x"},
        {R"("audit":{"log":"/var/log/x","level":"info"}})", "unknown key /audit/level"},
    };
    for (const Case& c : cases) {
        std::string message = error_of(std::string(base) + c.rest);
        cr_assert(message.find(c.field) != std::string::npos, "%s -> \"%s\"", c.rest, message.c_str());
    }
}

Test(policy, shipped_profiles_are_valid)
{
    for (const char* name : {"policy", "strict", "compat", "audit"}) {
        std::string path = test::fixtures_dir() + "/../../profiles/" + name + ".json";
        Policy p = parse(test::read_file(path), path);
        cr_assert(!p.capabilities.allow.empty(), "%s", name);
    }
    Policy audit = parse(test::read_file(test::fixtures_dir() + "/../../profiles/audit.json"), "audit");
    cr_assert(!audit.rewrites());
    Policy strict = parse(test::read_file(test::fixtures_dir() + "/../../profiles/strict.json"), "strict");
    cr_assert(strict.user.non_root && strict.rootfs.noexec);
    cr_assert(strict.capabilities.allow == std::vector<std::string>({"CAP_NET_BIND_SERVICE"}));
}

Test(policy, load_known_lists_the_requested_policy_first_and_each_digest_once)
{
    std::string text = R"({"capabilities":{"allow":["CAP_KILL"]}})";
    std::string path = temp_policy(text, 0644);
    if (geteuid() == 0) {  // load() wants a root-owned file
        std::vector<Policy> known = load_known(path);
        cr_assert_eq(known.front().source, path);
        cr_assert_eq(known.front().digest, parse(text, "t").digest);
        std::string builtin = parse(builtin_policy_text, "built-in").digest;
        size_t builtins = 0;
        for (size_t i = 0; i < known.size(); ++i) {
            builtins += known[i].digest == builtin;
            for (size_t j = i + 1; j < known.size(); ++j)
                cr_assert_neq(known[i].digest, known[j].digest);
        }
        cr_assert_eq(builtins, 1u);
    }
    cr_assert_throw(load_known(std::string("/nonexistent/policy.json")), Error);
    unlink(path.c_str());
}

Test(policy, overlay_layers_form_is_read_and_checked)
{
    cr_assert(parse(R"({"capabilities": {"allow": []}})", "t").user_namespace.overlay_layers ==
              UserNamespace::OverlayLayers::automatic);
    cr_assert(parse(R"({"capabilities": {"allow": []}, "userNamespace": {"overlayLayers": "lowerdir"}})", "t")
                  .user_namespace.overlay_layers == UserNamespace::OverlayLayers::lowerdir);
    try {
        parse(R"({"capabilities": {"allow": []}, "userNamespace": {"overlayLayers": "fds"}})", "t");
        cr_assert_fail("accepted");
    } catch (const Error& e) {
        cr_assert(std::string(e.what()).find("/userNamespace/overlayLayers") != std::string::npos, "%s", e.what());
    }
}

// -- the record of a policy file's "runtime" setting (pass-through calls) ------------------------

namespace {

// A policy file's state as fstat() gives it, changed `age` seconds ago.
struct stat policy_stat(time_t age, ino_t ino = 4242)
{
    struct stat st {};
    st.st_dev = 2049;
    st.st_ino = ino;
    st.st_size = 2122;
    st.st_mode = S_IFREG | 0644;
    st.st_mtim.tv_sec = st.st_ctim.tv_sec = time(nullptr) - age;
    st.st_ctim.tv_nsec = 123456789;
    return st;
}

}  // namespace

Test(runtime_record, a_settled_policy_file_state_is_found_again_exactly)
{
    namespace rr = hardrun::policy::runtime_record;
    std::string dir = test::temp_dir() + "/records";
    struct stat st = policy_stat(60);
    cr_assert_not(rr::find("/etc/hardrun/policy.json", st, dir).found, "nothing recorded yet");
    rr::keep("/etc/hardrun/policy.json", st, std::string("/usr/bin/crun\nsecond line"), dir);
    rr::Found f = rr::find("/etc/hardrun/policy.json", st, dir);
    cr_assert(f.found);
    cr_assert_eq(*f.runtime, "/usr/bin/crun\nsecond line");

    // Any other state of the file, or another path, is not that record.
    struct stat changed = st;
    changed.st_ctim.tv_nsec += 1;
    cr_assert_not(rr::find("/etc/hardrun/policy.json", changed, dir).found, "ctime differs");
    cr_assert_not(rr::find("/etc/hardrun/policy.json", policy_stat(60, 4243), dir).found, "another inode");
    changed = st;
    changed.st_size += 1;
    cr_assert_not(rr::find("/etc/hardrun/policy.json", changed, dir).found, "size differs");
    cr_assert_not(rr::find("/etc/hardrun/other.json", st, dir).found, "another path");

    // A policy that names no runtime is recorded as such.
    rr::keep("/etc/hardrun/none.json", st, std::nullopt, dir);
    rr::Found none = rr::find("/etc/hardrun/none.json", st, dir);
    cr_assert(none.found);
    cr_assert_not(none.runtime.has_value());
}

Test(runtime_record, a_policy_file_changed_in_the_last_two_seconds_is_not_recorded)
{
    namespace rr = hardrun::policy::runtime_record;
    std::string dir = test::temp_dir() + "/records";
    struct stat st = policy_stat(0);
    rr::keep("/p.json", st, std::string("/usr/bin/runc"), dir);
    cr_assert_not(rr::find("/p.json", st, dir).found);
    struct stat recent = policy_stat(1);
    rr::keep("/p.json", recent, std::string("/usr/bin/runc"), dir);
    cr_assert_not(rr::find("/p.json", recent, dir).found, "changed a second ago");
    struct stat future = policy_stat(-30);
    rr::keep("/p.json", future, std::string("/usr/bin/runc"), dir);
    cr_assert_not(rr::find("/p.json", future, dir).found, "a file dated in the future has not settled");
}

Test(runtime_record, a_record_others_could_write_is_not_used)
{
    namespace rr = hardrun::policy::runtime_record;
    std::string parent = test::temp_dir();
    std::string dir = parent + "/records";
    struct stat st = policy_stat(60);
    rr::keep("/p.json", st, std::string("/usr/bin/runc"), dir);
    cr_assert(rr::find("/p.json", st, dir).found);

    cr_assert_eq(chmod(dir.c_str(), 0770), 0);
    cr_assert_not(rr::find("/p.json", st, dir).found, "group-writable directory");
    cr_assert_eq(chmod(dir.c_str(), 0700), 0);
    cr_assert_eq(chmod(parent.c_str(), 0777), 0);
    cr_assert_not(rr::find("/p.json", st, dir).found, "world-writable parent");
    cr_assert_eq(chmod(parent.c_str(), 0700), 0);

    // The record file itself: writable by others, or a symlink to one.
    std::string record = dir + "/" + hardrun::sha256_hex("/p.json").substr(0, 32);
    cr_assert_eq(chmod(record.c_str(), 0622), 0);
    cr_assert_not(rr::find("/p.json", st, dir).found, "world-writable record");
    cr_assert_eq(chmod(record.c_str(), 0600), 0);
    cr_assert(rr::find("/p.json", st, dir).found);
    std::string elsewhere = parent + "/elsewhere";
    cr_assert_eq(rename(record.c_str(), elsewhere.c_str()), 0);
    cr_assert_eq(symlink(elsewhere.c_str(), record.c_str()), 0);
    cr_assert_not(rr::find("/p.json", st, dir).found, "a symlink is not followed");
}

Test(runtime_record, a_damaged_record_is_not_a_setting)
{
    namespace rr = hardrun::policy::runtime_record;
    std::string dir = test::temp_dir() + "/records";
    struct stat st = policy_stat(60);
    rr::keep("/p.json", st, std::string("/usr/bin/runc"), dir);
    std::string record = dir + "/" + hardrun::sha256_hex("/p.json").substr(0, 32);
    std::string text = rr::record_text("/p.json", st, std::string("/usr/bin/runc"));
    for (size_t cut : {size_t(0), size_t(10), text.size() - 17, text.size() - 5, text.size() - 1}) {  // in the key, the setting
        std::ofstream(record, std::ios::binary | std::ios::trunc) << text.substr(0, cut);
        cr_assert_not(rr::find("/p.json", st, dir).found, "record cut at %zu bytes", cut);
    }
    std::ofstream(record, std::ios::binary | std::ios::trunc) << rr::record_text("/p.json", st, std::nullopt) << "x";
    cr_assert_not(rr::find("/p.json", st, dir).found, "an unknown setting mark");
}

Test(runtime_record, gc_removes_the_records_of_policy_files_gone_or_changed)
{
    namespace rr = hardrun::policy::runtime_record;
    std::string base = test::temp_dir();
    std::string dir = base + "/records";
    cr_assert_eq(mkdir(dir.c_str(), 0700), 0);
    auto record_file = [&](const std::string& path) { return dir + "/" + hardrun::sha256_hex(path).substr(0, 32); };
    auto record = [&](const std::string& path) {
        struct stat st {};
        cr_assert_eq(stat(path.c_str(), &st), 0);
        std::ofstream(record_file(path), std::ios::binary) << rr::record_text(path, st, std::string("/usr/bin/runc"));
    };
    std::string same = base + "/same.json", changed = base + "/changed.json", gone = base + "/gone.json";
    for (const auto& p : {same, changed, gone}) {
        std::ofstream(p) << "{}";
        record(p);
    }
    std::ofstream(changed, std::ios::app) << " ";
    cr_assert_eq(unlink(gone.c_str()), 0);
    std::ofstream(dir + "/" + std::string(32, 'a')) << "not a record";
    std::ofstream(dir + "/.temp") << "a replacement in progress";

    cr_assert_eq(rr::remove_stale(true, dir), 3, "dry run: changed, gone and the junk");
    cr_assert_eq(access(record_file(gone).c_str(), F_OK), 0, "a dry run removes nothing");
    cr_assert_eq(rr::remove_stale(false, dir), 3);
    cr_assert_eq(access(record_file(same).c_str(), F_OK), 0, "the current record stays");
    cr_assert_neq(access(record_file(changed).c_str(), F_OK), 0);
    cr_assert_neq(access(record_file(gone).c_str(), F_OK), 0);
    cr_assert_eq(access((dir + "/.temp").c_str(), F_OK), 0, "not a record's name: left alone");
    cr_assert_eq(rr::remove_stale(false, dir), 0);
}

// The readers of hardrun report's live state, on text captured from real containers on this
// host (tests/fixtures/proc: cgroup v1 hybrid) and on hand-made cgroup v2 / nested tables.
#include "live/apparmor.hpp"
#include "live/caller.hpp"
#include "live/cgroup.hpp"
#include "spec/cgroups_path.hpp"
#include "spec/mount_options.hpp"
#include "live/mounts.hpp"
#include "live/proc.hpp"
#include "live/userns.hpp"
#include "idmap/idmap.hpp"
#include "spec/capability_names.hpp"
#include "util/error.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <libmount/libmount.h>
#include <seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <algorithm>

using hardrun::Error;
using namespace hardrun::live;

namespace {

std::string proc_fixture(const std::string& name)
{
    std::string text = test::read_file(test::fixtures_dir() + "/proc/" + name);
    cr_assert(!text.empty(), "fixture %s missing", name.c_str());
    return text;
}

std::string error_of(void (*fn)(const std::string&), const std::string& text)
{
    try {
        fn(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

const char* minimal_status = "Uid:\t1000\t1000\t1000\t1000\n"
                             "CapInh:\t0000000000000000\n"
                             "CapPrm:\t0000000000000000\n"
                             "CapEff:\t0000000000000000\n"
                             "CapBnd:\t800003ffffffffff\n"
                             "CapAmb:\t0000000000000400\n"
                             "NoNewPrivs:\t0\n"
                             "Seccomp:\t0\n";

// A scratch directory in a mount namespace of this test's own (criterion runs each test in a
// process of its own), with / made private: what the test mounts stays out of the host's table.
std::string private_scratch_dir()
{
    cr_assert_eq(unshare(CLONE_NEWNS), 0);
    cr_assert_eq(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
    return test::temp_dir();
}

// An overlay of DIR/lower1 over DIR/lower2 with the upper layer DIR/upper, mounted at DIR/merged.
std::string mount_two_layer_overlay(const std::string& dir)
{
    for (const char* sub : {"/lower1", "/lower2", "/upper", "/work", "/merged"})
        cr_assert_eq(mkdir((dir + sub).c_str(), 0755), 0);
    std::string layers = "lowerdir=" + dir + "/lower1:" + dir + "/lower2,upperdir=" + dir + "/upper,workdir=" + dir + "/work";
    cr_assert_eq(mount("overlay", (dir + "/merged").c_str(), "overlay", 0, layers.c_str()), 0, "%s", strerror(errno));
    return dir + "/merged";
}

}  // namespace

Test(live, status_of_a_hardrun_container)
{
    ProcStatus s = parse_status(proc_fixture("status-hardrun"));
    cr_assert_eq(s.cap(CapSet::bounding), 0x420u);
    cr_assert_eq(s.cap(CapSet::permitted), 0x420u);
    cr_assert_eq(s.cap(CapSet::effective), 0x420u);
    cr_assert_eq(s.cap(CapSet::inheritable), 0u);
    cr_assert_eq(s.cap(CapSet::ambient), 0u);
    cr_assert(s.no_new_privs);
    cr_assert_eq(s.seccomp, 2);
    cr_assert(s.seccomp_filters && *s.seccomp_filters == 1);
    cr_assert_eq(s.uids[1], 0u);
}

Test(live, status_of_a_plain_runc_container)
{
    ProcStatus s = parse_status(proc_fixture("status-runc"));
    cr_assert_eq(s.cap(CapSet::bounding), 0x20000420u);  // runc spec: AUDIT_WRITE, KILL, NET_BIND_SERVICE
    cr_assert_eq(s.seccomp, 0);
    cr_assert(s.no_new_privs);
}

Test(live, status_fields_every_set_and_high_bits)
{
    ProcStatus s = parse_status(minimal_status);
    cr_assert_eq(s.cap(CapSet::bounding), 0x800003ffffffffffull);
    cr_assert_eq(s.cap(CapSet::ambient), 0x400u);
    cr_assert_not(s.no_new_privs);
    cr_assert_eq(s.seccomp, 0);
    cr_assert_not(s.seccomp_filters);
    cr_assert_eq(s.uids[0], 1000u);
    cr_assert_eq(s.uids[3], 1000u);
}

Test(live, status_missing_or_malformed_fields_are_errors)
{
    auto parse = [](const std::string& t) { parse_status(t); };
    std::string base = minimal_status;
    auto without = [&](const std::string& key) {
        std::string out;
        for (size_t pos = 0; pos < base.size();) {
            size_t end = base.find('\n', pos);
            std::string line = base.substr(pos, end - pos + 1);
            if (line.rfind(key + ":", 0) != 0)
                out += line;
            pos = end + 1;
        }
        return out;
    };
    for (const char* key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Uid"})
        cr_assert(error_of(parse, without(key)).find(std::string("no ") + key) != std::string::npos, "%s", key);
    std::string bad = base;
    bad.replace(bad.find("800003ffffffffff"), 16, "80000zffffffffff");
    cr_assert(error_of(parse, bad).find("malformed CapBnd") != std::string::npos);
    bad = base;
    bad.replace(bad.find("Seccomp:\t0"), 10, "Seccomp:\t3");
    cr_assert(error_of(parse, bad).find("malformed Seccomp") != std::string::npos);
    bad = base;
    bad.replace(bad.find("NoNewPrivs:\t0"), 13, "NoNewPrivs:\t0 1");
    cr_assert(error_of(parse, bad).find("malformed NoNewPrivs") != std::string::npos);
    bad = base + "CapBnd:\t10000000000000000\n";  // 17 hex digits: more than 64 bits
    cr_assert(error_of(parse, bad).find("malformed CapBnd") != std::string::npos);
}

Test(live, capability_names_from_masks_via_libcap_ng)
{
    using hardrun::spec::capability_names;
    std::vector<std::string> expected = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
    cr_assert(capability_names(0x420) == expected);
    cr_assert(capability_names(0).empty());
    std::vector<std::string> all = capability_names(0x800003ffffffffffull);
    cr_assert_eq(all.size(), 43u);
    cr_assert_eq(all[0], "CAP_CHOWN");
    cr_assert_eq(all[21], "CAP_SYS_ADMIN");
    cr_assert_eq(all[40], "CAP_CHECKPOINT_RESTORE");
    // Bits past libcap-ng's last known capability are still reported, by number.
    cr_assert_eq(all[41], "CAP_41");
    cr_assert_eq(all[42], "CAP_63");
}

Test(live, uid_maps)
{
    std::vector<IdRange> host = parse_id_map("         0          0 4294967295\n");
    cr_assert_eq(host.size(), 1u);
    cr_assert(map_id(host, 0) && *map_id(host, 0) == 0);
    std::vector<IdRange> remapped = parse_id_map("         0     100000      65536\n     65536    1000000          1\n");
    cr_assert_eq(remapped.size(), 2u);
    cr_assert_eq(*map_id(remapped, 0), 100000u);
    cr_assert_eq(*map_id(remapped, 1000), 101000u);
    cr_assert_eq(*map_id(remapped, 65536), 1000000u);
    cr_assert_not(map_id(remapped, 65537));
    cr_assert_not(map_id(parse_id_map(""), 0));  // a user namespace without a map yet
    auto parse = [](const std::string& t) { parse_id_map(t); };
    cr_assert(error_of(parse, "0 100000\n").find("malformed") != std::string::npos);
    cr_assert(error_of(parse, "0 x 1\n").find("malformed") != std::string::npos);
    cr_assert(error_of(parse, "0 0 4294967296\n").find("malformed") != std::string::npos);
}

Test(live, mountinfo_of_a_hardrun_container)
{
    std::vector<Mount> mounts = parse_mountinfo(proc_fixture("mountinfo-hardrun"));
    cr_assert_eq(mounts.size(), 28u);
    const Mount* root = mount_at(mounts, "/");
    cr_assert(root);
    cr_assert(root->read_only);
    cr_assert_eq(root->fstype, "ext4");
    for (const char* path : {"/tmp", "/run", "/var/tmp"}) {
        const Mount* m = mount_at(mounts, path);
        cr_assert(m, "%s", path);
        cr_assert_eq(m->fstype, "tmpfs");
        cr_assert(m->nosuid && m->nodev, "%s", path);
        cr_assert_not(m->noexec, "%s", path);
        cr_assert_not(m->read_only, "%s", path);
    }
    const Mount* dev = mount_at(mounts, "/dev");
    cr_assert(dev->nosuid && !dev->nodev);
    const Mount* shm = mount_at(mounts, "/dev/shm");
    cr_assert(shm->nosuid && shm->nodev && shm->noexec);
    const Mount* keys = mount_at(mounts, "/proc/keys");  // /dev/null bound from the /dev tmpfs
    cr_assert_eq(keys->root, "/null");
    const Mount* acpi = mount_at(mounts, "/proc/acpi");
    cr_assert(acpi->read_only);  // ro in both the mount and the superblock options
    const Mount* pids = mount_at(mounts, "/sys/fs/cgroup/pids");
    cr_assert(pids->has_fs_option("pids"));
    cr_assert_not(pids->has_fs_option("memory"));
    cr_assert_eq(pids->root, "/rpa");
}

Test(live, mountinfo_of_a_plain_runc_container)
{
    std::vector<Mount> mounts = parse_mountinfo(proc_fixture("mountinfo-runc"));
    cr_assert(mount_at(mounts, "/")->read_only);  // the test bundle sets root.readonly
    cr_assert_null(mount_at(mounts, "/tmp"));
    // The same mountinfo with a writable root.
    std::string text = proc_fixture("mountinfo-runc");
    size_t first = text.find(" / ro,");
    cr_assert(first != std::string::npos);
    text.replace(first, 6, " / rw,");
    cr_assert_not(mount_at(parse_mountinfo(text), "/")->read_only);
}

Test(live, mountinfo_stacked_mounts_and_bad_lines)
{
    std::vector<Mount> mounts = parse_mountinfo(
        "1 0 8:1 / / rw - ext4 /dev/sda rw\n"
        "2 1 0:5 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw\n"
        "3 2 0:6 / /tmp rw - tmpfs tmpfs rw\n");
    const Mount* top = mount_at(mounts, "/tmp");
    cr_assert_not(top->nosuid);  // the later mount covers the first
    cr_assert_not(mount_at(mounts, "/")->read_only);
    auto parse = [](const std::string& t) { parse_mountinfo(t); };
    cr_assert(error_of(parse, "1 0 8:1 / / rw - ext4 /dev/sda rw\nthis is not mountinfo\n").find("mountinfo") !=
              std::string::npos);
}

Test(live, proc_cgroup_lines)
{
    std::vector<CgroupLine> lines = parse_proc_cgroup(proc_fixture("cgroup-v1-hybrid"));
    cr_assert_eq(lines.size(), 10u);
    cr_assert_eq(lines[0].hierarchy, 9u);
    cr_assert_eq(lines[0].controllers.front(), "name=systemd");
    cr_assert_eq(lines[1].controllers.front(), "pids");
    cr_assert_eq(lines[1].path, "/rpa");
    cr_assert_eq(lines[9].hierarchy, 0u);
    cr_assert(lines[9].controllers.empty());
    std::vector<CgroupLine> joined = parse_proc_cgroup("3:cpu,cpuacct:/a/b\n");
    cr_assert_eq(joined[0].controllers.size(), 2u);
    cr_assert_eq(joined[0].controllers[1], "cpuacct");
    auto parse = [](const std::string& t) { parse_proc_cgroup(t); };
    cr_assert(error_of(parse, "pids:/x\n").find("malformed") != std::string::npos);
    cr_assert(error_of(parse, "x:pids:/x\n").find("malformed") != std::string::npos);
    cr_assert(error_of(parse, "1:pids:relative\n").find("malformed") != std::string::npos);
}

Test(live, cgroup_dirs_v1_hybrid)
{
    std::vector<CgroupLine> cg = parse_proc_cgroup(proc_fixture("cgroup-v1-hybrid"));
    std::vector<Mount> host = parse_mountinfo(proc_fixture("mountinfo-host-v1-hybrid"));
    std::optional<CgroupDir> pids = controller_dir("pids", cg, host);
    cr_assert(pids);
    cr_assert_eq(pids->version, 1);
    cr_assert_eq(pids->path, "/sys/fs/cgroup/pids/rpa");
    std::optional<CgroupDir> memory = controller_dir("memory", cg, host);
    cr_assert_eq(memory->path, "/sys/fs/cgroup/memory/batch/rpa");
    cr_assert_eq(limit_file("pids", 1), "pids.max");
    cr_assert_eq(limit_file("memory", 1), "memory.limit_in_bytes");
}

Test(live, cgroup_dirs_v2)
{
    std::vector<CgroupLine> cg = parse_proc_cgroup(proc_fixture("cgroup-v2"));
    std::vector<Mount> host = parse_mountinfo(proc_fixture("mountinfo-host-v2"));
    std::optional<CgroupDir> pids = controller_dir("pids", cg, host);
    cr_assert(pids);
    cr_assert_eq(pids->version, 2);
    cr_assert_eq(pids->path, "/sys/fs/cgroup/system.slice/docker-4f1c2a.scope");
    cr_assert_eq(controller_dir("memory", cg, host)->version, 2);
    cr_assert_eq(limit_file("pids", 2), "pids.max");
    cr_assert_eq(limit_file("memory", 2), "memory.max");
    // A v2 process on a host that mounts no cgroup2: nothing to read.
    cr_assert_not(controller_dir("pids", cg, parse_mountinfo(proc_fixture("mountinfo-host-v1-nested"))));
    // On a hybrid host the unified hierarchy is found (whether it has the controller is
    // seen when its limit file is read).
    cr_assert_eq(controller_dir("pids", cg, parse_mountinfo(proc_fixture("mountinfo-host-v1-hybrid")))->path,
                 "/sys/fs/cgroup/unified/system.slice/docker-4f1c2a.scope");
}

Test(live, cgroup_dirs_below_a_mounted_subtree)
{
    std::vector<Mount> host = parse_mountinfo(proc_fixture("mountinfo-host-v1-nested"));
    std::vector<CgroupLine> inside = parse_proc_cgroup("4:memory:/kubepods/pod1/c1\n8:pids:/kubepods/pod1/c1\n");
    cr_assert_eq(controller_dir("memory", inside, host)->path, "/sys/fs/cgroup/memory/pod1/c1");
    cr_assert_eq(controller_dir("pids", inside, host)->path, "/sys/fs/cgroup/pids/kubepods/pod1/c1");
    // Outside the mounted subtree (or a prefix that is not a path component): not reachable.
    cr_assert_not(controller_dir("memory", parse_proc_cgroup("4:memory:/system.slice/x\n"), host));
    cr_assert_not(controller_dir("memory", parse_proc_cgroup("4:memory:/kubepodsX/x\n"), host));
    cr_assert_eq(controller_dir("memory", parse_proc_cgroup("4:memory:/kubepods\n"), host)->path,
                 "/sys/fs/cgroup/memory");
    // A v1 hierarchy that carries the controller but is not mounted: no fallback to v2.
    cr_assert_not(controller_dir("cpu", parse_proc_cgroup("1:cpu:/x\n0::/x\n"), host));
}

Test(live, cgroup_limits)
{
    cr_assert_eq(*parse_limit("1024\n").value, 1024u);
    cr_assert_not(parse_limit("max\n").value);
    cr_assert_eq(*parse_limit("1073741824\n").value, 1073741824u);
    cr_assert_not(parse_limit("9223372036854771712\n").value);  // v1 memory "unlimited", 4 KiB pages
    cr_assert_not(parse_limit("9223372036854710272\n").value);  // ... 64 KiB pages
    cr_assert_eq(*parse_limit("17179869184").value, 17179869184u);
    auto parse = [](const std::string& t) { parse_limit(t); };
    cr_assert(error_of(parse, "-1\n").find("neither") != std::string::npos);
    cr_assert(error_of(parse, "").find("neither") != std::string::npos);
    cr_assert(error_of(parse, "12k\n").find("neither") != std::string::npos);
}

Test(caller, containerds_shim_is_recognised_by_its_executable_and_flags)
{
    using std::string_literals::operator""s;
    const std::string cmd = "/usr/bin/containerd-shim-runc-v2\0-namespace\0k8s.io\0-id\0abc\0-address\0/run/c.sock\0"s;
    hardrun::live::Shim s = hardrun::live::shim_from("/usr/bin/containerd-shim-runc-v2", 0, 0100755, cmd);
    cr_assert(s.found, "%s", s.why_not.c_str());
    cr_assert_eq(s.namespace_, "k8s.io");
    cr_assert_eq(s.id, "abc");
    // Go's flag forms: two dashes, "=", the last one wins.
    s = hardrun::live::shim_from("/usr/bin/containerd-shim-runc-v2", 0, 0100755,
                        "shim\0--namespace=moby\0-debug\0--id=x\0-id\0y\0"s);
    cr_assert(s.found);
    cr_assert_eq(s.namespace_, "moby");
    cr_assert_eq(s.id, "y");
    // Flags after the first argument are not flags.
    s = hardrun::live::shim_from("/usr/bin/containerd-shim-runc-v2", 0, 0100755, "shim\0-namespace\0k8s.io\0start\0-id\0y\0"s);
    cr_assert(!s.found);
    // Not a shim, not root's, writable by others, no id: not proof.
    cr_assert(!hardrun::live::shim_from("/usr/bin/python3.11", 0, 0100755, cmd).found);
    cr_assert(!hardrun::live::shim_from("/home/u/containerd-shim-runc-v2", 1000, 0100755, cmd).found);
    cr_assert(!hardrun::live::shim_from("/usr/bin/containerd-shim-runc-v2", 0, 0100777, cmd).found);
    hardrun::live::Shim none = hardrun::live::shim_from("/usr/bin/containerd-shim-runc-v2", 0, 0100755, "shim\0-namespace\0k8s.io\0"s);
    cr_assert(!none.found);
    cr_assert(none.why_not.find("-id") != std::string::npos);
}

Test(caller, this_test_was_not_started_by_a_shim)
{
    hardrun::live::Shim s = hardrun::live::parent_shim();
    cr_assert(!s.found);
    cr_assert(s.why_not.find("not started by a containerd shim") != std::string::npos, "%s", s.why_not.c_str());
}

Test(apparmor, the_profile_list_is_read_by_name_and_mode)
{
    hardrun::live::AppArmorHost h = hardrun::live::parse_apparmor_profiles(
        "docker-default (enforce)\n/usr/bin/man (complain)\nname with space (kill)\nbroken line\nx (unconfined)\n");
    cr_assert(h.enabled && h.listed);
    cr_assert(h.confines("docker-default"));
    cr_assert(!h.confines("/usr/bin/man"));
    cr_assert(h.confines("name with space"));
    cr_assert(!h.confines("x") && !h.confines("broken line") && !h.confines("missing"));
}

Test(cgroups_path, runc_forms_are_read_as_runc_reads_them)
{
    using hardrun::spec::parse_cgroups_path;
    cr_assert_eq(parse_cgroups_path("/docker/abc").path, "/docker/abc");
    cr_assert_eq(parse_cgroups_path("system.slice:docker:abc").path, "/system.slice/docker-abc.scope");
    cr_assert_eq(parse_cgroups_path("kubepods-besteffort-pod1.slice:cri-containerd:x").path,
                 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-x.scope");
    cr_assert_eq(parse_cgroups_path(":libpod:x").path, "/system.slice/libpod-x.scope");
    cr_assert_eq(parse_cgroups_path("machine.slice::x").path, "/machine.slice/x.scope");
    cr_assert_eq(parse_cgroups_path("-.slice:p:x").path, "/p-x.scope");
    auto rel = parse_cgroups_path("a/./b//c");
    cr_assert(rel.relative && rel.path == "/a/b/c");
    cr_assert(!parse_cgroups_path("/docker/../init.scope").error.empty());
    cr_assert(!parse_cgroups_path("bad:p:x").error.empty());
    cr_assert(!parse_cgroups_path("a--b.slice:p:x").error.empty());
    cr_assert(!parse_cgroups_path("system.slice:p:../x").error.empty());
    cr_assert(!hardrun::spec::expand_slice("a.scope"));
}

Test(cgroups_path, an_occupied_cgroup_is_found_an_absent_one_is_not)
{
    // This test's own cgroup holds this test: relative "." below our own cgroup is occupied.
    auto self = hardrun::live::cgroup_occupant("", true);
    cr_assert(self.has_value());
    cr_assert(self->find("pid ") == 0, "%s", self->c_str());
    cr_assert(!hardrun::live::cgroup_occupant("/hardrun-unit-no-such-cgroup/x", false));
}

Test(live, user_namespace_mappings_are_read_from_inside_it)
{
    if (geteuid() != 0)
        cr_skip_test("creating a user namespace with chosen mappings needs root");
    // A user namespace no process is in (as containerd 2.x pins one for a pod), named by a path.
    hardrun::UniqueFd ns = hardrun::idmap::user_namespace({200000, 300000, 65536});
    // Its helper process (sharing this one's memory) is gone and reaped: no child is left.
    errno = 0;
    cr_assert_eq(waitpid(-1, nullptr, WNOHANG), -1);
    cr_assert_eq(errno, ECHILD);
    std::string path = "/proc/self/fd/" + std::to_string(ns.get());
    UserNamespaceMaps maps = read_user_namespace(path);
    cr_assert_eq(maps.uid.size(), 1u);
    cr_assert_eq(maps.uid[0].inside, 0u);
    cr_assert_eq(maps.uid[0].outside, 200000u);
    cr_assert_eq(maps.gid[0].outside, 300000u);
    cr_assert_eq(maps.uid[0].count, 65536u);
    cr_assert(!maps.reaches_host_root());
    UserNamespaceMaps to_root;
    to_root.gid.push_back(IdRange{0, 0, 1});
    cr_assert(to_root.reaches_host_root());
    // Not a user namespace: refused with the reason.
    cr_assert_throw(read_user_namespace("/proc/self/ns/net"), Error);
    cr_assert_throw(read_user_namespace("/nonexistent"), Error);
}

// spec::option_effect reads flag options from a table of its own, so that a create loads no
// libmount: it must say what libmount's map says, for every option of that map, and know no
// option the map does not.
Test(live, mount_option_table_is_libmounts)
{
    using hardrun::spec::option_effect;
    auto libmount_effect = [](const std::string& o) {
        return std::pair{apply_mount_options(o, 0), ~apply_mount_options(o, ~0UL)};
    };
    std::vector<std::string> names = builtin_option_names();
    cr_assert_gt(names.size(), 30u);
    for (const std::string& name : names) {
        auto [set, cleared] = libmount_effect(name);
        hardrun::spec::OptionEffect e = option_effect(name);
        cr_assert(e.set == set && e.cleared == cleared, "%s: table %#lx/%#lx, libmount %#lx/%#lx", name.c_str(),
                  e.set, e.cleared, set, cleared);
        cr_assert_not(e.recursive, "%s", name.c_str());
    }
    std::vector<std::string_view> ours = hardrun::spec::flag_option_names();
    cr_assert_eq(ours.size(), names.size());
    for (std::string_view name : ours)
        cr_assert(std::find(names.begin(), names.end(), name) != names.end(), "%.*s", int(name.size()), name.data());
    // What the map does not name changes no flag, for libmount as for the table.
    for (const char* other : {"defaults", "mode=755", "NOSUID", "nosuid ", "", "rro", "x-mount.idmap", "loop"}) {
        auto [set, cleared] = libmount_effect(other);
        hardrun::spec::OptionEffect e = option_effect(other);
        if (std::string_view(other) == "rro") {  // runc's recursive read-only
            cr_assert(e.recursive && e.set == MS_RDONLY && !e.cleared);
            continue;
        }
        cr_assert(!set && !cleared && !e.set && !e.cleared, "%s", other);
    }
}

// options_of splits as libmount's own parser does (it no longer loads libmount to do it): every
// superblock option string of this host's mount table, and the corners of the syntax.
Test(live, option_split_is_libmounts)
{
    auto libmount_split = [](const std::string& optstr) {
        std::vector<std::pair<std::string, std::string>> out;
        std::string copy = optstr;
        char* cursor = copy.data();
        char *name = nullptr, *value = nullptr;
        size_t name_size = 0, value_size = 0;
        while (mnt_optstr_next_option(&cursor, &name, &name_size, &value, &value_size) == 0)
            out.emplace_back(std::string(name, name_size), value ? std::string(value, value_size) : "");
        return out;
    };
    std::vector<std::string> cases = {
        "", "rw", ",,rw,,", "rw,lowerdir=/a:/b,upperdir=/u,workdir=/w", "lowerdir+=/a,lowerdir+=/b,datadir+=/d",
        "context=\"system_u:object_r:container_file_t:s0:c1,c2\",lowerdir=/x", "a=b=c", "=x", "a=", "a==b",
        "\"q,r\"=v,w", "x=\"\",y", "mode=755,size=65536k,uid=0"};
    for (const Mount& m : own_mounts())
        cases.push_back(m.fs_options);
    for (const std::string& c : cases) {
        auto ours = options_of(c), theirs = libmount_split(c);
        cr_assert_eq(ours.size(), theirs.size(), "\"%s\": %zu options, libmount %zu", c.c_str(), ours.size(),
                     theirs.size());
        for (size_t i = 0; i < ours.size(); ++i)
            cr_assert(ours[i] == theirs[i], "\"%s\" option %zu: %s=%s, libmount %s=%s", c.c_str(), i,
                      ours[i].first.c_str(), ours[i].second.c_str(), theirs[i].first.c_str(), theirs[i].second.c_str());
    }
    // An unterminated quote: libmount drops the option without a word; refused here.
    cr_assert_throw(options_of("a,b=\"c,d"), Error);
}

// statmount's record of a mount says what the mount table says of it, and the kernels that have
// statmount with options (Linux 6.10 and later) give one for a mount with options: an overlay
// (the one kind hardrun asks about) and a tmpfs. A mount without filesystem options (proc) gets
// none: the kernel leaves the options out of its reply then, as before 6.10.
Test(live, kernel_mount_record_matches_the_table)
{
    if (geteuid() != 0)
        cr_skip_test("mounting an overlay needs root");
    struct utsname u {};
    uname(&u);
    int major = 0, minor = 0;
    std::sscanf(u.release, "%d.%d", &major, &minor);
    const bool has_statmount_options = major > 6 || (major == 6 && minor >= 10);
    std::string dir = private_scratch_dir();
    mount_two_layer_overlay(dir);
    cr_assert_eq(mkdir((dir + "/tmpfs").c_str(), 0755), 0);
    cr_assert_eq(mount("scratch", (dir + "/tmpfs").c_str(), "tmpfs", 0, "mode=700,size=1m"), 0, "%s", strerror(errno));

    for (std::string path : {dir + "/merged", dir + "/tmpfs", std::string("/proc")}) {
        hardrun::UniqueFd fd(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        cr_assert(fd);
        std::optional<Mount> asked = kernel_mount_of(fd.get());
        cr_assert_eq(asked.has_value(), has_statmount_options && path != "/proc", "%s on Linux %s", path.c_str(),
                     u.release);
        if (!asked)
            continue;
        struct statx stx {};
        cr_assert_eq(statx(fd.get(), "", AT_EMPTY_PATH, STATX_MNT_ID, &stx), 0);
        std::vector<Mount> table = own_mounts();
        auto line = std::find_if(table.begin(), table.end(), [&](const Mount& m) { return uint64_t(m.id) == stx.stx_mnt_id; });
        cr_assert(line != table.end());
        cr_assert_eq(asked->target, path);
        cr_assert_eq(asked->target, line->target);
        cr_assert_eq(asked->fstype, line->fstype);
        // mountinfo puts the superblock's ro/rw (and sync, dirsync, lazytime) before the
        // filesystem's own options, which are what statmount gives.
        std::vector<std::pair<std::string, std::string>> from_table;
        for (auto& o : options_of(line->fs_options))
            if (o.first != "rw" && o.first != "ro" && o.first != "sync" && o.first != "dirsync" && o.first != "lazytime")
                from_table.push_back(o);
        cr_assert(options_of(asked->fs_options) == from_table, "%s: statmount \"%s\", mountinfo \"%s\"", path.c_str(),
                  asked->fs_options.c_str(), line->fs_options.c_str());
        if (path == dir + "/merged")
            cr_assert(asked->fs_options.find("lowerdir=" + dir + "/lower1:" + dir + "/lower2") != std::string::npos,
                      "%s", asked->fs_options.c_str());
    }
}

// An overlay's layers are the same whether the kernel's statmount gives its options or the
// mount table does (kernels before 6.10: here, statmount refused by a seccomp filter).
Test(live, overlay_layers_with_and_without_statmount)
{
    if (geteuid() != 0)
        cr_skip_test("mounting an overlay needs root");
    std::string dir = private_scratch_dir();
    mount_two_layer_overlay(dir);
    hardrun::UniqueFd fd(open((dir + "/merged").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    cr_assert(fd);
    auto check = [&](const char* how) {
        hardrun::idmap::MountOf m = hardrun::idmap::mount_of(fd.get(), dir + "/merged");
        cr_assert(m.overlay && m.is_mount_root, "%s", how);
        cr_assert(m.lower == std::vector<std::string>({dir + "/lower1", dir + "/lower2"}), "%s", how);
        cr_assert_eq(m.upper, dir + "/upper", "%s", how);
    };
    check("statmount where the kernel has it");
    // Layer lists longer than statmount's first buffer (4 KiB with the fixed part): it grows.
    std::vector<std::string> long_lowers;
    std::string long_options = "lowerdir=";
    for (int i = 0; long_options.size() < 3600; ++i) {
        long_lowers.push_back(dir + "/" + std::string(200, 'a' + char(i)));
        cr_assert_eq(mkdir(long_lowers.back().c_str(), 0755), 0);
        long_options += (i ? ":" : "") + long_lowers.back();
    }
    cr_assert_eq(mkdir((dir + "/long").c_str(), 0755), 0);
    cr_assert_eq(mount("overlay", (dir + "/long").c_str(), "overlay", 0, long_options.c_str()), 0, "%s", strerror(errno));
    hardrun::UniqueFd long_fd(open((dir + "/long").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    hardrun::idmap::MountOf long_mount = hardrun::idmap::mount_of(long_fd.get(), dir + "/long");
    cr_assert(long_mount.lower == long_lowers, "%zu layers read, %zu mounted", long_mount.lower.size(), long_lowers.size());
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    cr_assert(ctx);
    cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), 457 /* statmount */, 0), 0);
    cr_assert_eq(seccomp_load(ctx), 0);
    seccomp_release(ctx);
    errno = 0;
    cr_assert_eq(syscall(457, nullptr, nullptr, 0, 0), -1);
    cr_assert_eq(errno, ENOSYS);
    cr_assert_not(kernel_mount_of(fd.get()).has_value());
    check("the mount table");
}

// The cgroup hierarchies' roots as the host's mount table gives them: every cgroup and cgroup2
// mount of a hierarchy's root.
static std::vector<std::string> roots_from_mount_table()
{
    std::vector<std::string> out;
    for (const Mount& m : own_mounts())
        if ((m.fstype == "cgroup" || m.fstype == "cgroup2") && m.root == "/")
            out.push_back(m.target);
    std::sort(out.begin(), out.end());
    return out;
}

Test(cgroups_path, the_conventional_layout_gives_the_mount_tables_roots)
{
    std::string cgroup = test::read_file("/proc/self/cgroup");
    std::optional<std::vector<std::string>> roots = conventional_hierarchy_roots("/sys/fs/cgroup", cgroup);
    std::vector<std::string> expected = roots_from_mount_table();
    bool all_there = !expected.empty() && std::all_of(expected.begin(), expected.end(), [](const std::string& t) {
        return t == "/sys/fs/cgroup" || t.rfind("/sys/fs/cgroup/", 0) == 0;
    });
    if (!all_there)
        cr_skip_test("this host mounts cgroup hierarchies outside /sys/fs/cgroup");
    cr_assert(roots, "this host's /sys/fs/cgroup (hybrid or unified, as systemd mounts it) was not recognised");
    std::sort(roots->begin(), roots->end());
    cr_assert(*roots == expected);
}

Test(cgroups_path, other_layouts_fall_back_to_the_mount_table)
{
    if (geteuid() != 0)
        cr_skip_test("mounting cgroup hierarchies needs root");
    std::string dir = private_scratch_dir();
    // A directory that is neither tmpfs nor cgroup2fs.
    cr_assert_not(conventional_hierarchy_roots(dir, "0::/\n"));
    // The v2 hierarchy's root mounted at the base: unified.
    std::string unified = dir + "/unified-host";
    cr_assert_eq(mkdir(unified.c_str(), 0755), 0);
    cr_assert_eq(mount("cgroup2", unified.c_str(), "cgroup2", 0, nullptr), 0, "%s", strerror(errno));
    std::optional<std::vector<std::string>> roots = conventional_hierarchy_roots(unified, "0::/user.slice\n");
    cr_assert(roots && *roots == std::vector<std::string>{unified});
    cr_assert_not(conventional_hierarchy_roots(unified, "1:name=systemd:/\n0::/\n"));  // a v1 one elsewhere
    // A tmpfs with the v2 root in it (a hybrid host's /sys/fs/cgroup/unified).
    std::string base = dir + "/hybrid";
    cr_assert_eq(mkdir(base.c_str(), 0755), 0);
    cr_assert_eq(mount("tmpfs", base.c_str(), "tmpfs", 0, "mode=755"), 0);
    cr_assert_eq(mkdir((base + "/unified").c_str(), 0755), 0);
    cr_assert_eq(mount("cgroup2", (base + "/unified").c_str(), "cgroup2", 0, nullptr), 0);
    cr_assert_eq(mkdir((base + "/plain").c_str(), 0755), 0);  // not a cgroup mount: ignored
    roots = conventional_hierarchy_roots(base, "0::/\n");
    cr_assert(roots && *roots == std::vector<std::string>{base + "/unified"});
    // A v1 hierarchy this process is in but not mounted there.
    cr_assert_not(conventional_hierarchy_roots(base, "8:pids:/\n0::/\n"));
    // A v1 hierarchy's root, where this host has one.
    struct statfs fs {};
    if (statfs("/sys/fs/cgroup/pids", &fs) == 0 && fs.f_type == 0x27e0eb) {
        cr_assert_eq(mkdir((base + "/pids").c_str(), 0755), 0);
        cr_assert_eq(mount("/sys/fs/cgroup/pids", (base + "/pids").c_str(), nullptr, MS_BIND, nullptr), 0);
        roots = conventional_hierarchy_roots(base, "8:pids:/\n0::/\n");
        cr_assert(roots && roots->size() == 2u);
        cr_assert_not(conventional_hierarchy_roots(base, "8:pids:/\n7:blkio:/\n0::/\n"));
        cr_assert_eq(umount((base + "/pids").c_str()), 0);
        // A cgroup below the v1 root, bound there instead.
        std::string v1_child = "/sys/fs/cgroup/pids/hardrun-unit-" + std::to_string(getpid());
        cr_assert_eq(mkdir(v1_child.c_str(), 0755), 0);
        cr_assert_eq(mount(v1_child.c_str(), (base + "/pids").c_str(), nullptr, MS_BIND, nullptr), 0);
        std::optional<std::vector<std::string>> v1_part = conventional_hierarchy_roots(base, "8:pids:/\n0::/\n");
        cr_assert_eq(umount((base + "/pids").c_str()), 0);
        rmdir(v1_child.c_str());
        cr_assert_not(v1_part);
        cr_assert_eq(rmdir((base + "/pids").c_str()), 0);
    }
    // Part of the v2 hierarchy (a cgroup below its root) where its root should be: as a
    // container's view shows it. The path it names is below that part, not below the root.
    std::string child = unified + "/hardrun-unit-" + std::to_string(getpid());
    cr_assert_eq(mkdir(child.c_str(), 0755), 0);
    cr_assert_not(conventional_hierarchy_roots(child, "0::/\n"));  // a v2 cgroup, not the root
    cr_assert_eq(umount((base + "/unified").c_str()), 0);
    cr_assert_eq(mount(child.c_str(), (base + "/unified").c_str(), nullptr, MS_BIND, nullptr), 0);
    std::optional<std::vector<std::string>> part = conventional_hierarchy_roots(base, "0::/\n");
    cr_assert_eq(umount((base + "/unified").c_str()), 0);
    rmdir(child.c_str());
    cr_assert_not(part);
    umount(base.c_str());
    umount(unified.c_str());
    for (const std::string& d : {base, unified, dir})
        rmdir(d.c_str());
}

#include "idmap/idmap.hpp"

#include "idmap/host.hpp"

#include "live/mounts.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>

namespace hardrun::idmap {
namespace {

void write_map(pid_t pid, const char* file, uint32_t host, uint32_t size)
{
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    std::string line = "0 " + std::to_string(host) + " " + std::to_string(size) + "\n";
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || write(fd.get(), line.data(), line.size()) != ssize_t(line.size()))
        throw system_error("cannot write " + path, errno);
}

// The helper process of user_namespace(): killed and reaped on every path.
struct Helper {
    pid_t pid = -1;
    ~Helper()
    {
        if (pid > 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
    }
};

// The whole life of user_namespace()'s helper: it only has to exist while the maps are written
// and its namespace is opened. It runs on hardrun's memory and its thread-local storage (CLONE_VM
// without a TLS of its own), so it must not touch either: no errno (every signal but SIGKILL is
// blocked, so pause() never returns), no sanitizer bookkeeping on a stack it never unwinds.
__attribute__((no_sanitize("address", "undefined"))) int helper_main(void* parent)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    // It must not outlive hardrun (killed by the engine's SIGTERM mid-create): it holds copies
    // of hardrun's descriptors, the container's lock among them, and would pause forever.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != *static_cast<const pid_t*>(parent))
        return 0;
    for (;;)
        pause();
}

std::string fd_path(int fd)
{
    char buf[PATH_MAX];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

// The filesystem type of the mount `fd` lies on, from the mount table (read only to explain a
// failure).
std::string fs_type_of(int fd)
{
    struct statx stx {};
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) != 0 || !(stx.stx_mask & STATX_MNT_ID))
        return "type unknown";
    try {
        for (const live::Mount& m : live::own_mounts())
            if (uint64_t(m.id) == stx.stx_mnt_id)
                return m.fstype;
    } catch (const Error&) {
    }
    return "type unknown";
}

std::string parent_dir(const std::string& path)
{
    size_t slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// The kernel's own explanation of a failed overlay mount (the fs context's message log).
std::string context_messages(int fs)
{
    std::string out;
    char buf[512];
    for (ssize_t n; (n = read(fs, buf, sizeof buf - 1)) > 0;) {
        buf[n] = '\0';
        out += std::string(out.empty() ? "" : "; ") + (n > 2 && buf[1] == ' ' ? buf + 2 : buf);
    }
    return out;
}

}  // namespace

UniqueFd user_namespace(const IdRange& range)
{
    // The helper's stack: declared before the helper, so it outlives it (the helper is killed and
    // reaped when `helper` goes out of scope).
    alignas(16) char stack[64 * 1024];
    const pid_t parent = getpid();
    Helper helper;
    // CLONE_VM: the helper shares hardrun's memory, so the clone copies no page tables and turns
    // none of hardrun's pages copy-on-write. With a fork here, each later write of hardrun's to
    // its heap or stack took a page fault and the helper's exit tore down an address space: 1.1
    // to 1.4 ms per user namespace on the benchmark machine, 0.26 ms with CLONE_VM
    // (bench/idmap_steps.cpp).
    helper.pid = clone(helper_main, stack + sizeof stack, CLONE_VM | CLONE_NEWUSER | SIGCHLD, const_cast<pid_t*>(&parent));
    if (helper.pid < 0)
        throw system_error("cannot create a user namespace for the idmapped mounts", errno);
    write_map(helper.pid, "uid_map", range.uid, range.size);
    write_map(helper.pid, "gid_map", range.gid, range.size);
    std::string ns = "/proc/" + std::to_string(helper.pid) + "/ns/user";
    UniqueFd fd(open(ns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw system_error("cannot open " + ns, errno);
    return fd;
}

MountOf mount_of(int fd, const std::string& path)
{
    MountOf m;
    struct statfs fs_info {};
    if (fstatfs(fd, &fs_info) != 0)
        throw system_error("cannot find the filesystem of " + path, errno);
    m.overlay = fs_info.f_type == OVERLAYFS_SUPER_MAGIC;
    if (!m.overlay)
        return m;

    // The mount's own record from the kernel where it can give one; else the mount table's line.
    std::optional<live::Mount> asked = live::kernel_mount_of(fd);
    std::vector<live::Mount> table;
    const live::Mount* fs = asked ? &*asked : nullptr;
    if (!fs) {
        struct statx stx {};
        if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) != 0 || !(stx.stx_mask & STATX_MNT_ID))
            throw system_error("cannot find the mount of " + path, errno ? errno : ENOTSUP);
        table = live::own_mounts();
        for (const live::Mount& candidate : table)
            if (uint64_t(candidate.id) == stx.stx_mnt_id)
                fs = &candidate;
        if (!fs)
            throw Error("the mount of " + path + " is not in /proc/self/mountinfo");
    }

    m.is_mount_root = fd_path(fd) == fs->target;
    if (fs->fstype != "overlay" || !m.is_mount_root)
        return m;

    // The overlay's layers, from its superblock options: "lowerdir=A:B" (or "lowerdir+=A"
    // repeated), "upperdir=U". Engines pass relative layer paths when the list is long
    // (Docker's l/ links, containerd's compacted list): relative to the parent of the upper
    // layer's directory in all of Docker overlay2, containers/storage and containerd.
    std::vector<std::string> lower;
    for (const auto& [key, val] : live::options_of(fs->fs_options)) {
        if ((key == "lowerdir" || key == "lowerdir+" || key == "upperdir" || key == "datadir+") &&
            val.find('\\') != std::string::npos)
            throw Error("the overlay at " + path + " has a layer path with escaped characters (" + val +
                        "); hardrun cannot idmap it");
        if (key == "lowerdir") {
            if (val.find("::") != std::string::npos)
                throw Error("the overlay at " + path + " has data-only layers; hardrun cannot idmap it");
            for (size_t start = 0; start <= val.size();) {
                size_t end = val.find(':', start);
                if (end == std::string::npos)
                    end = val.size();
                lower.push_back(val.substr(start, end - start));
                start = end + 1;
            }
        } else if (key == "lowerdir+") {
            lower.push_back(val);
        } else if (key == "upperdir") {
            m.upper = val;
        } else if (key == "datadir+") {
            throw Error("the overlay at " + path + " has data-only layers; hardrun cannot idmap it");
        }
    }
    if (lower.empty())
        throw Error("cannot read the layers of the overlay at " + path + " from its mount options (" + fs->fs_options + ")");
    std::string base = m.upper.empty() ? "" : parent_dir(parent_dir(m.upper));
    for (std::string& layer : lower) {
        if (layer.empty())
            throw Error("the overlay at " + path + " has an empty layer path");
        if (layer[0] != '/') {
            if (base.empty() || m.upper[0] != '/')
                throw Error("the overlay at " + path + " names layer " + layer +
                            " by a relative path and hardrun cannot tell relative to what");
            layer = base + "/" + layer;
        }
    }
    m.lower = std::move(lower);
    return m;
}

UniqueFd plain_copy(int fd, const std::string& path, bool recursive)
{
    unsigned rec = recursive ? AT_RECURSIVE : 0;
    UniqueFd tree(open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec));
    if (!tree)
        throw system_error("cannot copy the mount of " + path, errno);
    // Private: nothing mounted later under the source reaches the container through this copy.
    struct mount_attr attr {};
    attr.propagation = MS_PRIVATE;
    if (mount_setattr(tree.get(), "", AT_EMPTY_PATH | rec, &attr, sizeof attr) != 0)
        throw system_error("cannot make the copy of " + path + " private", errno);
    return tree;
}

UniqueFd idmapped_copy(int fd, const std::string& path, int userns, bool recursive)
{
    UniqueFd tree = plain_copy(fd, path, recursive);
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = uint64_t(userns);
    if (mount_setattr(tree.get(), "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) != 0) {
        int err = errno;
        std::string fstype = fs_type_of(fd);
        std::string on = " on Linux " + kernel_release() + " (mount_setattr MOUNT_ATTR_IDMAP: " + strerror(err) + ")";
        std::string why = err == EINVAL
                              ? "its filesystem (" + fstype + (recursive ? ", or a mount under it" : "") +
                                    ") does not support idmapped mounts" + on +
                                    (fstype == "tmpfs" ? "; tmpfs has them from Linux 6.3" : "")
                              : "idmapped mounts failed" + on;
        if (err == EINVAL)
            throw NotIdmappable("cannot idmap " + path + ": " + why);
        throw Error("cannot idmap " + path + ": " + why);
    }
    return tree;
}

void clear_attributes(int mount, const std::string& path, uint64_t attrs)
{
    struct mount_attr attr {};
    attr.attr_clr = attrs;
    if (mount_setattr(mount, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
        throw system_error("cannot clear the mount flags of the idmapped copy of " + path, errno);
}

std::string kernel_release()
{
    struct utsname u {};
    return uname(&u) == 0 ? u.release : "(unknown)";
}

void mount_overlay(LayerForm form, const std::vector<UniqueFd>& layers, const std::vector<std::string>& names,
                   const std::string& layer_dir, const std::string& target)
{
    std::string how = " (Linux " + kernel_release() + ", layers given as " + form_name(form) +
                      ", the policy's userNamespace.overlayLayers)";
    // The path forms name attached layers: 0, 1, ... under layer_dir, detached again on every path.
    struct Attached {
        std::vector<std::string> points;
        ~Attached()
        {
            for (const std::string& p : points) {
                umount2(p.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
                rmdir(p.c_str());
            }
        }
    } attached;
    if (form != LayerForm::fd) {
        if (mkdir(layer_dir.c_str(), 0700) != 0 && errno != EEXIST)
            throw system_error("cannot create " + layer_dir, errno);
        for (size_t i = 0; i < layers.size(); ++i) {
            std::string point = layer_dir + "/" + std::to_string(i);
            if (mkdir(point.c_str(), 0700) != 0 && errno != EEXIST)
                throw system_error("cannot create " + point, errno);
            attached.points.push_back(point);
            if (move_mount(layers[i].get(), "", AT_FDCWD, point.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
                throw system_error("cannot attach the idmapped layer " + names[i] + " at " + point, errno);
        }
    }

    if (form == LayerForm::lowerdir) {
        // mount(2) takes one page of options: name the layers relative to their directory
        // ("lowerdir=0:1:2"), as Docker's overlay2 does with its l/ links.
        std::string options = "lowerdir=";
        for (size_t i = 0; i < layers.size(); ++i)
            options += (i ? ":" : "") + std::to_string(i);
        UniqueFd cwd(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!cwd || chdir(layer_dir.c_str()) != 0)
            throw system_error("cannot enter " + layer_dir, errno);
        int rc = mount("overlay", target.c_str(), "overlay", MS_RDONLY, options.c_str());
        int err = errno;
        if (fchdir(cwd.get()) != 0)
            throw system_error("cannot return to the working directory", errno);
        if (rc != 0)
            throw Error("cannot stack the idmapped layers " + names.front() + " ... in an overlay with " +
                        std::to_string(layers.size()) + " layers" + how + ": " + strerror(err));
        return;
    }

    UniqueFd fs(fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fs)
        throw system_error("cannot create an overlay", errno);
    for (size_t i = 0; i < layers.size(); ++i) {
        int rc = form == LayerForm::fd
                     ? fsconfig(fs.get(), FSCONFIG_SET_FD, "lowerdir+", nullptr, layers[i].get())
                     : fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", attached.points[i].c_str(), 0);
        if (rc != 0) {
            int err = errno;
            std::string log = context_messages(fs.get());
            throw Error("cannot stack the idmapped layer " + names[i] + " in an overlay" + how + ": " +
                        strerror(err) + (log.empty() ? "" : " (" + log + ")"));
        }
    }
    if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
        int err = errno;
        std::string log = context_messages(fs.get());
        throw Error("cannot mount the idmapped overlay" + how + ": " + strerror(err) + (log.empty() ? "" : " (" + log + ")"));
    }
    UniqueFd mount(fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY));
    if (!mount)
        throw system_error("cannot mount the idmapped overlay", errno);
    attach(mount.get(), target);
}

void attach(int mount, const std::string& target)
{
    if (move_mount(mount, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
        throw system_error("cannot mount at " + target, errno);
}

std::vector<std::string> locked_options(unsigned long flags)
{
    std::vector<std::string> out;
    const std::pair<unsigned long, const char*> locked[] = {
        {ST_RDONLY, "ro"},     {ST_NOSUID, "nosuid"},   {ST_NODEV, "nodev"},
        {ST_NOEXEC, "noexec"}, {ST_NOATIME, "noatime"}, {ST_NODIRATIME, "nodiratime"},
    };
    for (const auto& [flag, option] : locked)
        if (flags & flag)
            out.push_back(option);
    return out;
}

}  // namespace hardrun::idmap

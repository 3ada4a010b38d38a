#include "idmap/idmap.hpp"

#include "live/mounts.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
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

std::string fd_path(int fd)
{
    char buf[PATH_MAX];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
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
    Helper helper;
    // fork() with a new user namespace: the child only has to exist while the maps are
    // written and its namespace is opened.
    helper.pid = pid_t(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
    if (helper.pid < 0)
        throw system_error("cannot create a user namespace for the idmapped mounts", errno);
    if (helper.pid == 0) {
        for (;;)
            pause();
    }
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

    struct statx stx {};
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) != 0 || !(stx.stx_mask & STATX_MNT_ID))
        throw system_error("cannot find the mount of " + path, errno ? errno : ENOTSUP);
    std::vector<live::Mount> table = live::own_mounts();
    const live::Mount* fs = nullptr;
    for (const live::Mount& candidate : table)
        if (uint64_t(candidate.id) == stx.stx_mnt_id)
            fs = &candidate;
    if (!fs)
        throw Error("the mount of " + path + " is not in /proc/self/mountinfo");

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
        throw Error("cannot read the layers of the overlay at " + path + " from /proc/self/mountinfo");
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

UniqueFd idmapped_copy(int fd, const std::string& path, int userns, bool recursive)
{
    unsigned rec = recursive ? AT_RECURSIVE : 0;
    UniqueFd tree(open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec));
    if (!tree)
        throw system_error("cannot copy the mount of " + path, errno);
    // Private: nothing mounted later under the source reaches the container through this copy.
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = uint64_t(userns);
    attr.propagation = MS_PRIVATE;
    if (mount_setattr(tree.get(), "", AT_EMPTY_PATH | rec, &attr, sizeof attr) != 0) {
        int err = errno;
        std::string why = err == EINVAL ? "its filesystem (or a mount under it) does not support idmapped mounts"
                                        : std::string("mount_setattr: ") + strerror(err);
        throw Error("cannot idmap " + path + ": " + why);
    }
    return tree;
}

UniqueFd overlay_of(const std::vector<UniqueFd>& layers, const std::vector<std::string>& names)
{
    UniqueFd fs(fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fs)
        throw system_error("cannot create an overlay", errno);
    for (size_t i = 0; i < layers.size(); ++i) {
        if (fsconfig(fs.get(), FSCONFIG_SET_FD, "lowerdir+", nullptr, layers[i].get()) != 0) {
            int err = errno;
            std::string log = context_messages(fs.get());
            throw Error("cannot stack the idmapped layer " + names[i] + " in an overlay: " +
                        (log.empty() ? std::string(strerror(err)) : log) +
                        (err == EINVAL && log.empty() ? " (overlay layers as file descriptors need Linux 6.8+)" : ""));
        }
    }
    if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
        int err = errno;
        std::string log = context_messages(fs.get());
        throw Error("cannot mount the idmapped overlay: " + (log.empty() ? std::string(strerror(err)) : log));
    }
    UniqueFd mount(fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY));
    if (!mount)
        throw system_error("cannot mount the idmapped overlay", errno);
    return mount;
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

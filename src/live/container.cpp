#include "live/container.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace hardrun::live {
namespace {

constexpr size_t max_proc_bytes = 4u << 20;

std::string read_at(int dir, const std::string& name, const std::string& what)
{
    UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd)
        throw system_error("cannot open " + what, errno);
    return read_all(fd.get(), max_proc_bytes, what);
}

Limit limit_of(const char* controller, const std::vector<CgroupLine>& cgroup, const std::vector<Mount>& host)
{
    Limit out;
    out.dir = controller_dir(controller, cgroup, host);
    if (!out.dir)
        return out;
    std::string file = out.dir->path + "/" + limit_file(controller, out.dir->version);
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd && errno == ENOENT && out.dir->version == 2) {
        out.dir.reset();  // the controller is not enabled for this cgroup: no limit of that kind
        return out;
    }
    if (!fd)
        throw system_error("cannot open " + file, errno);
    out.limit = parse_limit(read_all(fd.get(), max_proc_bytes, file));
    return out;
}

}  // namespace

State read(pid_t pid)
{
    State s;
    s.pid = pid;
    std::string where = "/proc/" + std::to_string(pid);
    // Every file is read through one directory fd: if the process exits meanwhile, reads fail
    // instead of reaching a process that reuses the pid.
    UniqueFd dir(::open(where.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir)
        throw system_error("cannot open " + where, errno);
    try {
        s.status = parse_status(read_at(dir.get(), "status", where + "/status"));
        s.uid_map = parse_id_map(read_at(dir.get(), "uid_map", where + "/uid_map"));
        s.mounts = parse_mountinfo(read_at(dir.get(), "mountinfo", where + "/mountinfo"));
        std::vector<CgroupLine> cgroup = parse_proc_cgroup(read_at(dir.get(), "cgroup", where + "/cgroup"));
        std::vector<Mount> host = parse_mountinfo(read_at(AT_FDCWD, "/proc/self/mountinfo", "/proc/self/mountinfo"));
        s.pids = limit_of("pids", cgroup, host);
        s.memory = limit_of("memory", cgroup, host);
        if (s.memory.dir) {
            std::string file = s.memory.dir->path + (s.memory.dir->version == 2 ? "/memory.swap.max"
                                                                                : "/memory.memsw.limit_in_bytes");
            UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
            if (fd)
                s.swap = parse_limit(read_all(fd.get(), max_proc_bytes, file));
            else if (errno != ENOENT)
                throw system_error("cannot open " + file, errno);
        }
        for (size_t i = 0; i < namespace_names.size(); ++i) {
            std::string name = std::string("ns/") + namespace_names[i];
            struct stat theirs {}, ours {};
            if (fstatat(dir.get(), name.c_str(), &theirs, 0) != 0)
                throw system_error("cannot stat " + where + "/" + name, errno);
            if (stat(("/proc/self/" + name).c_str(), &ours) != 0)
                throw system_error("cannot stat /proc/self/" + name, errno);
            s.host_namespace[i] = theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
        }
    } catch (const Error& e) {
        throw Error("pid " + std::to_string(pid) + ": " + e.what());
    }
    return s;
}

}  // namespace hardrun::live

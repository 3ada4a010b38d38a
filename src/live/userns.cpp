#include "live/userns.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace hardrun::live {
namespace {

// In the child: only raw system calls between fork and _exit.
void write_file_to(int out, const char* path)
{
    char buf[16384];  // a map holds at most 340 lines (the kernel's limit) of at most 32 bytes
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        _exit(3);
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 || n == ssize_t(sizeof buf))
        _exit(4);
    ::close(fd);
    uint32_t size = uint32_t(n);
    if (::write(out, &size, sizeof size) != ssize_t(sizeof size) || ::write(out, buf, size_t(n)) != n)
        _exit(5);
}

std::string read_exact(int fd, size_t size, const std::string& what)
{
    std::string out(size, '\0');
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::read(fd, out.data() + done, size - done);
        if (n <= 0)
            throw Error("cannot read the mappings of " + what + " from its helper");
        done += size_t(n);
    }
    return out;
}

std::string read_one(int fd, const std::string& what)
{
    std::string size_bytes = read_exact(fd, sizeof(uint32_t), what);
    uint32_t size = 0;
    std::copy(size_bytes.begin(), size_bytes.end(), reinterpret_cast<char*>(&size));
    return read_exact(fd, size, what);
}

}  // namespace

bool UserNamespaceMaps::reaches_host_root() const
{
    for (const auto* map : {&uid, &gid})
        for (const IdRange& r : *map)
            if (r.outside == 0)
                return true;
    return false;
}

UserNamespaceMaps read_user_namespace(const std::string& path)
{
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns)
        throw system_error("cannot open the user namespace " + path, errno);
    if (::ioctl(ns.get(), NS_GET_NSTYPE) != CLONE_NEWUSER)
        throw Error(path + " is not a user namespace");
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw system_error("cannot make a pipe", errno);
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    pid_t child = ::fork();
    if (child < 0)
        throw system_error("cannot fork to read the user namespace " + path, errno);
    if (child == 0) {
        if (::setns(ns.get(), CLONE_NEWUSER) != 0)
            _exit(2);
        write_file_to(write_end.get(), "/proc/self/uid_map");
        write_file_to(write_end.get(), "/proc/self/gid_map");
        _exit(0);
    }
    write_end.reset();
    UserNamespaceMaps maps;
    std::string error;
    try {
        maps.uid = parse_id_map(read_one(read_end.get(), path));
        maps.gid = parse_id_map(read_one(read_end.get(), path));
    } catch (const Error& e) {
        error = e.what();
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("cannot join the user namespace " + path + " to read its mappings (helper exit " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
    if (!error.empty())
        throw Error(error);
    return maps;
}

}  // namespace hardrun::live

#include "util/resolve.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>

namespace hardrun {

Resolved resolve_path(int dirfd, const std::string& path, uint64_t how, int flags)
{
    Resolved r;
    if (path.empty() || path.find('\0') != std::string::npos) {
        r.error = ENOENT;
        return r;
    }
    open_how request {};
    request.flags = uint64_t(O_PATH | O_CLOEXEC | flags);
    request.resolve = how;
    long fd = syscall(SYS_openat2, dirfd, path.c_str(), &request, sizeof request);
    if (fd < 0 && errno == ENOSYS)
        fd = ::openat(dirfd, path.c_str(), O_PATH | O_CLOEXEC | flags);
    if (fd < 0) {
        r.error = errno;
        return r;
    }
    r.fd = UniqueFd(int(fd));
    char buf[PATH_MAX + 1];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n <= 0 || buf[0] != '/') {  // no /proc, or an object without a path (deleted, anonymous)
        r.error = n < 0 ? errno : ENOENT;
        r.fd.reset();
        return r;
    }
    r.path.assign(buf, size_t(n));
    return r;
}

}  // namespace hardrun

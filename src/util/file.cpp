#include "util/file.hpp"

#include "util/error.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace hardrun {

std::string read_all(int fd, size_t max_bytes, const std::string& what)
{
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw system_error("cannot read " + what, errno);
        }
        if (n == 0)
            return out;
        if (out.size() + size_t(n) > max_bytes)
            throw Error(what + " is larger than " + std::to_string(max_bytes) + " bytes");
        out.append(buf, size_t(n));
    }
}

DirFile read_dir_file(const std::string& path, size_t max_bytes)
{
    DirFile f;
    f.path = path;
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    f.name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (f.name.empty() || f.name == "." || f.name == "..")
        throw Error(path + " does not name a file");

    f.dir = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!f.dir)
        throw system_error("cannot open directory " + dir, errno);
    UniqueFd fd(::openat(f.dir.get(), f.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        if (errno == ELOOP)
            throw Error(path + " is a symbolic link; refusing to follow it");
        throw system_error("cannot open " + path, errno);
    }
    if (fstat(fd.get(), &f.st) != 0)
        throw system_error("cannot stat " + path, errno);
    if (!S_ISREG(f.st.st_mode))
        throw Error(path + " is not a regular file");
    f.text = read_all(fd.get(), max_bytes, path);
    return f;
}

void replace_dir_file(const DirFile& file, std::string_view text)
{
    uint64_t nonce = 0;
    if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
        nonce = uint64_t(getpid()) << 20 ^ uint64_t(time(nullptr));
    char suffix[40];
    std::snprintf(suffix, sizeof suffix, ".hardrun-%016llx", static_cast<unsigned long long>(nonce));
    std::string temp = "." + file.name + suffix;

    UniqueFd fd(::openat(file.dir.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd)
        throw system_error("cannot create a temporary file next to " + file.path, errno);
    auto fail = [&](const std::string& what, int err) {
        int saved = err;
        ::unlinkat(file.dir.get(), temp.c_str(), 0);
        return system_error(what + " " + file.path, saved);
    };
    if (fchown(fd.get(), file.st.st_uid, file.st.st_gid) != 0)
        throw fail("cannot set the owner of the new", errno);
    if (fchmod(fd.get(), file.st.st_mode & 07777) != 0)
        throw fail("cannot set the mode of the new", errno);
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw fail("cannot write the new", n < 0 ? errno : EIO);
        done += size_t(n);
    }
    // One fsync: the rename must not become visible before the data it points to.
    if (fsync(fd.get()) != 0)
        throw fail("cannot sync the new", errno);
    if (::renameat(file.dir.get(), temp.c_str(), file.dir.get(), file.name.c_str()) != 0)
        throw fail("cannot replace", errno);
}

}  // namespace hardrun

namespace hardrun {

void write_file_atomically(const std::string& path, std::string_view text, mode_t mode)
{
    DirFile file;
    try {
        file = read_dir_file(path, 64u << 20);
    } catch (const Error&) {
        if (::access(path.c_str(), F_OK) == 0)
            throw;  // exists but unreadable, a symlink, not a regular file: not ours to replace
        auto slash = path.rfind('/');
        std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
        file.path = path;
        file.name = slash == std::string::npos ? path : path.substr(slash + 1);
        file.dir = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!file.dir)
            throw system_error("cannot open directory " + dir, errno);
        file.st.st_mode = S_IFREG | mode;
        file.st.st_uid = geteuid();
        file.st.st_gid = getegid();
    }
    replace_dir_file(file, text);
}

}  // namespace hardrun

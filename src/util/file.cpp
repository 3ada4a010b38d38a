#include "util/file.hpp"

#include "util/error.hpp"
#include "util/resolve.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

namespace hardrun {
namespace {

// Termination signals held back while a file is replaced, so that a SIGTERM (a caller's
// timeout) lands before the temp file exists or after the rename, never in between. Pending
// ones are delivered when the mask is restored, and kill hardrun then as they would have.
class TerminationSignalsHeld {
public:
    TerminationSignalsHeld()
    {
        sigset_t held;
        sigemptyset(&held);
        for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT})
            sigaddset(&held, sig);
        active_ = pthread_sigmask(SIG_BLOCK, &held, &saved_) == 0;
    }
    TerminationSignalsHeld(const TerminationSignalsHeld&) = delete;
    TerminationSignalsHeld& operator=(const TerminationSignalsHeld&) = delete;
    ~TerminationSignalsHeld()
    {
        if (active_)
            pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
    }

private:
    sigset_t saved_ {};
    bool active_ = false;
};

// ".NAME.hardrun-" followed by 16 hex digits: a temp file of replace_dir_file.
bool is_temp_of(const char* entry, const std::string& prefix)
{
    if (std::strncmp(entry, prefix.c_str(), prefix.size()) != 0 || std::strlen(entry) != prefix.size() + 16)
        return false;
    for (const char* p = entry + prefix.size(); *p; ++p)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

// Temp files left by a replacement that was killed (SIGKILL, a crash, power loss) before its
// rename. A live writer holds an exclusive flock on its temp file, so only files nobody holds
// are removed. Best effort: a leftover is never read by anyone, only untidy.
void remove_stale_temps(const DirFile& file, const std::string& prefix)
{
    int listing = ::openat(file.dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (listing < 0)
        return;
    DIR* d = fdopendir(listing);
    if (!d) {
        ::close(listing);
        return;
    }
    while (dirent* e = readdir(d)) {
        if (!is_temp_of(e->d_name, prefix))
            continue;
        UniqueFd fd(::openat(file.dir.get(), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
        struct stat st {};
        if (fd && fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
            ::unlinkat(file.dir.get(), e->d_name, 0);
    }
    closedir(d);
}

// The directory a file is read from and replaced in, resolved once (util/resolve.hpp). Symlinks
// on the way are followed (runc follows them to the same directory); /proc magic links are not.
UniqueFd open_dir(const std::string& dir)
{
    Resolved r = resolve_path(AT_FDCWD, dir, RESOLVE_NO_MAGICLINKS, O_DIRECTORY);
    if (!r.fd && r.error == ELOOP)
        throw Error("cannot open directory " + dir + ": it goes through a /proc magic link or a symlink loop");
    if (!r.fd)
        throw system_error("cannot open directory " + dir, r.error);
    return std::move(r.fd);
}

}  // namespace

std::string read_all(int fd, size_t max_bytes, const std::string& what)
{
    // Read straight into the string, growing it geometrically: no 64 KiB stack buffer, whose
    // page every call (a policy record of 150 bytes too) had to fault in.
    std::string out;
    size_t used = 0;
    const size_t cap = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;  // one more: to tell "larger"
    for (;;) {
        if (used == out.size())
            out.resize(std::min(cap, std::max<size_t>(4096, used * 2)));
        ssize_t n = ::read(fd, out.data() + used, out.size() - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw system_error("cannot read " + what, errno);
        }
        if (n == 0) {
            out.resize(used);
            return out;
        }
        used += size_t(n);
        if (used > max_bytes)
            throw Error(what + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
}

std::optional<std::string> read_small_file(const std::string& path, size_t max_bytes)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd)
        return std::nullopt;
    try {
        return read_all(fd.get(), max_bytes, path);
    } catch (const Error&) {
        return std::nullopt;
    }
}

std::vector<std::string_view> lines_of(std::string_view text)
{
    std::vector<std::string_view> out;
    while (!text.empty()) {
        size_t end = text.find('\n');
        out.push_back(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    return out;
}

std::string first_line_of(const std::string& path, size_t max_bytes)
{
    std::string text = read_small_file(path, max_bytes).value_or("");
    text.resize(std::min(text.find('\n'), text.size()));
    return text;
}

void remove_tree(int dirfd, dev_t dev, const std::string& where)
{
    UniqueFd copy(dup(dirfd));
    DIR* d = fdopendir(copy.release());
    if (!d)
        throw system_error("cannot list " + where, errno);
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, closedir);
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..")
            continue;
        struct stat st {};
        if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            throw system_error("cannot stat " + where + "/" + name, errno);
        if (st.st_dev != dev)
            throw Error(where + "/" + name + " is still mounted");
        if (S_ISDIR(st.st_mode)) {
            UniqueFd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub)
                throw system_error("cannot open " + where + "/" + name, errno);
            remove_tree(sub.get(), dev, where + "/" + name);
        }
        if (unlinkat(dirfd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
            throw system_error("cannot remove " + where + "/" + name, errno);
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

    f.dir = open_dir(dir);
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

std::string own_dir(const std::string& path, mode_t mode, bool tighten)
{
    bool created = ::mkdir(path.c_str(), mode) == 0;
    if (!created && errno != EEXIST)
        return "cannot create " + path + ": " + std::strerror(errno);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd && (errno == ELOOP || errno == ENOTDIR))
        return path + " is not a directory (or is a symbolic link)";
    if (!fd || fstat(fd.get(), &st) != 0)
        return "cannot open " + path + ": " + std::strerror(errno);
    mode_t have = st.st_mode & 07777;
    mode_t want = created ? mode : tighten ? (have & mode) : have;  // created: undo the umask
    if (std::string why = untrusted_dir(path, st.st_uid, want); !why.empty())
        return why;
    if (want != have && fchmod(fd.get(), want) != 0)
        return "cannot set the mode of " + path + ": " + std::strerror(errno);
    return "";
}

std::string untrusted_dir(const std::string& path, uid_t owner, mode_t mode)
{
    if (owner != geteuid())
        return path + " is owned by uid " + std::to_string(owner) + ", not " + std::to_string(geteuid());
    if (mode & (S_IWGRP | S_IWOTH))
        return path + " is writable by group or others";
    return "";
}

void replace_dir_file(const DirFile& file, std::string_view text)
{
    const std::string prefix = "." + file.name + ".hardrun-";
    remove_stale_temps(file, prefix);
    uint64_t nonce = 0;
    if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
        nonce = uint64_t(getpid()) << 20 ^ uint64_t(time(nullptr));
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(nonce));
    std::string temp = prefix + hex;

    TerminationSignalsHeld held;
    UniqueFd fd(::openat(file.dir.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd)
        throw system_error("cannot create a temporary file next to " + file.path, errno);
    auto fail = [&](const std::string& what, int err) {
        int saved = err;
        ::unlinkat(file.dir.get(), temp.c_str(), 0);
        return system_error(what + " " + file.path, saved);
    };
    // Ours while we live: remove_stale_temps() of a concurrent writer leaves it alone.
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
        throw fail("cannot lock the temporary file for", errno);
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
        file.dir = open_dir(dir);
        file.st.st_mode = S_IFREG | mode;
        file.st.st_uid = geteuid();
        file.st.st_gid = getegid();
    }
    replace_dir_file(file, text);
}

}  // namespace hardrun

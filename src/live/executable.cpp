#include "live/executable.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace hardrun::live {

std::string why_not_root_owned(const std::string& path)
{
    char resolved[PATH_MAX];
    if (!realpath(path.c_str(), resolved))
        return path + " cannot be resolved (" + std::string(strerror(errno)) + ")";
    std::string at = resolved;
    struct stat st {};
    if (stat(at.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return at + " is not a regular file";
    if (!(st.st_mode & S_IXUSR))
        return at + " is not executable";
    // The file, then each directory up to /: root's, and writable by no one else (a sticky /tmp
    // lets others create files there, so it does not count as safe either).
    while (true) {
        if (stat(at.c_str(), &st) != 0)
            return at + " cannot be read (" + std::string(strerror(errno)) + ")";
        if (st.st_uid != 0)
            return at + " is owned by uid " + std::to_string(st.st_uid) + ", not root";
        if (st.st_mode & (S_IWGRP | S_IWOTH))
            return at + " is writable by others than root";
        if (at == "/")
            return "";
        size_t slash = at.rfind('/');
        at = slash == 0 ? "/" : at.substr(0, slash);
    }
}

ProcessExe process_exe(long pid)
{
    ProcessExe p;
    const std::string proc = "/proc/" + std::to_string(pid);
    char exe[PATH_MAX];
    ssize_t n = readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
    struct stat st {};
    if (n < 0 || stat(proc.c_str(), &st) != 0)
        return p;
    exe[n] = '\0';
    p.found = true;
    p.uid = st.st_uid;
    p.exe = exe;
    return p;
}

}  // namespace hardrun::live

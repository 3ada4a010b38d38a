#include "live/caller.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

namespace hardrun::live {
namespace {

std::vector<std::string> split_nul(std::string_view text)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\0', start);
        if (end == std::string_view::npos)
            end = text.size();
        out.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// The value of flag `name` in a Go flag-package command line, "" when absent. Go stops at the
// first non-flag argument and at "--"; the last occurrence wins.
std::string flag_value(const std::vector<std::string>& args, std::string_view name)
{
    std::string value;
    for (size_t i = 1; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--" || a.size() < 2 || a[0] != '-')
            break;
        a.remove_prefix(a[1] == '-' ? 2 : 1);
        size_t eq = a.find('=');
        std::string_view key = a.substr(0, eq);
        bool has_value = eq != std::string_view::npos;
        if (key != name) {
            // Every flag of the shim but the booleans (-debug, -v) takes a value.
            if (!has_value && key != "debug" && key != "v")
                ++i;
            continue;
        }
        if (has_value)
            value = std::string(a.substr(eq + 1));
        else if (i + 1 < args.size())
            value = args[++i];
    }
    return value;
}

}  // namespace

Shim shim_from(std::string_view exe, uid_t exe_owner, mode_t exe_mode, std::string_view cmdline)
{
    Shim shim;
    std::string_view base = exe.substr(exe.rfind('/') + 1);
    if (base.rfind("containerd-shim", 0) != 0) {
        shim.why_not = "hardrun was not started by a containerd shim (its parent is " + std::string(exe) + ")";
        return shim;
    }
    if (exe_owner != 0 || (exe_mode & (S_IWGRP | S_IWOTH))) {
        shim.why_not = "the parent's executable " + std::string(exe) + " is not root's alone";
        return shim;
    }
    std::vector<std::string> args = split_nul(cmdline);
    shim.namespace_ = flag_value(args, "namespace");
    shim.id = flag_value(args, "id");
    if (shim.namespace_.empty() || shim.id.empty()) {
        shim.why_not = "the parent shim's command line names no -namespace and -id";
        return shim;
    }
    shim.found = true;
    return shim;
}

Shim parent_shim()
{
    const pid_t parent = getppid();
    const std::string proc = "/proc/" + std::to_string(parent);
    char exe[PATH_MAX];
    ssize_t n = readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
    struct stat st {};
    if (n < 0 || stat((proc + "/exe").c_str(), &st) != 0) {
        Shim shim;
        shim.why_not = "the parent process cannot be read (" + std::string(strerror(errno)) + ")";
        return shim;
    }
    exe[n] = '\0';
    std::string cmdline;
    UniqueFd fd(open((proc + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC));
    try {
        if (!fd)
            throw Error("");
        cmdline = read_all(fd.get(), 1 << 16, proc + "/cmdline");
    } catch (const Error&) {
        Shim shim;
        shim.why_not = "the parent process's command line cannot be read";
        return shim;
    }
    // Read from the pid we asked about: had the parent exited meanwhile (its pid free for
    // another process), this process would have a new parent now.
    if (getppid() != parent) {
        Shim shim;
        shim.why_not = "the parent process exited while hardrun read it";
        return shim;
    }
    return shim_from(exe, st.st_uid, st.st_mode, cmdline);
}

}  // namespace hardrun::live

// Facts about executables hardrun lets run on the host as root (OCI hooks): who can change them,
// and what a process runs.
#pragma once

#include <string>
#include <sys/types.h>

namespace hardrun::live {

// "" when `path`, followed through symlinks, is a regular executable file owned by root that no
// one else can write, in directories only root can write (all the way up); otherwise why not.
std::string why_not_root_owned(const std::string& path);

// What process `pid` runs: its executable's path (readlink of /proc/PID/exe) and the process's
// owner. `found` is false when the process does not exist or cannot be read.
struct ProcessExe {
    bool found = false;
    uid_t uid = 0;
    std::string exe;
};
ProcessExe process_exe(long pid);

}  // namespace hardrun::live

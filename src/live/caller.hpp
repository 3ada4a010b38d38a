// Who ran hardrun: the facts that prove a config comes from containerd's CRI plugin. containerd
// runs the runtime from its shim (containerd-shim-runc-v2), started as
// `containerd-shim-runc-v2 -namespace NS -id ID -address ...`; for a Kubernetes pod one shim
// serves the whole pod and its id is the pod sandbox's. A config's annotations can claim
// anything; the parent process is what the kernel says.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

namespace hardrun::live {

struct Shim {
    bool found = false;
    std::string why_not;    // when !found: which fact failed, for the refusal message
    std::string namespace_; // containerd namespace (-namespace)
    std::string id;         // the shim's id (-id): the pod sandbox's id for a CRI pod
};

// The shim facts from a process's executable (its resolved path, owner and mode) and its
// NUL-separated command line. The executable must be root-owned, writable by no one else, and
// named containerd-shim*; the command line must carry -namespace and -id (one or two dashes,
// "=" or separate value, as Go's flag package reads them).
Shim shim_from(std::string_view exe, uid_t exe_owner, mode_t exe_mode, std::string_view cmdline);

// shim_from() for the parent of this process, read from /proc.
Shim parent_shim();

}  // namespace hardrun::live

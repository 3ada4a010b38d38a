// The id mappings of a user namespace named by a file (/proc/PID/ns/user, or a namespace an
// engine pinned before any process is in it: containerd 2.x's
// .../sandboxes/ID/pinned-namespaces/user for a pod with hostUsers: false).
#pragma once

#include "live/proc.hpp"

#include <string>
#include <vector>

namespace hardrun::live {

struct UserNamespaceMaps {
    std::vector<IdRange> uid;  // as /proc/PID/uid_map reads from inside the namespace: host ids
    std::vector<IdRange> gid;

    // Whether some container id maps to host id 0 (root, or group root).
    bool reaches_host_root() const;
};

// Reads them from inside: a child process joins the namespace (setns; a namespace no process is
// in has no /proc/PID/uid_map to read) and reads its own uid_map and gid_map. Throws
// hardrun::Error when `path` is not a user namespace or cannot be joined.
UserNamespaceMaps read_user_namespace(const std::string& path);

}  // namespace hardrun::live

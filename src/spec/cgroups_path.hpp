// linux.cgroupsPath as runc reads it: a cgroupfs path ("/docker/ID", relative ones below runc's
// own cgroup) or, with the systemd driver, "slice:prefix:name" (the unit prefix-name.scope in
// the slice, whose dashes nest: a-b.slice is /a.slice/a-b.slice).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hardrun::spec {

struct CgroupsPath {
    std::string path;       // the cgroup, relative to a hierarchy's root ("/system.slice/x.scope")
    bool relative = false;  // a cgroupfs path runc places below its own cgroup
    std::string error;      // non-empty: not a path runc would accept, or one with ".."
};

CgroupsPath parse_cgroups_path(std::string_view text);

// The cgroup directory of a systemd slice ("-.slice" is the root): "" plus the error when the
// name is not a slice name.
std::optional<std::string> expand_slice(std::string_view slice);

}  // namespace hardrun::spec

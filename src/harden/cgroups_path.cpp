// linux.cgroupsPath: the cgroup runc puts the container in, and then treats as the container's
// own: `runc pause` freezes it, `kill --all` signals every process in it, `update` rewrites its
// limits, `delete` removes it. Named after an existing cgroup of the host, it would hand the
// container (and whoever drives it) the processes there. So the path must name a cgroup that
// holds no process, in it or below, in any hierarchy (a fresh one is what every engine asks for:
// /docker/ID, system.slice:docker:ID, kubepods-...slice:cri-containerd:ID), and no ".." that
// runc would resolve to another cgroup than the one named.
#include "harden/controls.hpp"
#include "live/cgroup.hpp"
#include "spec/cgroups_path.hpp"
#include "spec/fields.hpp"

namespace hardrun::harden {

void cgroups_path(json::Value& config, const policy::Policy& policy, Report& report)
{
    json::Value* linux = spec::object_at(config, {"linux"});
    json::Value* field = linux ? spec::field(*linux, "cgroupsPath", json::Kind::string, "/linux") : nullptr;
    if (!field || field->as_string().empty())
        return;  // runc picks a path of its own for the container
    Decision decision(report, "resources", policy.resources.mode);
    const std::string& text = field->as_string();
    spec::CgroupsPath path = spec::parse_cgroups_path(text);
    if (!path.error.empty()) {
        decision.refuse("/linux/cgroupsPath", "\"" + text + "\" " + path.error);
        return;
    }
    if (path.path.empty() && !path.relative) {
        decision.refuse("/linux/cgroupsPath", "\"" + text + "\" is the root cgroup, which holds the whole host");
        return;
    }
    if (std::optional<std::string> occupant = live::cgroup_occupant(path.path, path.relative))
        decision.refuse("/linux/cgroupsPath", "\"" + text + "\" names an existing cgroup that holds host processes (" +
                                                  *occupant + "); the container would own them");
}

}  // namespace hardrun::harden

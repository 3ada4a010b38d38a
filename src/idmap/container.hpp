// The side of the user-namespace control that touches the system: once the config has a user
// namespace hardrun added (harden::Report::user_namespace_added), the container's image and
// bind sources are shown to it through idmapped mounts made under its state directory, and
// config.json is pointed at them.
#pragma once

#include "harden/report.hpp"
#include "idmap/idmap.hpp"
#include "json/value.hpp"
#include "state/state.hpp"

#include <string>
#include <vector>

namespace hardrun::idmap {

// - rootfs: a plain directory is idmapped as it is (its writability kept); an overlay (what
//   Docker, containerd and podman hand over) cannot be idmapped, so its layers are, and a new
//   read-only overlay of them (the caller's upper layer on top) becomes the rootfs. That needs
//   a read-only root: the mount points runc needs are created first through the caller's own
//   rootfs. A writable root on an overlay is refused.
// - every bind mount's source is idmapped (recursively for rbind), keeping the options the
//   kernel locks inside a user namespace; a source on a filesystem the kernel cannot idmap
//   (tmpfs before Linux 6.3) is bound as it is, and returned, for the audit line.
// The caller's paths go into the run.hardrun.idmap annotation. Throws on any failure; the
// caller then removes the state (and with it every mount made here).
// The paths opened are the ones the controls checked (harden::Report::checked_rootfs and
// checked_sources), with no symlink followed.
// The overlay's layers are given in the form `setting` names, "auto": the host's probe's.
struct Unmapped {
    std::string path;  // "/mounts/3/source"
    std::string why;   // idmapped_copy's message
};
// The audit detail of a source bound without idmapping.
inline std::string unmapped_detail(const Unmapped& u)
{
    return "bound as it is, its files owned by nobody inside (" + u.why + ")";
}

std::vector<Unmapped> idmap_container(json::Value& config, const harden::Report& report, state::Container& state,
                                      const IdRange& range, policy::UserNamespace::OverlayLayers setting);

// What idmap_container would do, as far as it can without mounting anything (`hardrun check`):
// the same idmapped copies of the rootfs (or its layers) and bind sources, made and dropped, and
// the overlay form chosen. Throws the same errors.
std::vector<Unmapped> check_idmap(json::Value& config, const harden::Report& report, const IdRange& range,
                                  policy::UserNamespace::OverlayLayers setting);

}  // namespace hardrun::idmap

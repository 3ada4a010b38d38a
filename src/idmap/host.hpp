// What this host's kernel lets hardrun do with idmapped overlay layers, probed for real once per
// boot and kept in one place that create, check and doctor ask (no kernel version checks).
//
// An overlay rootfs is shown to a user namespace as a new overlay over idmapped copies of its
// layers. Kernels take those layers in different forms:
//   fd        FSCONFIG_SET_FD "lowerdir+" with the detached idmapped mounts (the newest kernels;
//             6.12 refuses it with EBADF),
//   path      FSCONFIG_SET_STRING "lowerdir+" naming attached layer mounts (Linux 6.8+),
//   lowerdir  mount(2) with "lowerdir=0:1:..." naming attached layer mounts relative to their
//             directory (every kernel with idmapped overlay layers, Linux 5.19+; relative names
//             keep 500 layers inside the one page mount(2) takes).
// The probe builds a tiny overlay over an idmapped scratch layer in each form and checks the
// file owner seen through it. The verdict is cached in /run/hardrun/host-support, keyed by the
// kernel release and boot id.
#pragma once

#include "policy/policy.hpp"

#include <optional>
#include <string>

namespace hardrun::idmap {

enum class LayerForm { fd, path, lowerdir };
const char* form_name(LayerForm form);

struct HostSupport {
    std::string kernel;     // uname release, "6.12.57+deb13-amd64"
    std::string scratch;    // the directory the probe's layer lay in ("" when none could be idmapped)
    std::string no_idmap;   // why no scratch layer could be idmapped ("" when one could)
    // Per form: "" when an overlay in that form over an idmapped layer worked, else the reason.
    std::string fd, path, lowerdir;

    const std::string& failure(LayerForm form) const;
};

// The host's support: from the cache when it was written in this boot on this kernel, else
// probed now (and cached). `fresh` probes even when a cache exists.
HostSupport host_support(bool fresh = false);

// Probe now in scratch directories under each of `bases` (the first whose filesystem idmaps).
HostSupport probe_host(const std::vector<std::string>& bases);

// The form to use under the policy's userNamespace.overlayLayers, or the reason none can be
// ("" reason with a form). "auto" takes fd, then path, then lowerdir, the first that worked; a
// forced form is taken as it is (its failure then comes from the kernel, named).
struct FormChoice {
    std::optional<LayerForm> form;
    std::string why_none;
};
FormChoice choose_form(policy::UserNamespace::OverlayLayers setting, const HostSupport& host);

}  // namespace hardrun::idmap

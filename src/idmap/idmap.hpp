// Idmapped mounts: the image and the bind sources of a container shown through a mapping, so
// that files owned by uid N on disk appear as uid N to a container whose root is an
// unprivileged host uid. Made with the new mount API (open_tree, mount_setattr with
// MOUNT_ATTR_IDMAP, fsopen/fsconfig for overlays, move_mount), on file descriptors: a path is
// resolved once, and what was checked is what gets mounted.
#pragma once

#include "util/error.hpp"
#include "util/fd.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hardrun::idmap {

// Host ids [host, host + size) seen as [0, size) in the container, for uids and gids alike.
struct IdRange {
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint32_t size = 0;
};

// A user namespace carrying `range`, held by a file descriptor: the mapping an idmapped mount
// takes. Its helper process is gone by the time this returns.
UniqueFd user_namespace(const IdRange& range);

// How a directory is mounted: on an overlay or not, and an overlay's layers.
struct MountOf {
    bool overlay = false;           // on an overlay filesystem
    bool is_mount_root = false;     // overlay: the path is the mount's own root (not a directory inside)
    std::vector<std::string> lower; // overlay: the layer directories, top first
    std::string upper;              // overlay: the writable layer ("" for a lowers-only overlay)
};

// The mount `fd` (an O_PATH descriptor) lies on. Only an overlay's options are read, from the
// kernel's statmount where it has one, else from the mount table (loading libmount: 1.2 to
// 1.7 ms); anything else is told by its filesystem type.
// Throws with the reason when the table or an overlay's options cannot be read.
MountOf mount_of(int fd, const std::string& path);

// A detached copy of the tree at `fd` (recursive: with its submounts), idmapped by `userns`.
// Throws, naming `path`, its filesystem type, the kernel release and the kernel's reason, when
// that filesystem cannot be idmapped.
UniqueFd idmapped_copy(int fd, const std::string& path, int userns, bool recursive);

// The same copy, not idmapped: for a source on a filesystem the kernel cannot idmap, so that the
// container still gets the tree that was checked, not whatever the path names later.
UniqueFd plain_copy(int fd, const std::string& path, bool recursive);

// What idmapped_copy throws when the filesystem (or a mount under the tree) does not support
// idmapped mounts at all on this kernel (tmpfs before Linux 6.3 ...), as opposed to a failure.
class NotIdmappable : public hardrun::Error {
public:
    using hardrun::Error::Error;
};

enum class LayerForm;

// Mount at `target` a read-only overlay (lowers only, no upper or work dir) of the idmapped layer
// mounts `layers`, top first, given to the kernel in `form` (see idmap/host.hpp). For the path
// forms each layer is first attached at `layer_dir`/N (created here) and detached again once the
// overlay holds it (overlayfs keeps private copies of its layers). Throws naming the layer, the
// kernel release, the form and the kernel's reason.
void mount_overlay(LayerForm form, const std::vector<UniqueFd>& layers, const std::vector<std::string>& names,
                   const std::string& layer_dir, const std::string& target);

// Clear per-mount flags (MOUNT_ATTR_NOEXEC ...) on the top mount of the detached tree `mount`.
void clear_attributes(int mount, const std::string& path, uint64_t attrs);

// The running kernel's release ("6.1.0-28-amd64").
std::string kernel_release();

// Attach the detached mount `mount` at `target` (an existing file or directory).
void attach(int mount, const std::string& target);

// The mount options a bind of a mount with `flags` must repeat: inside a user namespace the
// kernel locks them (nosuid, nodev, noexec, ro, noatime), and a remount that drops one fails
// with EPERM.
std::vector<std::string> locked_options(unsigned long flags);

}  // namespace hardrun::idmap

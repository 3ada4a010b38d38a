// hardrun's runtime state under /run/hardrun: which host id slice each container holds, and
// what hardrun mounted for it (the idmapped rootfs and bind sources), so `delete` and `hardrun gc`
// can undo it. Directories are 0711: a container's remapped root must reach its rootfs through
// them, but nobody can list them.
#pragma once

#include "idmap/idmap.hpp"
#include "util/fd.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hardrun::state {

inline constexpr const char* state_root = "/run/hardrun";

// runc's rule for container ids (the id becomes a directory name).
bool valid_container_id(const std::string& id);

// The 65536-id slices of `owner`'s subordinate ids (/etc/subuid paired with /etc/subgid), in
// file order. Throws when there are none or an entry is unusable.
std::vector<idmap::IdRange> slices_of(const std::string& owner, const std::string& subuid = "/etc/subuid",
                                      const std::string& subgid = "/etc/subgid");

// One container's state directory, /run/hardrun/containers/<id>, held under an exclusive lock
// (flock on the directory) for as long as this object lives.
class Container {
public:
    // Creates the directory; an existing one (a create that died, a bundle reused after a crash)
    // is first cleaned up. `runtime_root` is runc's --root, kept for `hardrun gc`.
    static Container create(const std::string& id, const std::string& runtime_root);
    // Whether `id` has state (hardrun gave it a user namespace and idmapped mounts).
    static bool exists(const std::string& id);
    // The existing state of `id`, locked; nullopt when there is none.
    static std::optional<Container> open(const std::string& id, bool wait = true);

    const std::string& dir() const { return dir_; }
    const std::string& id() const { return id_; }

    // Hold a slice of the owner's ids: slice `shared` = the first for everyone, else the first
    // free one (a file /run/hardrun/slices/<n> naming the container, created exclusively).
    idmap::IdRange allocate(const std::string& owner, bool shared);

    // A new mount point inside the state directory: a directory or an empty file.
    std::string mount_point(const std::string& name, bool directory);

    // runc's --root recorded at create ("" for runc's default).
    std::string runtime_root() const;

    // Unmount everything under the directory, free the slice, remove the directory.
    void remove();

private:
    Container(std::string id, std::string dir, UniqueFd lock) : id_(std::move(id)), dir_(std::move(dir)), lock_(std::move(lock)) {}
    std::string id_;
    std::string dir_;
    UniqueFd lock_;
};

// Free the slices whose container has no state directory (a create killed between the two);
// returns how many.
int free_orphan_slices();

// Ids of the containers that have state.
std::vector<std::string> containers();

}  // namespace hardrun::state

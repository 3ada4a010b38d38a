// A mount table (/proc/PID/mountinfo) read with libmount: where each mount is, its type, the
// part of its filesystem it shows, and the per-mount flags the report checks; and one mount's
// record asked of the kernel (statmount), where no table needs reading.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hardrun::live {

struct Mount {
    int id = 0;              // the mount's id (statx STATX_MNT_ID)
    std::string target;      // mount point, relative to the process's root
    std::string fstype;      // "tmpfs", "cgroup", "cgroup2" ...
    std::string root;        // the part of the filesystem mounted there ("/" for a whole tmpfs)
    std::string fs_options;  // superblock options ("rw,memory" for a cgroup v1 hierarchy)
    bool read_only = false;  // the mount or its superblock is read-only
    bool nosuid = false;
    bool nodev = false;
    bool noexec = false;

    // Whether the superblock options carry `name` (a cgroup v1 controller, "ro" ...).
    bool has_fs_option(std::string_view name) const;
};

// Parse mountinfo text (the format of /proc/PID/mountinfo), in file order (parents before
// the mounts on top of them). Throws hardrun::Error when libmount cannot parse it.
std::vector<Mount> parse_mountinfo(std::string_view text);

// hardrun's own mount table (/proc/self/mountinfo), parsed as above.
std::vector<Mount> own_mounts();

// The name=value pairs of a mount option string ("rw,lowerdir=/a:/b"), in order, by libmount's
// rules (a value in quotes may hold commas); "" for an option without a value. Throws on an
// unterminated quote.
std::vector<std::pair<std::string, std::string>> options_of(std::string_view optstr);

// The mount the file descriptor `fd` lies on, asked of the kernel for that mount alone
// (statmount(2)): its target, fstype and fs_options, the other fields left default (id 0: the
// kernel's unique mount id is not mountinfo's). No mount table is read and libmount is not
// loaded: 2.2 ms of a user-namespaced create on the benchmark machine. nullopt where the
// kernel cannot answer so (before Linux 6.10, statmount refused, or a filesystem that shows no
// options): read the table then.
std::optional<Mount> kernel_mount_of(int fd);

// The MS_* flags (<sys/mount.h>) after `optstr` is applied to `flags` by libmount's built-in
// Linux option map, left to right as mount(8) and runc apply them: "nosuid" sets MS_NOSUID,
// "suid" clears it, "rw" clears MS_RDONLY, "rshared" sets MS_SHARED|MS_REC; an option the map
// does not know ("mode=755", "lowerdir=...") changes nothing.
unsigned long apply_mount_options(std::string_view optstr, unsigned long flags);

// The names in libmount's built-in Linux option map, in its order (the unit tests hold
// spec::option_effect's table against it).
std::vector<std::string> builtin_option_names();

// The mount visible at `target`: the last one there, since later mounts cover earlier ones.
const Mount* mount_at(const std::vector<Mount>& mounts, std::string_view target);

}  // namespace hardrun::live

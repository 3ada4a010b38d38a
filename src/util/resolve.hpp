// Resolving a path once, in the kernel, and keeping what was found: openat2(2) walks the whole
// path in one call (no userspace readlink/lstat loop like realpath's, which a concurrent swap
// of a component can fool between its steps), refusing what the caller rules out, and the
// result is an O_PATH file descriptor: later checks and uses act on that object, and its name
// is the kernel's name for it, not a re-resolved path.
#pragma once

#include "util/fd.hpp"

#include <linux/openat2.h>

#include <cstdint>
#include <string>

namespace hardrun {

struct Resolved {
    UniqueFd fd;       // O_PATH|O_CLOEXEC; empty on failure
    std::string path;  // the absolute path the kernel gives the object (/proc/self/fd/N)
    int error = 0;     // errno of the failure: ENOENT, ELOOP (a symlink or magic link the flags
                       // forbid, or a loop), EXDEV (a RESOLVE_BENEATH escape) ...
};

// Resolve `path` (relative to `dirfd`, or AT_FDCWD) with openat2's RESOLVE_* flags `how`;
// `flags` adds open flags to O_PATH|O_CLOEXEC (O_DIRECTORY, O_NOFOLLOW). Where the kernel has
// no openat2 (before 5.6) the walk falls back to openat, following symlinks, magic links too.
Resolved resolve_path(int dirfd, const std::string& path, uint64_t how = RESOLVE_NO_MAGICLINKS, int flags = 0);

}  // namespace hardrun

// Reading a caller's file safely and replacing it atomically: a reader (runc) sees either the
// old bytes or the new ones, never a partial file; any failure leaves the old file untouched.
#pragma once

#include "util/fd.hpp"

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hardrun {

// Read everything from fd; refuse more than max_bytes. `what` names the file in messages.
std::string read_all(int fd, size_t max_bytes, const std::string& what);

// The whole of a small file (a /proc or /sys entry, one of hardrun's own state files), or
// nullopt when it cannot be opened or read or holds more than max_bytes. (No iostreams: a file
// stream sets up libstdc++'s locales, whose tables every process would map and relocate.)
std::optional<std::string> read_small_file(const std::string& path, size_t max_bytes);

// The lines of text without their newlines; a last line without one counts too. The views point
// into `text`: keep it alive while they are used (a temporary string in a range-for's
// expression is destroyed before the loop runs).
std::vector<std::string_view> lines_of(std::string_view text);

// The first line of a small file, without its newline; empty when it cannot be read (as
// read_small_file).
std::string first_line_of(const std::string& path, size_t max_bytes);

// A regular file opened through its directory (the directory is kept open so the
// replacement lands next to the file that was read, even if paths change meanwhile).
struct DirFile {
    UniqueFd dir;
    std::string path;  // as given, for messages
    std::string name;  // last component, relative to dir
    struct stat st {};
    std::string text;  // the bytes read
};

// Open `path` (its last component must be a regular file, not a symlink) and read it.
DirFile read_dir_file(const std::string& path, size_t max_bytes);

// Replace the file with `text`: temp file in the same directory (.NAME.hardrun-<16 hex>) with
// the same owner and mode, written, fsync'ed, renamed over the original. Whatever kills the
// process, the file is the old or the new bytes. SIGTERM, SIGINT, SIGHUP and SIGQUIT are held
// back until the replacement is complete or undone (then they act as usual), so they never leave
// the temp file behind; SIGKILL can, between its creation and the rename. Such a leftover is
// never read (runc reads NAME only), and the next replacement in that directory removes it: a
// writer holds an exclusive flock on its temp file, and only temp files nobody holds are removed.
void replace_dir_file(const DirFile& file, std::string_view text);

// A directory of hardrun's own (/run/hardrun 0711, its seccomp cache 0700, the audit log's
// 0750): created with exactly `mode` when missing (its parent must exist), and trusted only when
// it is a directory, not a symlink, owned by the effective user, and writable by no one else.
// `tighten`: an existing one also loses the permission bits `mode` does not grant (the state
// dirs; an administrator's choice for the audit directory is kept). Returns "" when it can be
// trusted, else why not.
std::string own_dir(const std::string& path, mode_t mode, bool tighten);

// own_dir's trust rule alone, for a directory `path` with this owner and mode (doctor judges the
// audit log's directory by it without creating anything): "" when trusted, else why not.
std::string untrusted_dir(const std::string& path, uid_t owner, mode_t mode);

// Remove everything under the directory `dirfd` (`where` names it in messages), never crossing
// into another filesystem than `dev`: something still mounted in the tree is an error, not a
// tree to empty.
void remove_tree(int dirfd, dev_t dev, const std::string& where);

// Write `text` to `path` the same way, whether or not it exists (a new file gets `mode`, root's).
void write_file_atomically(const std::string& path, std::string_view text, mode_t mode);

}  // namespace hardrun

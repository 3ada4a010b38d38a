// A record of a policy file's "runtime" setting, so that the calls hardrun hands straight to the
// runtime (start, state, kill, ...: most calls) need not parse the policy file every time.
//
// The record is kept under /run/hardrun/policy-runtime, one file per policy path, and holds the
// policy file's identity and timestamps as the call saw them (device, inode, size, mtime, ctime;
// only the kernel sets a ctime) with hardrun's version. It is used only when all of them still
// match the open policy file, and only from directories and a file that no one but hardrun's
// user can write: anyone who could plant a record would choose the program hardrun executes.
// A policy file changed less than two seconds before it was read is not recorded: a change
// within the same timestamp tick could otherwise leave its timestamps as recorded.
//
// A record, named by the first 32 hex digits of the SHA-256 of the policy path, is text: a line
// "hardrun policy runtime record 1 VERSION COMMIT", the path, a line "DEV INO SIZE MTIME CTIME"
// (times as seconds.nanoseconds), then "=LENGTH RUNTIME" or "-" (no runtime), and a newline.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>

namespace hardrun::policy::runtime_record {

inline constexpr const char* default_dir = "/run/hardrun/policy-runtime";

struct Found {
    bool found = false;
    std::optional<std::string> runtime;  // the setting, when found (none: the policy names no runtime)
};

// The recorded setting of the policy file `path`, whose open file has `st`.
Found find(const std::string& path, const struct stat& st, const std::string& dir = default_dir);

// Records `runtime` as the setting of the policy file `path` with `st`, when the file has not
// changed for two seconds and the directory can be trusted; a record that cannot be written only
// costs the next call a parse.
void keep(const std::string& path, const struct stat& st, const std::optional<std::string>& runtime,
          const std::string& dir = default_dir);

// Removes (or with dry_run only counts) the records whose policy file is gone or has changed
// since (`hardrun gc`): a file changed in place gets a new record under the same name, but one
// moved, removed or no longer used leaves its record behind. Returns how many.
int remove_stale(bool dry_run, const std::string& dir = default_dir);

// The record's bytes for this file state (for tests and find()).
std::string record_text(const std::string& path, const struct stat& st, const std::optional<std::string>& runtime);

}  // namespace hardrun::policy::runtime_record

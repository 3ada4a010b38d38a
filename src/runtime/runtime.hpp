// The real runtime (runc): where it is, and handing the call over to it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hardrun::runtime {

// The real runtime: `from_flag` (--hardrun-runtime), else `from_policy`, else "runc".
// A name without '/' is searched on PATH when the caller is root, else in the system
// directories (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin). Never hardrun
// itself (it may be installed under the name runc): such a candidate is skipped on PATH and an
// error when named explicitly.
std::string locate(const std::optional<std::string>& from_flag, const std::optional<std::string>& from_policy);

// execv the runtime with `args` (the caller's argv without argv[0] and hardrun's own options).
// Returns only by throwing.
[[noreturn]] void exec(const std::string& path, const std::vector<std::string>& args);

// How a runtime run as a child ended.
struct Exit {
    int status;     // its exit status, or 128 + signal number when a signal killed it
    bool finished;  // it exited by itself (not killed by a signal), so it did all it does at exit
};

// Run the runtime as a child with the same standard streams, forwarding the signals a caller
// sends to stop or resize it (TERM, INT, HUP, QUIT, USR1, USR2, WINCH). For the calls after
// which hardrun has something to undo.
Exit run(const std::string& path, const std::vector<std::string>& args);

// Whether the runtime knows container `id` (`runtime [--root ROOT] state ID` succeeds); its
// output and error message are discarded.
bool knows(const std::string& path, const std::string& root, const std::string& id);

// Run the runtime as a child and return its standard output ("" when it fails). With
// `quiet`, its standard error goes to /dev/null instead of hardrun's.
std::string output_of(const std::string& path, const std::vector<std::string>& args, bool quiet = false);

// The pid of container `id`'s init process, from `runtime [--root ROOT] state ID`; nullopt when
// the runtime does not know the container, or it is not created or running. `id` must be a
// container id as runc accepts it (letters, digits, "_+-."; not starting with '-').
std::optional<long> container_pid(const std::string& path, const std::string& root,
                                  const std::string& id);

}  // namespace hardrun::runtime

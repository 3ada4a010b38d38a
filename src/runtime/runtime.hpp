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

// Run the runtime as a child and return its standard output ("" when it fails).
std::string output_of(const std::string& path, const std::vector<std::string>& args);

}  // namespace hardrun::runtime

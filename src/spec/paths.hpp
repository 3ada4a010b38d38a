// Lexical path handling as runc does it for mount destinations (Go's path.Clean).
#pragma once

#include <string>
#include <string_view>

namespace hardrun::spec {

// "/a//b/./c/../" -> "/a/b"; "" -> "."; like Go's path.Clean.
std::string clean_path(std::string_view path);

// A host path of config.json (root.path, a bind source) as the kernel will find it: relative to
// the bundle directory, symlinks resolved; one that does not exist stays as written, cleaned
// (runc will fail on it).
std::string resolve_host_path(const std::string& path, const std::string& bundle);

}  // namespace hardrun::spec

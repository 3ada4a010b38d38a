// Lexical path handling as runc does it for mount destinations (Go's path.Clean).
#pragma once

#include <string>
#include <string_view>

namespace hardrun::spec {

// "/a//b/./c/../" -> "/a/b"; "" -> "."; like Go's path.Clean.
std::string clean_path(std::string_view path);


}  // namespace hardrun::spec

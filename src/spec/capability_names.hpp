// OCI capability names ("CAP_SYS_ADMIN") checked against libcap-ng's names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hardrun::spec {

// The capability number for an OCI name, or nullopt when the name is not exactly
// "CAP_" + an upper-case name libcap-ng knows (runc 1.1 matches names exactly too).
std::optional<unsigned> capability_number(std::string_view oci_name);

}  // namespace hardrun::spec

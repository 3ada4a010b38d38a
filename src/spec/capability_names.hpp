// OCI capability names ("CAP_SYS_ADMIN") checked against libcap-ng's names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hardrun::spec {

// The capability number for an OCI name, or nullopt when the name is not exactly
// "CAP_" + an upper-case name libcap-ng knows (runc 1.1 matches names exactly too).
std::optional<unsigned> capability_number(std::string_view oci_name);

// The OCI name of capability `number` ("CAP_SYS_ADMIN"); a bit libcap-ng has no name for (a
// newer kernel's) is "CAP_<number>", so it is still reported.
std::string capability_name(unsigned number);

// The names of the bits set in a 64-bit mask (the form of /proc/PID/status), lowest first.
std::vector<std::string> capability_names(uint64_t mask);

}  // namespace hardrun::spec

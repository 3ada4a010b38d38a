// SHA-256 (FIPS 180-4), used only to name a policy by its content in the annotation
// hardrun leaves on the configs it rewrote. None of the design's libraries provides a hash.
#pragma once

#include <string>
#include <string_view>

namespace hardrun {

// Lower-case hex digest of data.
std::string sha256_hex(std::string_view data);

}  // namespace hardrun

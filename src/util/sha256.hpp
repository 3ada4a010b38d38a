// SHA-256 (FIPS 180-4), used only to name a policy by its content in the annotation
// hardrun leaves on the configs it rewrote. None of the design's libraries provides a hash.
#pragma once

#include <string>
#include <string_view>

namespace hardrun {

// Lower-case hex digest of data. With the x86 SHA extensions where the CPU has them.
std::string sha256_hex(std::string_view data);

// The same in portable code only, which sha256_hex() must always agree with (unit tests).
std::string sha256_hex_portable(std::string_view data);

}  // namespace hardrun

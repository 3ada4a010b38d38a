// Numbers as runc reads them from its command line, so hardrun vets the value runc will use.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hardrun::cli {

// Go's strconv.ParseInt(s, 0, 64) for the forms callers use: optional sign, then decimal,
// 0x/0X hex, 0o/0O or leading-0 octal, 0b/0B binary. nullopt when it does not parse (hardrun
// then refuses rather than guess; Go's digit-separating underscores are among those).
std::optional<int64_t> parse_go_int(std::string_view text);

// docker/go-units RAMInBytes, as `runc update --memory` reads it: "64m", "1.5g", "512 KiB",
// "1024" (1024-based; k, m, g, t, p; optional i and b). nullopt when it does not parse.
std::optional<int64_t> parse_ram_in_bytes(std::string_view text);

}  // namespace hardrun::cli

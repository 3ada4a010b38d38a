// Small helpers for the line-and-field text of /proc and cgroupfs files (their lines: lines_of,
// util/file.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace hardrun::live {

// Fields separated by spaces and tabs.
std::vector<std::string_view> words(std::string_view text);

// An unsigned integer in `base` (10 or 16), the whole of `text`, or nullopt.
std::optional<uint64_t> parse_unsigned(std::string_view text, int base);

}  // namespace hardrun::live

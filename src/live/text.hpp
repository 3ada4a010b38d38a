// Small helpers for the line-and-field text of /proc and cgroupfs files.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace hardrun::live {

// The lines of `text` (without their '\n'); a final line without '\n' counts.
std::vector<std::string_view> lines(std::string_view text);

// Fields separated by spaces and tabs.
std::vector<std::string_view> words(std::string_view text);

// An unsigned integer in `base` (10 or 16), the whole of `text`, or nullopt.
std::optional<uint64_t> parse_unsigned(std::string_view text, int base);

}  // namespace hardrun::live

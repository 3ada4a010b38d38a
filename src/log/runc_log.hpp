// Error lines where the caller reads runc's: the --log file in runc's format (containerd and
// Docker show the last "level":"error" line of a json log to their user), and stderr.
// Nothing is written at any other level: the log file lives as long as the container.
#pragma once

#include <optional>
#include <string>

namespace hardrun::log {

struct Target {
    std::optional<std::string> path;  // runc's --log
    bool json = false;                // runc's --log-format json
};

// "2026-11-23T17:40:00.123456789+01:00", as Go's time.RFC3339Nano (and "Z" for UTC).
std::string rfc3339_now();

// Write one error line. `message` is complete ("hardrun: ..."). Never throws.
void error(const Target& target, const std::string& message);

}  // namespace hardrun::log

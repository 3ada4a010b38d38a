// Where audit events go besides a file: the system journal and syslog.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hardrun::log {

// Structured journal fields, in order: {"MESSAGE", "..."}, {"CONTAINER_ID", "..."}.
using JournalFields = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* journal_socket = "/run/systemd/journal/socket";

// The entry as systemd's native journal protocol frames it: "NAME=value\n" per field, and a
// value holding a newline as "NAME\n", its length (64-bit little endian), the value, "\n".
std::string journal_datagram(const JournalFields& fields);

// Sends the entry to the journal listening on `socket` (a datagram, or a sealed memfd when it is
// too large for one). Returns an error message, or "" when the journal took it.
std::string send_to_journal(const JournalFields& fields, const std::string& socket = journal_socket);

// Sends one message to syslog (/dev/log) as "hardrun[PID]: message", facility authpriv (the
// security log) with `priority` (LOG_WARNING ...). Returns an error message, or "".
std::string send_to_syslog(int priority, const std::string& message);

}  // namespace hardrun::log

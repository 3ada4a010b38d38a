// The audit trail: one JSON line per create/run/restore/exec that hardrun vetted, appended to
// the policy's audit log (default /var/log/hardrun/audit.log, mode 0640, directory 0750). A log
// that is a symlink, not a regular file, another user's, writable by group or others, or in a
// directory that is, is not written (the returned message says why).
#pragma once

#include "harden/report.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"

#include <string>

namespace hardrun::log {

struct AuditEvent {
    std::string command;     // "create", "exec", ...
    std::string container;   // container id
    std::string document;    // the config.json or process.json that was vetted
    std::string outcome;     // "rewritten", "unchanged", "refused"
    const harden::Report* report = nullptr;
};

// A report's findings as a JSON array of {control, path, detail} (for the audit log and
// `hardrun check --json`).
json::Value findings_json(const std::vector<harden::Finding>& findings);

// Append the event. Returns an error message, or "" on success; never throws: failing to
// audit must not mask the outcome, the caller decides what to do with the message.
std::string audit(const policy::Policy& policy, const AuditEvent& event);

}  // namespace hardrun::log

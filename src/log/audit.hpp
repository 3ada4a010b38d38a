// The audit trail: one event per create/run/restore/exec/update that hardrun vetted, sent where
// the policy's audit.target says. file (the default): a JSON line appended to the audit log
// (default /var/log/hardrun/audit.log, mode 0640, directory 0750); a log that is a symlink, not
// a regular file, another user's, writable by group or others, or in a directory that is, is not
// written (the returned message says why). journal: structured fields (journal_fields). syslog:
// the JSON line, facility authpriv. none: nothing.
#pragma once

#include "harden/report.hpp"
#include "json/value.hpp"
#include "log/journal.hpp"
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

// The event's syslog priority: LOG_WARNING refused, LOG_NOTICE with audited findings, else LOG_INFO.
int audit_priority(const AuditEvent& event);

// The event as journal fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=hardrun, CONTAINER_ID (an
// engine's 64-hex id cut to 12, as Docker's log driver writes it), CONTAINER_ID_FULL and
// HARDRUN_* (command, outcome, file, policy, digest, profile, the findings as JSON arrays).
JournalFields journal_fields(const policy::Policy& policy, const AuditEvent& event);

// Why the policy's audit target would not take an event now, or "": the file target's directory
// and log judged by the writer's rule without creating either, journald's or syslog's socket
// without a listener (hardrun doctor).
std::string audit_target_problem(const policy::Policy& policy);

// Send the event. Returns an error message, or "" on success; never throws: failing to
// audit must not mask the outcome, the caller decides what to do with the message.
std::string audit(const policy::Policy& policy, const AuditEvent& event);

}  // namespace hardrun::log

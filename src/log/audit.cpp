#include "log/audit.hpp"

#include "json/value.hpp"
#include "log/runc_log.hpp"
#include "log/journal.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hardrun::log {
json::Value findings_json(const std::vector<harden::Finding>& list)
{
    json::Value out = json::Value::array();
    for (const auto& f : list) {
        json::Value item = json::Value::object();
        item.set("control", json::Value::string(f.control));
        item.set("path", json::Value::string(f.path));
        item.set("detail", json::Value::string(f.detail));
        out.items().push_back(std::move(item));
    }
    return out;
}

namespace {

json::Value event_json(const policy::Policy& policy, const AuditEvent& event)
{
    json::Value v = json::Value::object();
    v.set("time", json::Value::string(rfc3339_now()));
    v.set("command", json::Value::string(event.command));
    v.set("id", json::Value::string(event.container));
    v.set("file", json::Value::string(event.document));
    v.set("outcome", json::Value::string(event.outcome));
    v.set("policy", json::Value::string(policy.source));
    v.set("digest", json::Value::string(policy.digest));
    if (event.report && !event.report->profile.empty())
        v.set("profile", json::Value::string(event.report->profile));
    if (event.report) {
        v.set("changed", findings_json(event.report->changed));
        v.set("audited", findings_json(event.report->audited));
        v.set("refused", findings_json(event.report->refused));
    }
    return v;
}

// The file target's rule, for the writer and for doctor: the log a regular file of the effective
// user, writable by no one else.
std::string untrusted_log(const std::string& path, const struct stat& st)
{
    if (S_ISLNK(st.st_mode))
        return "audit log " + path + " not written: it is a symbolic link";
    if (!S_ISREG(st.st_mode))
        return "audit log " + path + " not written: not a regular file";
    if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
        return "audit log " + path + " not written: it must be owned by uid " + std::to_string(geteuid()) +
               " and writable by no one else";
    return "";
}

// Whether a datagram socket at `path` has a listener (journald's, a syslog daemon's).
bool listening(const char* path)
{
    UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path, sizeof(address.sun_path) - 1);
    return sock && ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
}

// Only a log nobody else can write to (or swap) is written: its directory hardrun's own
// (created 0750) and the file a regular one of the effective user, writable by no one else.
std::string append_to_file(const std::string& path, const std::string& line)
{
    auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        std::string why = own_dir(path.substr(0, slash), 0750, false);
        if (!why.empty())
            return "audit log " + path + " not written: " + why;
    }
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0640));
    if (!fd && errno == ELOOP)
        return "audit log " + path + " not written: it is a symbolic link";
    if (!fd)
        return "cannot open the audit log " + path + ": " + std::strerror(errno);
    struct stat st {};
    if (fstat(fd.get(), &st) != 0)
        return "cannot read the audit log " + path + ": " + std::strerror(errno);
    if (std::string why = untrusted_log(path, st); !why.empty())
        return why;
    // One write per line: O_APPEND keeps concurrent creates' lines whole.
    ssize_t n = ::write(fd.get(), line.data(), line.size());
    if (n != ssize_t(line.size()))
        return "cannot write the audit log " + path + ": " + (n < 0 ? std::strerror(errno) : "short write");
    return "";
}

}  // namespace

int audit_priority(const AuditEvent& event)
{
    if (event.outcome == "refused")
        return LOG_WARNING;
    return event.report && !event.report->audited.empty() ? LOG_NOTICE : LOG_INFO;
}

JournalFields journal_fields(const policy::Policy& policy, const AuditEvent& event)
{
    JournalFields f;
    std::string message = "hardrun " + event.command + " " + event.container + ": " + event.outcome;
    if (event.report) {
        const harden::Report& r = *event.report;
        if (!r.refused.empty())
            message += ": " + harden::describe(r.refused);
        else
            message += " (" + std::to_string(r.changed.size()) + " changed, " + std::to_string(r.audited.size()) +
                       " audited)";
    }
    f.emplace_back("MESSAGE", message);
    f.emplace_back("PRIORITY", std::to_string(audit_priority(event)));
    f.emplace_back("SYSLOG_IDENTIFIER", "hardrun");
    f.emplace_back("SYSLOG_FACILITY", std::to_string(LOG_AUTHPRIV >> 3));
    // Docker's and podman's journald log drivers name a container by its first 12 hex digits
    // (CONTAINER_ID) and in full (CONTAINER_ID_FULL): the same fields find hardrun's events.
    const std::string& id = event.container;
    bool engine_id = id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
    f.emplace_back("CONTAINER_ID", engine_id ? id.substr(0, 12) : id);
    f.emplace_back("CONTAINER_ID_FULL", id);
    f.emplace_back("HARDRUN_COMMAND", event.command);
    f.emplace_back("HARDRUN_OUTCOME", event.outcome);
    f.emplace_back("HARDRUN_FILE", event.document);
    f.emplace_back("HARDRUN_POLICY", policy.source);
    f.emplace_back("HARDRUN_POLICY_DIGEST", policy.digest);
    if (event.report) {
        if (!event.report->profile.empty())
            f.emplace_back("HARDRUN_PROFILE", event.report->profile);
        f.emplace_back("HARDRUN_CHANGED", json::serialize(findings_json(event.report->changed)));
        f.emplace_back("HARDRUN_AUDITED", json::serialize(findings_json(event.report->audited)));
        f.emplace_back("HARDRUN_REFUSED", json::serialize(findings_json(event.report->refused)));
    }
    return f;
}

std::string audit_target_problem(const policy::Policy& policy)
{
    switch (policy.audit_target) {
    case policy::AuditTarget::none:
        return "";
    case policy::AuditTarget::journal:
        return listening(journal_socket) ? "" : std::string("no journal is listening on ") + journal_socket;
    case policy::AuditTarget::syslog:
        return listening("/dev/log") ? "" : "no syslog daemon is listening on /dev/log";
    case policy::AuditTarget::file:
        break;
    }
    const std::string& path = policy.audit_log;
    std::string dir = path.substr(0, std::max<size_t>(path.rfind('/'), 1));
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0) {
        // The writer creates the directory (0750) when its parent exists.
        std::string parent = dir.substr(0, std::max<size_t>(dir.rfind('/'), 1));
        if (errno == ENOENT && stat(parent.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            return "";
        return "audit log " + path + " cannot be written: " + dir + " is missing and so is its parent";
    }
    if (!S_ISDIR(st.st_mode))
        return "audit log " + path + " not written: " + dir + " is not a directory (or is a symbolic link)";
    if (std::string why = untrusted_dir(dir, st.st_uid, st.st_mode & 07777); !why.empty())
        return "audit log " + path + " not written: " + why;
    if (lstat(path.c_str(), &st) != 0)
        return errno == ENOENT ? "" : "cannot read the audit log " + path + ": " + std::strerror(errno);
    return untrusted_log(path, st);
}

std::string audit(const policy::Policy& policy, const AuditEvent& event)
{
    try {
        switch (policy.audit_target) {
        case policy::AuditTarget::none:
            return "";
        case policy::AuditTarget::journal:
            return send_to_journal(journal_fields(policy, event));
        case policy::AuditTarget::syslog:
            return send_to_syslog(audit_priority(event), json::serialize(event_json(policy, event)));
        case policy::AuditTarget::file:
            return append_to_file(policy.audit_log, json::serialize(event_json(policy, event)) + "\n");
        }
    } catch (const std::exception& e) {
        return std::string("cannot format the audit event: ") + e.what();
    }
    return "";
}

}  // namespace hardrun::log

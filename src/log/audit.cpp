#include "log/audit.hpp"

#include "json/value.hpp"
#include "log/runc_log.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

std::string audit(const policy::Policy& policy, const AuditEvent& event)
{
    std::string line;
    try {
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
        line = json::serialize(v) + "\n";
    } catch (const std::exception& e) {
        return std::string("cannot format the audit line: ") + e.what();
    }

    // Only a log nobody else can write to (or swap) is written: its directory hardrun's own
    // (created 0750) and the file a regular one of the effective user, writable by no one else.
    const std::string& path = policy.audit_log;
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
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return "audit log " + path + " not written: not a regular file";
    if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
        return "audit log " + path + " not written: it must be owned by uid " + std::to_string(geteuid()) +
               " and writable by no one else";
    // One write per line: O_APPEND keeps concurrent creates' lines whole.
    ssize_t n = ::write(fd.get(), line.data(), line.size());
    if (n != ssize_t(line.size()))
        return "cannot write the audit log " + path + ": " + (n < 0 ? std::strerror(errno) : "short write");
    return "";
}

}  // namespace hardrun::log

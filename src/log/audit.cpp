#include "log/audit.hpp"

#include "json/value.hpp"
#include "log/runc_log.hpp"
#include "util/fd.hpp"

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

    const std::string& path = policy.audit_log;
    auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
            return "cannot create the audit directory " + dir + ": " + std::strerror(errno);
    }
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640));
    if (!fd)
        return "cannot open the audit log " + path + ": " + std::strerror(errno);
    // One write per line: O_APPEND keeps concurrent creates' lines whole.
    ssize_t n = ::write(fd.get(), line.data(), line.size());
    if (n != ssize_t(line.size()))
        return "cannot write the audit log " + path + ": " + (n < 0 ? std::strerror(errno) : "short write");
    return "";
}

}  // namespace hardrun::log

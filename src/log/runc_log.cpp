#include "log/runc_log.hpp"

#include "json/value.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace hardrun::log {
namespace {

void write_all(int fd, const std::string& s)
{
    size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n <= 0)
            return;
        done += size_t(n);
    }
}

// Go's %q for the text format: quotes, backslashes and control bytes escaped.
std::string go_quote(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                out += buf;
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    return out + "\"";
}

}  // namespace

std::string rfc3339_now()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm local{};
    localtime_r(&ts.tv_sec, &local);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &local);
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
    std::string out = std::string(base) + frac;
    while (out.back() == '0')  // Go trims trailing zeros of the fraction
        out.pop_back();
    if (out.back() == '.')
        out.pop_back();
    long off = local.tm_gmtoff;
    if (off == 0)
        return out + "Z";
    char zone[40];
    std::snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
    return out + zone;
}

void error(const Target& target, const std::string& message)
{
    try {
        if (target.path && !target.path->empty()) {
            std::string line;
            if (target.json) {
                json::Value v = json::Value::object();
                v.set("level", json::Value::string("error"));
                v.set("msg", json::Value::string(message));
                v.set("time", json::Value::string(rfc3339_now()));
                line = json::serialize(v) + "\n";
            } else {
                line = "time=" + go_quote(rfc3339_now()) + " level=error msg=" + go_quote(message) + "\n";
            }
            UniqueFd fd(::open(target.path->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
            if (fd)
                write_all(fd.get(), line);
        }
    } catch (...) {
        // Invalid UTF-8 in a message (from a caller's path): stderr below still carries it.
    }
    write_all(STDERR_FILENO, message + "\n");
}

}  // namespace hardrun::log

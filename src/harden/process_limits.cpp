// Process limits: what a container's process may take of the host's CPUs, disks and memory
// beyond its cgroup. runc applies these as root before the process drops its capabilities, so
// the config alone decides them:
//  - rlimits: RLIMIT_RTPRIO above 0 lets the process take a real-time priority (starving every
//    normal task on its CPUs), RLIMIT_NICE above 20 a nice below 0: both lowered; an unknown
//    type is refused (runc refuses it too, later); the others only limit and are kept;
//  - oomScoreAdj below hardrun's own (that is, the engine's shim's): the container would outlive
//    the engine under memory pressure; raised to it;
//  - scheduler (runc 1.2+): SCHED_FIFO, SCHED_RR and SCHED_DEADLINE, and a negative nice,
//    refused (runc 1.1 ignores the field: judged anyway, so an upgrade opens nothing);
//  - ioPriority (runc 1.2+): IOPRIO_CLASS_RT refused.
// The same for an exec's process.json.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <array>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

namespace hardrun::harden {
namespace {

// runc's names (libcontainer/specconv strToRlimit).
constexpr std::array<const char*, 16> rlimit_names = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",    "RLIMIT_DATA",       "RLIMIT_FSIZE",  "RLIMIT_LOCKS",
    "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE",   "RLIMIT_NPROC",  "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};

// hardrun's own OOM score (its caller's: the engine's shim), read with one read(2): this runs on
// every create that sets oomScoreAdj.
std::optional<int64_t> own_oom_score_adj()
{
    int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    char text[32] = {};
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return std::nullopt;
    char* end = nullptr;
    long value = strtol(text, &end, 10);
    return end != text ? std::optional<int64_t>(value) : std::nullopt;
}

void rlimits(json::Value& process, const std::string& where, Decision& decision)
{
    json::Value* list = spec::field(process, "rlimits", json::Kind::array, where);
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        std::string at;
        json::Value& limit = spec::object_item(*list, i, spec::child_path(where, "rlimits"), at);
        json::Value* type = spec::field(limit, "type", json::Kind::string, at);
        const std::string name = type ? type->as_string() : "";
        if (std::find(rlimit_names.begin(), rlimit_names.end(), name) == rlimit_names.end()) {
            decision.refuse(at + "/type", "\"" + name + "\" is not an rlimit runc knows");
            continue;
        }
        uint64_t ceiling = name == "RLIMIT_RTPRIO" ? 0 : name == "RLIMIT_NICE" ? 20 : UINT64_MAX;
        if (ceiling == UINT64_MAX)
            continue;
        for (const char* bound : {"soft", "hard"}) {
            json::Value* v = spec::field(limit, bound, json::Kind::number, at);
            std::optional<uint64_t> n = v ? v->as_uint64() : std::nullopt;
            if (n && *n > ceiling &&
                decision.change(at + "/" + bound, name + " " + std::to_string(*n) + " lowered to " + std::to_string(ceiling) +
                                                      (ceiling == 0 ? " (no real-time priority)" : " (no nice below 0)")))
                limit.set(bound, json::Value::number(int64_t(ceiling)));
        }
    }
}

void oom_score_adj(json::Value& process, const std::string& where, Decision& decision)
{
    json::Value* v = spec::field(process, "oomScoreAdj", json::Kind::number, where);
    if (!v)
        return;
    std::optional<int64_t> own = own_oom_score_adj();
    int64_t asked = v->as_int64().value_or(0), floor = own.value_or(-1000);
    if (asked < floor &&
        decision.change(spec::child_path(where, "oomScoreAdj"),
                        std::to_string(asked) + " would make the container outlive its engine (" +
                            std::to_string(floor) + ") under memory pressure, raised to it"))
        process.set("oomScoreAdj", json::Value::number(floor));
}

void scheduling(json::Value& process, const std::string& where, Decision& decision)
{
    if (json::Value* scheduler = spec::field(process, "scheduler", json::Kind::object, where)) {
        const std::string at = spec::child_path(where, "scheduler");
        json::Value* policy = spec::field(*scheduler, "policy", json::Kind::string, at);
        const std::string name = policy ? policy->as_string() : "";
        if (name == "SCHED_FIFO" || name == "SCHED_RR" || name == "SCHED_DEADLINE")
            decision.refuse(at + "/policy", name + " would let the container starve the host's CPUs");
        else if (name != "SCHED_OTHER" && name != "SCHED_BATCH" && name != "SCHED_IDLE")
            decision.refuse(at + "/policy", "\"" + name + "\" is not a scheduling policy hardrun knows");
        json::Value* nice = spec::field(*scheduler, "nice", json::Kind::number, at);
        std::optional<int64_t> n = nice ? nice->as_int64() : std::nullopt;
        if (n && *n < 0)
            decision.refuse(at + "/nice", "a nice of " + std::to_string(*n) + " ranks the container above the host's tasks");
    }
    if (json::Value* io = spec::field(process, "ioPriority", json::Kind::object, where)) {
        const std::string at = spec::child_path(where, "ioPriority");
        json::Value* cls = spec::field(*io, "class", json::Kind::string, at);
        const std::string name = cls ? cls->as_string() : "";
        if (name == "IOPRIO_CLASS_RT")
            decision.refuse(at + "/class", "the real-time I/O class would let the container starve the host's disks");
        else if (name != "IOPRIO_CLASS_BE" && name != "IOPRIO_CLASS_IDLE")
            decision.refuse(at + "/class", "\"" + name + "\" is not an I/O priority class hardrun knows");
    }
}

}  // namespace

void process_limits(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report)
{
    Decision decision(report, "resources", policy.resources.mode);
    rlimits(process, where, decision);
    oom_score_adj(process, where, decision);
    scheduling(process, where, decision);
}

}  // namespace hardrun::harden

// Devices: a container sees the OCI default devices (null, zero, full, random, urandom, tty,
// console, ptmx and pts) and those the policy allows, nothing of the host's beyond them, and
// its device cgroup matches. A device is what its type and major:minor say, whatever its path: an
// entry named /dev/full carrying 1:11 is the host's kernel log, and is removed like any other.
// The policy's devices.allow names host device files; each is read with stat() at create time
// for its type and numbers. `--privileged` lists every host device in linux.devices and allows
// all in linux.resources.devices; both are narrowed.
// runc 1.1 drops its own default allow rules for each device linux.devices lists (privileged
// configs list /dev/null too), so a narrowed rule list carries explicit allows for the defaults,
// or the container fails reopening /dev/null.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <array>
#include <optional>

namespace hardrun::harden {
namespace {

struct DeviceId {
    char type;
    int64_t major;
    int64_t minor;  // -1: any
};

constexpr std::array<DeviceId, 9> default_ids = {{
    {'c', 1, 3}, {'c', 1, 5}, {'c', 1, 7}, {'c', 1, 8}, {'c', 1, 9}, {'c', 5, 0}, {'c', 5, 1}, {'c', 5, 2}, {'c', 136, -1},
}};

std::string describe(const DeviceId& id)
{
    return std::string(1, id.type) + " " + std::to_string(id.major) + ":" + (id.minor < 0 ? "*" : std::to_string(id.minor));
}

// The devices a container may have: runc's defaults and the host files the policy names (a
// policy path that is not a device on this host allows nothing).
std::vector<DeviceId> permitted_devices(const policy::Policy& policy)
{
    std::vector<DeviceId> permitted(default_ids.begin(), default_ids.end());
    for (const std::string& path : policy.devices.allow) {
        struct stat st;
        if (stat(path.c_str(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            continue;
        permitted.push_back({S_ISCHR(st.st_mode) ? 'c' : 'b', int64_t(major(st.st_rdev)), int64_t(minor(st.st_rdev))});
    }
    return permitted;
}

bool is_permitted(const std::vector<DeviceId>& permitted, const DeviceId& id)
{
    return std::any_of(permitted.begin(), permitted.end(), [&](const DeviceId& p) {
        return p.type == id.type && p.major == id.major && (p.minor == -1 || p.minor == id.minor);
    });
}

int64_t number_or_any(json::Value& rule, std::string_view key, const std::string& where)
{
    json::Value* v = spec::field(rule, key, json::Kind::number, where);
    if (!v)
        return -1;
    std::optional<int64_t> n = v->as_int64();
    if (!n)
        throw Error(spec::child_path(where, key) + " must be an integer");
    return *n;
}

json::Value allow_rule(const DeviceId& id)
{
    json::Value rule = json::Value::object();
    rule.set("allow", json::Value::boolean(true));
    rule.set("type", json::Value::string(std::string(1, id.type)));
    rule.set("major", json::Value::number(id.major));
    if (id.minor >= 0)
        rule.set("minor", json::Value::number(id.minor));
    rule.set("access", json::Value::string("rwm"));
    return rule;
}

}  // namespace

void devices(json::Value& config, const policy::Policy& policy, Report& report)
{
    Decision decision(report, "devices", policy.devices.mode);
    const std::vector<DeviceId> permitted_ids = permitted_devices(policy);

    // linux.devices: device nodes runc creates in the container (c and u are character devices,
    // b block, p a fifo: no device behind it).
    std::vector<DeviceId> permitted(default_ids.begin(), default_ids.end());
    json::Value* linux = spec::object_at(config, {"linux"});
    if (json::Value* list = linux ? spec::field(*linux, "devices", json::Kind::array, "/linux") : nullptr) {
        std::vector<json::Value> kept;
        std::string removed;
        for (size_t i = 0; i < list->items().size(); ++i) {
            std::string where;
            json::Value& device = spec::object_item(*list, i, "/linux/devices", where);
            json::Value* path = spec::field(device, "path", json::Kind::string, where);
            json::Value* type = spec::field(device, "type", json::Kind::string, where);
            const std::string t = type ? type->as_string() : "";
            if (!path || (t != "c" && t != "u" && t != "b" && t != "p"))
                throw Error(where + " needs a path and a type (c, u, b or p)");
            DeviceId id{t == "u" ? 'c' : t[0], number_or_any(device, "major", where), number_or_any(device, "minor", where)};
            if (id.type != 'p' && !(id.major >= 0 && id.minor >= 0 && is_permitted(permitted_ids, id))) {
                removed += (removed.empty() ? "" : ", ") + path->as_string() + " (" + describe(id) + ")";
                continue;
            }
            if (id.type != 'p')
                permitted.push_back(id);
            // Permission bits only: Go's os.FileMode type bits or setuid/setgid/sticky would reach mknod.
            json::Value* mode = spec::field(device, "fileMode", json::Kind::number, where);
            std::optional<int64_t> bits = mode ? mode->as_int64() : std::nullopt;
            if (bits && (*bits & ~int64_t(0777)) &&
                decision.change(spec::child_path(where, "fileMode"), "mode bits beyond rwx removed"))
                device.set("fileMode", json::Value::number(*bits & 0777));
            kept.push_back(device);
        }
        if (!removed.empty() && decision.change("/linux/devices", "host devices not allowed: " + removed))
            list->items() = std::move(kept);
    }

    // linux.resources.devices: the device cgroup. Compliant when it starts by denying all and
    // allows nothing but the permitted devices (and "m", creating nodes, which needs CAP_MKNOD).
    json::Value* resources = spec::object_at(config, {"linux", "resources"});
    json::Value* rules = resources ? spec::field(*resources, "devices", json::Kind::array, "/linux/resources") : nullptr;
    std::vector<json::Value> kept;
    std::vector<std::string> problems;
    bool starts_with_deny_all = false;
    for (size_t i = 0; rules && i < rules->items().size(); ++i) {
        std::string where;
        json::Value& rule = spec::object_item(*rules, i, "/linux/resources/devices", where);
        json::Value* allow = spec::field(rule, "allow", json::Kind::boolean, where);
        json::Value* type = spec::field(rule, "type", json::Kind::string, where);
        json::Value* access = spec::field(rule, "access", json::Kind::string, where);
        char t = type && !type->as_string().empty() ? type->as_string()[0] : 'a';
        int64_t major = number_or_any(rule, "major", where), minor = number_or_any(rule, "minor", where);
        std::string acc = access ? access->as_string() : "rwm";
        if (!allow || !allow->as_bool()) {
            bool all_access = acc.find('r') != std::string::npos && acc.find('w') != std::string::npos &&
                              acc.find('m') != std::string::npos;
            if (i == 0 && t == 'a' && all_access)
                starts_with_deny_all = true;  // rebuilt below with a deny-all of its own
            else
                kept.push_back(rule);  // denying more only tightens
            continue;
        }
        bool mknod_only = acc == "m";
        bool rule_permitted = std::any_of(permitted.begin(), permitted.end(), [&](const DeviceId& id) {
            return id.type == t && id.major == major && (id.minor == -1 ? minor == -1 : id.minor == minor);
        });
        if (mknod_only || rule_permitted)
            kept.push_back(rule);
        else
            problems.push_back(std::string(1, t) + " " + (major < 0 ? "*" : std::to_string(major)) + ":" +
                               (minor < 0 ? "*" : std::to_string(minor)) + " " + acc);
    }
    if (problems.empty() && starts_with_deny_all)
        return;
    std::string detail = problems.empty() ? "does not start by denying all devices"
                                          : "allows devices outside the permitted set: " + problems.front() +
                                                (problems.size() > 1 ? " and " + std::to_string(problems.size() - 1) + " more" : "");
    if (!decision.change("/linux/resources/devices", detail))
        return;
    std::vector<json::Value> rebuilt;
    json::Value deny = json::Value::object();
    deny.set("allow", json::Value::boolean(false));
    deny.set("access", json::Value::string("rwm"));
    rebuilt.push_back(std::move(deny));
    for (auto& rule : kept)
        rebuilt.push_back(std::move(rule));
    for (const DeviceId& id : permitted)
        rebuilt.push_back(allow_rule(id));
    spec::make_object_at(config, {"linux", "resources"}).set("devices", json::Value::array(std::move(rebuilt)));
}

}  // namespace hardrun::harden

// Devices: a container sees the OCI default devices (null, zero, full, random, urandom, tty,
// console, ptmx and pts) and those the policy allows, nothing of the host's beyond them, and
// its device cgroup matches. `--privileged` lists every host device in linux.devices and allows
// all in linux.resources.devices; both are narrowed.
// runc 1.1 drops its own default allow rules for each device linux.devices lists (privileged
// configs list /dev/null too), so a narrowed rule list carries explicit allows for the defaults,
// or the container fails reopening /dev/null.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <array>

namespace hardrun::harden {
namespace {

struct DeviceId {
    char type;
    int64_t major;
    int64_t minor;  // -1: any
};

constexpr std::array<const char*, 8> default_paths = {"/dev/null", "/dev/zero",    "/dev/full",    "/dev/random",
                                                     "/dev/urandom", "/dev/tty", "/dev/console", "/dev/ptmx"};

constexpr std::array<DeviceId, 9> default_ids = {{
    {'c', 1, 3}, {'c', 1, 5}, {'c', 1, 7}, {'c', 1, 8}, {'c', 1, 9}, {'c', 5, 0}, {'c', 5, 1}, {'c', 5, 2}, {'c', 136, -1},
}};

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
    auto allowed_path = [&](const std::string& path) {
        return std::find(default_paths.begin(), default_paths.end(), path) != default_paths.end() ||
               std::find(policy.devices.allow.begin(), policy.devices.allow.end(), path) != policy.devices.allow.end();
    };

    // linux.devices: device nodes runc creates in the container.
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
            if (!path || !type || type->as_string().size() != 1)
                throw Error(where + " needs a path and a one-letter type");
            if (allowed_path(path->as_string())) {
                permitted.push_back({type->as_string()[0], number_or_any(device, "major", where),
                                     number_or_any(device, "minor", where)});
                kept.push_back(device);
            } else {
                removed += (removed.empty() ? "" : ",") + path->as_string();
            }
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
        bool is_permitted = std::any_of(permitted.begin(), permitted.end(), [&](const DeviceId& id) {
            return id.type == t && id.major == major && (id.minor == -1 ? minor == -1 : id.minor == minor);
        });
        if (mknod_only || is_permitted)
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

// User: with "nonRoot" (the strict profile, Pod Security "restricted"), a process may not run
// as uid 0 unless a user namespace maps that uid 0 to an unprivileged host uid. Refused, not
// rewritten: picking a uid for the image is the caller's business.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

namespace hardrun::harden {
namespace {

// Whether config.json maps container uid 0 to a non-zero host uid in a user namespace.
bool root_is_remapped(json::Value* config)
{
    if (!config)
        return false;
    json::Value* linux = spec::object_at(*config, {"linux"});
    if (!linux)
        return false;
    json::Value* list = spec::field(*linux, "namespaces", json::Kind::array, "/linux");
    bool has_userns = false;
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        json::Value& ns = list->items()[i];
        json::Value* type = ns.is_object() ? spec::field(ns, "type", json::Kind::string, "/linux/namespaces") : nullptr;
        has_userns = has_userns || (type && type->as_string() == "user");
    }
    json::Value* maps = spec::field(*linux, "uidMappings", json::Kind::array, "/linux");
    for (size_t i = 0; has_userns && maps && i < maps->items().size(); ++i) {
        json::Value& m = maps->items()[i];
        if (!m.is_object())
            continue;
        json::Value* inside = spec::field(m, "containerID", json::Kind::number, "/linux/uidMappings");
        json::Value* outside = spec::field(m, "hostID", json::Kind::number, "/linux/uidMappings");
        if (inside && outside && inside->as_int64() == 0 && outside->as_int64().value_or(0) != 0)
            return true;
    }
    return false;
}

}  // namespace

void user(json::Value& process, const std::string& where, json::Value* config, bool root_remapped,
          const policy::Policy& policy, Report& report)
{
    // The types are checked whatever the policy: a config hardrun cannot read fully is not one
    // it can vouch for.
    json::Value* u = spec::field(process, "user", json::Kind::object, where);
    json::Value* uid = u ? spec::field(*u, "uid", json::Kind::number, spec::child_path(where, "user")) : nullptr;
    if (uid && (!uid->as_int64() || *uid->as_int64() < 0 || *uid->as_int64() > 0xffffffffll))
        throw Error(spec::child_path(where, "user/uid") + " must be an integer uid");
    if (!policy.user.non_root)
        return;
    Decision decision(report, "user", policy.user.mode);
    if ((uid && *uid->as_int64() != 0) || root_remapped || root_is_remapped(config))
        return;
    decision.refuse(spec::child_path(where, "user/uid"),
                    "runs as root (uid 0) without a user namespace; the policy requires a non-root user");
}

}  // namespace hardrun::harden

// Sysctls: only those that are namespaced and safe to set from a container: Kubernetes' safe
// set, the net.* ones of the container's own network namespace, and the policy's additions.
// Others are removed (enforce). With the host's network namespace, no net.* sysctl is kept:
// it would change the host.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <array>

namespace hardrun::harden {
namespace {

// Kubernetes' safe sysctls (pod-security-admission check_sysctls.go, 1.29).
constexpr std::array<const char*, 10> safe = {
    "kernel.shm_rmid_forced",      "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",   "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
};

// Whether the config gives the container a network namespace of its own (new, or another
// container's by path; a path to the host's is refused by the namespaces control).
bool own_network_namespace(json::Value& config)
{
    json::Value* linux = spec::object_at(config, {"linux"});
    json::Value* list = linux ? spec::field(*linux, "namespaces", json::Kind::array, "/linux") : nullptr;
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        json::Value& ns = list->items()[i];
        if (!ns.is_object())
            continue;  // reported by the namespaces control
        json::Value* type = spec::field(ns, "type", json::Kind::string, "/linux/namespaces/" + std::to_string(i));
        if (type && type->as_string() == "network")
            return true;
    }
    return false;
}

}  // namespace

void sysctls(json::Value& config, const policy::Policy& policy, Report& report)
{
    Decision decision(report, "sysctls", policy.sysctls.mode);
    json::Value* linux = spec::object_at(config, {"linux"});
    json::Value* map = linux ? spec::field(*linux, "sysctl", json::Kind::object, "/linux") : nullptr;
    if (!map)
        return;
    bool own_net = own_network_namespace(config);
    std::vector<std::string> drop;
    for (const auto& [name, value] : map->members()) {
        if (!value.is_string())
            throw Error("/linux/sysctl/" + name + " must be a string");
        bool ok = std::find(safe.begin(), safe.end(), name) != safe.end() ||
                  std::find(policy.sysctls.allow.begin(), policy.sysctls.allow.end(), name) != policy.sysctls.allow.end() ||
                  name.rfind("net.", 0) == 0;
        if (name.rfind("net.", 0) == 0 && !own_net)
            ok = false;
        if (!ok && decision.change("/linux/sysctl/" + name,
                                   own_net || name.rfind("net.", 0) != 0 ? "not a safe namespaced sysctl, removed"
                                                                         : "would change the host's network, removed"))
            drop.push_back(name);
    }
    for (const auto& name : drop)
        map->erase(name);
}

}  // namespace hardrun::harden

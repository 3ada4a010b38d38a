// User namespace: root in the container is an unprivileged host uid. A config without a user
// namespace gets one mapping container ids 0..65535 to a host range the Context hands out (a
// slice of the policy owner's subordinate ids); the report then asks for the image and the bind
// sources to be idmapped to it (idmap/container.cpp) before the runtime starts. A config's own
// user namespace (Docker's userns-remap, Kubernetes' hostUsers: false) is kept when no mapping
// reaches host id 0.
//
// Not added, and said so, for a Kubernetes pod member: its pod's namespaces belong to the host's
// user namespace (containerd creates the network namespace before the sandbox starts), so a
// runtime-added user namespace cannot join them. Refused instead when the policy says so.
//
// A config hardrun already rewrote (a reused bundle) names hardrun's mounts; the annotation
// run.hardrun.idmap keeps what the caller had, which is put back first and then checked like
// any other input: the annotation only says which paths the caller asked for.
#include "harden/controls.hpp"
#include "json/value.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <sys/stat.h>


namespace hardrun::harden {
namespace {

bool has_type(json::Value& item, const std::string& where, const char* type)
{
    json::Value* t = spec::field(item, "type", json::Kind::string, where);
    return t && t->as_string() == type;
}

// A config's own user namespace, judged: refused (the reason returned) when it is the host's or
// some id maps to host id 0; else its mappings are set in `maps`.
std::string unsafe_user_namespace(json::Value& linux, json::Value& entry, const std::string& where,
                                  std::optional<live::UserNamespaceMaps>& maps)
{
    json::Value* path = spec::field(entry, "path", json::Kind::string, where);
    if (path && !path->as_string().empty()) {
        // Joining an existing one (a pod member its sandbox's, a sandbox the one containerd 2.x
        // pinned for it): its mappings are the kernel's, read from inside it.
        const std::string& p = path->as_string();
        struct stat own {}, other {};
        if (stat("/proc/self/ns/user", &own) == 0 && stat(p.c_str(), &other) == 0 && own.st_dev == other.st_dev &&
            own.st_ino == other.st_ino)
            return "joins the host's user namespace (" + p + ")";
        live::UserNamespaceMaps joined;
        try {
            joined = live::read_user_namespace(p);
        } catch (const Error& e) {
            return "joins the user namespace " + p + ", whose mappings hardrun cannot read: " + e.what();
        }
        if (joined.reaches_host_root())
            return "joins the user namespace " + p + ", which maps an id to host root";
        maps = std::move(joined);
        return "";
    }
    live::UserNamespaceMaps stated;
    for (const char* key : {"uidMappings", "gidMappings"}) {
        json::Value* list = spec::field(linux, key, json::Kind::array, "/linux");
        std::string list_where = std::string("/linux/") + key;
        if (!list || list->items().empty())
            return "has a user namespace without " + std::string(key);
        std::vector<live::IdRange> ranges = id_mappings(*list, list_where);
        for (size_t i = 0; i < ranges.size(); ++i)
            if (ranges[i].outside == 0)
                return "maps container ids to host root (" + list_where + "/" + std::to_string(i) + " has hostID 0)";
        (std::string_view(key) == "uidMappings" ? stated.uid : stated.gid) = std::move(ranges);
    }
    maps = std::move(stated);
    return "";
}

}  // namespace

std::vector<live::IdRange> id_mappings(json::Value& list, const std::string& where)
{
    std::vector<live::IdRange> out;
    for (size_t i = 0; i < list.items().size(); ++i) {
        std::string w;
        json::Value& m = spec::object_item(list, i, where, w);
        int64_t values[3];
        const char* keys[3] = {"containerID", "hostID", "size"};
        for (int k = 0; k < 3; ++k) {
            json::Value* v = spec::field(m, keys[k], json::Kind::number, w);
            std::optional<int64_t> n = v ? v->as_int64() : std::nullopt;
            values[k] = n ? *n : -1;
            if (values[k] < 0 || values[k] > 0xffffffffll || (k == 2 && values[k] == 0))
                throw Error(w + " must have integer containerID, hostID and size");
        }
        out.push_back({uint32_t(values[0]), uint32_t(values[1]), uint32_t(values[2])});
    }
    return out;
}

namespace {

// Put back what the caller had before hardrun idmapped it (see the file comment).
bool restore_originals(json::Value& config, Report& report)
{
    json::Value* annotations = spec::field(config, "annotations", json::Kind::object, "/");
    const json::Value* saved = annotations ? annotations->find(idmap_annotation) : nullptr;
    if (!saved)
        return false;
    if (!saved->is_string())
        throw Error(std::string("/annotations/") + idmap_annotation + " must be a string");
    json::Value originals = json::parse(saved->as_string());
    const json::Value* root_path = originals.is_object() ? originals.find("root") : nullptr;
    const json::Value* mount_sources = originals.is_object() ? originals.find("mounts") : nullptr;
    if (!root_path || !root_path->is_string() || !mount_sources || !mount_sources->is_object())
        throw Error(std::string("/annotations/") + idmap_annotation + " is not one hardrun wrote");
    spec::make_object_at(config, {"root"}).set("path", *root_path);
    json::Value* mounts = spec::field(config, "mounts", json::Kind::array, "/");
    for (const auto& [index, source] : mount_sources->members()) {
        size_t i = 0;
        try {
            i = std::stoul(index);
        } catch (const std::logic_error&) {
            i = size_t(-1);
        }
        if (!mounts || i >= mounts->items().size() || !source.is_string())
            throw Error(std::string("/annotations/") + idmap_annotation + " names mount " + index +
                        ", which the config does not have");
        std::string w;
        spec::object_item(*mounts, i, "/mounts", w).set("source", source);
    }
    // The user namespace and mappings hardrun added go too: a new slice is handed out.
    json::Value* linux = spec::field(config, "linux", json::Kind::object, "/");
    json::Value* list = linux ? spec::field(*linux, "namespaces", json::Kind::array, "/linux") : nullptr;
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        std::string w;
        if (has_type(spec::object_item(*list, i, "/linux/namespaces", w), w, "user")) {
            list->items().erase(list->items().begin() + long(i));
            break;
        }
    }
    if (linux) {
        linux->erase("uidMappings");
        linux->erase("gidMappings");
    }
    annotations->erase(idmap_annotation);
    report.changed.push_back({"userNamespace", "/root/path",
                              "put back the rootfs and bind sources hardrun had replaced in a previous create"});
    return true;
}

json::Value mapping(uint32_t host, uint32_t size)
{
    json::Value m = json::Value::object();
    m.set("containerID", json::Value::number(0));
    m.set("hostID", json::Value::number(host));
    m.set("size", json::Value::number(size));
    return json::Value::array({std::move(m)});
}

// Docker sets net.ipv4.ping_group_range to "0 2147483647": inside a user namespace the kernel
// only takes gids the namespace maps.
void clamp_ping_group_range(json::Value& linux, uint32_t size, Decision& decision)
{
    json::Value* sysctl = spec::field(linux, "sysctl", json::Kind::object, "/linux");
    json::Value* range = sysctl ? sysctl->find("net.ipv4.ping_group_range") : nullptr;
    if (!range || !range->is_string())
        return;
    unsigned long long low = 0, high = 0;
    char extra = 0;
    if (std::sscanf(range->as_string().c_str(), "%llu %llu %c", &low, &high, &extra) != 2 || high < size)
        return;
    std::string clamped = std::to_string(std::min<unsigned long long>(low, size - 1)) + " " + std::to_string(size - 1);
    if (decision.change("/linux/sysctl/net.ipv4.ping_group_range",
                        "clamped \"" + range->as_string() + "\" to the mapped gids \"" + clamped + "\""))
        sysctl->set("net.ipv4.ping_group_range", json::Value::string(clamped));
}

// A namespace joined by path other than the user namespace: it belongs to the host's user
// namespace or to another container's, and a new user namespace could not enter it.
std::string joined_namespace(json::Value* list)
{
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        std::string w;
        json::Value& ns = spec::object_item(*list, i, "/linux/namespaces", w);
        json::Value* path = spec::field(ns, "path", json::Kind::string, w);
        if (path && !has_type(ns, w, "user"))
            return w;
    }
    return "";
}

}  // namespace

void user_namespace(json::Value& config, const policy::Policy& policy, const Context& context, Report& report)
{
    const policy::UserNamespace& p = policy.user_namespace;
    restore_originals(config, report);
    Decision decision(report, "userNamespace", p.mode);
    json::Value* linux = spec::field(config, "linux", json::Kind::object, "/");
    json::Value* list = linux ? spec::field(*linux, "namespaces", json::Kind::array, "/linux") : nullptr;
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        std::string w;
        json::Value& ns = spec::object_item(*list, i, "/linux/namespaces", w);
        if (!has_type(ns, w, "user"))
            continue;
        // The caller's own: checked whatever the mode, since it decides who root is on the host.
        std::optional<live::UserNamespaceMaps> maps;
        std::string unsafe = unsafe_user_namespace(*linux, ns, w, maps);
        if (!unsafe.empty())
            decision.refuse(w, unsafe);
        else
            report.own_user_namespace = std::move(maps);
        return;
    }

    if (context.pod.in_pod()) {
        const char* why = "a Kubernetes pod member without a user namespace of its own (its pod's namespaces belong "
                          "to the host's user namespace, so the runtime cannot add one): set hostUsers: false in "
                          "the pod spec";
        if (p.refuse_pods_without)
            decision.refuse("/linux/namespaces", why);
        else
            report.audited.push_back({"userNamespace", "/linux/namespaces", std::string("not added: ") + why});
        return;
    }
    if (std::string joined = joined_namespace(list); !joined.empty()) {
        std::string why = "joins another namespace by path (" + joined +
                          "), which a user namespace added by the runtime could not enter";
        if (p.run_without_when_unsupported)
            report.audited.push_back({"userNamespace", joined, "not added: " + why});
        else
            decision.refuse(joined, why + "; the policy's userNamespace.unsupported is \"refuse\"");
        return;
    }
    if (!context.idmap_unsupported.empty()) {
        std::string why = "not possible on this host (" + context.idmap_unsupported + ")";
        if (p.run_without_when_unsupported)
            report.audited.push_back({"userNamespace", "/linux/namespaces",
                                      why + ": runs without one (the policy's userNamespace.unsupported is "
                                            "\"withoutUserNamespace\")"});
        else
            decision.refuse("/linux/namespaces", why + " (the policy's userNamespace.unsupported is \"refuse\"; "
                                                       "\"withoutUserNamespace\" runs such containers without one)");
        return;
    }
    if (!decision.change("/linux/namespaces", "added a user namespace (root in the container is an unprivileged "
                                              "host uid)"))
        return;
    if (!context.allocate_ids)
        throw Error("internal error: no user-namespace id range to hand out");
    idmap::IdRange range = context.allocate_ids(p);
    spec::add_namespace(config, "user");
    json::Value& l = spec::object_field(config, "linux", "/");
    l.set("uidMappings", mapping(range.uid, range.size));
    l.set("gidMappings", mapping(range.gid, range.size));
    report.changed.back().detail += ": container uid 0 is host uid " + std::to_string(range.uid);
    clamp_ping_group_range(l, range.size, decision);
    report.user_namespace_added = range;
}

}  // namespace hardrun::harden

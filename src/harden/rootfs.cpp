// Root filesystem: read-only, with tmpfs scratch space where programs expect to write
// (/tmp, /run, /var/tmp by default). The tmpfs mounts are nosuid,nodev (noexec if the policy
// says so), start with what the image had there (runc's "tmpcopyup": images that ship
// /run/lock and the like keep working), and are sized by the container's memory limit: their
// pages are charged to its memory cgroup, so a smaller fixed cap would only add a second limit.
// A scratch mount must never make a create fail: in a user namespace of the config's own, runc
// creates mount points as the mapped root, which cannot write in the image, so there a scratch
// mount is added only where the image has a directory for it (looked up inside the rootfs, its
// symlinks resolved within it, as runc will), and the report says where it was not.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "spec/paths.hpp"
#include "spec/mount_options.hpp"
#include "util/error.hpp"
#include "util/resolve.hpp"

#include <fcntl.h>
#include <sys/mount.h>

#include <algorithm>
#include <cstdio>

namespace hardrun::harden {
namespace {

// The mount whose destination is `path` (compared after cleaning, as runc joins it), if any.
json::Value* mount_at(json::Value* mounts, const std::string& path)
{
    if (!mounts)
        return nullptr;
    for (size_t i = 0; i < mounts->items().size(); ++i) {
        std::string where;
        json::Value& mount = spec::object_item(*mounts, i, "/mounts", where);
        json::Value* destination = spec::field(mount, "destination", json::Kind::string, where);
        if (destination && spec::clean_path(destination->as_string()) == path)
            return &mount;
    }
    return nullptr;
}

// Whether the config brings a user namespace of its own (not one hardrun added).
bool own_user_namespace(json::Value& config, const Report& report)
{
    if (report.user_namespace_added)
        return false;
    json::Value* linux = spec::field(config, "linux", json::Kind::object, "/");
    json::Value* list = linux ? spec::field(*linux, "namespaces", json::Kind::array, "/linux") : nullptr;
    for (size_t i = 0; list && i < list->items().size(); ++i) {
        std::string where;
        json::Value& ns = spec::object_item(*list, i, "/linux/namespaces", where);
        json::Value* type = spec::field(ns, "type", json::Kind::string, where);
        if (type && type->as_string() == "user")
            return true;
    }
    return false;
}

// Whether `path` is a directory in the root filesystem, resolved inside it (RESOLVE_IN_ROOT:
// an absolute symlink or ".." stays in the rootfs, as runc's securejoin keeps it).
bool directory_in_rootfs(json::Value& config, const std::string& bundle, const std::string& path)
{
    json::Value* root = spec::field(config, "root", json::Kind::object, "/");
    json::Value* root_path = root ? spec::field(*root, "path", json::Kind::string, "/root") : nullptr;
    if (!root_path || root_path->as_string().empty())
        return false;
    std::string dir = root_path->as_string();
    if (dir[0] != '/')
        dir = (bundle.empty() ? "." : bundle) + "/" + dir;
    Resolved rootfs = resolve_path(AT_FDCWD, dir, RESOLVE_NO_MAGICLINKS, O_DIRECTORY);
    if (!rootfs.fd)
        return false;
    return bool(resolve_path(rootfs.fd.get(), path.substr(1), RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, O_DIRECTORY).fd);
}

}  // namespace

void rootfs(json::Value& config, const policy::Policy& policy, const Context& context, Report& report)
{
    const policy::Rootfs& want = policy.rootfs;
    Decision decision(report, "rootfs", want.mode);

    json::Value* root = spec::field(config, "root", json::Kind::object, "/");
    if (!root)
        throw Error("config.json has no \"root\"");
    json::Value* readonly = spec::field(*root, "readonly", json::Kind::boolean, "/root");
    if (!(readonly && readonly->as_bool()) &&
        decision.change("/root/readonly", readonly ? "is false, must be true" : "is unset, must be true"))
        root->set("readonly", json::Value::boolean(true));

    std::vector<std::pair<unsigned long, const char*>> required = {{MS_NOSUID, "nosuid"}, {MS_NODEV, "nodev"}};
    if (want.noexec)
        required.push_back({MS_NOEXEC, "noexec"});
    const bool own_userns = own_user_namespace(config, report);

    std::optional<int64_t> memory;
    if (json::Value* m = spec::object_at(config, {"linux", "resources", "memory"}))
        if (json::Value* limit = spec::field(*m, "limit", json::Kind::number, "/linux/resources/memory"))
            if (limit->as_int64() && *limit->as_int64() > 0)
                memory = limit->as_int64();

    for (const policy::Tmpfs& tmpfs : want.tmpfs) {
        json::Value* mounts = spec::field(config, "mounts", json::Kind::array, "/");
        if (json::Value* existing = mount_at(mounts, tmpfs.path)) {
            // The caller mounts something there already: never a second mount. A tmpfs of
            // theirs gets the required options; anything else is the mounts control's concern.
            json::Value* type = spec::field(*existing, "type", json::Kind::string, "/mounts");
            if (!type || type->as_string() != "tmpfs")
                continue;
            json::Value* options = spec::field(*existing, "options", json::Kind::array, "/mounts");
            for (const auto& [flag, option] : required) {
                if (spec::keeps_flag(options, flag))
                    continue;
                if (!decision.change("/mounts (" + tmpfs.path + ")", std::string("tmpfs without ") + option + ", added"))
                    continue;
                std::string dropped = spec::impose_flag(*existing, flag, option);
                if (!dropped.empty())
                    report.changed.back().detail += " (removed " + dropped + ")";
                options = existing->find("options");
            }
            continue;
        }
        if (own_userns && !directory_in_rootfs(config, context.bundle, tmpfs.path)) {
            report.audited.push_back({"rootfs", "/mounts",
                                      "no tmpfs added at " + tmpfs.path +
                                          ": the config's own user namespace could not create its mount point, "
                                          "and the image has no directory there"});
            continue;
        }
        if (!decision.change("/mounts", "no writable scratch space at " + tmpfs.path + ", tmpfs added"))
            continue;
        std::vector<json::Value> options;
        for (const auto& [flag, option] : required)
            options.push_back(json::Value::string(option));
        char mode[16];
        std::snprintf(mode, sizeof mode, "mode=%o", tmpfs.mode);
        options.push_back(json::Value::string(mode));
        uint64_t size = want.size ? want.size : memory ? uint64_t(*memory) : 0;
        if (size)
            options.push_back(json::Value::string("size=" + std::to_string(size)));
        options.push_back(json::Value::string("tmpcopyup"));
        json::Value mount = json::Value::object();
        mount.set("destination", json::Value::string(tmpfs.path));
        mount.set("type", json::Value::string("tmpfs"));
        mount.set("source", json::Value::string("tmpfs"));
        mount.set("options", json::Value::array(std::move(options)));
        if (!mounts)
            mounts = &config.set("mounts", json::Value::array());
        mounts->items().push_back(std::move(mount));
    }
}

}  // namespace hardrun::harden

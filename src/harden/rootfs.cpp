// Root filesystem: read-only, with tmpfs scratch space where programs expect to write
// (/tmp, /run, /var/tmp by default). The tmpfs mounts are nosuid,nodev (noexec if the policy
// says so), start with what the image had there (runc's "tmpcopyup": images that ship
// /run/lock and the like keep working), and are sized by the container's memory limit: their
// pages are charged to its memory cgroup, so a smaller fixed cap would only add a second limit.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "spec/paths.hpp"
#include "util/error.hpp"

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

}  // namespace

void rootfs(json::Value& config, const policy::Policy& policy, Report& report)
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

    std::vector<std::string> required = {"nosuid", "nodev"};
    if (want.noexec)
        required.push_back("noexec");

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
            for (const auto& option : required) {
                if (spec::has_option(options, option))
                    continue;
                if (!decision.change("/mounts (" + tmpfs.path + ")", "tmpfs without " + option + ", added"))
                    continue;
                if (!options)
                    options = &existing->set("options", json::Value::array());
                options->items().push_back(json::Value::string(option));
            }
            continue;
        }
        if (!decision.change("/mounts", "no writable scratch space at " + tmpfs.path + ", tmpfs added"))
            continue;
        std::vector<json::Value> options;
        for (const auto& option : required)
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

// Kernel interfaces: what `--privileged` opens besides capabilities and devices. The default
// masked paths (hidden: /proc/kcore, /proc/keys, /sys/firmware ...) and read-only paths
// (/proc/sys, /proc/sysrq-trigger ...) are restored where missing, and sysfs and cgroupfs are
// mounted read-only.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <array>

namespace hardrun::harden {
namespace {

// Docker's and containerd's defaults (moby oci/defaults.go, containerd oci/spec.go).
constexpr std::array<const char*, 11> default_masked = {
    "/proc/asound",     "/proc/acpi",       "/proc/kcore",       "/proc/keys",  "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",       "/sys/firmware", "/sys/devices/virtual/powercap",
};
constexpr std::array<const char*, 5> default_readonly = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                         "/proc/sysrq-trigger"};

template <size_t N>
void require_paths(json::Value& config, const char* key, const std::array<const char*, N>& wanted, Decision& decision)
{
    json::Value* linux = spec::object_at(config, {"linux"});
    json::Value* list = linux ? spec::field(*linux, key, json::Kind::array, "/linux") : nullptr;
    std::vector<std::string> missing;
    for (const char* path : wanted) {
        bool present = list && std::any_of(list->items().begin(), list->items().end(), [&](const json::Value& v) {
            return v.is_string() && v.as_string() == path;
        });
        if (!present)
            missing.push_back(path);
    }
    if (missing.empty())
        return;
    std::string detail = "missing";
    for (const auto& m : missing)
        detail += " " + m;
    if (!decision.change(std::string("/linux/") + key, detail))
        return;
    if (!list)
        list = &spec::make_object_at(config, {"linux"}).set(key, json::Value::array());
    for (const auto& m : missing)
        list->items().push_back(json::Value::string(m));
}

}  // namespace

void kernel_interfaces(json::Value& config, const policy::Policy& policy, Report& report)
{
    Decision decision(report, "kernelInterfaces", policy.kernel.mode);
    require_paths(config, "maskedPaths", default_masked, decision);
    require_paths(config, "readonlyPaths", default_readonly, decision);

    json::Value* mounts = spec::field(config, "mounts", json::Kind::array, "/");
    for (size_t i = 0; mounts && i < mounts->items().size(); ++i) {
        std::string where;
        json::Value& mount = spec::object_item(*mounts, i, "/mounts", where);
        json::Value* type = spec::field(mount, "type", json::Kind::string, where);
        if (!type || (type->as_string() != "sysfs" && type->as_string() != "cgroup" && type->as_string() != "cgroup2"))
            continue;
        json::Value* options = spec::field(mount, "options", json::Kind::array, where);
        bool ro = false, rw = false;
        for (size_t k = 0; options && k < options->items().size(); ++k) {
            const json::Value& o = options->items()[k];
            ro = ro || (o.is_string() && o.as_string() == "ro");
            rw = rw || (o.is_string() && o.as_string() == "rw");
        }
        if ((ro && !rw) || !decision.change(where + "/options", type->as_string() + " mounted read-write, made ro"))
            continue;
        if (!options)
            options = &mount.set("options", json::Value::array());
        auto& items = options->items();
        items.erase(std::remove_if(items.begin(), items.end(),
                                   [](const json::Value& o) { return o.is_string() && o.as_string() == "rw"; }),
                    items.end());
        if (!ro)
            items.push_back(json::Value::string("ro"));
    }
}

}  // namespace hardrun::harden

#include "spec/mount_options.hpp"

#include "live/mounts.hpp"

#include <algorithm>

namespace hardrun::spec {
namespace {

OptionEffect plain_effect(std::string_view option)
{
    OptionEffect e;
    e.set = live::apply_mount_options(option, 0);
    e.cleared = ~live::apply_mount_options(option, ~0UL);
    return e;
}

}  // namespace

OptionEffect option_effect(std::string_view option)
{
    // A value option ("mode=755", "lowerdir=...") is data for the filesystem, and an option
    // with a comma would be split by libmount where runc passes it whole as data.
    if (option.find('=') != std::string_view::npos || option.find(',') != std::string_view::npos)
        return {};
    OptionEffect e = plain_effect(option);
    if ((e.set || e.cleared) || option.size() < 2 || option[0] != 'r')
        return e;
    // Not a flag option itself ("rbind", "rprivate" are): "r" + one is runc's recursive form.
    OptionEffect inner = plain_effect(option.substr(1));
    if (!inner.set && !inner.cleared)
        return e;
    inner.recursive = true;
    return inner;
}

bool keeps_flag(const json::Value* options, unsigned long flag)
{
    bool set = false;
    for (size_t i = 0; options && i < options->items().size(); ++i) {
        const json::Value& o = options->items()[i];
        if (!o.is_string())
            continue;
        OptionEffect e = option_effect(o.as_string());
        if (e.cleared & flag)
            return false;
        set = set || (e.set & flag);
    }
    return set;
}

std::string impose_flag(json::Value& mount, unsigned long flag, const char* name)
{
    json::Value* options = mount.find("options");
    if (!options || !options->is_array())
        options = &mount.set("options", json::Value::array());
    std::string dropped;
    auto& items = options->items();
    items.erase(std::remove_if(items.begin(), items.end(),
                               [&](const json::Value& o) {
                                   if (!o.is_string() || !(option_effect(o.as_string()).cleared & flag))
                                       return false;
                                   dropped += (dropped.empty() ? "" : " ") + o.as_string();
                                   return true;
                               }),
                items.end());
    if (!keeps_flag(options, flag))
        items.push_back(json::Value::string(name));
    return dropped;
}

}  // namespace hardrun::spec

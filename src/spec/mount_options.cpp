#include "spec/mount_options.hpp"

#include <algorithm>

namespace hardrun::spec {
namespace {

// libmount's built-in Linux option map (MNT_LINUX_MAP): name, the MS_* flags, and whether the
// option clears them (MNT_INVERT) rather than sets them. Generated from libmount itself when
// hardrun is built (mount_option_table_gen.cpp), so that a create need not load libmount (with
// libblkid, libselinux and libpcre2: about 0.84 M instructions and four more libraries mapped per
// create, for one lookup per option); the unit test live.mount_option_table_is_libmounts compares
// it with the map of the libmount installed, entry by entry.
struct FlagOption {
    std::string_view name;
    unsigned long flags;
    bool clears;
};
constexpr FlagOption flag_options[] = {
#include "mount_option_table.inc"
};

OptionEffect plain_effect(std::string_view option)
{
    OptionEffect e;
    for (const FlagOption& f : flag_options)
        if (f.name == option)
            (f.clears ? e.cleared : e.set) = f.flags;
    return e;
}

}  // namespace

std::vector<std::string_view> flag_option_names()
{
    std::vector<std::string_view> out;
    for (const FlagOption& f : flag_options)
        out.push_back(f.name);
    return out;
}

OptionEffect option_effect(std::string_view option)
{
    // A value option ("mode=755", "lowerdir=...") is data for the filesystem, and an option
    // with a comma is one runc passes whole as data (mount(8) would split it).
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

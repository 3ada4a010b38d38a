#include "spec/mount_options.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <array>

namespace hardrun::spec {
namespace {

// libmount's built-in Linux option map (util-linux 2.38, MNT_LINUX_MAP): name, the MS_* flags,
// and whether the option clears them (MNT_INVERT) rather than sets them. A table of ours so that
// a create need not load libmount (with libblkid, libselinux and libpcre2: about 0.84 M
// instructions and four more libraries mapped per create, for one lookup per option); the unit
// test live.mount_option_table_is_libmounts compares it with the map of the libmount installed,
// entry by entry, so the two cannot drift apart unseen.
struct FlagOption {
    std::string_view name;
    unsigned long flags;
    bool clears;
};
constexpr std::array<FlagOption, 40> flag_options{{
    {"ro", MS_RDONLY, false},          {"rw", MS_RDONLY, true},
    {"exec", MS_NOEXEC, true},         {"noexec", MS_NOEXEC, false},
    {"suid", MS_NOSUID, true},         {"nosuid", MS_NOSUID, false},
    {"dev", MS_NODEV, true},           {"nodev", MS_NODEV, false},
    {"sync", MS_SYNCHRONOUS, false},   {"async", MS_SYNCHRONOUS, true},
    {"dirsync", MS_DIRSYNC, false},    {"remount", MS_REMOUNT, false},
    {"bind", MS_BIND, false},          {"rbind", MS_BIND | MS_REC, false},
    {"silent", MS_SILENT, false},      {"loud", MS_SILENT, true},
    {"mand", MS_MANDLOCK, false},      {"nomand", MS_MANDLOCK, true},
    {"atime", MS_NOATIME, true},       {"noatime", MS_NOATIME, false},
    {"iversion", MS_I_VERSION, false}, {"noiversion", MS_I_VERSION, true},
    {"diratime", MS_NODIRATIME, true}, {"nodiratime", MS_NODIRATIME, false},
    {"relatime", MS_RELATIME, false},  {"norelatime", MS_RELATIME, true},
    {"strictatime", MS_STRICTATIME, false}, {"nostrictatime", MS_STRICTATIME, true},
    {"lazytime", MS_LAZYTIME, false},  {"nolazytime", MS_LAZYTIME, true},
    {"unbindable", MS_UNBINDABLE, false}, {"runbindable", MS_UNBINDABLE | MS_REC, false},
    {"private", MS_PRIVATE, false},    {"rprivate", MS_PRIVATE | MS_REC, false},
    {"slave", MS_SLAVE, false},        {"rslave", MS_SLAVE | MS_REC, false},
    {"shared", MS_SHARED, false},      {"rshared", MS_SHARED | MS_REC, false},
    {"symfollow", MS_NOSYMFOLLOW, true}, {"nosymfollow", MS_NOSYMFOLLOW, false},
}};

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

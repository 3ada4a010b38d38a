#include "live/apparmor.hpp"

#include "util/file.hpp"

namespace hardrun::live {

AppArmorHost parse_apparmor_profiles(std::string_view text)
{
    AppArmorHost host;
    host.enabled = true;
    host.listed = true;
    for (std::string_view line : lines_of(text)) {
        size_t open = line.rfind(" (");
        if (open == std::string_view::npos || line.back() != ')')
            continue;
        host.profiles[std::string(line.substr(0, open))] =
            std::string(line.substr(open + 2, line.size() - open - 3));
    }
    return host;
}

AppArmorHost read_apparmor()
{
    AppArmorHost host;
    auto enabled = read_small_file("/sys/module/apparmor/parameters/enabled", 16);
    if (!enabled || enabled->empty() || (*enabled)[0] != 'Y')
        return host;
    auto list = read_small_file("/sys/kernel/security/apparmor/profiles", 8u << 20);
    if (!list) {
        host.enabled = true;
        return host;
    }
    return parse_apparmor_profiles(*list);
}

}  // namespace hardrun::live

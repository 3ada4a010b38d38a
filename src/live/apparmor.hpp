// The host's AppArmor, as runc will meet it: whether the kernel enforces AppArmor
// (/sys/module/apparmor/parameters/enabled, what runc checks) and which profiles are loaded in
// which mode (/sys/kernel/security/apparmor/profiles: "NAME (MODE)" per line).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace hardrun::live {

struct AppArmorHost {
    bool enabled = false;
    bool listed = false;                         // the profile list could be read
    std::map<std::string, std::string> profiles;  // name -> mode ("enforce", "complain", "kill" ...)

    // Loaded, and confining: enforce or kill mode (complain only logs; "unconfined"-mode
    // profiles of AppArmor 4 confine nothing).
    bool confines(const std::string& name) const
    {
        auto it = profiles.find(name);
        return it != profiles.end() && (it->second == "enforce" || it->second == "kill");
    }
};

// Parse the profiles list (the content of /sys/kernel/security/apparmor/profiles).
AppArmorHost parse_apparmor_profiles(std::string_view text);

// Read this host's AppArmor state (cheap where AppArmor is off: one small file).
AppArmorHost read_apparmor();

}  // namespace hardrun::live

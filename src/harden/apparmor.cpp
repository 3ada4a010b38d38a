// AppArmor: on a host that enforces it, every container process runs under a confining profile.
// process.apparmorProfile is the caller's to choose among confining ones; absent, "unconfined"
// (docker run --privileged, --security-opt apparmor=unconfined) or a profile that only logs
// (complain mode) is replaced by the first of the policy's profiles the host has loaded in
// enforce mode: hardrun's own (contrib/apparmor/hardrun-default), else an engine's default.
// The same for an exec's process (Docker's exec carries the container's profile, "unconfined" for
// a privileged one). On a host without AppArmor the field is inert: runc ignores it there.
#include "harden/controls.hpp"
#include "spec/fields.hpp"

namespace hardrun::harden {

void apparmor(json::Value& process, const std::string& where, const policy::Policy& policy,
              const live::AppArmorHost& host, Report& report)
{
    if (!host.enabled)
        return;
    const std::string path = spec::child_path(where, "apparmorProfile");
    json::Value* current = spec::field(process, "apparmorProfile", json::Kind::string, where);
    const std::string asked = current ? current->as_string() : "";
    if (!asked.empty() && asked != "unconfined" && (!host.listed || host.confines(asked)))
        return;  // a confining profile (or one this host cannot list: runc applies or refuses it)

    const std::string* chosen = nullptr;
    for (const auto& name : policy.apparmor.profiles)
        if (host.confines(name)) {
            chosen = &name;
            break;
        }
    std::string what = asked.empty() ? "no AppArmor profile"
                       : asked == "unconfined"
                           ? "AppArmor profile \"unconfined\""
                           : "AppArmor profile \"" + asked + "\", which this host has loaded only to log (" +
                                 (host.profiles.count(asked) ? host.profiles.at(asked) : "not loaded") + " mode)";
    if (!chosen) {
        std::string why = what + ", and none of the policy's apparmor.profiles is loaded in enforce mode" +
                          (host.listed ? "" : " (the loaded profiles cannot be read: is securityfs mounted?)");
        if (policy.apparmor.refuse_unavailable && policy.apparmor.mode != policy::Mode::audit)
            Decision(report, "apparmor", policy.apparmor.mode).refuse(path, why);
        else
            Decision(report, "apparmor", policy::Mode::audit).change(path, why + ": runs unconfined");
        return;
    }
    if (Decision(report, "apparmor", policy.apparmor.mode).change(path, what + ", \"" + *chosen + "\" put in place"))
        process.set("apparmorProfile", json::Value::string(*chosen));
}

}  // namespace hardrun::harden

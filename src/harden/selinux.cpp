// SELinux: on a host that enforces SELinux (RHEL, Fedora), the process label decides what the
// container may touch. Engines give container_t (container_init_t for systemd in a container);
// a config naming another type (spc_t, "super privileged container", or unconfined_t) runs the
// container unconfined by SELinux. process.selinuxLabel ("user:role:type[:level]") keeps only
// the policy's selinux.types; another type, or a label that is not one, is refused (rewriting it
// would leave its files labelled for the other type). An empty label is the engine's default.
// On a host without SELinux runc ignores the field, and a refusal there costs nothing anyone uses.
#include "harden/controls.hpp"
#include "spec/fields.hpp"

#include <algorithm>

namespace hardrun::harden {

void selinux(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report)
{
    json::Value* label = spec::field(process, "selinuxLabel", json::Kind::string, where);
    if (!label || label->as_string().empty())
        return;
    const std::string& text = label->as_string();
    // user:role:type[:level], where the level (s0:c1,c2) may itself hold colons.
    size_t first = text.find(':');
    size_t second = first == std::string::npos ? first : text.find(':', first + 1);
    std::string type;
    if (second != std::string::npos)
        type = text.substr(second + 1, text.find(':', second + 1) - second - 1);
    Decision decision(report, "selinux", policy.selinux.mode);
    const std::string path = spec::child_path(where, "selinuxLabel");
    if (type.empty()) {
        decision.refuse(path, "\"" + text + "\" is not an SELinux label (user:role:type[:level])");
        return;
    }
    const auto& types = policy.selinux.types;
    if (std::find(types.begin(), types.end(), type) == types.end())
        decision.refuse(path, "the SELinux type " + type + " does not confine a container (selinux.types: " +
                                  [&] {
                                      std::string all;
                                      for (const auto& t : types)
                                          all += (all.empty() ? "" : ", ") + t;
                                      return all;
                                  }() + ")");
}

}  // namespace hardrun::harden

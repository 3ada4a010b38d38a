// Capabilities: every set (bounding, effective, permitted, inheritable, ambient) keeps only
// the names on the policy's allowlist. A name libcap-ng does not know is refused (runc 1.1 would
// skip it with a warning, and a config we cannot read fully is not one we can vouch for); in audit
// mode it is recorded, like everything else.
#include "harden/controls.hpp"
#include "spec/capability_names.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <array>

namespace hardrun::harden {
namespace {

constexpr std::array<const char*, 5> set_names = {"bounding", "effective", "permitted", "inheritable", "ambient"};

bool allowed(const policy::Policy& policy, const std::string& name)
{
    const auto& allow = policy.capabilities.allow;
    return std::find(allow.begin(), allow.end(), name) != allow.end();
}

}  // namespace

void capabilities(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report)
{
    Decision decision(report, "capabilities", policy.capabilities.mode);
    std::string caps_path = spec::child_path(where, "capabilities");
    json::Value* caps = spec::field(process, "capabilities", json::Kind::object, where);

    if (!caps) {
        // Without a capabilities object runc leaves the process every capability it has itself.
        std::vector<json::Value> allow;
        for (const auto& name : policy.capabilities.allow)
            allow.push_back(json::Value::string(name));
        if (decision.change(caps_path, "absent (runc would keep all of its own capabilities)")) {
            json::Value& created = process.set("capabilities", json::Value::object());
            for (const char* set : {"bounding", "effective", "permitted"})
                created.set(set, json::Value::array(allow));
        }
        return;
    }

    for (const char* set : set_names) {
        std::string set_path = spec::child_path(caps_path, set);
        json::Value* names = spec::field(*caps, set, json::Kind::array, caps_path);
        if (!names)
            continue;  // absent or null: an empty set for runc
        std::vector<json::Value> kept;
        std::string removed;
        for (size_t i = 0; i < names->items().size(); ++i) {
            const json::Value& item = names->items()[i];
            std::string item_path = set_path + "/" + std::to_string(i);
            if (!item.is_string())
                throw Error(item_path + " must be a string");
            if (!spec::capability_number(item.as_string())) {
                // Refused (audit: recorded, the config left as it is).
                decision.refuse(item_path, "unknown capability \"" + item.as_string() + "\"");
                continue;
            }
            if (allowed(policy, item.as_string()))
                kept.push_back(item);
            else
                removed += (removed.empty() ? "" : ",") + item.as_string();
        }
        if (!removed.empty() && decision.change(set_path, "outside the allowlist: " + removed))
            names->items() = std::move(kept);
    }
}

}  // namespace hardrun::harden

// no_new_privs: setuid binaries and file capabilities cannot raise privileges in the container.
#include "harden/controls.hpp"
#include "spec/fields.hpp"

namespace hardrun::harden {

void no_new_privileges(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report)
{
    Decision decision(report, "noNewPrivileges", policy.no_new_privileges.mode);
    json::Value* nnp = spec::field(process, "noNewPrivileges", json::Kind::boolean, where);
    if (nnp && nnp->as_bool())
        return;
    if (decision.change(spec::child_path(where, "noNewPrivileges"), nnp ? "is false, must be true" : "is unset, must be true"))
        process.set("noNewPrivileges", json::Value::boolean(true));
}

}  // namespace hardrun::harden

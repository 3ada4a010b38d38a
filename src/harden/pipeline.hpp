// The order in which controls run over a config (create, run, restore) or over a single
// process (exec). A new control is one file plus one line here.
#pragma once

#include "harden/report.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"

#include <functional>
#include <string>

namespace hardrun::harden {

// The annotation naming the policy that last rewrote a config. Informational only: it never
// lets a check be skipped, since the config is caller input every time it is read.
inline constexpr const char* policy_annotation = "run.hardrun.policy";

// What the controls know of the container besides its config.
struct Context {
    std::string container_id;  // runc's id argument (Docker's and podman's container id)
    std::string bundle;        // the bundle directory (relative bind sources are relative to it)
    // Where verdicts of compiled seccomp profiles are kept (see seccomp::compile_cached; "":
    // no cache, every profile compiled).
    std::string seccomp_cache = "/run/hardrun/seccomp-compiled";
    // Whether the final filter is compiled with libseccomp. Always in hardrun; the fuzz harness
    // compiles only a sample of its inputs (the BPF compile is most of the cost of one input).
    bool compile_seccomp = true;
};

// The annotation by which a config picks a profile among the policy's "selectable" ones.
inline constexpr const char* profile_annotation = "run.hardrun.profile";

// Loads a named profile (policy::load in production; tests pass their own).
using ProfileLoader = std::function<policy::Policy(const std::string& name)>;

// All controls of `policy`; then, if the config's run.hardrun.profile names a selectable
// profile, all controls of that profile too. Marks the config with the policy annotation.
Report harden_config(json::Value& config, const policy::Policy& policy, const Context& context = {},
                     const ProfileLoader& load_profile = nullptr);
Report harden_process(json::Value& process, const policy::Policy& policy);
// The same, adding to an existing report (exec also vets its --cap flags).
void harden_process(json::Value& process, const policy::Policy& policy, Report& report);

}  // namespace hardrun::harden

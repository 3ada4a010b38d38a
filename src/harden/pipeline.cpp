#include "harden/pipeline.hpp"

#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <algorithm>

namespace hardrun::harden {
namespace {

void process_controls(json::Value& process, const std::string& where, json::Value* config, bool root_remapped,
                      const policy::Policy& policy, const live::AppArmorHost& apparmor_host, Report& report)
{
    capabilities(process, where, policy, report);
    no_new_privileges(process, where, policy, report);
    apparmor(process, where, policy, apparmor_host, report);
    selinux(process, where, policy, report);
    process_limits(process, where, policy, report);
    user(process, where, config, root_remapped, policy, report);
}

void config_controls(json::Value& config, const policy::Policy& policy, const Context& caller_context, Report& report)
{
    Context context = caller_context;
    context.pod = pod_of(config, context, policy, report);
    // First: it may add members to the config (which moves them), and the user control reads
    // the mappings it adds.
    user_namespace(config, policy, context, report);
    json::Value* process = spec::field(config, "process", json::Kind::object, "/");
    if (!process)
        throw Error("config.json has no \"process\"; nothing to run");
    process_controls(*process, "/process", &config, false, policy,
                     context.apparmor_host ? context.apparmor_host() : live::AppArmorHost{}, report);
    resources(config, policy, context.cgroup_v2 ? *context.cgroup_v2 : host_cgroup_v2(), report);
    cgroups_path(config, policy, report);
    rootfs(config, policy, context, report);
    namespaces(config, policy, context, report);
    mounts(config, policy, context, report);
    devices(config, policy, report);
    kernel_interfaces(config, policy, report);
    sysctls(config, policy, report);
    seccomp(config, policy, context, report);
    hooks(config, policy, context, report);
    annotations(config, policy, report);
}

}  // namespace

Report harden_config(json::Value& config, const policy::Policy& policy, const Context& context,
                     const ProfileLoader& load_profile)
{
    if (!config.is_object())
        throw Error("config.json must hold a JSON object");
    Report report;
    // First of all: every control reads the config as runc will, or none does.
    fields(config, policy, report);
    if (!report.refused.empty())
        return report;
    config_controls(config, policy, context, report);
    std::string digest = policy.digest;
    bool rewrites = policy.rewrites();

    json::Value* annotations = spec::field(config, "annotations", json::Kind::object, "/");
    const json::Value* wanted = annotations ? annotations->find(profile_annotation) : nullptr;
    if (wanted) {
        const std::string name = wanted->is_string() ? wanted->as_string() : "";
        const auto& selectable = policy.selectable;
        if (std::find(selectable.begin(), selectable.end(), name) == selectable.end() || !load_profile) {
            report.refused.push_back({"profile", std::string("/annotations/") + profile_annotation,
                                      "\"" + name + "\" is not a profile this policy lets a container select"});
        } else {
            // Applied after the policy, the profile can only tighten: every control only
            // removes, lowers or adds, never undoes what the first pass did.
            policy::Policy profile = load_profile(name);
            config_controls(config, profile, context, report);
            report.profile = name;
            digest += "+" + profile.digest;
            rewrites = rewrites || profile.rewrites();
        }
    }

    if (rewrites) {
        json::Value& all = spec::object_field(config, "annotations", "/");
        const json::Value* current = all.find(policy_annotation);
        if (!current || !current->is_string() || current->as_string() != digest) {
            all.set(policy_annotation, json::Value::string(digest));
            report.annotated = true;
        }
    }
    return report;
}

void harden_process(json::Value& process, const policy::Policy& policy, Report& report, bool root_remapped,
                    const live::AppArmorHost& apparmor_host)
{
    if (!process.is_object())
        throw Error("the process file must hold a JSON object");
    size_t refused_before = report.refused.size();
    process_fields(process, policy, report);
    if (report.refused.size() > refused_before)
        return;
    process_controls(process, "", nullptr, root_remapped, policy, apparmor_host, report);
}

Report harden_process(json::Value& process, const policy::Policy& policy)
{
    Report report;
    harden_process(process, policy, report);
    return report;
}

}  // namespace hardrun::harden

#include "harden/pipeline.hpp"

#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

namespace hardrun::harden {
namespace {

void process_controls(json::Value& process, const std::string& where, const policy::Policy& policy, Report& report)
{
    capabilities(process, where, policy, report);
    no_new_privileges(process, where, policy, report);
}

}  // namespace

Report harden_config(json::Value& config, const policy::Policy& policy, const Context& context)
{
    if (!config.is_object())
        throw Error("config.json must hold a JSON object");
    Report report;
    json::Value* process = spec::field(config, "process", json::Kind::object, "/");
    if (!process)
        throw Error("config.json has no \"process\"; nothing to run");
    process_controls(*process, "/process", policy, report);
    resources(config, policy, report);
    rootfs(config, policy, report);
    namespaces(config, policy, report);
    mounts(config, policy, context, report);
    devices(config, policy, report);
    kernel_interfaces(config, policy, report);
    sysctls(config, policy, report);

    if (policy.rewrites()) {
        json::Value& annotations = spec::object_field(config, "annotations", "/");
        const json::Value* current = annotations.find(policy_annotation);
        if (!current || !current->is_string() || current->as_string() != policy.digest) {
            annotations.set(policy_annotation, json::Value::string(policy.digest));
            report.annotated = true;
        }
    }
    return report;
}

void harden_process(json::Value& process, const policy::Policy& policy, Report& report)
{
    if (!process.is_object())
        throw Error("the process file must hold a JSON object");
    process_controls(process, "", policy, report);
}

Report harden_process(json::Value& process, const policy::Policy& policy)
{
    Report report;
    harden_process(process, policy, report);
    return report;
}

}  // namespace hardrun::harden

// create / run / restore: the rewrite pipeline. Everything that can fail happens before the
// config is replaced, and the config is replaced atomically: on any error the bundle is left
// byte-identical and the runtime never runs (fail closed).
#include "commands/commands.hpp"

#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <cstdio>

namespace hardrun::commands {
namespace {

constexpr size_t max_config_bytes = 16u << 20;

}  // namespace

void create(const cli::Invocation& inv, const cli::CommandLine& cmd)
{
    policy::Policy policy = policy::load(inv.policy);
    std::string runtime_path = runtime::locate(inv.runtime, policy.runtime);

    std::string bundle = cmd.last("bundle").value_or("");
    if (bundle.empty())
        bundle = ".";  // runc's default: the working directory
    std::string id = cmd.positional.empty() ? "" : cmd.positional.front();
    std::string config_path = bundle + "/config.json";

    DirFile file;
    json::Value config;
    harden::Report report;
    try {
        file = read_dir_file(config_path, max_config_bytes);
        config = json::parse(file.text);
        report = harden::harden_config(config, policy);
    } catch (const Error& e) {
        throw Error(config_path + ": " + e.what());
    }

    log::AuditEvent event{inv.command, id, config_path, "", &report};
    if (!report.refused.empty()) {
        event.outcome = "refused";
        log::audit(policy, event);
        throw Error("policy violation (" + policy.source + "): " + harden::describe(report.refused));
    }
    if (report.modified())
        replace_dir_file(file, json::serialize(config));
    event.outcome = report.modified() ? "rewritten" : "unchanged";
    std::string audit_error = log::audit(policy, event);
    if (!audit_error.empty())
        std::fprintf(stderr, "hardrun: warning: %s\n", audit_error.c_str());

    runtime::exec(runtime_path, inv.runtime_args);
}

}  // namespace hardrun::commands
